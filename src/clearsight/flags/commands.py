"""CLI commands of the flags stage: ``clearsight flags`` (run, decide, withdraw, counts, rules) and
``clearsight flags-file``. Each is a thin layer over a library function in ``clearsight.flags``."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from clearsight.engine import EngineName, EngineOption
from clearsight.errors import ClearsightError
from clearsight.flags.store import Decision

console = Console(stderr=True)
DbOption = Annotated[Path, typer.Option("--db", help="The warehouse (a DuckDB file).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable result on stdout.")]
ByOption = Annotated[str, typer.Option("--by", help="Who decided (name or account); kept in the trail.")]
WhyOption = Annotated[str, typer.Option("--why", help="Why, in plain words; kept in the trail.")]
DEFAULT_DB = Path("clearsight.duckdb")


def _emit(payload: Any) -> None:
    typer.echo(json.dumps(asdict(payload) if is_dataclass(payload) else payload, indent=2, sort_keys=True,
                          default=str))


def _open(db: Path, write: bool = False) -> Any:
    from clearsight.warehouse import connect

    if not db.is_file():
        raise ClearsightError(f"{db}: no warehouse here; run `clearsight ingest SUBMISSIONS --db {db}` first")
    return connect(db, read_only=not write)


def register(app: typer.Typer) -> None:
    """Add the flags commands to the top-level app."""
    flags_app = typer.Typer(
        help="Harm, not risk: children recorded 'at risk' despite evidence of harm. Without a subcommand, "
        "computes the flags.",
        invoke_without_command=True,
    )
    app.add_typer(flags_app, name="flags")

    @flags_app.callback()
    def flags(ctx: typer.Context, db: DbOption = DEFAULT_DB, as_json: JsonOption = False,
              engine: EngineOption = EngineName.duckdb) -> None:
        """Flag children recorded at risk (or not at all) despite evidence of harm; writes harm_flag."""
        if ctx.invoked_subcommand is not None:
            return
        from clearsight import flags as flags_stage
        from clearsight.progress import rich_progress

        with rich_progress(console, enabled=not as_json) as progress:
            summary = flags_stage.run(db, progress=progress, engine=engine.value)
        if as_json:
            _emit(summary)
            return
        console.print("[bold]Harm flags computed[/bold]")
        for line in summary.lines():
            console.print(f"  {line}")

    @flags_app.command("decide")
    def decide(
        flag_id: Annotated[str, typer.Argument(help="The flag's id (from harm_flag).")],
        decision: Annotated[Decision, typer.Option("--decision", help="confirm, reject or unsure.")],
        by: ByOption,
        why: WhyOption,
        db: DbOption = DEFAULT_DB,
        as_json: JsonOption = False,
    ) -> None:
        """Record a person's decision on a flag (append-only: earlier decisions are kept)."""
        from clearsight.flags.store import record_decision

        con = _open(db, write=True)
        try:
            decision_id = record_decision(con, flag_id, decision, by, why)
        finally:
            con.close()
        if as_json:
            _emit({"decision_id": decision_id, "flag_id": flag_id, "decision": str(decision)})
            return
        console.print(f"[bold]Decision recorded[/bold]: {flag_id} {decision} by {by} (decision {decision_id})")

    @flags_app.command("withdraw")
    def withdraw(
        decision_id: Annotated[str, typer.Argument(help="The decision to withdraw.")],
        by: ByOption,
        why: WhyOption,
        db: DbOption = DEFAULT_DB,
    ) -> None:
        """Withdraw a decision: a new row marks it deleted; nothing is overwritten."""
        from clearsight.flags.store import withdraw_decision

        con = _open(db, write=True)
        try:
            new_id = withdraw_decision(con, decision_id, by, why)
        finally:
            con.close()
        console.print(f"[bold]Decision withdrawn[/bold]: {decision_id} (recorded as {new_id})")

    @flags_app.command("counts")
    def counts(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
        """Children flagged by council, year and indicator (raw counts: not for publication as they are)."""
        from clearsight.flags.aggregate import flag_counts
        from clearsight.flags.store import ensure_tables

        con = _open(db, write=True)
        try:
            ensure_tables(con)
            rows = flag_counts(con)
        finally:
            con.close()
        if as_json:
            _emit(rows)
            return
        grid = RichTable(title="Children recorded not harmed despite evidence of harm")
        for column in ("council", "year", "indicator", "children"):
            grid.add_column(column, justify="right" if column in ("year", "children") else "left")
        for row in rows:
            grid.add_row(str(row["council"]), str(row["year"]), row["indicator"], f"{row['children']:,}")
        Console().print(grid)

    @flags_app.command("rules")
    def rules(as_json: JsonOption = False) -> None:
        """List the flag rules: id, indicator, kind, source, description."""
        from clearsight.flags.rules import load_rules

        rule_set = load_rules()
        rows = [
            {"id": r.id, "indicator": r.indicator, "kind": "sql" if hasattr(r, "sql") else "text",
             "source": r.source, "description": r.description}
            for r in (*rule_set.sql_rules, *rule_set.text_rules)
        ]
        if as_json:
            _emit({"version": rule_set.label, "rules": rows, "sources": rule_set.sources})
            return
        grid = RichTable(title=f"Harm-not-risk rules {rule_set.label}")
        for column in rows[0]:
            grid.add_column(column)
        for row in rows:
            grid.add_row(*row.values())
        Console().print(grid)

    @app.command("flags-file")
    def flags_file(
        referrals: Annotated[Path, typer.Argument(help="CSV of referrals: record_id, summary; age etc. optional.")],
        out: Annotated[Path, typer.Option("--out", help="Where to write record_id,flagged,indicators,evidence.")],
        as_json: JsonOption = False,
    ) -> None:
        """Find harm indicators in a standalone CSV of referrals' free text and write one row per referral."""
        from clearsight.flags import flags_file as run_flags_file

        result = run_flags_file(referrals, out)
        if as_json:
            _emit(result)
            return
        console.print(f"[bold]Flags written[/bold] to {out}: {result['flagged']:,} of {result['rows']:,} "
                      "referrals flagged")
