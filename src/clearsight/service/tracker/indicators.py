"""Indicators: each names a cell of the audit report's published tables, and shows its value when one is there.

Why point at the report rather than the warehouse: ``tables/*.csv`` is the audit's complete publication,
already under disclosure control, so a figure shown here can never be one the report withheld (a
suppressed cell is shown as the report shows it, ``[c]``). Without a report folder (``CLEARSIGHT_REPORT_DIR``)
an indicator says only what it measures and where the figure will come from.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clearsight.service.tracker.models import TrackerIndicator


def read_cell(report_dir: Path, table: str, dimension: str, category: str, measure: str) -> str | None:
    """The published value of one cell, or None when the table, row or column is not there."""
    path = report_dir / "tables" / f"{table}.csv"
    if not path.is_file():
        return None
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get(dimension) == category and measure in row:
                return row[measure]
    return None


def values(factory: sessionmaker[Session], report_dir: str | None) -> list[dict[str, Any]]:
    """Every indicator with its theme, where its figure comes from, and the figure when a report is there."""
    with factory() as session:
        rows = list(session.scalars(select(TrackerIndicator).order_by(TrackerIndicator.theme,
                                                                      TrackerIndicator.code)))
    folder = Path(report_dir) if report_dir else None
    found = []
    for row in rows:
        value = read_cell(folder, row.report_table, row.dimension, row.category, row.measure) if folder else None
        found.append({"code": row.code, "theme": row.theme, "title": row.title, "direction": row.direction,
                      "note": row.note, "reference": f"tables/{row.report_table}.csv: {row.dimension} = "
                      f"{row.category}, {row.measure}", "value": value})
    return found
