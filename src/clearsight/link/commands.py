"""CLI commands of the linkage stage: link, link-file, link-explain, link-judge, link-withdraw, vault init.

Each is a thin layer over a library function (``link.run``, ``link.link_file``, ``explain.explain``,
``judgements.record``, ``vault.init_key``); failures it can explain are ``ClearsightError`` (exit 1).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from clearsight.engine import EngineName, EngineOption
from clearsight.errors import ClearsightError

console = Console(stderr=True)
DbOption = Annotated[Path, typer.Option("--db", help="The warehouse (a DuckDB file).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary on stdout.")]
KeyFileOption = Annotated[
    Path | None,
    typer.Option("--key-file", help="The vault key file (default: $CLEARSIGHT_VAULT_KEY, else "
                 "$CLEARSIGHT_VAULT_KEY_FILE, else ~/.config/clearsight/vault.key)."),
]
RecordArgument = Annotated[str, typer.Argument(help="A record as SOURCE:RECORD_ID, e.g. E23000002:N-004211.")]
DEFAULT_DB = Path("clearsight.duckdb")


class Verdict(StrEnum):
    same = "same"
    not_same = "not-same"
    unsure = "unsure"


def _emit(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, sort_keys=True, default=str))


def register(app: typer.Typer) -> None:
    """Add the linkage commands to the top-level app."""
    vault_app = typer.Typer(help="The identity vault: raw identifiers, encrypted, with their own key.",
                            no_args_is_help=True)
    app.add_typer(vault_app, name="vault")

    @vault_app.command("init")
    def vault_init(key_file: KeyFileOption = None) -> None:
        """Create a new vault key file (mode 0600); never overwrites an existing key."""
        from clearsight.vault import init_key

        path = init_key(key_file)
        console.print(f"[bold]Vault key created[/bold] at {path} (mode 0600). Back it up: without it the vault "
                      "cannot be read.")

    @app.command("link")
    def link(
        db: DbOption = DEFAULT_DB,
        engine: EngineOption = EngineName.duckdb,
        retrain: Annotated[bool, typer.Option("--retrain", help="Train the model again instead of reusing it.")]
        = False,
        incremental: Annotated[bool, typer.Option(
            "--incremental", help="Score only the records the last run did not link, against the existing clusters, "
            "with the saved model (much faster than relinking everything; existing ids stay).")] = False,
        key_file: KeyFileOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Link person records across agencies into pseudonymous person_ids, with the evidence for each link."""
        from clearsight import link as link_stage
        from clearsight.progress import rich_progress

        with rich_progress(console, enabled=not as_json) as progress:
            summary = link_stage.run(db, engine=engine.value, retrain=retrain, progress=progress, key_file=key_file,
                                     require_legal_basis=True, incremental=incremental)
        if as_json:
            _emit(asdict(summary))
            return
        console.print("[bold]Linkage finished[/bold]")
        for line in summary.lines():
            console.print(f"  {line}")

    @app.command("link-basis")
    def link_basis(
        source: Annotated[str | None, typer.Argument(help="The submitting source's code, e.g. E23000001.")] = None,
        basis: Annotated[str | None, typer.Argument(help="The basis in words, or 'withdrawn'.")] = None,
        by: Annotated[str | None, typer.Option("--by", help="Who records it (name or account); kept.")] = None,
        note: Annotated[str, typer.Option("--note", help="Agreement reference or remark; kept.")] = "",
        db: DbOption = DEFAULT_DB,
        as_json: JsonOption = False,
    ) -> None:
        """Record the legal basis on which a source's records may be linked; without arguments, list them."""
        from clearsight.link import legal_basis
        from clearsight.warehouse import connect

        if not db.is_file():
            raise ClearsightError(f"{db}: no warehouse here")
        if source is None:
            con = connect(db, read_only=True)
            try:
                rows = sorted(legal_basis.current(con).values(), key=lambda b: b.source)
            finally:
                con.close()
            if as_json:
                _emit([asdict(b) for b in rows])
                return
            for b in rows:
                console.print(f"{b.source}: {b.basis} (recorded by {b.recorded_by} at {b.recorded_at:%Y-%m-%d %H:%M})")
            return
        if basis is None or by is None:
            raise ClearsightError("give the basis and --by, e.g. clearsight link-basis E23000001 "
                                  "'UK GDPR 6(1)(e), 9(2)(g)' --by analyst")
        con = connect(db)
        try:
            legal_basis.record(con, source, basis, by, note)
        finally:
            con.close()
        console.print(f"Legal basis recorded for {source}: {basis}")

    @app.command("link-file")
    def link_file(
        persons: Annotated[Path, typer.Argument(help="CSV of person records (record_id, source, forename, ...).")],
        out: Annotated[Path, typer.Option("--out", help="Where to write record_id,cluster_id,match_probability.")],
        pairs: Annotated[Path | None, typer.Option("--pairs", help="Also write every scored pair here.")] = None,
        threshold: Annotated[float, typer.Option(help="Link pairs at or above this probability.")] = 0.99,
        engine: EngineOption = EngineName.duckdb,
        as_json: JsonOption = False,
    ) -> None:
        """Link a standalone CSV of person records (two extracts, or a benchmark) and write its clusters."""
        from clearsight.link import link_file as run_link_file

        summary = run_link_file(persons, out, threshold=threshold, pairs_out=pairs, engine=engine.value)
        if as_json:
            _emit(summary)
            return
        console.print(f"[bold]Linked[/bold] {summary['records']:,} records into {summary['clusters']:,} clusters; "
                      f"{summary['pairs_scored']:,} pairs scored; written to {out}")

    @app.command("link-explain")
    def link_explain(
        record_a: RecordArgument,
        record_b: RecordArgument,
        db: DbOption = DEFAULT_DB,
        as_json: JsonOption = False,
    ) -> None:
        """Show why two records were linked or not: each field's weight for or against (a waterfall)."""
        from clearsight.link import model_dir_for
        from clearsight.link.explain import explain
        from clearsight.warehouse import connect

        if not db.is_file():
            raise ClearsightError(f"{db}: no warehouse here")
        con = connect(db, read_only=True)
        try:
            result = explain(con, model_dir_for(db) / "model.json", record_a, record_b)
        finally:
            con.close()
        if as_json:
            _emit(asdict(result))
            return
        grid = RichTable(title=f"{record_a} ~ {record_b}")
        for column in ("comparison", "level", "weight (bits)", "running total"):
            grid.add_column(column, justify="right" if column[0] in "wr" else "left")
        total = 0.0
        for step in result.steps:
            total += step.match_weight
            grid.add_row(step.comparison, step.level, f"{step.match_weight:+.2f}", f"{total:+.2f}")
        Console().print(grid)
        verdict = "linked as one person" if result.linked_same_person else "not linked"
        console.print(f"  match weight {result.match_weight:+.2f}, probability {result.match_probability:.6f}: "
                      f"{verdict}")

    @app.command("link-judge")
    def link_judge(
        record_a: RecordArgument,
        record_b: RecordArgument,
        verdict: Annotated[Verdict, typer.Argument(help="same, not-same or unsure.")],
        by: Annotated[str, typer.Option("--by", help="Who judges (name or account); kept in the log.")],
        why: Annotated[str, typer.Option("--why", help="The reason, in words; kept in the log.")],
        db: DbOption = DEFAULT_DB,
    ) -> None:
        """Record a human judgement on a pair; every later `clearsight link` run replays it."""
        from clearsight.link import judgements
        from clearsight.warehouse import connect

        if not db.is_file():
            raise ClearsightError(f"{db}: no warehouse here")
        con = connect(db)
        try:
            judgement_id = judgements.record(con, record_a, record_b, verdict.value.replace("-", "_"), by, why)
        finally:
            con.close()
        console.print(f"Judgement {judgement_id} recorded: {record_a} ~ {record_b}: {verdict.value}")

    @app.command("link-withdraw")
    def link_withdraw(
        judgement_id: Annotated[str, typer.Argument(help="The judgement's id, as link-judge printed it.")],
        by: Annotated[str, typer.Option("--by", help="Who withdraws it.")],
        db: DbOption = DEFAULT_DB,
    ) -> None:
        """Withdraw a judgement (it stays in the log, stamped deleted_at)."""
        from clearsight.link import judgements
        from clearsight.warehouse import connect

        con = connect(db)
        try:
            judgements.withdraw(con, judgement_id, by)
        finally:
            con.close()
        console.print(f"Judgement {judgement_id} withdrawn")
