"""The `clearsight` command line: a thin layer over each stage's single entry point.

Exit codes: 0 success, 1 a failure explained on stderr (``ClearsightError``), 2 bad usage (Typer/Click).
Commands that summarise take ``--json`` for a machine-readable summary on stdout.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import asdict, is_dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from clearsight import __version__
from clearsight.errors import ClearsightError
from clearsight.progress import rich_progress

app = typer.Typer(
    name="clearsight",
    help="Clearsight: the national audit of child sexual abuse and group-based child sexual exploitation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
standard_app = typer.Typer(help="The core data set: show it, export it.", no_args_is_help=True)
app.add_typer(standard_app, name="standard")

console = Console(stderr=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary on stdout.")]


def _version(value: bool) -> None:
    if value:
        from clearsight.standard import load_standard

        typer.echo(f"clearsight {__version__} (core data set {load_standard().version})")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Clearsight: the national audit of child sexual abuse and group-based child sexual exploitation."""


def _emit_json(summary: Any) -> None:
    payload = asdict(summary) if is_dataclass(summary) else summary
    typer.echo(json.dumps(payload, indent=2, sort_keys=True, default=str))


@standard_app.command("export")
def standard_export(
    out: Annotated[Path, typer.Argument(help="Folder to write the schemas, docs and templates into.")],
    as_json: JsonOption = False,
) -> None:
    """Export the core data set: JSON Schema, Frictionless data package, Markdown docs, Excel templates."""
    from clearsight.standard.export import export_standard

    summary = export_standard(out)
    if as_json:
        _emit_json(summary)
        return
    console.print(f"[bold]Core data set exported[/bold] to {out}")
    for line in summary.lines():
        console.print(f"  {line}")


