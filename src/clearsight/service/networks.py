"""Offender groups in the service: which groups a reader may see, one group's graph, and when names are shown.

Scope: a force analyst sees the groups with an offence recorded by their force, a council analyst the groups
with an offence in their council's area, and each the groups with a member their own body recorded; a national
auditor sees every group. Members are shown by pseudonymous
``person_id``; a name is shown only to an analyst of the body that recorded that person (their own records,
decrypted from the identity vault in-process for that one page), never to the national team, whose work is
aggregate. The page's audit entry counts names shown; it never holds one.

The drawing is computed here, not in the browser: a deterministic Kamada-Kawai layout (igraph) turned into an
SVG with a title and a description, and the same facts as tables straight after it, so that a screen-reader
user and a printed page get everything the picture shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import duckdb
import igraph as ig

from clearsight.service.access import Principal
from clearsight.service.accounts import Role

READERS = frozenset({Role.force_analyst, Role.council_analyst, Role.national_auditor})
NAME_READERS = frozenset({Role.force_analyst, Role.council_analyst})
_GROUP_COLUMNS = ("group_id", "suspects", "core_suspects", "victims", "offences", "first_date", "last_date",
                  "duration_days", "areas", "forces", "offence_types", "police_flagged_offences", "cse_offences",
                  "disruptions", "disruption_types", "strengths_used")
STRENGTH_DASH = {"confirmed": "", "tentative": "6 3", "unconfirmed": "2 3"}
ROLE_FILL = {"core": "#d4351c", "periphery": "#f47738", "victim": "#1d70b8", "": "#505a5f"}


@dataclass
class Group:
    """One group's row of ``offender_group``."""

    group_id: str
    suspects: int
    core_suspects: int
    victims: int
    offences: int
    first_date: Any
    last_date: Any
    duration_days: int | None
    areas: list[str]
    forces: list[str]
    offence_types: list[str]
    police_flagged_offences: int
    cse_offences: int
    disruptions: int
    disruption_types: list[str]
    strengths_used: str


@dataclass
class Member:
    label: str
    person_id: str
    person_role: str
    member_role: str
    degree: int = 0
    betweenness: float = 0.0
    names: list[str] = field(default_factory=list)
    x: float = 0.0
    y: float = 0.0

    @property
    def kind(self) -> str:
        return "victim" if self.person_role == "victim" else (self.member_role or "")


@dataclass
class Tie:
    a: str
    b: str
    edge_type: str
    strength: str
    first_date: Any
    last_date: Any
    evidence_count: int


@dataclass
class GroupView:
    group: Group
    members: list[Member]
    ties: list[Tie]
    names_shown: int
    svg_width: int = 640
    svg_height: int = 480


