"""Forces, councils, populations, ethnic mix and postcodes of the synthetic England and Wales.

Forces and councils come from the standard's ``police_force`` and ``local_authority`` code lists (the
council's ``group`` is its force's code), so that every code the generator writes is a valid one.

Populations and ethnic mixes are *rough approximations* of Census 2021 force-area figures, typed from
memory at the level of "about 20% Asian in West Midlands, 13% Black in London" and not checked against the
ONS tables (TS021): good enough to give each area a plausible mix of names and recorded ethnicities, not
for any statistic. A council's shares vary around its force's by a seeded factor. Postcodes are synthetic
but plausible: each council gets outward codes inside a real postcode area of its force's region.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clearsight.standard import load_standard

ETHNIC_CODES = [
    "W1",
    "W2",
    "W3",
    "W9",
    "M1",
    "M2",
    "M3",
    "M9",
    "A1",
    "A2",
    "A3",
    "A4",
    "A9",
    "B1",
    "B2",
    "B9",
    "O2",
    "O9",
]

# force code: (population in millions, Asian %, Black %, Mixed %, other White %, Other %, Asian profile)
_FORCE_FACTS: dict[str, tuple[float, float, float, float, float, float, str]] = {
    "E23000001": (8.8, 20.7, 13.5, 5.7, 17.0, 6.3, "mix"),
    "E23000005": (2.87, 13.0, 4.0, 3.0, 4.5, 2.0, "pk"),
    "E23000014": (2.94, 22.0, 6.5, 4.5, 3.5, 2.5, "pk"),
    "E23000010": (2.35, 15.0, 2.5, 3.0, 4.0, 1.5, "pk"),
    "E23000029": (2.45, 9.0, 2.5, 3.0, 7.0, 1.5, "pk"),
    "E23000030": (2.0, 3.5, 1.0, 2.0, 5.0, 0.8, "mix"),
    "E23000032": (1.87, 3.5, 1.8, 2.2, 5.0, 1.0, "in"),
    "E23000028": (1.87, 3.0, 2.5, 2.2, 4.5, 0.8, "mix"),
    "E23000003": (1.53, 10.0, 0.6, 1.5, 2.5, 0.8, "pk"),
    "E23000036": (1.75, 3.0, 2.0, 2.7, 4.5, 1.0, "mix"),
    "E23000035": (1.8, 1.2, 0.4, 1.5, 3.0, 0.5, "mix"),
    "E23000033": (1.73, 3.0, 1.0, 2.5, 5.5, 1.0, "mix"),
    "E23000004": (1.43, 1.8, 1.2, 2.0, 2.0, 1.0, "mix"),
    "E23000011": (1.38, 5.5, 1.5, 2.0, 3.0, 1.5, "pk"),
    "E23000007": (1.46, 3.5, 0.8, 1.2, 2.0, 1.0, "bd"),
    "E23000031": (1.2, 5.0, 1.0, 2.5, 6.0, 1.0, "in"),
    "E23000027": (1.2, 6.5, 3.0, 3.0, 6.5, 1.2, "in"),
    "E23000021": (1.1, 16.0, 2.5, 2.5, 4.0, 1.2, "in"),
    "E23000019": (1.16, 5.5, 3.0, 3.0, 4.0, 1.0, "pk"),
    "E23000015": (1.14, 4.0, 0.8, 1.7, 2.5, 0.5, "pk"),
    "E23000016": (1.3, 2.0, 0.6, 1.6, 3.5, 0.5, "mix"),
    "E23000018": (1.06, 4.0, 1.5, 2.0, 3.0, 0.8, "pk"),
    "E23000006": (1.1, 1.8, 0.5, 1.3, 3.0, 0.5, "mix"),
    "E23000012": (0.94, 1.5, 0.6, 1.2, 3.5, 0.6, "mix"),
    "E23000023": (0.9, 5.0, 1.5, 2.5, 9.0, 1.0, "pk"),
    "E23000024": (0.92, 1.5, 0.8, 1.5, 5.5, 0.6, "mix"),
    "E23000025": (0.76, 1.8, 1.2, 2.0, 4.5, 0.5, "mix"),
    "E23000020": (0.77, 1.0, 0.4, 1.0, 5.5, 0.4, "mix"),
    "E23000009": (0.83, 1.3, 0.3, 1.0, 2.5, 0.4, "mix"),
    "E23000022": (0.79, 3.5, 3.0, 2.5, 6.5, 0.8, "in"),
    "E23000038": (0.73, 2.5, 1.0, 1.8, 4.0, 0.6, "in"),
    "E23000039": (0.78, 1.5, 0.5, 1.5, 4.0, 0.5, "mix"),
    "E23000008": (0.64, 0.9, 0.3, 0.8, 1.5, 0.3, "mix"),
    "E23000013": (0.57, 5.0, 0.8, 1.0, 1.5, 0.8, "pk"),
    "E23000002": (0.5, 0.6, 0.2, 0.7, 1.8, 0.2, "mix"),
    "E23000037": (0.65, 2.0, 1.2, 2.0, 3.5, 0.5, "in"),
    "E23000017": (0.6, 5.0, 1.0, 2.0, 4.0, 0.6, "in"),
    "E23000026": (0.7, 13.0, 5.0, 3.5, 8.0, 1.5, "pk"),
    "E23000034": (0.01, 13.0, 3.0, 5.0, 20.0, 5.0, "mix"),
    "W15000003": (1.35, 3.0, 1.2, 2.0, 2.5, 1.0, "bd"),
    "W15000001": (0.7, 0.8, 0.2, 0.8, 2.5, 0.3, "mix"),
    "W15000002": (0.6, 1.2, 0.5, 1.5, 1.8, 0.4, "pk"),
    "W15000004": (0.52, 0.8, 0.2, 0.8, 2.5, 0.3, "mix"),
}
_DEFAULT_FACTS = (0.8, 3.0, 1.0, 2.0, 4.0, 0.7, "mix")
# A1 Indian, A2 Pakistani, A3 Bangladeshi, A4 Chinese, A9 other Asian
_ASIAN_SPLIT = {
    "pk": [0.2, 0.55, 0.1, 0.07, 0.08],
    "in": [0.55, 0.15, 0.05, 0.12, 0.13],
    "bd": [0.15, 0.25, 0.35, 0.12, 0.13],
    "mix": [0.3, 0.22, 0.13, 0.15, 0.2],
}

_POSTCODE_AREAS: dict[str, list[str]] = {
    "E23000001": "E N SE SW W NW EN HA UB TW KT CR BR DA RM IG".split(),
    "E23000005": "M BL OL SK WN".split(),
    "E23000014": "B CV DY WS WV".split(),
    "E23000010": "BD HX HD LS WF".split(),
    "E23000029": "HP MK OX RG SL".split(),
    "E23000030": "SO PO GU".split(),
    "E23000032": "CT ME TN DA".split(),
    "E23000028": "CM CO SS RM".split(),
    "E23000003": "PR BB FY LA".split(),
    "E23000036": "BS BA TA".split(),
    "E23000035": "EX PL TQ TR".split(),
    "E23000033": "BN RH TN".split(),
    "E23000004": "L CH WA PR".split(),
    "E23000011": "S DN".split(),
    "E23000007": "NE SR".split(),
    "E23000031": "GU KT RH".split(),
    "E23000027": "AL SG WD HP".split(),
    "E23000021": ["LE"],
    "E23000019": ["NG"],
    "E23000015": "ST WS DE".split(),
    "E23000016": "HR SY TF WR".split(),
    "E23000018": "DE S".split(),
    "E23000006": "CW CH WA".split(),
    "E23000012": "HU DN".split(),
    "E23000023": "CB PE".split(),
    "E23000024": ["NR"],
    "E23000025": "IP CB".split(),
    "E23000020": "LN PE NG".split(),
    "E23000009": "YO HG DL".split(),
    "E23000022": ["NN"],
    "E23000038": "SN SP BA".split(),
    "E23000039": "BH DT".split(),
    "E23000008": "DH DL".split(),
    "E23000013": ["TS"],
    "E23000002": "CA LA".split(),
    "E23000037": ["GL"],
    "E23000017": "CV B".split(),
    "E23000026": "MK LU".split(),
    "E23000034": ["EC"],
    "W15000003": "CF SA".split(),
    "W15000001": "LL CH".split(),
    "W15000002": ["NP"],
    "W15000004": "SA LD SY".split(),
}
INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))


@dataclass
class Geography:
    """Forces and councils as arrays indexed by position; council ``force_index`` points into forces."""

    force_codes: list[str]
    force_names: list[str]
    council_codes: list[str]
    council_names: list[str]
    council_force: np.ndarray
    council_children: np.ndarray
    """Approximate child population (thousands) per council."""
    council_ethnic_mix: np.ndarray
    """(councils x 18) shares of ETHNIC_CODES."""
    council_postcode_area: list[str]
    council_districts: list[np.ndarray]
    force_rate: np.ndarray
    """Per-force multiplier of recorded offences per child (the published range is 3 to 13 per 1000)."""

    def councils_of(self, force: int) -> np.ndarray:
        return np.flatnonzero(self.council_force == force)


def _mix(facts: tuple[float, float, float, float, float, float, str], jitter: np.ndarray) -> np.ndarray:
    _, asian, black, mixed, other_white, other, profile = facts
    groups = np.array([asian, black, mixed, other_white, other]) / 100.0 * jitter
    groups = np.minimum(groups, 0.6)
    scale = min(1.0, 0.92 / groups.sum())
    asian, black, mixed, other_white, other = groups * scale
    white_british = 1.0 - (asian + black + mixed + other_white + other)
    shares = [
        white_british,
        other_white * 0.1,
        other_white * 0.05,
        other_white * 0.85,
        mixed * 0.3,
        mixed * 0.15,
        mixed * 0.3,
        mixed * 0.25,
    ]
    shares += list(asian * np.asarray(_ASIAN_SPLIT[profile]))
    shares += [black * 0.3, black * 0.6, black * 0.1, other * 0.4, other * 0.6]
    array = np.asarray(shares, dtype=np.float64)
    return array / array.sum()


def build_geography(rng: np.random.Generator) -> Geography:
    """All 43 forces and their councils, with seeded council-level variation."""
    standard = load_standard()
    forces = standard.codelist("police_force").codes
    councils = standard.codelist("local_authority").codes
    force_codes = [code.code for code in forces]
    position = {code: index for index, code in enumerate(force_codes)}
    council_force = np.array([position[code.group] for code in councils], dtype=np.int64)
    children = np.zeros(len(councils))
    mixes = np.zeros((len(councils), len(ETHNIC_CODES)))
    area_by_council = [""] * len(councils)
    district_by_council: list[np.ndarray] = [np.arange(1, 2)] * len(councils)
    for force_index, force_code in enumerate(force_codes):
        facts = _FORCE_FACTS.get(force_code, _DEFAULT_FACTS)
        members = np.flatnonzero(council_force == force_index)
        weights = rng.dirichlet(np.full(len(members), 4.0)) if len(members) > 1 else np.ones(1)
        children[members] = facts[0] * 1000.0 * 0.21 * weights
        force_areas = _POSTCODE_AREAS.get(force_code, ["ZZ"])
        for rank, council in enumerate(members):
            mixes[council] = _mix(facts, np.exp(rng.normal(0.0, 0.45, size=5)))
            area_by_council[council] = force_areas[rank % len(force_areas)]
            start = 1 + (rank // len(force_areas)) * 6 + int(rng.integers(0, 3))
            district_by_council[council] = np.arange(start, start + int(rng.integers(3, 7)))
    return Geography(
        force_codes=force_codes,
        force_names=[code.label for code in forces],
        council_codes=[code.code for code in councils],
        council_names=[code.label for code in councils],
        council_force=council_force,
        council_children=children,
        council_ethnic_mix=mixes,
        council_postcode_area=area_by_council,
        council_districts=district_by_council,
        force_rate=np.exp(rng.normal(0.0, 0.35, size=len(force_codes))),
    )


def postcodes(geo: Geography, council: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Synthetic postcodes inside each council's outward codes, e.g. 'BD7 3QX' (StringDType array)."""
    n = len(council)
    areas = np.array(geo.council_postcode_area, dtype=np.dtypes.StringDType())[council]
    district_table = np.zeros((len(geo.council_codes), 6), dtype=np.int64)
    district_len = np.zeros(len(geo.council_codes), dtype=np.int64)
    for index, values in enumerate(geo.council_districts):
        district_table[index, : len(values)] = values
        district_len[index] = len(values)
    pick = (rng.random(n) * district_len[council]).astype(np.int64)
    district = district_table[council, pick].astype(str).astype(np.dtypes.StringDType())
    digit = rng.integers(0, 10, size=n).astype(str).astype(np.dtypes.StringDType())
    letters = INWARD_LETTERS[rng.integers(0, len(INWARD_LETTERS), size=(n, 2))]
    inward = np.strings.add(
        np.strings.add(digit, letters[:, 0].astype(np.dtypes.StringDType())),
        letters[:, 1].astype(np.dtypes.StringDType()),
    )
    return np.strings.add(np.strings.add(np.strings.add(areas, district), " "), inward)
