"""Corroboration of an unconfirmed report by a record of another kind, on test_networks' hand-built world.

There, S5 and S6 are named together in one C3 report (I2) and nowhere else, so by default S5 joins nobody.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from typer.testing import CliRunner

from clearsight import networks
from clearsight.cli import app
from clearsight.networks.pipeline import RECORD_CORROBORATION_LABEL
from test_networks import FORCE, SUB_F, _build, _members

runner = CliRunner()
LINEAGE = "'F-2024-1', 'E23000001', 'f.csv', 9"


def _add_person(con: duckdb.DuckDBPyConnection, record: str, person_id: str, phones: str | None = None) -> None:
    con.execute(f"INSERT INTO person (submission_id, source, file_name, row_number, record_id, role, sex, "
                f"phone_numbers) VALUES ({LINEAGE}, ?, 'SUSPECT', 'M', ?)", [record, phones])
    con.execute("INSERT INTO person_link VALUES (?, ?, ?, ?, 1.0, 1, 'r', 'v')", [FORCE, SUB_F, record, person_id])


def _add_report(con: duckdb.DuckDBPyConnection, record: str, grade: tuple[str, str], subjects: list[str],
                entities: list[tuple[str, str]] = ()) -> None:
    con.execute(f"INSERT INTO intelligence (submission_id, source, file_name, row_number, record_id, report_date, "
                f"source_evaluation, intelligence_assessment, cse_related) VALUES ({LINEAGE}, ?, DATE '2024-08-01', "
                f"?, ?, true)", [record, *grade])
    for subject in subjects:
        con.execute(f"INSERT INTO intelligence_subject (submission_id, source, file_name, row_number, "
                    f"intelligence_record_id, person_record_id, role) VALUES ({LINEAGE}, ?, ?, 'SUSPECT')",
                    [record, subject])
    for kind, value in entities:
        con.execute(f"INSERT INTO intelligence_entity (submission_id, source, file_name, row_number, "
                    f"intelligence_record_id, entity_type, entity_value) VALUES ({LINEAGE}, ?, ?, ?)",
                    [record, kind, value])


def _world(tmp_path: Path, extra) -> Path:
    db = tmp_path / "w.duckdb"
    _build(db)
    con = duckdb.connect(str(db))
    extra(con)
    con.close()
    return db


def _group_of(db: Path, person_id: str) -> set[str]:
    return next((members for members in _members(db).values() if person_id in members), set())


def _bases(db: Path) -> set[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return set(con.execute("SELECT report, basis, by_strength FROM network_report_corroboration").fetchall())
    finally:
        con.close()


def test_a_report_whose_other_subjects_are_tied_by_graded_intelligence_is_corroborated(tmp_path: Path) -> None:
    # I5 (C3) names S3 and S4, whom an A1 report (I1) already ties, and a new man S9 named nowhere else
    db = _world(tmp_path, lambda con: (_add_person(con, "S9", "PS9"), _add_report(con, "I5", ("C", "3"),
                                                                                     ["S3", "S4", "S9"])))
    summary = networks.run(db)
    assert _group_of(db, "PS9") == {"PS3", "PS4", "PS9", "PV2"}
    assert (f"{FORCE}:I5", "subjects_tied", "tentative") in _bases(db)
    assert RECORD_CORROBORATION_LABEL in summary.strengths_used
    networks.run(db, record_corroboration=False)
    assert _group_of(db, "PS9") == set()
    # the corroborating tie must be one the groups use: with confirmed ties only, the A1 report does not count
    networks.run(db, strengths=("confirmed",))
    assert _group_of(db, "PS9") == set()


def test_a_report_naming_a_phone_on_its_subjects_own_record_is_corroborated(tmp_path: Path) -> None:
    def extra(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("UPDATE person SET phone_numbers = 'phone:bbb;phone:ccc' WHERE record_id = 'S5'")
        con.execute(f"INSERT INTO intelligence_entity (submission_id, source, file_name, row_number, "
                    f"intelligence_record_id, entity_type, entity_value) VALUES ({LINEAGE}, 'I2', 'PHONE', "
                    f"'phone:ccc')")

    db = _world(tmp_path, extra)
    networks.run(db)
    assert _group_of(db, "PS5") == {"PS5", "PS6", "PS7"}
    assert _bases(db) == {(f"{FORCE}:I2", "phone_on_record", None)}
    result = runner.invoke(app, ["networks", "--db", str(db), "--no-record-corroboration", "--json"])
    assert result.exit_code == 0, result.output
    assert _group_of(db, "PS5") == set()
    assert RECORD_CORROBORATION_LABEL not in result.output


def test_a_phone_that_matches_no_record_of_the_reports_subjects_corroborates_nothing(tmp_path: Path) -> None:
    def extra(con: duckdb.DuckDBPyConnection) -> None:
        # the phone is on S8's record, but S8 is not named in I2; and a phone that only starts like S5's
        con.execute("UPDATE person SET phone_numbers = 'phone:ccc' WHERE record_id = 'S8'")
        con.execute("UPDATE person SET phone_numbers = 'phone:cccd' WHERE record_id = 'S5'")
        con.execute(f"INSERT INTO intelligence_entity (submission_id, source, file_name, row_number, "
                    f"intelligence_record_id, entity_type, entity_value) VALUES ({LINEAGE}, 'I2', 'PHONE', "
                    f"'phone:ccc')")

    db = _world(tmp_path, extra)
    networks.run(db)
    assert _group_of(db, "PS5") == set()
    assert _bases(db) == set()
