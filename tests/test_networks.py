"""Networks on a hand-built warehouse whose answer is known: ties, strengths, groups, roles, ids, the finding."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from clearsight import networks
from clearsight.cli import app
from clearsight.errors import ClearsightError
from clearsight.link.store import DDL as LINK_DDL
from clearsight.networks import export
from clearsight.networks.aggregate import group_statistics
from clearsight.networks.groups import group_key
from clearsight.networks.query import PersonGraph
from clearsight.warehouse import connect

runner = CliRunner()
FORCE, COUNCIL = "E23000001", "E06000001"
SUB_F, SUB_C = "F-2024-1", "C-2024-1"

# person record -> person_id; C-V1 is the council's record of the child the force calls V1.
PERSONS = {
    (SUB_F, "S1"): "PS1", (SUB_F, "S2"): "PS2", (SUB_F, "S3"): "PS3", (SUB_F, "S4"): "PS4",
    (SUB_F, "S5"): "PS5", (SUB_F, "S6"): "PS6", (SUB_F, "S7"): "PS7", (SUB_F, "S8"): "PS8",
    (SUB_F, "V1"): "PV1", (SUB_F, "V2"): "PV2", (SUB_F, "V3"): "PV3", (SUB_C, "C-V1"): "PV1",
}
OFFENCES = [  # record, day committed, police group flag, [(person record, role)]
    ("O1", "2024-01-10", False, [("S1", "SUSPECT"), ("V1", "VICTIM")]),
    ("O2", "2024-03-05", True, [("S2", "SUSPECT"), ("V1", "VICTIM")]),
    ("O3", "2024-02-01", True, [("S3", "SUSPECT"), ("V2", "VICTIM")]),
    ("O4", "2024-06-01", False, [("S8", "SUSPECT"), ("V3", "VICTIM")]),
]
REPORTS = [  # record, day, source evaluation, assessment, subjects, entities
    ("I1", "2024-04-01", "A", "1", [("S3", "SUSPECT"), ("S4", "SUSPECT")], []),
    ("I2", "2024-04-02", "C", "3", [("S5", "SUSPECT"), ("S6", "SUSPECT")], []),
    ("I3", "2024-05-01", "C", "4", [("S6", "SUSPECT")], [("PHONE", "phone:aaa")]),
    ("I4", "2024-05-09", "B", "3", [("S7", "SUSPECT")], [("PHONE", "phone:aaa")]),
]


def _build(db: Path) -> None:
    con = connect(db)
    con.execute(LINK_DDL)
    for sub, source, kind in ((SUB_F, FORCE, "force"), (SUB_C, COUNCIL, "council")):
        con.execute("INSERT INTO submission VALUES (?, ?, ?, '2024', DATE '2024-01-01', DATE '2024-12-31', "
                    "TIMESTAMP '2025-01-10', NULL, '1.0.0', TIMESTAMP '2025-01-10', 0, 0, 0)", [sub, source, kind])
    lineage = "?, ?, 'f.csv', 1"
    for (sub, record), person_id in PERSONS.items():
        source = FORCE if sub == SUB_F else COUNCIL
        role = "VICTIM" if "V" in record else "SUSPECT"
        con.execute(f"INSERT INTO person (submission_id, source, file_name, row_number, record_id, role, sex) "
                    f"VALUES ({lineage}, ?, ?, ?)", [sub, source, record, role, "M" if role == "SUSPECT" else "F"])
        con.execute("INSERT INTO person_link VALUES (?, ?, ?, ?, 1.0, 1, 'r', 'v')", [source, sub, record, person_id])
    for record, day, flag, parties in OFFENCES:
        con.execute(f"INSERT INTO offence (submission_id, source, file_name, row_number, record_id, ho_code, "
                    f"committed_from, recorded_date, local_authority, group_based_flag, cse_flag, csa_flag) "
                    f"VALUES ({lineage}, ?, '22B', ?, ?, ?, ?, true, true)",
                    [SUB_F, FORCE, record, day, day, COUNCIL, flag])
        for person, role in parties:
            con.execute(f"INSERT INTO offence_person (submission_id, source, file_name, row_number, "
                        f"offence_record_id, person_record_id, role) VALUES ({lineage}, ?, ?, ?)",
                        [SUB_F, FORCE, record, person, role])
    for record, day, evaluation, assessment, subjects, entities in REPORTS:
        con.execute(f"INSERT INTO intelligence (submission_id, source, file_name, row_number, record_id, "
                    f"report_date, source_evaluation, intelligence_assessment, cse_related) "
                    f"VALUES ({lineage}, ?, ?, ?, ?, true)", [SUB_F, FORCE, record, day, evaluation, assessment])
        for person, role in subjects:
            con.execute(f"INSERT INTO intelligence_subject (submission_id, source, file_name, row_number, "
                        f"intelligence_record_id, person_record_id, role) VALUES ({lineage}, ?, ?, ?)",
                        [SUB_F, FORCE, record, person, role])
        for kind, value in entities:
            con.execute(f"INSERT INTO intelligence_entity (submission_id, source, file_name, row_number, "
                        f"intelligence_record_id, entity_type, entity_value) VALUES ({lineage}, ?, ?, ?)",
                        [SUB_F, FORCE, record, kind, value])
    con.execute(f"INSERT INTO disruption (submission_id, source, file_name, row_number, record_id, "
                f"person_record_id, disruption_type, disruption_date) VALUES ({lineage}, 'D1', 'S1', 'CAWN', "
                f"DATE '2024-05-01')", [SUB_F, FORCE])
    con.close()


@pytest.fixture()
def world(tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    _build(db)
    networks.run(db)
    return db


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _members(db: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for group_id, person_id in _query(db, "SELECT group_id, person_id FROM offender_group_member"):
        out.setdefault(group_id, set()).add(person_id)
    return out


def test_ties_are_typed_with_strength_dates_and_evidence(world: Path) -> None:
    edges = {(a, b, t): (s, f, n, ev) for a, b, t, s, f, n, ev in _query(
        world, "SELECT person_a, person_b, edge_type, strength, first_date, evidence_count, evidence_records "
               "FROM network_edge")}
    assert edges[("PS1", "PV1", "offended_against")][:3] == ("confirmed", date(2024, 1, 10), 1)
    assert edges[("PS1", "PV1", "offended_against")][3] == [f"{FORCE}:O1"]
    assert edges[("PS3", "PS4", "co_subject")][0] == "tentative"  # graded A1
    assert edges[("PS5", "PS6", "co_subject")][0] == "unconfirmed"  # graded C3
    phone = edges[("PS6", "PS7", "shared_phone")]
    assert phone[0] == "unconfirmed" and phone[2] == 2  # two reports name the phone


def test_groups_are_suspects_tied_by_victims_offences_or_strong_intelligence(world: Path) -> None:
    groups = sorted(sorted(m) for m in _members(world).values())
    # S1+S2 share victim V1; S3+S4 tied by an A1 report (V2 is S3's victim); S6+S7 share a phone named in
    # two reports (corroborated). S5-S6 rests on one C3 report only, so S5 joins nobody; S8 offends alone.
    assert groups == [["PS1", "PS2", "PV1"], ["PS3", "PS4", "PV2"], ["PS6", "PS7"]]


def test_without_intelligence_corroboration_only_graded_ties_count(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _build(db)
    networks.run(db, corroboration=0)
    assert sorted(sorted(m) for m in _members(db).values()) == [["PS1", "PS2", "PV1"], ["PS3", "PS4", "PV2"]]
    summary = networks.run(db, strengths=("confirmed", "tentative", "unconfirmed"))
    assert summary.groups == 3 and "PS5" in set().union(*_members(db).values())


def test_group_ids_are_stable_and_derived_from_members(world: Path) -> None:
    before = _query(world, "SELECT * FROM offender_group_member ORDER BY ALL")
    ids = {group_id: members for group_id, members in _members(world).items()}
    for group_id, members in ids.items():
        suspects = sorted(m for m in members if m.startswith("PS"))
        assert group_id == group_key(suspects[0])
    networks.run(world)
    assert _query(world, "SELECT * FROM offender_group_member ORDER BY ALL") == before


def test_group_profile_counts_victims_span_disruptions_and_flags(world: Path) -> None:
    rows = _query(world, "SELECT suspects, victims, offences, first_date, last_date, duration_days, areas, "
                         "disruptions, disruption_types, police_flagged_offences FROM offender_group "
                         "WHERE group_id = ?", [group_key("PS1")])
    assert rows == [(2, 1, 2, date(2024, 1, 10), date(2024, 3, 5), 55, [COUNCIL], 1, ["CAWN"], 1)]
    findings = dict(_query(world, "SELECT record_id, finding FROM network_offence_flag"))
    assert findings == {"O1": "group_not_recorded", "O2": "agree_group", "O3": "agree_group",
                        "O4": "agree_not_group"}


def test_core_and_periphery_come_from_weighted_degree(world: Path) -> None:
    roles = dict(_query(world, "SELECT person_id, member_role FROM offender_group_member "
                               "WHERE person_role = 'suspect'"))
    assert roles["PS3"] == "core"  # a victim and a co-subject: the most connected
    assert set(roles.values()) <= {"core", "periphery"}


def test_groups_csv_has_the_contract_columns_and_every_record(world: Path, tmp_path: Path) -> None:
    out = tmp_path / "GROUPS.csv"
    result = runner.invoke(app, ["networks", "--db", str(world), "--export", str(out)])
    assert result.exit_code == 0, result.output
    with open(out, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == ["group_id", "source", "record_id", "person_role", "member_role"]
    victim_records = {(r["source"], r["record_id"]) for r in rows if r["person_role"] == "victim"}
    assert (COUNCIL, "C-V1") in victim_records and (FORCE, "V1") in victim_records
    assert {r["member_role"] for r in rows if r["person_role"] == "suspect"} <= {"core", "periphery"}
    assert {r["member_role"] for r in rows if r["person_role"] == "victim"} == {""}


def test_graphml_and_anx_export_one_group(world: Path, tmp_path: Path) -> None:
    import igraph as ig

    group_id = group_key("PS1")
    result = runner.invoke(app, ["networks", "--db", str(world), "--graphml", str(tmp_path), "--anx",
                                 str(tmp_path), "--group", group_id])
    assert result.exit_code == 0, result.output
    drawn = ig.Graph.Read_GraphML(str(tmp_path / f"{group_id}.graphml"))
    assert drawn.vcount() == 3 and drawn.ecount() == 2
    assert sorted(drawn.vs["person_role"]) == ["suspect", "suspect", "victim"]
    assert (tmp_path / f"{group_id}.anx").stat().st_size > 0
    missing = runner.invoke(app, ["networks", "--db", str(world), "--graphml", str(tmp_path)])
    assert missing.exit_code == 1


def test_networks_needs_linkage_first(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    connect(db).close()
    with pytest.raises(ClearsightError, match="clearsight link"):
        networks.run(db)


def test_paths_neighbourhoods_and_time_order(world: Path) -> None:
    con = duckdb.connect(str(world), read_only=True)
    graph = PersonGraph.load(con)
    con.close()
    path = graph.shortest_path("PS1", "PS2")
    assert [(s.person_from, s.person_to) for s in path] == [("PS1", "PV1"), ("PV1", "PS2")]
    assert graph.neighbourhood("PS1", 2) == [("PS1", 0), ("PV1", 1), ("PS2", 2)]
    assert len(graph.time_ordered_path("PS1", "PS2")) == 2  # Jan then March: in date order
    assert graph.time_ordered_path("PS2", "PS1") == []  # March then January: not
    assert graph.shortest_path("PS1", "PS8") == []
    with pytest.raises(ClearsightError):
        graph.neighbourhood("nobody")


def test_aggregates_total_rows_add_up(world: Path) -> None:
    con = duckdb.connect(str(world))
    tables = group_statistics(con)
    con.close()
    for name in ("groups_by_area", "groups_by_year", "groups_by_size", "groups_by_victims"):
        rows = tables[name]
        assert rows[-1][next(iter(rows[-1]))] == "Total"
        assert rows[-1]["groups"] == sum(r["groups"] for r in rows[:-1]) == 3
    assert all("corroborated" in r["strengths_used"] for rows in tables.values() for r in rows)


def test_export_refuses_before_a_run(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _build(db)
    con = duckdb.connect(str(db))
    with pytest.raises(ClearsightError, match="clearsight networks"):
        export.groups_rows(con)
    con.close()


def test_a_group_keeps_its_id_when_a_member_joins(world: Path) -> None:
    old_id = group_key("PS1")
    con = duckdb.connect(str(world))
    lineage = "'F-2024-1', 'E23000001', 'f.csv', 2"
    con.execute("INSERT INTO person_link VALUES (?, ?, 'S0', 'PA0', 1.0, 1, 'r', 'v')", [FORCE, SUB_F])
    con.execute(f"INSERT INTO offence (submission_id, source, file_name, row_number, record_id, committed_from) "
                f"VALUES ({lineage}, 'O9', DATE '2024-07-01')")
    for person, role in (("S0", "SUSPECT"), ("S1", "SUSPECT")):
        con.execute(f"INSERT INTO offence_person (submission_id, source, file_name, row_number, offence_record_id, "
                    f"person_record_id, role) VALUES ({lineage}, 'O9', ?, ?)", [person, role])
    con.close()
    networks.run(world)
    members = _members(world)
    assert members[old_id] == {"PA0", "PS1", "PS2", "PV1"}  # its smallest member changed; its id did not
    assert group_key("PA0") not in members


def test_an_entity_named_about_many_people_is_a_hub_not_a_tie(tmp_path: Path) -> None:
    from clearsight.networks.graph import MAX_ENTITY_PERSONS

    db = tmp_path / "w.duckdb"
    _build(db)
    con = duckdb.connect(str(db))
    lineage = "'F-2024-1', 'E23000001', 'f.csv', 3"
    for i in range(MAX_ENTITY_PERSONS + 1):
        con.execute("INSERT INTO person_link VALUES (?, ?, ?, ?, 1.0, 1, 'r', 'v')",
                    [FORCE, SUB_F, f"H{i}", f"PH{i:02d}"])
        con.execute(f"INSERT INTO intelligence (submission_id, source, file_name, row_number, record_id, report_date, "
                    f"source_evaluation, intelligence_assessment) VALUES ({lineage}, ?, DATE '2024-01-01', 'A', '1')",
                    [f"IH{i}"])
        con.execute(f"INSERT INTO intelligence_subject (submission_id, source, file_name, row_number, "
                    f"intelligence_record_id, person_record_id, role) VALUES ({lineage}, ?, ?, 'SUSPECT')",
                    [f"IH{i}", f"H{i}"])
        con.execute(f"INSERT INTO intelligence_entity (submission_id, source, file_name, row_number, "
                    f"intelligence_record_id, entity_type, entity_value) VALUES ({lineage}, ?, 'LOCATION', "
                    f"'location:school')", [f"IH{i}"])
    con.close()
    networks.run(db)
    assert _query(db, "SELECT count(*) FROM network_edge WHERE edge_type = 'shared_location'") == [(0,)]


def test_network_query_commands(world: Path) -> None:
    import json

    path = runner.invoke(app, ["network-query", "path", "PS1", "PS2", "--time-ordered", "--db", str(world), "--json"])
    assert path.exit_code == 0, path.output
    assert [step["person_to"] for step in json.loads(path.output)] == ["PV1", "PS2"]
    near = runner.invoke(app, ["network-query", "neighbours", "PS1", "--depth", "2", "--db", str(world), "--json"])
    assert {row["person_id"] for row in json.loads(near.output)} == {"PS1", "PV1", "PS2"}
    central = runner.invoke(app, ["network-query", "centrality", "--group", group_key("PS1"), "--db", str(world),
                                  "--json"])
    rows = json.loads(central.output)
    assert rows[0]["person_id"] == "PV1" and rows[0]["betweenness"] == 1.0  # the child both men abused
    unknown = runner.invoke(app, ["network-query", "neighbours", "nobody", "--db", str(world)])
    assert unknown.exit_code == 1


def test_an_empty_linked_warehouse_gives_no_groups_and_zero_totals(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    con = connect(db)
    con.execute(LINK_DDL)
    con.close()
    assert networks.run(db).groups == 0
    con = duckdb.connect(str(db))
    total = group_statistics(con)["groups_by_area"][-1]
    con.close()
    assert (total["groups"], total["suspects"], total["victims"]) == (0, 0, 0)


def test_one_persons_network_exports_to_depth(world: Path, tmp_path: Path) -> None:
    import igraph as ig

    result = runner.invoke(app, ["networks", "--db", str(world), "--graphml", str(tmp_path), "--anx", str(tmp_path),
                                 "--person", "PV1", "--depth", "1"])
    assert result.exit_code == 0, result.output
    drawn = ig.Graph.Read_GraphML(str(tmp_path / "PV1-depth1.graphml"))
    assert sorted(drawn.vs["name"]) == ["PS1", "PS2", "PV1"]
    assert (tmp_path / "PV1-depth1.anx").stat().st_size > 0