@standard_app.command("show")
def standard_show(
    table: Annotated[str | None, typer.Argument(help="A table to describe; all tables when omitted.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the standard's tables, or one table's fields."""
    from clearsight.standard import load_standard

    standard = load_standard()
    if table is None:
        rows = [
            {"table": t.name, "version": t.version, "fields": len(t.fields), "title": t.title}
            for t in standard.tables.values()
        ]
    else:
        if table not in standard.tables:
            raise ClearsightError(f"the core data set has no table {table!r}; tables: {', '.join(standard.tables)}")
        rows = [
            {
                "field": f.name,
                "type": str(f.type),
                "required": f.required,
                "codelist": f.codelist or "",
                "description": f.description,
            }
            for f in standard.table(table).fields
        ]
    if as_json:
        _emit_json(rows)
        return
    out = Console()
    grid = RichTable(title=f"{standard.title} v{standard.version}" if table is None else table)
    for key in rows[0]:
        grid.add_column(key)
    for row in rows:
        grid.add_row(*(str(value) for value in row.values()))
    out.print(grid)


class Scale(StrEnum):
    tiny = "tiny"
    area = "area"
    national = "national"


@app.command()
def synth(
    out: Annotated[Path, typer.Argument(help="Folder to write submissions/ and truth/ into.")],
    scale: Annotated[Scale, typer.Option(help="tiny (tests), area (one force) or national (43 forces).")] = Scale.tiny,
    years: Annotated[int, typer.Option(min=1, max=30, help="Number of years, ending in 2025.")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical output.")] = 1,
    as_json: JsonOption = False,
) -> None:
    """Generate synthetic submissions from forces and councils, with the ground truth beside them."""
    from clearsight import synth as synth_stage

    with rich_progress(console, enabled=not as_json) as progress:
        summary = synth_stage.run(out, scale=scale.value, years=years, seed=seed, progress=progress)
    if as_json:
        _emit_json(summary)
        return
    console.print(f"[bold]Synthetic data written[/bold] to {out}")
    console.print(f"  {summary.submitters} submitters, {summary.returns} returns, {summary.files} files")
    rows = ", ".join(f"{table} {count:,}" for table, count in summary.table_rows.items())
    console.print(f"  rows by table: {rows}")
    console.print(f"  truth: {summary.true_persons:,} true persons, {summary.true_groups:,} offender groups")


def _demo_vault_key(out: Path) -> None:
    """The demo's synthetic data get a vault key of their own unless one is configured already."""
    import os

    from clearsight.vault import KEY_ENV, KEY_FILE_ENV, default_key_file, init_key

    if os.environ.get(KEY_ENV) or default_key_file().exists():
        return
    key_file = out / "demo-vault.key"
    out.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        init_key(key_file)
    os.environ[KEY_FILE_ENV] = str(key_file)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for everything the demo makes.")] = Path("demo-output"),
    scale: Annotated[Scale, typer.Option(help="Size of the synthetic data set.")] = Scale.national,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also print report.pdf (the slowest output).")] = True,
) -> None:
    """Export the standard, generate synthetic data, run the whole audit and say where the report is."""
    from clearsight import audit as audit_pipeline
    from clearsight import synth as synth_stage
    from clearsight.ingest.quality import quarantine_report, scorecard, write_scorecard
    from clearsight.safe_output import write_csv
    from clearsight.standard.export import export_standard
    from clearsight.warehouse import connect

    _demo_vault_key(out)
    standard_dir, data_dir, report_dir = out / "standard", out / "synthetic", out / "report"
    db = out / "clearsight.duckdb"
    for stale in (db, Path(f"{db}.wal")):
        stale.unlink(missing_ok=True)
    # a model an earlier demo trained (perhaps by older code, whose saved model this code refuses): the demo
    # trains its own on the data it generates
    from clearsight.link import model_dir_for

    shutil.rmtree(model_dir_for(db), ignore_errors=True)
    export_standard(standard_dir)
    with rich_progress(console) as progress:
        synth_stage.run(data_dir, scale=scale.value, years=1, seed=seed, progress=progress)
        summary = audit_pipeline.run(data_dir / "submissions", db, report_dir, pdf=pdf, progress=progress)
    con = connect(db)
    try:
        quality_csv, quarantine_csv = out / "quality_scorecard.csv", out / "quarantine_report.csv"
        write_scorecard(scorecard(con), quality_csv)
        rows = quarantine_report(con)
        write_csv(quarantine_csv, rows, list(rows[0]) if rows else ["file"])
    finally:
        con.close()
    made = [
        ("core data set: schemas, data package, docs, Excel templates", standard_dir),
        ("synthetic submissions from forces and councils", data_dir / "submissions"),
        ("warehouse (DuckDB)", db),
        ("data-quality scorecard per submitter", quality_csv),
        ("quarantine report: every rejected row and why", quarantine_csv),
        ("the audit report (HTML, Excel, PDF, tables, manifest)", report_dir),
    ]
    console.print("[bold green]Demo finished.[/bold green]")
    for line in summary.lines():
        console.print(f"  {line}", soft_wrap=True)
    console.print("It made:")
    for what, where in made:
        console.print(f"  {what}: {where.resolve()}", soft_wrap=True)
    console.print(f"  the report is at: {(report_dir / 'report.html').resolve()}", soft_wrap=True)


DbOption = Annotated[Path, typer.Option("--db", help="The warehouse (a DuckDB file).")]


@app.command()
def ingest(
    submissions: Annotated[Path, typer.Argument(help="Folder of submitters' folders, each with profile.yaml.")],
    db: DbOption = Path("clearsight.duckdb"),
    as_json: JsonOption = False,
) -> None:
    """Validate, map and load submissions; quarantine every invalid row with its reasons."""
    from clearsight import ingest as ingest_stage

    if not submissions.is_dir():
        raise ClearsightError(f"{submissions}: no such folder of submissions")
    with rich_progress(console, enabled=not as_json) as progress:
        summary = ingest_stage.run(submissions, db, progress=progress)
    if as_json:
        _emit_json(summary)
        return
    _show_ingest(summary, db)


def _show_ingest(summary: Any, db: Path) -> None:
    """What an analyst needs first: the totals, then only the files that need attention, with why."""
    files = [(ret, item) for ret in summary.returns for item in ret["files"]]
    attention = [
        (ret, item)
        for ret, item in files
        if item["rejected"] or item["rows_quarantined"] or item["unknown_columns"] or item["missing_columns"]
    ]
    if files and not attention:
        console.print(f"  Every one of the {len(files):,} files and sheets loaded in full.")
    if attention:
        _show_attention(attention, len(files), db)
    for line in summary.lines():
        console.print(f"  {escape(line)}")


def _show_attention(attention: list[tuple[dict, dict]], files: int, db: Path) -> None:
    grid = RichTable(
        title=f"Files that need attention: {len(attention):,} of {files:,} files and sheets "
        "(rows in = loaded + quarantined; --json lists every file)"
    )
    for column in ("file", "table", "rows in", "loaded", "quarantined", "why (rule: times broken)"):
        numeric = column in ("rows in", "loaded", "quarantined")
        grid.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for ret, item in attention:
        reasons = []
        if item["copy_of"]:
            reasons.append(f"a copy of {item['copy_of']}, sent twice: that file's rows are loaded, not this copy's")
        if item["rejected"]:
            reasons.append(f"not read: {item['rejected']}")
        if ret["status"] != "loaded":
            reasons.append(ret["status"])
        reasons += [f"{code}: {n:,}" for code, n in sorted(item["rules"].items(), key=lambda r: (-r[1], r[0]))[:4]]
        if item["unknown_columns"]:
            reasons.append(f"columns not in the profile, not loaded: {', '.join(item['unknown_columns'])}")
        if item["missing_columns"]:
            reasons.append(f"required fields with no column: {', '.join(item['missing_columns'])}")
        grid.add_row(
            escape(item["file"]),
            item["table"] or "",
            f"{item['rows_in']:,}",
            f"{item['rows_loaded']:,}",
            f"{item['rows_quarantined']:,}",
            escape("; ".join(reasons)),
        )
    Console().print(grid)
    console.print(
        f"  Each rule is explained by `clearsight rules`. For every quarantined row with its reasons: "
        f"`clearsight quarantine --db {db} --out quarantine.xlsx` (one sheet a submitter can fix from); "
        f"for each return's data quality: `clearsight quality --db {db}`."
    )


@app.command()
def rules(as_json: JsonOption = False) -> None:
    """List the catalogue of validation rules: code, severity, what it reads, its message."""
    from clearsight.ingest.rules import catalogue

    entries = catalogue()
    if as_json:
        _emit_json([{**vars(rule), "severity": str(rule.severity)} for rule in entries])
        return
    grid = RichTable(title="Ingest rules")
    for column in ("code", "severity", "scope", "reads", "message"):
        grid.add_column(column)
    for rule in entries:
        grid.add_row(rule.code, str(rule.severity), rule.scope, rule.reads, rule.message)
    Console().print(grid)


def _register_stage_commands() -> None:
    """Stages with several commands of their own register them here, keeping this module thin."""
    from clearsight.ingest import commands as ingest_commands
    from clearsight.link import commands as link_commands

    ingest_commands.register(app)
    link_commands.register(app)
    __import__("clearsight.networks.commands", fromlist=["register"]).register(app)
    __import__("clearsight.service.commands", fromlist=["register"]).register(app)
    __import__("clearsight.flags.commands", fromlist=["register"]).register(app)
    __import__("clearsight.report.commands", fromlist=["register"]).register(app)
    __import__("clearsight.service.tracker.commands", fromlist=["register"]).register(app)


_register_stage_commands()


def main() -> None:
    """Run the CLI, turning explained failures into exit code 1 with a plain message."""
    try:
        app(standalone_mode=True)
    except ClearsightError as error:
        console.print(f"[red]error:[/red] {escape(str(error))}", soft_wrap=True, highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
