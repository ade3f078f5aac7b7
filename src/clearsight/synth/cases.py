"""Kinds of abuse case and their parameters: who offends, against whom, where, for how long.

A *case* is one set of offenders (one person for lone offending, two or more for a group) abusing one or
more victims over a period. Each kind has its own offender and victim profile; the numbers are
judgement-based assumptions shaped to the published mix in ``config.py`` (victims mostly girls aged 11-17,
about half of suspects children, groups heavy-tailed in size with a core and a periphery).
"""

from __future__ import annotations

from dataclasses import dataclass

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


def _w(*pairs: tuple[str, float]) -> tuple[tuple[str, float], ...]:
    return pairs


CASE_KINDS: dict[str, CaseKind] = {
    kind.name: kind
    for kind in (
        CaseKind(
            "familial",
            False,
            victims_mean=0.3,
            offences_per_victim=1.0,
            hidden_victim=0.05,
            duration=(400.0, 1.0),
            offender_age=(38.0, 9.0),
            offender_male=0.78,
            child_offender=0.4,
            victim_age=(9.0, 3.5),
            victim_female=0.75,
            household=True,
            locations=_w(("DWELLING_VICTIM", 0.7), ("DWELLING_SUSPECT", 0.2), ("VEHICLE_OTHER", 0.05), ("OTHER", 0.05)),
            kinds=(0.22, 0.35, 0.2, 0.0, 0.0, 0.18, 0.05, 0.0),
            unknown_suspect=0.0,
            referral=0.6,
            missing_rate=0.2,
        ),
        CaseKind(
            "peer",
            False,
            offences_per_victim=0.2,
            duration=(10.0, 1.2),
            offender_age=(15.0, 1.5),
            offender_age_min=10.0,
            offender_male=0.86,
            child_offender=1.0,
            victim_age=(14.0, 1.8),
            victim_female=0.82,
            locations=_w(
                ("DWELLING_SUSPECT", 0.3),
                ("DWELLING_VICTIM", 0.15),
                ("SCHOOL", 0.2),
                ("PARK_STREET", 0.25),
                ("ONLINE", 0.1),
            ),
            kinds=(0.25, 0.45, 0.2, 0.0, 0.0, 0.0, 0.1, 0.0),
            unknown_suspect=0.03,
            referral=0.35,
            missing_rate=0.2,
        ),
        CaseKind(
            "extrafamilial",
            False,
            victims_mean=0.15,
            offences_per_victim=0.2,
            duration=(20.0, 1.5),
            offender_age=(38.0, 13.0),
            offender_male=0.88,
            child_offender=0.35,
            victim_age=(12.5, 3.0),
            victim_female=0.72,
            locations=_w(
                ("DWELLING_SUSPECT", 0.35),
                ("DWELLING_OTHER", 0.15),
                ("PARK_STREET", 0.2),
                ("SHOP_BUSINESS", 0.1),
                ("VEHICLE_OTHER", 0.1),
                ("SCHOOL", 0.05),
                ("OTHER", 0.05),
            ),
            kinds=(0.15, 0.5, 0.15, 0.0, 0.0, 0.0, 0.1, 0.1),
            unknown_suspect=0.15,
            referral=0.3,
            missing_rate=0.2,
        ),
        CaseKind(
            "lone_cse",
            False,
            victims_mean=0.6,
            offences_per_victim=1.5,
            hidden_victim=0.3,
            duration=(200.0, 0.7),
            offender_age=(27.0, 7.0),
            offender_male=0.9,
            child_offender=0.15,
            victim_age=(14.3, 1.4),
            victim_female=0.88,
            cse=1.0,
            locations=_w(
                ("DWELLING_SUSPECT", 0.35),
                ("VEHICLE_OTHER", 0.2),
                ("HOTEL", 0.1),
                ("PARK_STREET", 0.15),
                ("DWELLING_OTHER", 0.1),
                ("ONLINE", 0.1),
            ),
            kinds=(0.25, 0.2, 0.3, 0.2, 0.05, 0.0, 0.0, 0.0),
            unknown_suspect=0.05,
            intel_rate=1.0,
            referral=0.6,
            missing_rate=2.5,
            missing_with_adults=0.5,
        ),
        CaseKind(
            "online",
            False,
            victims_mean=0.9,
            offences_per_victim=0.4,
            hidden_victim=0.2,
            duration=(40.0, 1.0),
            offender_age=(32.0, 12.0),
            offender_male=0.84,
            child_offender=0.4,
            victim_age=(13.5, 1.8),
            victim_female=0.75,
            offender_elsewhere=0.6,
            online=1.0,
            cse=0.3,
            locations=_w(
                ("ONLINE", 1.0),
            ),
            kinds=(0.0, 0.0, 0.35, 0.15, 0.3, 0.0, 0.2, 0.0),
            unknown_suspect=0.25,
            intel_rate=0.2,
            referral=0.25,
            missing_rate=0.3,
        ),
        CaseKind(
            "network",
            True,
            size_range=(2, 40),
            size_alpha=2.1,
            victims_per_member=0.8,
            offences_per_victim=2.0,
            hidden_victim=0.35,
            duration=(600.0, 0.6),
            offender_age=(30.0, 8.0),
            offender_male=0.9,
            child_offender=0.12,
            victim_age=(14.0, 1.3),
            victim_female=0.9,
            cse=1.0,
            locations=_w(
                ("TAKEAWAY", 0.2),
                ("HOTEL", 0.15),
                ("DWELLING_OTHER", 0.25),
                ("TAXI", 0.15),
                ("VEHICLE_OTHER", 0.1),
                ("PARK_STREET", 0.05),
                ("NIGHT_TIME_ECONOMY", 0.1),
            ),
            kinds=(0.35, 0.2, 0.2, 0.2, 0.05, 0.0, 0.0, 0.0),
            suspects_per_offence=0.8,
            unknown_suspect=0.02,
            recruitment=0.6,
            intel_rate=1.2,
            referral=0.7,
            missing_rate=3.5,
            missing_with_adults=0.6,
        ),
        CaseKind(
            "peer_group",
            True,
            size_range=(2, 7),
            size_alpha=2.5,
            victims_mean=0.5,
            offences_per_victim=0.8,
            hidden_victim=0.2,
            duration=(60.0, 1.0),
            offender_age=(15.5, 1.2),
            offender_age_min=12.0,
            offender_male=0.9,
            child_offender=1.0,
            victim_age=(14.2, 1.3),
            victim_female=0.9,
            cse=0.5,
            locations=_w(("DWELLING_SUSPECT", 0.35), ("PARK_STREET", 0.35), ("SCHOOL", 0.1), ("ONLINE", 0.2)),
            kinds=(0.35, 0.4, 0.15, 0.05, 0.0, 0.0, 0.05, 0.0),
            suspects_per_offence=1.0,
            intel_rate=0.4,
            referral=0.45,
            missing_rate=0.6,
            missing_with_adults=0.2,
        ),
        CaseKind(
            "familial_group",
            True,
            size_range=(2, 5),
            size_alpha=2.5,
            victims_mean=0.6,
            offences_per_victim=1.5,
            hidden_victim=0.1,
            duration=(900.0, 0.6),
            offender_age=(40.0, 10.0),
            offender_male=0.75,
            child_offender=0.3,
            victim_age=(9.5, 3.0),
            victim_female=0.7,
            household=True,
            locations=_w(("DWELLING_VICTIM", 0.6), ("DWELLING_SUSPECT", 0.3), ("DWELLING_OTHER", 0.1)),
            kinds=(0.3, 0.3, 0.15, 0.05, 0.0, 0.2, 0.0, 0.0),
            suspects_per_offence=0.6,
            unknown_suspect=0.0,
            intel_rate=0.3,
            referral=0.7,
            missing_rate=0.3,
        ),
        CaseKind(
            "online_group",
            True,
            size_range=(3, 12),
            size_alpha=2.0,
            victims_per_member=0.8,
            offences_per_victim=0.6,
            hidden_victim=0.2,
            duration=(300.0, 0.6),
            offender_age=(33.0, 10.0),
            offender_male=0.95,
            child_offender=0.05,
            victim_age=(13.5, 1.5),
            victim_female=0.8,
            offender_elsewhere=0.7,
            online=1.0,
            cse=0.8,
            locations=_w(
                ("ONLINE", 1.0),
            ),
            kinds=(0.0, 0.0, 0.3, 0.3, 0.3, 0.0, 0.1, 0.0),
            suspects_per_offence=0.3,
            unknown_suspect=0.1,
            intel_rate=0.5,
            referral=0.4,
            missing_rate=0.3,
        ),
    )
}
