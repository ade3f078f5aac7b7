"""The hidden population: true persons with names, dates of birth, addresses and phones.

Only the people the records will mention are created (victims, suspects, relatives, people named in
intelligence, children referred to councils); each is one row of a set of column arrays. Persons are
added in bulk (one call per kind of case, never per person) and the store is frozen into arrays once.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np

from clearsight.synth.geography import ETHNIC_CODES, Geography, postcodes
from clearsight.synth.names import TRADITION_OF_ETHNICITY, TRADITIONS, NamePools

STRING = np.dtypes.StringDType()
_STREET_SUFFIXES = [
    "Road",
    "Street",
    "Avenue",
    "Close",
    "Lane",
    "Drive",
    "Way",
    "Gardens",
    "Terrace",
    "Crescent",
    "Grove",
    "Place",
    "Court",
    "Walk",
]
_COMMON_STREETS = [
    "High Street",
    "Station Road",
    "Church Road",
    "Park Road",
    "Victoria Road",
    "Green Lane",
    "Manor Road",
    "Church Street",
    "Park Avenue",
    "Queens Road",
    "New Road",
    "Grange Road",
]
# nationality by ethnicity code: (codes, weights); British by default
_NATIONALITY: dict[str, tuple[list[str], list[float]]] = {
    "W9": (["POL", "ROU", "LTU", "GBR", "BGR", "SVK", "PRT", "ITA"], [0.3, 0.2, 0.08, 0.2, 0.06, 0.06, 0.05, 0.05]),
    "W2": (["IRL", "GBR"], [0.5, 0.5]),
    "A1": (["GBR", "IND"], [0.75, 0.25]),
    "A2": (["GBR", "PAK"], [0.85, 0.15]),
    "A3": (["GBR", "BGD"], [0.85, 0.15]),
    "A4": (["GBR", "CHN", "HKG"], [0.5, 0.35, 0.15]),
    "A9": (["GBR", "AFG", "LKA", "NPL"], [0.55, 0.2, 0.15, 0.1]),
    "B2": (["GBR", "NGA", "GHA", "SOM", "ERI", "ZWE"], [0.55, 0.15, 0.08, 0.1, 0.07, 0.05]),
    "B9": (["GBR", "SDN", "ERI"], [0.7, 0.15, 0.15]),
    "O2": (["GBR", "IRQ", "SYR", "EGY"], [0.45, 0.2, 0.2, 0.15]),
    "O9": (["GBR", "TUR", "IRN", "AFG"], [0.5, 0.2, 0.15, 0.15]),
}
_RELIGION: dict[str, tuple[list[str], list[float]]] = {
    "A1": (["HINDU", "SIKH", "MUSLIM", "CHRISTIAN", "NO_RELIGION"], [0.45, 0.2, 0.15, 0.1, 0.1]),
    "A2": (["MUSLIM", "NO_RELIGION"], [0.93, 0.07]),
    "A3": (["MUSLIM", "NO_RELIGION"], [0.92, 0.08]),
    "A4": (["NO_RELIGION", "BUDDHIST", "CHRISTIAN"], [0.6, 0.15, 0.25]),
    "B1": (["CHRISTIAN", "NO_RELIGION"], [0.6, 0.4]),
    "B2": (["CHRISTIAN", "MUSLIM", "NO_RELIGION"], [0.6, 0.3, 0.1]),
    "O2": (["MUSLIM", "CHRISTIAN", "NO_RELIGION"], [0.8, 0.1, 0.1]),
}
_DEFAULT_RELIGION = (["NO_RELIGION", "CHRISTIAN", "MUSLIM", "OTHER", "JEWISH"], [0.5, 0.44, 0.02, 0.02, 0.02])
JUNIOR_RATE = 0.02
"""Share of household members of the head's sex and surname, born 16 or more years after the head, given
the head's own forename (a "Junior").

