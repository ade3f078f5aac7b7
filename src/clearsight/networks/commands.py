"""CLI commands of the networks stage: ``networks`` (detect, export) and ``network-query`` (analysts' questions).

Each is a thin layer over a library function (``networks.run``, ``export.write_groups``,
``export.write_graphml``, ``export.write_anx``, ``query.PersonGraph``); failures it can explain are
``ClearsightError`` (exit 1).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
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
DEFAULT_DB = Path("clearsight.duckdb")


def _emit(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, sort_keys=True, default=str))


def _open(db: Path):
    from clearsight.warehouse import connect

    if not db.is_file():
        raise ClearsightError(f"{db}: no warehouse here")
    return connect(db, read_only=True)


def register(app: typer.Typer) -> None:
    """Add the networks commands to the top-level app."""
    query_app = typer.Typer(help="Ask the person graph: paths, time-ordered paths, neighbourhoods, centralities.",
                            no_args_is_help=True)
    app.add_typer(query_app, name="network-query")

    @app.command("networks")
    def networks(
        db: DbOption = DEFAULT_DB,
        export: Annotated[Path | None, typer.Option("--export", help="Write GROUPS.csv: group_id, source, "
                          "record_id, person_role, member_role.")] = None,
        graphml: Annotated[Path | None, typer.Option("--graphml", help="Write the --group's (or --person's) graph "
                           "as GraphML into this folder.")] = None,
        anx: Annotated[Path | None, typer.Option("--anx", help="Write the --group's (or --person's) graph as "
                       "i2 .anx into this folder.")] = None,
        group: Annotated[str | None, typer.Option("--group", help="The group to draw (with --graphml/--anx).")]
        = None,
        person: Annotated[str | None, typer.Option("--person", help="Or draw this person's network (with "
                          "--graphml/--anx).")] = None,
        depth: Annotated[int, typer.Option(min=1, max=4, help="With --person: how many ties out.")] = 1,
        with_unconfirmed: Annotated[bool, typer.Option("--with-unconfirmed", help="Let every unconfirmed "
                                    "intelligence tie join groups, not only corroborated ones.")] = False,
        corroboration: Annotated[int, typer.Option(min=0, help="Separate reports an unconfirmed tie needs to "
                                 "count (0: not by reports).")] = 2,
        record_corroboration: Annotated[bool, typer.Option(
            "--record-corroboration/--no-record-corroboration", help="Let an unconfirmed tie count when a record "
            "of another kind corroborates its one report: two persons it names tied by a recorded offence or "
            "graded intelligence, or a phone it names on a record of a person it names.")] = True,
        as_json: JsonOption = False,
        engine: EngineOption = EngineName.duckdb,
    ) -> None:
        """Find offender groups in the linked persons, offences and intelligence; write the network tables."""
        from clearsight import networks as networks_stage
        from clearsight.networks import export as exports
        from clearsight.progress import rich_progress

        if (graphml or anx) and not (group or person):
            raise ClearsightError("--graphml and --anx draw one group or one person's network: name it with "
                                  "--group or --person")
        strengths = ("confirmed", "tentative", "unconfirmed") if with_unconfirmed else ("confirmed", "tentative")
        with rich_progress(console, enabled=not as_json) as progress:
            summary = networks_stage.run(db, progress=progress, strengths=strengths, corroboration=corroboration,
                                         record_corroboration=record_corroboration, engine=engine.value)
        con = _open(db)
        written: dict[str, str] = {}
        try:
            if export:
                rows = exports.write_groups(con, export)
                written["groups_csv"] = f"{export} ({rows:,} rows)"
            if graphml or anx:
                drawn = exports.group_graph(con, group) if group else exports.person_graph(con, person, depth)
                name = group or f"{person}-depth{depth}"
                if graphml:
                    written["graphml"] = str(exports.write_graphml(drawn, graphml, name))
                if anx:
                    written["anx"] = str(exports.write_anx(drawn, anx, name))
        finally:
            con.close()
        if as_json:
            _emit({**asdict(summary), "written": written})
            return
        console.print("[bold]Networks found[/bold]")
        for line in summary.lines():
            console.print(f"  {line}")
        for what, where in written.items():
            console.print(f"  wrote {what}: {where}", soft_wrap=True)

    @query_app.command("path")
    def path(
        person_a: Annotated[str, typer.Argument(help="A person_id.")],
        person_b: Annotated[str, typer.Argument(help="Another person_id.")],
        time_ordered: Annotated[bool, typer.Option("--time-ordered", help="Only paths whose ties run in date "
                                "order.")] = False,
        since: Annotated[str | None, typer.Option(help="With --time-ordered: start on this date (YYYY-MM-DD).")]
        = None,
        db: DbOption = DEFAULT_DB,
        as_json: JsonOption = False,
    ) -> None:
        """The shortest chain of ties between two people (or the earliest one in date order)."""
        from clearsight.networks.query import PersonGraph

        con = _open(db)
        try:
            graph = PersonGraph.load(con)
        finally:
            con.close()
        if time_ordered:
            steps = graph.time_ordered_path(person_a, person_b, date.fromisoformat(since) if since else None)
        else:
            steps = graph.shortest_path(person_a, person_b)
        if as_json:
            _emit([asdict(step) for step in steps])
            return
        if not steps:
            console.print("No path.")
            return
        grid = RichTable(title=f"{person_a} -> {person_b}")
        for column in ("from", "to", "tie", "strength", "first", "last"):
            grid.add_column(column)
        for s in steps:
            grid.add_row(s.person_from, s.person_to, s.edge_type, s.strength, str(s.first_date), str(s.last_date))
        Console().print(grid)

    @query_app.command("neighbours")
    def neighbours(
        person: Annotated[str, typer.Argument(help="A person_id.")],
        depth: Annotated[int, typer.Option(min=1, max=6, help="How many ties out.")] = 1,
        db: DbOption = DEFAULT_DB,
        as_json: JsonOption = False,
    ) -> None:
        """Everyone linked to a person, to a chosen depth."""
        from clearsight.networks.query import PersonGraph

        con = _open(db)
        try:
            found = PersonGraph.load(con).neighbourhood(person, depth)
        finally:
            con.close()
        if as_json:
            _emit([{"person_id": p, "distance": d} for p, d in found])
            return
        for person_id, distance in found:
            typer.echo(f"{distance}\t{person_id}")

    @query_app.command("centrality")
    def centrality(
        group: Annotated[str | None, typer.Option("--group", help="Within one group (default: whole graph).")]
        = None,
        db: DbOption = DEFAULT_DB,
        as_json: JsonOption = False,
    ) -> None:
        """Degree, betweenness, closeness and eigenvector centrality of each person."""
        from clearsight.networks.query import PersonGraph, group_members

        con = _open(db)
        try:
            graph = PersonGraph.load(con)
            rows = graph.centralities(group_members(con, group) if group else None)
        finally:
            con.close()
        if as_json:
            _emit(rows)
            return
        grid = RichTable(title=f"centrality{' in ' + group if group else ''}")
        for column in ("person_id", "degree", "betweenness", "closeness", "eigenvector"):
            grid.add_column(column, justify="left" if column == "person_id" else "right")
        for row in rows[:200]:
            grid.add_row(*(str(value) for value in row.values()))
        Console().print(grid)
