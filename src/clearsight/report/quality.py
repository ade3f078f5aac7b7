"""The recording-quality league table: how completely each force and council records what matters.

These are shares of each body's own records (from the ingest scorecard), not counts of people, so they sit
outside the count-cell system; only percentages are published, never the record counts behind them.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import fmean

import duckdb

from clearsight.report.release import ReleaseTable


def league_table(con: duckdb.DuckDBPyConnection) -> ReleaseTable | None:
    """Per-submitter completeness, best first; ``None`` when the warehouse holds no returns."""
    from clearsight.ingest.quality import scorecard

    rows = scorecard(con)
    if not rows:
        return None
    complete: dict[tuple[str, str], list[float]] = defaultdict(list)
    valid: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in rows:
        body = (row.submitter_name, row.submitter_code)
        if row.measure.endswith(".complete") and row.denominator:
            complete[body].append(row.value)
        elif row.measure == "submission.validity":
            valid[body].append(row.value)
    bodies = sorted(set(complete) | set(valid),
                    key=lambda b: (-fmean(complete[b]) if complete[b] else 1.0, b))
    table_rows = []
    for rank, body in enumerate(bodies, start=1):
        table_rows.append({
            "submitter": body[0], "submitter_code": body[1], "rank": rank,
            "percent_fields_complete": round(100 * fmean(complete[body]), 1) if complete[body] else None,
            "percent_rows_valid": round(100 * fmean(valid[body]), 1) if valid[body] else None,
        })
    return ReleaseTable(
        "recording_quality_by_submitter", "Recording quality league table", "Recording quality", ["submitter"], [],
        table_rows, extra=["submitter_code", "rank", "percent_fields_complete", "percent_rows_valid"],
        description="Each force and council, ranked by the average completeness of the fields the core data set "
        "asks for (victims' and suspects' sex, age, ethnicity, disability; referrals' recorded status...), "
        "with the percentage of submitted rows that passed validation.")
