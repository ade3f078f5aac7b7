"""Exports for checking and for analysts' own tools: GROUPS.csv (DESIGN.md's contract), GraphML, i2 ``.anx``.

GROUPS.csv has one row per *record* of a group member or victim (every person record linkage tied to the
person, in any source), so that it can be joined to submissions and to the synthetic truth alike.
``member_role`` is core or periphery for suspects and empty for victims (victims are not members).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from clearsight.errors import ClearsightError
from clearsight.safe_output import write_csv

GROUPS_COLUMNS = ("group_id", "source", "record_id", "person_role", "member_role")

_GROUPS_SQL = """
SELECT m.group_id, pl.source, pl.record_id, m.person_role, coalesce(m.member_role, '') AS member_role
FROM offender_group_member m JOIN person_link pl ON pl.person_id = m.person_id
ORDER BY m.group_id, m.person_role, pl.source, pl.record_id
"""


def _require(con: duckdb.DuckDBPyConnection, table: str) -> None:
    found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
                        ).fetchall()[0][0]
    if not found:
        raise ClearsightError(f"no {table} table yet; run `clearsight networks` first")


def groups_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str, str]]:
    """The GROUPS.csv rows, in a fixed order."""
    _require(con, "offender_group_member")
    return con.execute(_GROUPS_SQL).fetchall()


def write_groups(con: duckdb.DuckDBPyConnection, path: Path | str) -> int:
    """Write GROUPS.csv; returns the number of rows."""
    return write_csv(path, groups_rows(con), GROUPS_COLUMNS)


def _graph_of(con: duckdb.DuckDBPyConnection, person_ids: list[str]):
    """These persons with every tie among them, as an igraph ``Graph`` with attributes for the exports."""
    import igraph as ig
    import pyarrow as pa

    con.register("nw_chosen", pa.table({"person_id": sorted(set(person_ids))}))
    try:
        nodes = con.execute(
            "SELECT c.person_id, coalesce(any_value(m.person_role), ''), coalesce(any_value(m.member_role), ''), "
            "coalesce(any_value(m.group_id), '') FROM nw_chosen c "
            "LEFT JOIN offender_group_member m USING (person_id) GROUP BY 1 ORDER BY 1").fetchall()
        edges = con.execute(
            "SELECT e.person_a, e.person_b, e.edge_type, e.strength, e.first_date, e.last_date, e.evidence_count, "
            "array_to_string(e.evidence_records, ' ') FROM network_edge e "
            "SEMI JOIN nw_chosen a ON a.person_id = e.person_a SEMI JOIN nw_chosen b ON b.person_id = e.person_b "
            "ORDER BY 1, 2, 3, 4").fetchall()
    finally:
        con.unregister("nw_chosen")
    index = {row[0]: i for i, row in enumerate(nodes)}
    graph = ig.Graph(n=len(nodes), edges=[(index[e[0]], index[e[1]]) for e in edges])
    for position, name in enumerate(("name", "person_role", "member_role", "group_id")):
        graph.vs[name] = [row[position] for row in nodes]
    for position, name in enumerate(("edge_type", "strength", "first_date", "last_date", "evidence_count",
                                     "evidence_records")):
        graph.es[name] = [str(e[2 + position]) if position < 4 else e[2 + position] for e in edges]
    return graph


def group_graph(con: duckdb.DuckDBPyConnection, group_id: str):
    """One group's members and victims with every tie among them."""
    _require(con, "offender_group_member")
    rows = con.execute("SELECT person_id FROM offender_group_member WHERE group_id = ?", [group_id]).fetchall()
    if not rows:
        raise ClearsightError(f"no group {group_id!r}")
    return _graph_of(con, [row[0] for row in rows])


def person_graph(con: duckdb.DuckDBPyConnection, person_id: str, depth: int = 1):
    """One person's network: everyone within ``depth`` ties, with every tie among them."""
    from clearsight.networks.query import PersonGraph

    _require(con, "network_edge")
    return _graph_of(con, [p for p, _ in PersonGraph.load(con).neighbourhood(person_id, depth)])


def write_graphml(graph, folder: Path | str, name: str) -> Path:
    """Write ``folder/<name>.graphml`` (Gephi, yEd, Cytoscape and networkx read it)."""
    target = Path(folder) / f"{name}.graphml"
    target.parent.mkdir(parents=True, exist_ok=True)
    graph.write_graphml(str(target))
    return target


def write_anx(graph, folder: Path | str, name: str) -> Path:
    """Write ``folder/<name>.anx`` for i2 Analyst's Notebook (via ``anxwritter``)."""
    try:
        from anxwritter import ANXChart
    except ImportError as error:  # pragma: no cover - optional dependency
        raise ClearsightError("i2 export needs the anxwritter package (pip install anxwritter)") from error
    chart = ANXChart()
    for vertex in graph.vs:
        chart.add_icon(id=vertex["name"], type="Person",
                       attributes={"person_role": vertex["person_role"], "member_role": vertex["member_role"],
                                   "group_id": vertex["group_id"]})
    for edge in graph.es:
        chart.add_link(from_id=graph.vs[edge.source]["name"], to_id=graph.vs[edge.target]["name"],
                       type=edge["edge_type"], date=edge["first_date"],
                       attributes={"strength": edge["strength"], "evidence": edge["evidence_records"]})
    base = Path(folder) / name
    base.parent.mkdir(parents=True, exist_ok=True)
    chart.to_anx(str(base))
    return base.with_suffix(".anx")
