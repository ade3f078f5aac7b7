"""The report run, step by step: tables, disclosure control, published rows, then every output file."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import duckdb

from clearsight.engine import ENGINES
from clearsight.engine import make as make_engine
from clearsight.errors import ClearsightError
from clearsight.progress import ProgressCallback
from clearsight.report import ReportSummary
from clearsight.report.care import care_specs
from clearsight.report.disclosure import protect
from clearsight.report.html import PRINTED_ROWS, render, write_pdf
from clearsight.report.optional import optional_specs
from clearsight.report.population import Population, load_population
from clearsight.report.population_notes import population_about, population_manifest, population_notes
from clearsight.report.publish import (
    INCOMPLETE_SHARE,
    SHORTHAND,
    completeness_sentences,
    published_rows,
    suppression_summary,
)
from clearsight.report.quality import league_table
from clearsight.report.release import TOTAL, CellStatus, Release, ReleaseTable
from clearsight.report.tables import SPECS, build_all
from clearsight.report.views import create_views, person_counting
from clearsight.safe_output import write_csv
from clearsight.standard import load_standard

TITLE = "National audit of child sexual abuse and group-based child sexual exploitation"
PACKAGES = ("clearsight", "duckdb", "scipy", "numpy", "openpyxl", "weasyprint")


def _versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def _inputs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The current submissions the report reads, each with its files' SHA-256 checksums."""
    rows = con.execute("""
        SELECT s.submission_id, s.submitter_code, CAST(s.period_start AS VARCHAR), CAST(s.period_end AS VARCHAR),
               s.standard_version, f.file_name, coalesce(f.sheet, ''), f.sha256
        FROM submission_current s JOIN submission_file f USING (submission_id)
        WHERE s.is_current ORDER BY 1, 6, 7""").fetchall()
    submissions: dict[str, dict[str, Any]] = {}
    for sid, code, start, end, standard, file_name, sheet, sha in rows:
        entry = submissions.setdefault(sid, {"submission_id": sid, "submitter": code, "period_start": start,
                                             "period_end": end, "standard_version": standard, "files": []})
        entry["files"].append({"file": file_name, "sheet": sheet or None, "sha256": sha})
    return list(submissions.values())


def _notes(table: ReleaseTable, rows: list[dict[str, Any]], population: Population) -> list[str]:
    notes = population_notes(table, population)
    if table.section == "Demographics":
        return completeness_sentences(table, rows, table.measures[0]) + notes
    if table.name == "offences_by_outcome":
        charged = [r for r in rows if r["outcome"] == "Charged/Summonsed"]
        rate = charged[0]["percent"] if charged else None
        if isinstance(rate, float):
            return [f"The charge rate (offences charged or summonsed, as a percentage of offences recorded) is "
                    f"{rate}%. Offences whose outcome is not yet assigned may still be charged."]
    return notes


def _findings(published: list[tuple[ReleaseTable, list[dict[str, Any]]]]) -> list[str]:
    """Headline sentences, each built only from published cells (a withheld figure drops its sentence)."""
    lookup = {(table.name, str(row[table.dimensions[-1]])): row for table, rows in published for row in rows
              if all(row[d] != TOTAL for d in table.dimensions[:-1])}
    wanted = [
        ("victims_by_sex", "Female", "percent", "{}% of victims are recorded as female."),
        ("suspects_by_sex", "Male", "percent", "{}% of suspects are recorded as male."),
        ("offences_by_outcome", "Charged/Summonsed", "percent",
         "{}% of offences have been charged or summonsed so far (the charge rate)."),
        ("suspects_by_ethnicity_self_defined", "Not recorded", "percent",
         "The self-defined ethnicity of {}% of suspects is not recorded."),
        ("offences_by_year", TOTAL, "offences_per_10000_children",
         "{} offences were recorded per 10,000 children aged 0 to 17 (see the notes on the population used)."),
        ("missing_episodes_by_cse_concern", "Yes", "percent",
         "{}% of recorded missing episodes were of children who also have a referral recording a concern of "
         "child sexual exploitation."),
        ("children_placed_by_provider_registration", "Unregistered", "percent",
         "{}% of placements of looked-after children that started in the period were with a provider not "
         "registered with Ofsted as it should have been."),
    ]
    sentences = []
    for table, category, column, template in wanted:
        row = lookup.get((table, category))
        if row is None or isinstance(row[column], str):
            continue
        sentences.append(template.format(row[column]))
    return sentences


