"""Deliberately invalid rows: a small, known set per run, each listed in ``truth/bad_rows.csv``.

The ingest stage must quarantine exactly these (and load everything else). Each kind breaks one rule of
the standard in a way real returns do: a code nobody mapped, 31 February, a 'child' victim aged 45, a date
in the future, a row sent twice, a required field left empty, a reference to a person the return lacks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clearsight.synth.population import STRING

BAD_KINDS = [
    "invalid_code",
    "impossible_date",
    "victim_adult",
    "future_date",
    "duplicated_row",
    "missing_required",
    "dangling_reference",
]
# kind -> (force table, field), (council table, field); None where the kind has no council form
_TARGETS: dict[str, tuple[tuple[str, str], tuple[str, str] | None]] = {
    "invalid_code": (("offence", "location_type"), ("referral", "outcome")),
    "impossible_date": (("offence", "committed_from"), ("referral", "referral_date")),
    "victim_adult": (("offence_person", "age_at_offence"), None),
    "future_date": (("offence", "recorded_date"), ("referral", "referral_date")),
    "duplicated_row": (("offence", "record_id"), ("referral", "record_id")),
    "missing_required": (("offence", "ho_code"), ("referral", "referral_date")),
    "dangling_reference": (("offence_person", "person_record_id"), ("referral", "person_record_id")),
}
_REASONS = {
    "invalid_code": "code not in the code list and not mapped by the profile",
    "impossible_date": "impossible date (31 February)",
    "victim_adult": "victim aged 45 at the offence: not a child",
    "future_date": "date in the future",
    "duplicated_row": "duplicate of the previous row (same primary key)",
    "missing_required": "required field left empty",
    "dangling_reference": "refers to a person not in this return's person file",
}


@dataclass(frozen=True)
class BadRow:
    """One planned bad row: which return, table and standard-form row, and what to do to it."""

    kind: str
    submitter: int
    period: int
    table: str
    field: str
    row: int


def target(kind: str, is_force: bool) -> tuple[str, str] | None:
    force, council = _TARGETS[kind]
    return force if is_force else council


def reason(kind: str) -> str:
    return _REASONS[kind]


def plan_bad_rows(
    rng: np.random.Generator,
    per_kind: int,
    candidates: dict[tuple[int, int, str], np.ndarray],
    is_force: np.ndarray,
    eligible: np.ndarray,
) -> list[BadRow]:
    """Choose ``per_kind`` rows of each kind in distinct (return, table) places.

    ``candidates[(submitter, period, table)]`` holds usable standard-form row numbers within the return
    (for 'victim_adult', only victim rows)."""
    used: set[tuple[int, int, str]] = set()
    keys = sorted(candidates)
    plans: list[BadRow] = []
    for kind in BAD_KINDS:
        for _ in range(per_kind):
            order = rng.permutation(len(keys))
            for index in order:
                submitter, period, table = keys[index]
                spec = target(kind, bool(is_force[submitter]))
                if spec is None or spec[0] != table or not eligible[submitter]:
                    continue
                if (submitter, period, table) in used:
                    continue
                rows = candidates[keys[index]]
                if kind == "victim_adult":
                    rows = rows[rows >= 0]
                if not len(rows):
                    continue
                used.add((submitter, period, table))
                plans.append(
                    BadRow(kind, submitter, period, table, spec[1], int(rows[int(rng.integers(0, len(rows)))]))
                )
                break
    return plans


def apply_bad_row(
    frame: dict[str, np.ndarray], plan: BadRow, local_field: str, date_format: str, period_year: int
) -> tuple[dict[str, np.ndarray], int]:
    """Break one row of a local (all-string) frame; returns the new frame and the 1-based bad row number."""
    row = plan.row
    column = frame[local_field].astype(STRING)
    if plan.kind == "duplicated_row":
        frame = {name: np.insert(values.astype(STRING), row + 1, values[row]) for name, values in frame.items()}
        return frame, row + 2
    if plan.kind == "invalid_code":
        column[row] = "Pub garden" if plan.table == "offence" else "Unknown outcome"
    elif plan.kind == "impossible_date":
        column[row] = date_format.replace("%d", "31").replace("%m", "02").replace("%Y", str(period_year))
    elif plan.kind == "victim_adult":
        column[row] = "45"
    elif plan.kind == "future_date":
        column[row] = date_format.replace("%d", "15").replace("%m", "06").replace("%Y", "2031")
    elif plan.kind == "missing_required":
        column[row] = ""
    elif plan.kind == "dangling_reference":
        column[row] = "ZZ-NOT-IN-RETURN-" + str(row)
    frame = dict(frame)
    frame[local_field] = column
    return frame, row + 1
