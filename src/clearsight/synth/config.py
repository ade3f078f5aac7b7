"""Settings of the synthetic generator: scales, calibration targets and per-submitter recording quality.

Calibration (``/work/shared/reference/calibration.csv``; rows cited by their ``measure``):

- Volume of police-recorded sexual offences against children, England and Wales, per year, *excluding*
  indecent-image offences (which the core data set's person-level offence table does not model):
  2016: 45,411 ("sexual crimes against children recorded by police", 2016); 2021: 67,675 ("sexual offences
  against children recorded by police", year ending September 2021); 2022: 107,000 x 75% = 80,250
  ("CSAE offences recorded" 2022 and "share that are sexual offences against children (not indecent
  images)"); 2023: 115,489 x 73% = 84,307 ("CSAE offences recorded" 2023 less "indecent images of children"
  27%); 2024: 2023 x 1.06 ("change on 2023", +6%). **Assumptions**: 2025 = 2024 x 1.03 (no figure seen);
  before 2016 the volume falls by the 2012-2022 growth rate ("nearly four times the figure ten years
  earlier": 4^(1/10) = 1.149 a year); years in between are interpolated geometrically.
- Case mix: within the family about a third of contact offences ("CSAE contact offences: share within the
  family", 33%); group-based about 5% ("CSAE: share that is group-based"), of which 26% within the family
  ("group-based CSAE (COCAD): within the family"); online about 20% of non-image offences (42% of CSAE
  online in 2024 less the 27% that are indecent images: an **assumption**); victims 79% female ("CSAE 2023:
  victims female"); perpetrators 82% male; about half of suspects aged 10-17 ("CSAE: share of offenders who
  are children", "CSAE 2023: perpetrators aged 10-17").
- Recording: charge rates 5% to 20% by force ("CSA charge rate: lowest/highest police area"); suspects'
  ethnicity not recorded for about two thirds in group-based CSE ("suspects whose ethnicity is not recorded
  (group-based CSE)"), which sets the upper end of the per-force spread. The CSE flag's use (17,100 contact
  offences flagged, "partial") and the group-based flag's (about 700 offences, "partial") set the spread of
  flag sensitivity; both figures are partial, so the sensitivities are **assumptions** tuned to land near
  them.
- Council referrals: 29,560 children assessed with sexual abuse and 12,120 with CSE as a factor (England,
  year ending March 2025) set the number of referrals with a sexual harm concern, scaled to the offences.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal

import numpy as np

Scale = Literal["tiny", "area", "national"]
LAST_YEAR = 2025

# year -> non-image sexual offences against children recorded nationally (see the module docstring)
_ANCHORS: dict[int, float] = {
    2016: 45_411.0,
    2021: 67_675.0,
    2022: 107_000.0 * 0.75,
    2023: 115_489.0 * 0.73,
    2024: 115_489.0 * 0.73 * 1.06,
    2025: 115_489.0 * 0.73 * 1.06 * 1.03,
}
_PRE_2016_GROWTH = 4.0 ** (1 / 10)


def national_offences(year: int) -> float:
    """Calibrated national volume of recorded offences in ``year`` (geometric interpolation of anchors)."""
    years = sorted(_ANCHORS)
    if year <= years[0]:
        return _ANCHORS[years[0]] / _PRE_2016_GROWTH ** (years[0] - year)
    if year >= years[-1]:
        return _ANCHORS[years[-1]]
    for low, high in zip(years, years[1:], strict=False):
        if low <= year <= high:
            share = (year - low) / (high - low)
            return float(np.exp(np.log(_ANCHORS[low]) * (1 - share) + np.log(_ANCHORS[high]) * share))
    raise AssertionError("unreachable")


# case type -> share of recorded offences; the types are explained in offending.py
CASE_MIX: dict[str, float] = {
    "familial": 0.28,
    "peer": 0.27,
    "extrafamilial": 0.13,
    "lone_cse": 0.09,
    "online": 0.18,
    "group": 0.05,
}
# group kind -> share of group-based offences (26% within the family, COCAD 2023)
GROUP_MIX: dict[str, float] = {"network": 0.46, "peer_group": 0.22, "familial_group": 0.26, "online_group": 0.06}

# Offences per year at the 'tiny' scale (a few hundred, so that the test suite stays fast).
TINY_OFFENCES_PER_YEAR = 320.0
TINY_FORCES = 2
# Offences whose victim had turned 18 by the offence, or recorded after 2025, are dropped after generation;
# this factor (measured: about 5%) puts the recorded volume back on the calibration targets.
VOLUME_CORRECTION = 1.05


def stable_rng(seed: int, stage: str) -> np.random.Generator:
    """An independent generator per stage, so that changing one stage leaves the others' draws alone."""
    return np.random.default_rng([seed, zlib.crc32(stage.encode("utf-8"))])


