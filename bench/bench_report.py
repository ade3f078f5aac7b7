"""The report's speed on a warehouse: the whole run, and its parts; writes bench/results/report.json.

Usage: python bench/bench_report.py DB [--out DIR]
DB is a warehouse (``clearsight demo --scale national`` makes one; run networks and flags on it to include
their sections). The issue's goal is the national x 1 year report in under 60 s on 2 cores. The parts are
timed separately (tables, disclosure control, PDF), and the baseline is DuckDB's bare scan of the offence
view, so the ratio says how far the report is from the cost of merely reading its input.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import duckdb

from clearsight.report import run
from clearsight.report.care import care_specs
from clearsight.report.disclosure import protect
from clearsight.report.optional import optional_specs
from clearsight.report.release import Release
from clearsight.report.tables import SPECS, build_all
from clearsight.report.views import create_views
from clearsight.standard import load_standard

RESULTS = Path(__file__).parent / "results"


def _parts(db: Path) -> dict[str, float]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        started = time.perf_counter()
        con.execute("SELECT count(*), count(DISTINCT record_id) FROM current_offence").fetchall()
        scan = time.perf_counter() - started
        started = time.perf_counter()
        standard = load_standard()
        create_views(con, standard)
        extra, _ = optional_specs(con)
        tables = build_all(con, SPECS + care_specs(con, standard) + extra)
        built = time.perf_counter() - started
    finally:
        con.close()
    started = time.perf_counter()
    protection = protect(Release(tables))
    protected = time.perf_counter() - started
    return {"bare_scan_s": round(scan, 3), "tables_s": round(built, 3), "disclosure_control_s": round(protected, 3),
            "audit_rounds": protection.rounds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch) / "report"
        started = time.perf_counter()
        without_pdf = run(args.db, out, pdf=False)
        no_pdf_s = time.perf_counter() - started
        started = time.perf_counter()
        summary = run(args.db, out, pdf=True)
        full_s = time.perf_counter() - started
    parts = _parts(args.db)
    result = {
        "db": str(args.db), "tables": summary.tables, "count_cells": summary.cells, "primary": summary.primary,
        "secondary": summary.secondary, "report_s": round(full_s, 2), "report_without_pdf_s": round(no_pdf_s, 2),
        **parts, "goal_s": 60,
        "ratios": {"report_to_goal": round(full_s / 60, 3),
                   "report_without_pdf_to_bare_scan": round(no_pdf_s / max(parts["bare_scan_s"], 1e-3), 1)},
    }
    del without_pdf
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