Why: in England and Wales siblings practically never share a forename, but a son named after his father
does occur. Forenames drawn independently from the (small, Zipf-weighted) pools gave two same-sex members
of one household the same forename 3 to 13 % of the time, so the synthetic truth held far more same-named
siblings at one address than life does, and linkage was measured against a problem real records rarely
pose. Members now get a forename no one else in the household has, nor a spelling of one (Adriana and
Adrianna, Louis and Louie: one letter apart), except these deliberate Juniors."""


@dataclass
class People:
    """Column arrays of true persons; ``pid`` is the position. Build with ``add``, then ``freeze``."""

    chunks: list[dict[str, np.ndarray]] = field(default_factory=list)
    size: int = 0
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, part: dict[str, np.ndarray]) -> np.ndarray:
        n = len(part["sex"])
        if self.columns:
            self.columns = {name: np.concatenate([self.columns[name], part[name]]) for name in self.columns}
        else:
            self.chunks.append(part)
        ids = np.arange(self.size, self.size + n, dtype=np.int64)
        self.size += n
        return ids

    def freeze(self) -> None:
        names = self.chunks[0].keys()
        self.columns = {name: np.concatenate([chunk[name] for chunk in self.chunks]) for name in names}
        self.chunks = []

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]


@dataclass
class PersonFactory:
    """Draws new persons for given councils, sexes and dates of birth, with plausible identities."""

    geo: Geography
    names: NamePools
    rng: np.random.Generator
    people: People
    streets: np.ndarray = field(init=False)
    towns: np.ndarray = field(init=False)
    household_forenames: dict[int, set[str]] = field(init=False, default_factory=dict)
    """Forenames already given in each household (keyed by the head's pid), across calls of ``create``."""
    _keys: list[str] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        surnames = self.names.surnames[: min(400, len(self.names.surnames))]
        picks = self.rng.integers(0, len(surnames), size=1500)
        suffixes = np.array(_STREET_SUFFIXES, dtype=STRING)[self.rng.integers(0, len(_STREET_SUFFIXES), size=1500)]
        built = np.strings.add(np.strings.add(surnames[picks], " "), suffixes)
        # "Bristol, City of" -> "Bristol": the register's form is not how an address is written
        self.towns = np.array([name.split(",")[0] for name in self.geo.council_names], dtype=STRING)
        self.streets = np.concatenate([np.array(_COMMON_STREETS, dtype=STRING), built])

    def ethnicity(self, council: np.ndarray) -> np.ndarray:
        """Draw ethnicity codes (indices into ETHNIC_CODES) from each council's mix."""
        cumulative = np.cumsum(self.geo.council_ethnic_mix[council], axis=1)
        draw = self.rng.random(len(council))[:, None]
        return np.minimum((draw > cumulative).sum(axis=1), len(ETHNIC_CODES) - 1).astype(np.int64)

    def addresses(self, council: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(address, postcode) for new households in these councils."""
        n = len(council)
        number = self.rng.integers(1, 180, size=n).astype(str).astype(STRING)
        street = self.streets[self.rng.integers(0, len(self.streets), size=n)]
        town = self.towns[council]
        address = np.strings.add(np.strings.add(np.strings.add(np.strings.add(number, " "), street), ", "), town)
        flat = self.rng.random(n) < 0.15
        flat_no = self.rng.integers(1, 40, size=n).astype(str).astype(STRING)
        address = np.where(
            flat, np.strings.add(np.strings.add(np.strings.add("Flat ", flat_no), ", "), address), address
        )
        return address, postcodes(self.geo, council, self.rng)

    def phones(self, n: int) -> np.ndarray:
        """UK mobile numbers in the 07700 range (Ofcom keeps 07700 900xxx for drama; the rest is synthetic)."""
        digits = self.rng.integers(0, 1_000_000, size=n)
        return np.strings.add("07700 ", zero_pad(digits, 6))

    def create(
        self,
        council: np.ndarray,
        sex: np.ndarray,
        dob: np.ndarray,
        *,
        ethnicity: np.ndarray | None = None,
        household_of: np.ndarray | None = None,
        same_surname: np.ndarray | None = None,
        phone_share: float = 0.3,
    ) -> np.ndarray:
        """Add persons; ``household_of[i] >= 0`` puts person i at that person's address (and surname where
        ``same_surname[i]``). Returns the new pids."""
        n = len(council)
        rng = self.rng
        eth = self.ethnicity(council) if ethnicity is None else ethnicity.astype(np.int64)
        tradition = np.array([TRADITIONS.index(TRADITION_OF_ETHNICITY[code]) for code in ETHNIC_CODES])[eth]
        forename = np.zeros(n, dtype=np.int64)
        surname = np.zeros(n, dtype=np.int64)
        for t_index, tradition_name in enumerate(TRADITIONS):
            for sex_code, sex_name in ((0, "M"), (1, "F")):
                chosen = np.flatnonzero((tradition == t_index) & (sex == sex_code))
                if len(chosen):
                    forename[chosen] = self.names.sample_forenames(rng, tradition_name, sex_name, len(chosen))
            chosen = np.flatnonzero(tradition == t_index)
            if len(chosen):
                surname[chosen] = self.names.sample_surnames(rng, tradition_name, len(chosen))
        address, postcode = self.addresses(council)
        if household_of is not None:
            inherit = household_of >= 0
            if inherit.any():
                base = self.people
                source = household_of[inherit]
                address[inherit] = base_column(base, "address", source)
                postcode[inherit] = base_column(base, "postcode", source)
                council = council.copy()
                council[inherit] = base_column(base, "council", source)
                keep = inherit & (same_surname if same_surname is not None else True)
                surname[keep] = base_column(base, "surname", household_of[keep])
                self._distinct_household_forenames(forename, sex, surname, dob, tradition, household_of)
        nationality = np.full(n, "GBR", dtype=object)
        religion = np.empty(n, dtype=object)
        for code_index, code in enumerate(ETHNIC_CODES):
            chosen = np.flatnonzero(eth == code_index)
            if not len(chosen):
                continue
            if code in _NATIONALITY:
                values, weights = _NATIONALITY[code]
                nationality[chosen] = np.asarray(values, dtype=object)[rng.choice(len(values), len(chosen), p=weights)]
            values, weights = _RELIGION.get(code, _DEFAULT_RELIGION)
            religion[chosen] = np.asarray(values, dtype=object)[rng.choice(len(values), len(chosen), p=weights)]
        phone = np.where(rng.random(n) < phone_share, self.phones(n), np.array("", dtype=STRING))
        return self.people.add(
            {
                "sex": sex.astype(np.int8),
                "dob": dob.astype("datetime64[D]"),
                "ethnicity": eth,
                "forename": forename,
                "surname": surname,
                "council": council.astype(np.int64),
                "address": address.astype(STRING),
                "postcode": postcode.astype(STRING),
                "phone": phone.astype(STRING),
                "nationality": nationality.astype(STRING),
                "religion": religion.astype(STRING),
                "disabled": rng.random(n) < 0.08,
            }
        )


    def _forename_keys(self) -> list[str]:
        """Each forename as a register compares it (letters only, no accents): Chloé and Chloe are one name."""
        if self._keys is None:
            self._keys = ["".join(c for c in unicodedata.normalize("NFKD", name) if c.isalpha()).lower()
                          for name in self.names.forenames.tolist()]
        return self._keys

    def _distinct_household_forenames(
        self, forename: np.ndarray, sex: np.ndarray, surname: np.ndarray, dob: np.ndarray, tradition: np.ndarray,
        household_of: np.ndarray,
    ) -> None:
        """Redraw, in place, a member's forename that someone in the household already has (see
        ``JUNIOR_RATE``); deterministic for the generator's seed."""
        members = np.flatnonzero(household_of >= 0)
        if not len(members):
            return
        heads = household_of[members]
        head_forename = base_column(self.people, "forename", heads)
        head_sex = base_column(self.people, "sex", heads)
        head_surname = base_column(self.people, "surname", heads)
        generation = (dob[members].astype("datetime64[D]") - base_column(self.people, "dob", heads)).astype(
            np.int64) >= 16 * 365
        junior = self.rng.random(len(members)) < JUNIOR_RATE
        key = self._forename_keys()
        for k, i in enumerate(members.tolist()):
            head = int(heads[k])
            used = self.household_forenames.setdefault(head, {key[int(head_forename[k])]})
            if junior[k] and generation[k] and sex[i] == head_sex[k] and surname[i] == head_surname[k]:
                forename[i] = head_forename[k]
                continue
            pool_key = (TRADITIONS[int(tradition[i])], "M" if sex[i] == 0 else "F")
            for _ in range(20):
                if not _taken(key[int(forename[i])], used):
                    break
                forename[i] = self.names.sample_forenames(self.rng, *pool_key, 1)[0]
            else:  # a small pool, a large household: the first name of the pool no one has yet
                pool = self.names.forename_pools[pool_key][0]
                free = [int(x) for x in pool if not _taken(key[int(x)], used)]
                if free:
                    forename[i] = free[0]
            used.add(key[int(forename[i])])


def _taken(name: str, used: set[str]) -> bool:
    """Whether ``name`` is, or is one letter (added, dropped or changed) away from, a name in ``used``."""
    return name in used or any(_one_edit(name, other) for other in used)


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def base_column(people: People, name: str, pids: np.ndarray) -> np.ndarray:
    """Values of column ``name`` for ``pids`` while the store is still being built (chunked)."""
    if people.columns:
        return people.columns[name][pids]
    whole = np.concatenate([chunk[name] for chunk in people.chunks])
    return whole[pids]


def birth_dates(rng: np.random.Generator, at: np.ndarray, age_years: np.ndarray) -> np.ndarray:
    """Dates of birth giving ``age_years`` (float allowed) at dates ``at``."""
    days = (np.asarray(age_years, dtype=np.float64) * 365.25 + rng.random(len(at)) * 365.0).astype(np.int64)
    return (at.astype("datetime64[D]") - days.astype("timedelta64[D]")).astype("datetime64[D]")


def zero_pad(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as zero-padded strings of ``width`` digits (works on empty arrays)."""
    text = (np.asarray(values, dtype=np.int64) % 10**width + 10**width).astype(str).astype(STRING)
    return np.strings.slice(text, 1, None)
