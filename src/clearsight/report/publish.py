"""Turn protected tables into what is published: cells or GSS shorthand, shares, and plain sentences.

Every output (CSV, Excel, HTML, PDF) is drawn from :func:`published_rows`, so that a number can only
appear in the report if it appears in ``tables/*.csv``, and a withheld count cannot leak through a
percentage worked out from it.
"""

from __future__ import annotations

from typing import Any

from clearsight.report.release import TOTAL, CellKey, CellStatus, Rate, ReleaseTable
from clearsight.report.views import NOT_RECORDED, NOT_STATED

SUPPRESSED = "[c]"
NOT_AVAILABLE = "[x]"
NOT_APPLICABLE = "[z]"
SHORTHAND = {
    SUPPRESSED: "confidential: withheld to protect the people counted (a small count, or a cell that would "
                "let a small count be worked out from the totals)",
    NOT_AVAILABLE: "not available: the data needed were not recorded, or (for a rate or a population share) "
                   "no official population figure for that area or group is in the report's reference data",
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


def _sibling(table: ReleaseTable, row: dict[str, Any], category: str) -> dict[str, Any] | None:
    """The row equal to ``row`` but for its last dimension, which is ``category`` (None if absent)."""
    last = table.dimensions[-1]
    for candidate in table.rows:
        if candidate[last] == category and all(candidate[d] == row[d] for d in table.dimensions[:-1]):
            return candidate
    return None


def _resolve(table: ReleaseTable, row: dict[str, Any], reference: str) -> CellKey | None:
    """A reference's cell: ``measure``, ``@total:measure`` or ``@row:category:measure`` (None: no such row)."""
    if reference.startswith("@total:"):
        measure = reference.removeprefix("@total:")
        return table.key(_total_row(table, row), measure)
    if reference.startswith("@row:"):
        category, measure = reference.removeprefix("@row:").rsplit(":", 1)
        sibling = _sibling(table, row, category)
        return None if sibling is None else table.key(sibling, measure)
    return table.key(row, reference)


def garwood(count: int) -> tuple[float, float]:
    """Exact (Garwood) 95% limits of a Poisson count: the range of underlying rates consistent with it."""
    from scipy.stats import chi2

    lower = float(chi2.ppf(0.025, 2 * count) / 2) if count else 0.0
    return lower, float(chi2.ppf(0.975, 2 * count + 2) / 2)


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
            numerator = [k for k in (_resolve(table, row, ref) for ref in derived.numerator) if k is not None]
            denominator = [k for k in (_resolve(table, row, ref) for ref in derived.denominator) if k is not None]
            minus = [k for k in (_resolve(table, row, ref) for ref in derived.minus) if k is not None]
            category = row[table.dimensions[-1]]
            if derived.minus and any(ref.startswith(f"@row:{category}:") for ref in derived.minus):
                shown[derived.column] = NOT_APPLICABLE  # a share of those recorded has no unknowns in it
                continue
            if not all(_shown(table, key) for key in (*numerator, *denominator, *minus)):
                shown[derived.column] = SUPPRESSED
                continue
            if derived.minus and category == TOTAL:  # everyone recorded, over everyone recorded
                bottom = sum(values[key] for key in denominator) - sum(values[key] for key in minus)
                shown[derived.column] = 100.0 if bottom > 0 else NOT_APPLICABLE
                continue
            bottom = sum(values[key] for key in denominator) - sum(values[key] for key in minus)
            top = sum(values[key] for key in numerator)
            shown[derived.column] = round(derived.scale * top / bottom, 1) if bottom > 0 else NOT_APPLICABLE
        for rate in table.rates:
            shown.update(_rate(table, rate, row, values))
        for reference in table.references:
            category = row[table.dimensions[-1]]
            shown[reference.column] = (
                (100.0 if reference.values else NOT_AVAILABLE) if category == TOTAL
                else NOT_APPLICABLE if category in (NOT_RECORDED, NOT_STATED)
                else reference.values.get(category, NOT_AVAILABLE))
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


def _rate(table: ReleaseTable, rate: Rate, row: dict[str, Any], values: dict[CellKey, int]) -> dict[str, Any]:
    """A row's rate per ``rate.per`` people, with its interval: `[c]` with its count, `[x]` without a population."""
    columns = [rate.column, *((f"{rate.column}_lower_95", f"{rate.column}_upper_95") if rate.interval else ())]
    key = table.key(row, rate.measure)
    if not _shown(table, key):
        return dict.fromkeys(columns, SUPPRESSED)
    population = rate.populations.get(TOTAL if rate.by is None else str(row[rate.by]))
    if not population:
        return dict.fromkeys(columns, NOT_AVAILABLE)
    count = values[key]
    out = {rate.column: round(rate.per * count / population, 1)}
    if rate.interval:
        lower, upper = garwood(count)
        out[columns[1]] = round(rate.per * lower / population, 1)
        out[columns[2]] = round(rate.per * upper / population, 1)
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
