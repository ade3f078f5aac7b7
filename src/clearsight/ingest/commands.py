"""CLI commands of the ingest stage beyond `clearsight ingest`: quality scorecards, returns, outliers.

Each command is a thin layer over a library function (``quality.scorecard``, ``register.return_status``,
``outliers.find_outliers``, ``quality.quarantine_report``): the command opens the warehouse, calls it,
and shows the result as a Rich table, as ``--json`` on stdout, or as a formula-safe CSV or workbook.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.console import Console
from rich.table import Table as RichTable

from clearsight.errors import ClearsightError

console = Console(stderr=True)
DbOption = Annotated[Path, typer.Option("--db", help="The warehouse (a DuckDB file).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable result on stdout.")]
SubmitterArgument = Annotated[str, typer.Argument(help="The submitting body's GSS code, e.g. E23000005.")]
PeriodArgument = Annotated[str, typer.Argument(help="First day of the return's period (2024-01-01), or a year.")]
ByOption = Annotated[str, typer.Option("--by", help="Who is doing this (name or account); kept in the trail.")]
DEFAULT_DB = Path("clearsight.duckdb")

HEADLINE_MEASURES = (
    ("submission.validity", "rows valid"),
    ("submission.days_late", "days late"),
    ("victim.ethnicity_self_defined.complete", "victim ethnicity"),
    ("suspect.ethnicity_self_defined.complete", "suspect ethnicity"),
    ("suspect.ethnicity_self_defined.not_recorded", "suspect ethnicity NR"),
    ("suspect.ethnicity_self_defined.not_stated", "suspect ethnicity NS"),
    ("offence.cse_flag.use", "CSE flag use"),
    ("offence.location_type.complete", "location"),
    ("referral.recorded_status.complete", "recorded status"),
)

QUALITY_LEGEND = (
    "rows valid: share of the return's rows loaded, not quarantined (`clearsight quarantine` lists the rest).",
    "days late: days after the deadline that the return was received (0: on time).",
    "victim / suspect ethnicity: share of people with a self-defined ethnicity code; NR: not recorded (or "
    "left blank); NS: the person was asked and declined. For suspects the three columns add up to 100%.",
    "CSE flag use: share of CSA offences also flagged CSE. location: share of offences with a location type; "
    "recorded status: share of referrals with a recorded status (NR and NS not counted as recorded).",
    "A blank cell: the measure does not apply to the body (a council records no offences, a force no "
    "referrals) or the return has no such records.",
)


def _emit_json(payload: Any) -> None:
    if isinstance(payload, list):
        payload = [asdict(item) if is_dataclass(item) else item for item in payload]
    typer.echo(json.dumps(payload, indent=2, sort_keys=True, default=str))


def _open(db: Path, write: bool = False) -> duckdb.DuckDBPyConnection:
    """The warehouse, read-only unless the command records something; explained when it is not there."""
    from clearsight.warehouse import connect

    if not db.is_file():
        raise ClearsightError(f"{db}: no warehouse here; run `clearsight ingest SUBMISSIONS --db {db}` first")
    try:
        con = connect(db, read_only=not write)
    except duckdb.Error as error:
        raise ClearsightError(f"{db}: cannot open the warehouse: {error}") from error
    tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "submission" not in tables or not con.execute("SELECT count(*) FROM submission").fetchone()[0]:
        con.close()
        raise ClearsightError(f"{db}: the warehouse has no submissions; run `clearsight ingest` first")
    return con


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def quality(
    db: DbOption = DEFAULT_DB,
    out: Annotated[Path | None, typer.Option("--out", help="Write the whole scorecard to this CSV.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Data-quality scorecard per submitter and period: completeness (NR and NS apart), validity, timeliness."""
    from clearsight.ingest.quality import scorecard, write_scorecard

    con = _open(db)
    try:
        rows = scorecard(con)
    finally:
        con.close()
    if out is not None:
        write_scorecard(rows, out)
    if as_json:
        _emit_json(rows)
        return
    cells: dict[tuple[str, str, str], dict[str, str]] = {}
    for row in rows:
        shown = str(row.numerator) if row.measure == "submission.days_late" else _share(row.value)
        cells.setdefault((row.submitter_code, row.submitter_name, row.period), {})[row.measure] = shown
    grid = RichTable(title="Data quality by return (shares of records; NR not recorded, NS declined)")
    for column in ("code", "body", "period", *(label for _, label in HEADLINE_MEASURES)):
        grid.add_column(column, justify="left" if column in ("code", "body", "period") else "right")
    for (code, name, period), measures in cells.items():
        grid.add_row(code, name, period, *(measures.get(measure, "") for measure, _ in HEADLINE_MEASURES))
    Console().print(grid)
    for line in QUALITY_LEGEND:
        console.print(f"  {line}")
    console.print(f"  {len(rows):,} measures for {len(cells)} returns"
                  + (f"; all written to {out}" if out else "; --out FILE.csv writes them all"))