def _document(con: duckdb.DuckDBPyConnection, published: list[tuple[ReleaseTable, list[dict[str, Any]]]],
              missing: list[str], generated: str, counting: str, threshold: int) -> dict[str, Any]:
    """The content every output format renders: titles, headline figures, tables and explanations."""
    years = con.execute("SELECT min(year), max(year) FROM r_offence WHERE year <> 'Not recorded'").fetchone()
    bodies = con.execute("SELECT count(DISTINCT submitter_code) FROM submission_current WHERE is_current").fetchone()
    period = ("no year (the warehouse holds no offences)" if years[0] is None else years[0] if years[0] == years[1]
              else f"{years[0]} to {years[1]}")
    headline: list[tuple[str, Any]] = []
    for table, rows in published:
        if table.name == "offences_by_year":
            total = next(r for r in rows if r["year"] == TOTAL)
            headline = [("offences recorded", total["offences"]), ("victims", total["victims"]),
                        ("suspects", total["suspects"])]
    tables = []
    for number, (table, rows) in enumerate(published, start=1):
        tables.append({"name": table.name, "title": table.title, "section": table.section, "sheet": f"Table {number}",
                       "description": table.description, "notes": table.notes, "rows": rows,
                       "columns": table.columns(), "dimensions": table.dimensions, "chart": table.chart})
    summary = [f"Police-recorded child sexual abuse and exploitation offences, and children's social care records, "
               f"submitted by {bodies[0]} forces and councils, recorded in {period}.",
               *_findings(published), *missing]
    about = [
        f"Generated {generated} by Clearsight from the national audit warehouse. Every number in this report is "
        "in the CSV files of its tables/ folder; manifest.json lists the submissions read, with checksums.",
        "Offences are current police-recorded offence records (a corrected resubmission replaces the earlier "
        f"one). Victims and suspects are counted as {counting}.",
        f"Disclosure control: counts from 1 to {threshold - 1} are withheld ([c]); further cells are withheld so "
        "that no withheld count can be worked out, from any table or combination of the report's tables, to "
        f"within {threshold} of its value (an interval audit over the whole release). Zeros are shown as 0. "
        "Percentages, and rates per 10,000 children, worked out from a withheld count are withheld too (a "
        "rate times its published population would give the count back).",
        f"Where more than {INCOMPLETE_SHARE:g}% of people have a characteristic not recorded or not stated, the "
        "table says that it cannot support a conclusion: those with no record may differ from those with one.",
        "Self-defined ethnicity (what a person says) and officer-observed ethnicity (what an officer perceives) "
        "are shown apart and never combined.",
        *(f"{symbol}: {meaning}" for symbol, meaning in SHORTHAND.items()),
    ]
    return {"title": TITLE, "subtitle": f"Findings for {period}. Official statistics in development; generated "
            f"{generated}.", "headline": headline, "summary": summary, "tables": tables, "about": about}


