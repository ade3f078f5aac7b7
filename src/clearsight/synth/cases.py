"""Kinds of abuse case and their parameters: who offends, against whom, where, for how long.

A *case* is one set of offenders (one person for lone offending, two or more for a group) abusing one or
more victims over a period. Each kind has its own offender and victim profile; the numbers are
judgement-based assumptions shaped to the published mix in ``config.py`` (victims mostly girls aged 11-17,
about half of suspects children, groups heavy-tailed in size with a core and a periphery).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import yaml

# offence kinds: how a kind maps to a Home Office code by victim sex and age is in recording_offences.py
OFFENCE_KINDS = ["rape", "assault", "activity", "exploitation", "grooming", "familial", "exposure", "trust"]
LOCATIONS = [
    "DWELLING_VICTIM",
    "DWELLING_SUSPECT",
    "DWELLING_OTHER",
    "HOTEL",
    "TAKEAWAY",
    "TAXI",
    "VEHICLE_OTHER",
    "PARK_STREET",
    "SCHOOL",
    "CARE_HOME",
    "SHOP_BUSINESS",
    "NIGHT_TIME_ECONOMY",
    "ONLINE",
    "OTHER",
]


@dataclass(frozen=True)
class CaseKind:
    """Parameters of one kind of case (all ages in years, durations in days)."""

    name: str
    group: bool
    size_range: tuple[int, int] = (1, 1)
    size_alpha: float = 2.0
    """Power-law exponent of group sizes (heavy tail)."""
    victims_mean: float = 0.0
    """Mean number of victims beyond the first (Poisson), or per member for networks."""
    victims_per_member: float = 0.0
    offences_per_victim: float = 0.5
    """Mean recorded offences per victim beyond the first (Poisson)."""
    hidden_victim: float = 0.1
    """Share of victims whose abuse never reaches a police record."""
    duration: tuple[float, float] = (30.0, 1.0)
    """Median days and lognormal sigma of the period of abuse."""
    offender_age: tuple[float, float] = (35.0, 10.0)
    offender_age_min: float = 18.0
    offender_male: float = 0.95
    child_offender: float = 0.0
    """Share of offenders who are children aged 10-17 (ages then drawn 12-17)."""
    victim_age: tuple[float, float] = (13.0, 2.5)
    victim_female: float = 0.8
    household: bool = False
    """Victims live in an offender's household (intra-familial)."""
    offender_elsewhere: float = 0.05
    """Share of offenders living outside the case's force (online offending: most)."""
    online: float = 0.0
    cse: float = 0.0
    locations: tuple[tuple[str, float], ...] = (("DWELLING_SUSPECT", 1.0),)
    kinds: tuple[float, ...] = (0.2, 0.4, 0.3, 0.0, 0.0, 0.0, 0.1, 0.0)
    suspects_per_offence: float = 0.0
    """Mean extra suspects per offence in a group (Poisson, capped at the group size)."""
    unknown_suspect: float = 0.05
    """Share of offences recorded with no identified suspect."""
    recruitment: float = 0.0
    """Share of later victims introduced by an earlier victim (networks)."""
    intel_rate: float = 0.0
    """Intelligence reports per offender per year of activity."""
    referral: float = 0.3
    """Share of victims referred to children's social care."""
    missing_rate: float = 0.3
    """Mean missing episodes per victim."""
    missing_with_adults: float = 0.1


def _as_case_kind(entry: dict) -> CaseKind:
    """A case kind from its YAML entry: lists become the tuples the dataclass holds."""
    values = {
        key: tuple(tuple(v) if isinstance(v, list) else v for v in value) if isinstance(value, list) else value
        for key, value in entry.items()
    }
    return CaseKind(**values)


def load_case_kinds() -> dict[str, CaseKind]:
    """The case kinds kept as data in ``data/cases.yaml`` (configuration in files, not code)."""
    text = (resources.files("clearsight.synth") / "data" / "cases.yaml").read_text(encoding="utf-8")
    return {entry["name"]: _as_case_kind(entry) for entry in yaml.safe_load(text)["case_kinds"]}


CASE_KINDS: dict[str, CaseKind] = load_case_kinds()