def returns_status(
    db: DbOption = DEFAULT_DB,
    year: Annotated[int | None, typer.Option(help="Calendar year; the latest year received by default.")] = None,
    submitter: Annotated[str | None, typer.Option(help="Only this body (GSS code).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Which returns are owed, received on time or late, overdue, complete, signed off and locked."""
    from clearsight.ingest.register import return_status

    con = _open(db)
    try:
        if year is None:
            year = con.execute("SELECT max(year(period_start)) FROM submission").fetchone()[0]
        statuses = [s for s in return_status(con, year) if submitter in (None, s.submitter_code)]
    finally:
        con.close()
    if as_json:
        _emit_json(statuses)
        return
    grid = RichTable(title=f"Returns for {year}")
    for column in ("code", "body", "period", "status", "days late", "received", "rows in", "loaded",
                   "quarantined", "tables missing", "signed off", "locked"):
        grid.add_column(column, justify="right" if column in ("days late", "rows in", "loaded", "quarantined")
                        else "left")
    for s in statuses:
        grid.add_row(s.submitter_code, s.submitter_name, s.period, s.status,
                     "" if s.days_late is None else str(s.days_late),
                     f"{s.received_at:%Y-%m-%d}" if s.received_at else "", f"{s.rows_in:,}", f"{s.rows_loaded:,}",
                     f"{s.rows_quarantined:,}", ", ".join(s.tables_missing),
                     f"yes ({s.signed_off_by})" if s.signed_off else "", "locked" if s.locked else "")
    Console().print(grid)
    counts = Counter(s.status for s in statuses)
    console.print("  " + ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())))


def _record_action(action: str, db: Path, submitter: str, period_start: str, by: str, reason: str | None) -> None:
    from clearsight.ingest import register

    con = _open(db, write=True)
    try:
        start, end = register.resolve_period(con, submitter, period_start)
        if action == "sign-off":
            sid = register.sign_off(con, submitter, start, end, by)
        elif action == "lock":
            sid = register.lock(con, submitter, start, end, by, reason)
        else:
            sid = register.unlock(con, submitter, start, end, by, reason or "")
    finally:
        con.close()
    done = {"sign-off": "signed off", "lock": "locked", "unlock": "unlocked"}[action]
    console.print(f"[bold]{submitter} {register.period_label(start, end)}[/bold]: {sid} {done} by {by}")


def returns_sign_off(submitter: SubmitterArgument, period_start: PeriodArgument, by: ByOption,
                     db: DbOption = DEFAULT_DB) -> None:
    """Record that the submitter confirms its current return for the period is complete and correct."""
    _record_action("sign-off", db, submitter, period_start, by, None)


def returns_lock(
    submitter: SubmitterArgument, period_start: PeriodArgument, by: ByOption, db: DbOption = DEFAULT_DB,
    reason: Annotated[str | None, typer.Option(help="Why, e.g. 'figures published'.")] = None,
) -> None:
    """Lock a signed-off return: ingest then refuses any resubmission for the period until it is unlocked."""
    _record_action("lock", db, submitter, period_start, by, reason)


def returns_unlock(
    submitter: SubmitterArgument, period_start: PeriodArgument, by: ByOption,
    reason: Annotated[str, typer.Option("--reason", help="Why the return may change; kept in the trail.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Unlock a return so that a correction can be submitted; the reason stays in the sign-off trail."""
    _record_action("unlock", db, submitter, period_start, by, reason)


def outliers(
    db: DbOption = DEFAULT_DB,
    out: Annotated[Path | None, typer.Option("--out", help="Write every finding to this CSV.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Figures outside exact funnel-plot (peers) or Poisson (own history) limits, to raise with submitters."""
    from clearsight.ingest.outliers import FINDING_COLUMNS, find_outliers
    from clearsight.safe_output import write_csv

    con = _open(db)
    try:
        findings = find_outliers(con)
    finally:
        con.close()
    if out is not None:
        write_csv(out, (asdict(f) for f in findings), FINDING_COLUMNS)
    if as_json:
        _emit_json(findings)
        return
    flagged = [f for f in findings if f.direction != "no history"]
    grid = RichTable(title="Outliers to follow up (exact limits; 99.8% is the stronger signal)")
    for column in ("body", "period", "measure", "value", "expected", "limits", "level", "direction", "follow-up"):
        grid.add_column(column)
    for f in flagged:
        shown = [_share(v) if f.method == "funnel" else f"{v:g}" for v in (f.value, f.expected, f.lower, f.upper)]
        grid.add_row(f.submitter_name, f.period, f.measure, shown[0], shown[1], f"{shown[2]} to {shown[3]}",
                     f.limit_level or "", f.direction, f.follow_up)
    Console().print(grid)
    no_history = len(findings) - len(flagged)
    console.print(f"  {len(flagged)} outliers; {no_history} body-periods with fewer than 2 earlier periods "
                  "(no history to compare)" + (f"; all written to {out}" if out else ""))


_README = [
    ["One row per reason: a row of your file that breaks two rules is listed twice, once for each."],
    ["row: the number of the data row in the file, counting from 1 below the header (blank for file issues)."],
    ["severity error: the row was not loaded (quarantined); warning: loaded, but please check it."],
    ["rule: the code of the rule; `clearsight rules` lists every rule and what it checks."],
    ["Text that a spreadsheet would run as a formula starts with ' in this report; the ' is not in your data."],
]


def quarantine(
    out: Annotated[Path, typer.Option("--out", help="The report to write: FILE.xlsx or FILE.csv.")],
    db: DbOption = DEFAULT_DB,
    submitter: Annotated[str | None, typer.Option(help="Only this body's returns (GSS code).")] = None,
) -> None:
    """Export every reason a row was quarantined or warned about, so that the submitter can fix its data."""
    from clearsight.ingest.quality import QUARANTINE_COLUMNS, quarantine_report
    from clearsight.safe_output import write_csv, write_xlsx

    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise ClearsightError(f"{out}: the report must be a .xlsx or .csv file")
    con = _open(db)
    try:
        if submitter and not con.execute(
                "SELECT count(*) FROM submission WHERE submitter_code = ?", [submitter]).fetchone()[0]:
            raise ClearsightError(f"no return from {submitter} is in the warehouse")
        rows = quarantine_report(con, submitter)
    finally:
        con.close()
    if out.suffix.lower() == ".xlsx":
        write_xlsx(out, {"Quarantine": (QUARANTINE_COLUMNS, rows), "Read me": (["about this report"], _README)})
    else:
        write_csv(out, rows, QUARANTINE_COLUMNS)
    errors = sum(1 for row in rows if row["severity"] == "error")
    console.print(f"[bold]Quarantine report[/bold] written to {out}: {len(rows):,} reasons "
                  f"({errors:,} errors, {len(rows) - errors:,} warnings)")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main CLI."""
    returns_app = typer.Typer(help="The returns each force and council owes: status, sign-off, lock.",
                              no_args_is_help=True)
    app.add_typer(returns_app, name="returns")
    returns_app.command("status")(returns_status)
    returns_app.command("sign-off")(returns_sign_off)
    returns_app.command("lock")(returns_lock)
    returns_app.command("unlock")(returns_unlock)
    app.command("quality")(quality)
    app.command("outliers")(outliers)
    app.command("quarantine")(quarantine)