def has_groups(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the networks stage has run on this warehouse."""
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'offender_group'"
                            ).fetchall()[0][0])


_OWN_MEMBER = ("group_id IN (SELECT m.group_id FROM offender_group_member m JOIN person_link l "
               "ON l.person_id = m.person_id WHERE l.source = ?)")


def _scope(principal: Principal) -> tuple[str, list[Any]]:
    """Analysts: groups with an offence of theirs (force) or in their area (council), or a member their body
    recorded (groups found from intelligence alone have no offences)."""
    if principal.role == Role.force_analyst:
        return f"(list_contains(forces, ?) OR {_OWN_MEMBER})", [principal.scope, principal.scope]
    if principal.role == Role.council_analyst:
        return f"(list_contains(areas, ?) OR {_OWN_MEMBER})", [principal.scope, principal.scope]
    if principal.role == Role.national_auditor:
        return "TRUE", []
    return "FALSE", []


def list_groups(con: duckdb.DuckDBPyConnection, principal: Principal) -> list[Group]:
    """The groups this principal may see, largest first."""
    where, params = _scope(principal)
    rows = con.execute(f"SELECT {', '.join(_GROUP_COLUMNS)} FROM offender_group WHERE {where} "  # noqa: S608
                       "ORDER BY suspects DESC, victims DESC, group_id", params).fetchall()
    return [Group(*row) for row in rows]


def read_group(con: duckdb.DuckDBPyConnection, principal: Principal, group_id: str,
               vault_key: bytes | None = None, warehouse_path: str | None = None) -> GroupView | None:
    """One group as its page shows it (None when it does not exist or is outside the principal's scope)."""
    where, params = _scope(principal)
    rows = con.execute(f"SELECT {', '.join(_GROUP_COLUMNS)} FROM offender_group "  # noqa: S608 - fixed text
                       f"WHERE group_id = ? AND {where}", [group_id, *params]).fetchall()
    if not rows:
        return None
    group = Group(*rows[0])
    member_rows = con.execute(
        "SELECT person_id, person_role, coalesce(member_role, '') FROM offender_group_member WHERE group_id = ? "
        "ORDER BY person_role DESC, member_role, person_id", [group_id]).fetchall()
    counters = {"suspect": 0, "victim": 0}
    members = []
    for person_id, person_role, member_role in member_rows:
        counters[person_role] = counters.get(person_role, 0) + 1
        members.append(Member(f"{'S' if person_role == 'suspect' else 'V'}{counters[person_role]}", person_id,
                              person_role, member_role))
    ties = [Tie(*row) for row in con.execute(
        "SELECT e.person_a, e.person_b, e.edge_type, e.strength, e.first_date, e.last_date, e.evidence_count "
        "FROM network_edge e WHERE e.person_a IN (SELECT person_id FROM offender_group_member WHERE group_id = ?) "
        "AND e.person_b IN (SELECT person_id FROM offender_group_member WHERE group_id = ?) "
        "ORDER BY e.person_a, e.person_b, e.edge_type, e.strength", [group_id, group_id]).fetchall()]
    _layout(members, ties)
    shown = 0
    if principal.role in NAME_READERS and vault_key is not None and warehouse_path:
        shown = _names(con, members, principal.scope or "", vault_key, warehouse_path)
    return GroupView(group, members, ties, shown)


def _layout(members: list[Member], ties: list[Tie]) -> None:
    """Positions (Kamada-Kawai from a circle, so the same group is drawn the same way) and centralities."""
    index = {m.person_id: i for i, m in enumerate(members)}
    pairs = sorted({tuple(sorted((index[t.a], index[t.b]))) for t in ties if t.a in index and t.b in index})
    graph = ig.Graph(n=len(members), edges=pairs)
    if not members:
        return
    circle = [[math.cos(2 * math.pi * i / len(members)), math.sin(2 * math.pi * i / len(members))]
              for i in range(len(members))]
    coords = graph.layout_kamada_kawai(seed=circle).coords if len(members) > 1 else [[0.0, 0.0]]
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    for member, (x, y), degree, betweenness in zip(members, coords, graph.degree(), graph.betweenness(),
                                                   strict=True):
        member.x = round(60 + 520 * (x - min(xs)) / span_x, 1)
        member.y = round(50 + 380 * (y - min(ys)) / span_y, 1)
        member.degree, member.betweenness = degree, round(betweenness, 2)


def _names(con: duckdb.DuckDBPyConnection, members: list[Member], scope: str, key: bytes,
           warehouse_path: str) -> int:
    """Names from the vault, for the members' records that the reader's own body submitted; returns how many."""
    from clearsight.vault import Vault

    ids = [m.person_id for m in members]
    own = con.execute("SELECT submission_id, record_id, person_id FROM person_link "
                      "WHERE source = ? AND list_contains(?, person_id)", [scope, ids]).fetchall()
    if not own:
        return 0
    wanted = {(sub, rec): pid for sub, rec, pid in own}
    by_person: dict[str, set[str]] = {}
    with Vault.open(warehouse_path, key=key, read_only=True) as vault:
        for record in vault.iter_records("person", sorted({sub for sub, _ in wanted})):
            person_id = wanted.get((record["submission_id"], record["record_id"]))
            name = " ".join(part for part in (record.get("forename"), record.get("surname")) if part)
            if person_id and name:
                by_person.setdefault(person_id, set()).add(name)
    for member in members:
        member.names = sorted(by_person.get(member.person_id, ()))
    return sum(len(m.names) for m in members)


def alt_text(view: GroupView) -> str:
    """The drawing's description for screen readers: what it shows, in one paragraph."""
    group = view.group
    core = sum(1 for m in view.members if m.member_role == "core")
    strengths = sorted({t.strength for t in view.ties})
    return (f"Network of group {group.group_id}: {group.suspects} suspects ({core} core, shown red; periphery "
            f"orange) and {group.victims} victims (blue), joined by {len(view.ties)} ties "
            f"({', '.join(strengths) or 'none'}; confirmed ties solid, tentative dashed, unconfirmed dotted). "
            "The tables below list every person and tie the drawing shows.")


def graph_of_group(con: duckdb.DuckDBPyConnection, group_id: str) -> ig.Graph:
    """The pseudonymous graph of one group (for GraphML), as the networks stage exports it."""
    from clearsight.networks.export import group_graph

    return group_graph(con, group_id)
