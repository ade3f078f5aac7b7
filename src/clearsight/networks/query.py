"""Analysts' questions of the person graph: paths, time-ordered paths, neighbourhoods, centralities.

The graph is read from ``network_edge`` into igraph once (``PersonGraph.load``) and each question is answered
in C where igraph has it. The time-ordered path is the one search written here: it is an earliest-arrival
search (Dijkstra on dates), so a path only uses a tie on or after the date the previous one began, the way
a child is passed from one offender to the next; it runs per query, never on the pipeline's hot path.
"""

from __future__ import annotations

import heapq
import warnings
from dataclasses import dataclass
from datetime import date

import duckdb
import igraph as ig

from clearsight.errors import ClearsightError


@dataclass
class Step:
    """One tie on a path: from whom to whom, which tie and its date span."""

    person_from: str
    person_to: str
    edge_type: str
    strength: str
    first_date: date | None
    last_date: date | None


class PersonGraph:
    """The person graph with ties aggregated per pair (all types and strengths kept as edge attributes)."""

    def __init__(self, graph: ig.Graph) -> None:
        self.graph = graph
        self._index = {name: i for i, name in enumerate(graph.vs["name"])} if graph.vcount() else {}

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, strengths: tuple[str, ...] | None = None) -> PersonGraph:
        """Read ``network_edge`` (optionally only some strengths) into one undirected graph."""
        where = ""
        if strengths:
            where = "WHERE strength IN (" + ", ".join("'" + s.replace("'", "") + "'" for s in strengths) + ")"
        rows = con.execute(
            "SELECT person_a, person_b, edge_type, strength, first_date, last_date FROM network_edge "
            f"{where} ORDER BY person_a, person_b, edge_type, strength").fetchall()
        names = sorted({row[0] for row in rows} | {row[1] for row in rows})
        index = {name: i for i, name in enumerate(names)}
        graph = ig.Graph(n=len(names), edges=[(index[r[0]], index[r[1]]) for r in rows])
        graph.vs["name"] = names
        for position, attribute in enumerate(("edge_type", "strength", "first_date", "last_date")):
            graph.es[attribute] = [row[2 + position] for row in rows]
        return cls(graph)

    def _vertex(self, person_id: str) -> int:
        if person_id not in self._index:
            raise ClearsightError(f"{person_id} has no ties in the network")
        return self._index[person_id]

    def _step(self, edge_id: int, a: int, b: int) -> Step:
        edge = self.graph.es[edge_id]
        return Step(self.graph.vs[a]["name"], self.graph.vs[b]["name"], edge["edge_type"], edge["strength"],
                    edge["first_date"], edge["last_date"])

    def shortest_path(self, person_a: str, person_b: str) -> list[Step]:
        """The fewest ties from one person to another (empty when they are not connected)."""
        a, b = self._vertex(person_a), self._vertex(person_b)
        with warnings.catch_warnings():  # igraph warns when b is unreachable; an empty path says so
            warnings.simplefilter("ignore", RuntimeWarning)
            edges = self.graph.get_shortest_path(a, to=b, output="epath")
        steps, here = [], a
        for edge_id in edges:
            edge = self.graph.es[edge_id]
            there = edge.target if edge.source == here else edge.source
            steps.append(self._step(edge_id, here, there))
            here = there
        return steps

    def time_ordered_path(self, person_a: str, person_b: str, since: date | None = None) -> list[Step]:
        """A path whose ties run in date order (each tie's span ends on or after the previous one began).

        Earliest arrival: the date we 'reach' a person is the first date we could have; a tie can be used if
        its span ends on or after that date, and it moves the clock to max(arrival, the tie's first date).
        """
        a, b = self._vertex(person_a), self._vertex(person_b)
        start = since or date.min
        arrival = {a: start}
        came_by: dict[int, tuple[int, int]] = {}
        heap: list[tuple[date, int]] = [(start, a)]
        while heap:
            when, here = heapq.heappop(heap)
            if here == b:
                break
            if when > arrival.get(here, date.max):
                continue
            for edge_id in self.graph.incident(here):
                edge = self.graph.es[edge_id]
                first, last = edge["first_date"] or date.min, edge["last_date"] or date.max
                if last < when:
                    continue
                there = edge.target if edge.source == here else edge.source
                reached = max(when, first)
                if reached < arrival.get(there, date.max):
                    arrival[there] = reached
                    came_by[there] = (here, edge_id)
                    heapq.heappush(heap, (reached, there))
        if b not in came_by:
            return []
        steps, here = [], b
        while here != a:
            before, edge_id = came_by[here]
            steps.append(self._step(edge_id, before, here))
            here = before
        return steps[::-1]

    def neighbourhood(self, person_id: str, depth: int = 1) -> list[tuple[str, int]]:
        """Everyone within ``depth`` ties of a person, with their distance (the person first, at 0)."""
        origin = self._vertex(person_id)
        found = self.graph.neighborhood(origin, order=depth)
        distances = self.graph.distances(source=[origin], target=found)[0]
        names = self.graph.vs["name"]
        return sorted(((names[v], int(d)) for v, d in zip(found, distances, strict=True)), key=lambda x: (x[1], x[0]))

    def centralities(self, person_ids: list[str] | None = None) -> list[dict[str, object]]:
        """Degree, betweenness, closeness and eigenvector centrality, within the persons given (a group) or all."""
        graph = self.graph
        if person_ids is not None:
            graph = graph.induced_subgraph([self._vertex(p) for p in person_ids])
        simple = graph.copy()
        simple.simplify(multiple=True, loops=True)
        if simple.vcount() == 0:
            return []
        degree = simple.degree()
        betweenness = simple.betweenness()
        closeness = simple.closeness()
        eigenvector = simple.eigenvector_centrality() if simple.ecount() else [0.0] * simple.vcount()
        rows = [{"person_id": name, "degree": d, "betweenness": round(bt, 6),
                 "closeness": round(cl, 6) if cl == cl else 0.0, "eigenvector": round(ev, 6)}
                for name, d, bt, cl, ev in zip(simple.vs["name"], degree, betweenness, closeness, eigenvector,
                                               strict=True)]
        return sorted(rows, key=lambda row: (-row["degree"], row["person_id"]))


def group_members(con: duckdb.DuckDBPyConnection, group_id: str) -> list[str]:
    """The person_ids of a group's members and victims."""
    rows = con.execute("SELECT person_id FROM offender_group_member WHERE group_id = ? ORDER BY person_id",
                       [group_id]).fetchall()
    if not rows:
        raise ClearsightError(f"no group {group_id!r}")
    return [row[0] for row in rows]