def build_report(db: Path, out_dir: Path, threshold: int, protection: int, progress: ProgressCallback,
                 pdf: bool, population_file: Path | None = None, engine: str = "duckdb") -> ReportSummary:
    """Write the report folder (DESIGN.md's contract) for the warehouse at ``db``; ``engine`` is where the
    per-person transforms run (``views.create_views``)."""
    started = time.perf_counter()
    if not db.is_file():
        raise ClearsightError(f"{db}: no warehouse here; run `clearsight ingest` first")
    if threshold < 1:
        raise ClearsightError("the disclosure threshold must be at least 1")
    if engine not in ENGINES:
        raise ClearsightError(f"no engine {engine!r}: choose one of {', '.join(ENGINES)}")
    con = duckdb.connect(str(db), read_only=True)
    runner = None
    try:
        standard = load_standard()
        population = load_population(population_file)
        runner = make_engine(engine, con)
        create_views(con, standard, runner)
        runner.close()  # what follows reads r_person and the views in DuckDB
        extra_specs, missing = optional_specs(con)
        specs = SPECS + care_specs(con, standard) + extra_specs
        sections: dict[str, int] = {}
        for spec in specs:
            sections.setdefault(spec.section, len(sections))
        specs = tuple(sorted(specs, key=lambda spec: sections[spec.section]))  # sheets in the page's order
        progress("report: tables", 0, len(specs))
        counted = build_all(con, specs, population)
        progress("report: tables", len(specs), len(specs))
        release = Release(counted, threshold)
        progress("report: disclosure control", 0, 1)
        protected = protect(release, protection)
        progress("report: disclosure control", 1, 1)
        values = release.values()
        quality = league_table(con)
        everything = counted + ([quality] if quality else [])
        published = []
        for table in everything:
            table.status = {key: protected.status[key] for key, _ in table.cells()}
            rows = published_rows(table, values, threshold)
            table.notes = _notes(table, rows, population)
            published.append((table, rows))
        generated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        counting = person_counting(con)
        document = _document(con, published, missing, generated, counting, threshold)
        document["about"][3:3] = population_about(population)
        inputs = _inputs(con)
    finally:
        if runner is not None:
            runner.close()
        con.close()
    steps = 5
    progress("report: writing", 0, steps)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables_dir = out_dir / "tables"
    tables_dir.mkdir(exist_ok=True)
    for stale in tables_dir.glob("*.csv"):
        stale.unlink()
    manifest_tables: list[dict[str, Any]] = []
    restricted_log: list[dict[str, Any]] = []
    for table, rows in published:
        target = tables_dir / f"{table.name}.csv"
        write_csv(target, rows, table.columns())
        cells = suppression_summary(table, protected.reasons, protected.intervals)
        restricted_log.append({"table": table.name, "cells": suppression_summary(
            table, protected.reasons, protected.intervals, restricted=True)})
        manifest_tables.append({
            "name": table.name, "title": table.title, "file": f"tables/{table.name}.csv", "rows": len(rows),
            "columns": table.columns(), "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
            "withheld_cells": len(cells), "suppressed_cells": cells})
    progress("report: writing", 1, steps)
    from clearsight.report.workbook import write_workbook

    write_workbook(out_dir / "report.xlsx", document)
    progress("report: writing", 2, steps)
    html = render(document)
    (out_dir / "report.html").write_text(html, encoding="utf-8")
    progress("report: writing", 3, steps)
    pdf_route = write_pdf(render(document, PRINTED_ROWS), str(out_dir / "report.pdf")) if pdf else \
        "not written (--no-pdf)"
    if pdf_route is None:
        pdf = False
        pdf_route = "not written: WeasyPrint (and the Pango library it needs) is not installed here"
    progress("report: writing", 4, steps)
    counts = [s for s in protected.status.values()]
    summary = ReportSummary(str(out_dir), len(published), len(counts),
                            sum(1 for s in counts if s is CellStatus.primary),
                            sum(1 for s in counts if s is CellStatus.secondary),
                            ["report.html", "report.xlsx", *(["report.pdf"] if pdf else []), "tables/",
                             "manifest.json"],
                            pdf=pdf_route)
    manifest = {
        "title": TITLE, "generated_at": generated, "warehouse": db.name,
        "populations": population_manifest(population),
        "parameters": {"threshold": threshold, "protection_width": protection,
                       "incomplete_share_percent": INCOMPLETE_SHARE, "person_counting": counting,
                       "audit": "interval audit over the whole release by integer programming (scipy milp); a "
                                "withheld cell is known to be at least 1 because zeros are published; unsafe when "
                                "lo < threshold and (hi - lo < protection_width or hi < threshold)"},
        "versions": {"standard": standard.version, **_versions()},
        "inputs": inputs,
        "disclosure_control": {"count_cells": summary.cells, "withheld": summary.primary + summary.secondary,
                               "audit_rounds": protected.rounds, "unsafe_cells_after_audit": 0,
                               "restricted_log": "REPORT_FOLDER-restricted/suppression_log.json beside this "
                                                 "folder (primary or secondary, per cell; not for publication)"},
        "outputs": {"pdf": pdf_route},
        "tables": manifest_tables,
    }
    restricted = out_dir.parent / f"{out_dir.name}-restricted"
    restricted.mkdir(exist_ok=True)
    (restricted / "suppression_log.json").write_text(json.dumps(
        {"not_for_publication": "Says which withheld cells are small counts (primary): publishing this would "
         "undo the protection. Keep it with the warehouse, not with the report.", "tables": restricted_log},
        indent=2) + "\n", encoding="utf-8")
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    progress("report: writing", steps, steps)
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary
