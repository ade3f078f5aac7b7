"""Turn protected tables into what is published: cells or GSS shorthand, shares, and plain sentences.

Every output (CSV, Excel, HTML, PDF) is drawn from :func:`published_rows`, so that a number can only
appear in the report if it appears in ``tables/*.csv``, and a withheld count cannot leak through a
percentage worked out from it.
"""

from __future__ import annotations

from typing import Any

from clearsight.report.release import TOTAL, CellKey, CellStatus, ReleaseTable
from clearsight.report.views import NOT_RECORDED, NOT_STATED

SUPPRESSED = "[c]"
NOT_AVAILABLE = "[x]"
NOT_APPLICABLE = "[z]"
SHORTHAND = {
    SUPPRESSED: "confidential: withheld to protect the people counted (a small count, or a cell that would "
                "let a small count be worked out from the totals)",
    NOT_AVAILABLE: "not available: the data needed were not recorded",
    NOT_APPLICABLE: "not applicable: there is nothing to measure (for example, no offences in the group)",
}
INCOMPLETE_SHARE = 20.0


def _total_row(table: ReleaseTable, row: dict[str, Any]) -> dict[str, Any]:
    last = table.dimensions[-1]
    wanted = {**{d: row[d] for d in table.dimensions}, last: TOTAL}
    for candidate in table.rows:
        if all(candidate[d] == wanted[d] for d in table.dimensions):
            return candidate
    raise KeyError(f"{table.name} has no total row for {wanted}")


def _resolve(table: ReleaseTable, row: dict[str, Any], reference: str) -> CellKey:
    if reference.startswith("@total:"):
        measure = reference.removeprefix("@total:")
        return table.key(_total_row(table, row), measure)
    return table.key(row, reference)


def _shown(table: ReleaseTable, key: CellKey) -> bool:
    return table.status.get(key, CellStatus.published) is CellStatus.published


def published_rows(table: ReleaseTable, values: dict[CellKey, int], threshold: int) -> list[dict[str, Any]]:
    """The table as published: counts or `[c]`, percentages (withheld when any input is), gated statistics."""
    out = []
    for row in table.rows:
        shown: dict[str, Any] = {d: row[d] for d in table.dimensions}
        for measure in table.measures:
            shown[measure] = int(row[measure]) if _shown(table, table.key(row, measure)) else SUPPRESSED
        for derived in table.derived:
            numerator = [_resolve(table, row, ref) for ref in derived.numerator]
            denominator = [_resolve(table, row, ref) for ref in derived.denominator]
            if not all(_shown(table, key) for key in (*numerator, *denominator)):
                shown[derived.column] = SUPPRESSED
                continue
            bottom = sum(values[key] for key in denominator)
            top = sum(values[key] for key in numerator)
            shown[derived.column] = round(derived.scale * top / bottom, 1) if bottom else NOT_APPLICABLE
        for column in table.extra:
            value = row.get(column)
            if table.gate is not None:
                gate_key = table.key(row, table.gate)
                if not _shown(table, gate_key):
                    shown[column] = SUPPRESSED
                    continue
                if values[gate_key] < threshold:
                    value = None
            shown[column] = NOT_APPLICABLE if value is None else value
        out.append(shown)
    return out


LABELS = {"ethnicity_self_defined": "self-defined ethnicity", "ethnicity_officer_observed": "officer-observed "
          "ethnicity", "age_band": "age", "sex": "sex", "nationality": "nationality", "disability": "disability"}


def completeness_sentences(table: ReleaseTable, rows: list[dict[str, Any]], noun: str) -> list[str]:
    """A plain sentence on how complete the recording is, from published percentages only."""
    if not table.derived or len(table.dimensions) != 1:
        return []
    dimension = table.dimensions[0]
    label = LABELS.get(dimension, dimension.replace("_", " "))
    shares = {row[dimension]: row[table.derived[0].column] for row in rows
              if row[dimension] in (NOT_RECORDED, NOT_STATED)}
    if not shares:
        return [f"The {label} of every one of these {noun} is recorded."]
    known = {k: v for k, v in shares.items() if isinstance(v, float)}
    parts = [f"{k.lower()} for {v}%" for k, v in sorted(known.items())]
    withheld = [f"{k.lower()} for a few (withheld)" for k, v in sorted(shares.items()) if v == SUPPRESSED]
    text = f"{label[0].upper()}{label[1:]} is " + " and ".join(parts + withheld) + f" of these {noun}."
    if sum(known.values()) > INCOMPLETE_SHARE:
        text += (f" With more than {INCOMPLETE_SHARE:g}% unknown, this table cannot support a conclusion about "
                 f"the {label} of {noun} as a whole: those with nothing recorded may differ from the rest.")
    return [text]


PUBLIC_REASON = ("withheld under disclosure control: a small count, or a cell that would let one be worked out; "
                 "the interval is all that the whole release proves about it")


def suppression_summary(table: ReleaseTable, reasons: dict[CellKey, str], bounds: dict[CellKey, Any],
                        restricted: bool = False) -> list[dict[str, Any]]:
    """Which cells of the table are `[c]`, why, and the interval an outsider can prove about each.

    Only the ``restricted`` log says which withheld cells are primary (small) and which secondary: saying
    so in public would tell an outsider that a primary cell is below the threshold, which is exactly
    what the audit assumes they cannot know.
    """
    listed = []
    for row in table.rows:
        for measure in table.measures:
            key = table.key(row, measure)
            status = table.status.get(key, CellStatus.published)
            if status is CellStatus.published:
                continue
            interval = bounds.get(key)
            listed.append({
                "cell": {**{d: row[d] for d in table.dimensions}, "measure": measure},
                **({"suppression": str(status), "reason": reasons.get(key, "")} if restricted
                   else {"reason": PUBLIC_REASON}),
                "provable_interval": None if interval is None else
                [interval.lo, None if interval.hi == float("inf") else interval.hi],
            })
    return listed