@dataclass(frozen=True)
class RecordingQuality:
    """How well one submitter records: each knob is a probability, spread across submitters by the seed.

    The spread is the point: the audit measures recording failures, so the generator plants known ones.
    """

    suspect_ethnicity_missing: float = 0.3
    """Share of suspects whose self-defined ethnicity is left not recorded (NR / blank)."""
    victim_ethnicity_missing: float = 0.15
    officer_observed_rate: float = 0.6
    """Share of suspects with an officer-observed IC code (forces only)."""
    cse_flag_sensitivity: float = 0.75
    """Share of truly CSE offences that carry the CSE flag."""
    cse_flag_false_positive: float = 0.02
    group_flag_sensitivity: float = 0.3
    """Share of truly group-based offences that carry the group-based flag."""
    harmed_recorded_at_risk: float = 0.45
    """Share of children with evident harm whom the council records only as AT_RISK."""
    name_noise: float = 1.0
    """Multiplier on the per-record identifier noise rates (typos, nicknames, swaps...)."""
    duplicate_nominal: float = 0.04
    """Share of persons given a second, separate nominal record in the same source."""
    late_return: float = 0.15
    resubmission: float = 0.1
    duplicate_file: float = 0.05
    quarterly: bool = False
    """Quarterly returns instead of one return a year."""
    charge_rate: float = 0.12


def draw_quality(rng: np.random.Generator, is_force: bool) -> RecordingQuality:
    """A seeded spread of recording quality for one submitter (Beta draws around realistic centres)."""
    return RecordingQuality(
        suspect_ethnicity_missing=float(rng.beta(2.0, 2.2) * 0.9),
        victim_ethnicity_missing=float(rng.beta(1.5, 6.0)),
        officer_observed_rate=float(0.3 + 0.6 * rng.random()) if is_force else 0.0,
        cse_flag_sensitivity=float(0.45 + 0.5 * rng.beta(3, 2)),
        cse_flag_false_positive=float(0.005 + 0.03 * rng.random()),
        group_flag_sensitivity=float(0.05 + 0.4 * rng.beta(2, 3)),
        harmed_recorded_at_risk=float(0.15 + 0.6 * rng.beta(2, 2)),
        name_noise=float(np.exp(rng.normal(0.0, 0.45))),
        duplicate_nominal=float(0.01 + 0.06 * rng.random()),
        late_return=float(rng.beta(1.5, 6.0)),
        resubmission=float(rng.beta(1.2, 8.0)),
        duplicate_file=float(rng.beta(1.0, 15.0)),
        quarterly=bool(rng.random() < 0.3),
        charge_rate=float(0.05 + 0.15 * rng.random()),
    )


def quality_fields() -> list[str]:
    """The knob names, in declaration order (for the truth file that states them)."""
    return [spec.name for spec in fields(RecordingQuality)]


@dataclass
class SynthSummary:
    """What a run wrote: row counts per standard table and per truth file, and where."""

    out: Path
    scale: str
    years: int
    seed: int
    submitters: int = 0
    returns: int = 0
    files: int = 0
    table_rows: dict[str, int] = field(default_factory=dict)
    truth_rows: dict[str, int] = field(default_factory=dict)
    submissions_dir: Path | None = None
    truth_dir: Path | None = None
    true_persons: int = 0
    true_groups: int = 0
    offences_per_year: dict[int, int] = field(default_factory=dict)
    calibration: dict[str, float] = field(default_factory=dict)
    """Generated volumes and mix next to the published figures they are calibrated to."""
