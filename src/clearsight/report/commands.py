"""CLI commands of the report stage: ``report`` (from a warehouse) and ``audit`` (every stage, then the report).

``audit`` imports each stage lazily and skips a stage whose package is not installed, so the command works
on a checkout where a stage has not landed yet; the summary says which stages ran.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from clearsight.engine import EngineName, EngineOption
from clearsight.errors import ClearsightError

console = Console(stderr=True)
DbOption = Annotated[Path, typer.Option("--db", help="The warehouse (a DuckDB file).")]
OutOption = Annotated[Path, typer.Option("--out", help="The report folder to write.")]
ThresholdOption = Annotated[int, typer.Option(min=1, max=100, help="Counts from 1 to this minus 1 are withheld.")]
PdfOption = Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also print report.pdf (the slowest output).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary on stdout.")]
PopulationOption = Annotated[Path | None, typer.Option(
    "--population", help="CSV of official population figures (columns of the packaged report/data/population.csv) "
    "to use instead of the packaged ones, e.g. ONS child populations by police force area.")]


def report(out: OutOption, db: DbOption = Path("clearsight.duckdb"), threshold: ThresholdOption = 5,
           pdf: PdfOption = True, as_json: JsonOption = False, population: PopulationOption = None,
           engine: EngineOption = EngineName.duckdb) -> None:
    """Write the audit report (HTML, Excel, PDF, tidy CSV tables, manifest) under disclosure control."""
    from clearsight import report as report_stage
    from clearsight.progress import rich_progress

    if not db.is_file():
        raise ClearsightError(f"{db}: no warehouse here; run `clearsight ingest` (or `clearsight audit`) first")
    with rich_progress(console, enabled=not as_json) as progress:
        summary = report_stage.run(db, out, threshold=threshold, progress=progress, pdf=pdf, population=population,
                                    engine=engine.value)
    if as_json:
        typer.echo(json.dumps(asdict(summary), indent=2, sort_keys=True))
        return
    console.print("[bold]Report written[/bold]")
    for line in summary.lines():
        console.print(f"  {line}", soft_wrap=True)
    console.print(f"  start reading at: {(out / 'report.html').resolve()}", soft_wrap=True)


def audit(submissions: Annotated[Path, typer.Argument(help="Folder of submitters' folders, each with profile.yaml.")],
          out: OutOption, db: DbOption = Path("clearsight.duckdb"), threshold: ThresholdOption = 5,
          pdf: PdfOption = True, engine: EngineOption = EngineName.duckdb) -> None:
    """Ingest, link, find networks, flag harm and write the report, in one command with one progress display.

    ``--engine spark`` runs linkage, the networks graph, the flags rules and the report's per-person
    transforms on Spark (docs/scale.md)."""
    from clearsight import audit as audit_pipeline
    from clearsight.progress import rich_progress

    if not submissions.is_dir():
        raise ClearsightError(f"{submissions}: no such folder of submissions")
    with rich_progress(console) as progress:
        summary = audit_pipeline.run(submissions, db, out, threshold=threshold, pdf=pdf, progress=progress,
                                     engine=engine.value)
    console.print("[bold green]Audit finished.[/bold green]")
    for line in summary.lines():
        console.print(f"  {line}", soft_wrap=True)
    console.print(f"  start reading at: {(out / 'report.html').resolve()}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the report commands to the top-level app."""
    app.command("report")(report)
    app.command("audit")(audit)
