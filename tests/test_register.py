"""The register: who owes which return by when, what arrived, and an append-only sign-off and lock trail."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from clearsight import ingest
from clearsight.cli import app
from clearsight.errors import ClearsightError
from clearsight.ingest import register
from clearsight.standard import load_standard
from clearsight.warehouse import connect
from submission_builder import FORCE, force_profile, link, offence, person, write_return

OTHER_FORCE = "E23000001"  # sends nothing in these tests
P2024 = (date(2024, 1, 1), date(2024, 12, 31))


def _return(root: Path, label: str, received: str, year: int = 2024, victim: str = "P1") -> None:
    write_return(root, label, [person(victim), person("S1", role="SUSPECT", sex="Male", dob="05/05/1990")],
                 [offence("C1")], [link("C1", victim), link("C1", "S1", "SUSPECT", "33")],
                 received=received, period=(f"{year}-01-01", f"{year}-12-31"))


def _warehouse(tmp_path: Path, returns: list[tuple[str, str, int]]) -> Path:
    """Ingest the force's returns (label, received, year) one at a time, as they would arrive."""
    db = tmp_path / "w.duckdb"
    for label, received, year in returns:
        root = tmp_path / f"subs-{label}"
        force_profile(root)
        _return(root, label, received, year, victim=f"V{label}")
        ingest.run(root, db)
    return db


def _status(statuses: list[register.ReturnStatus], code: str, year: int) -> register.ReturnStatus:
    return next(s for s in statuses if s.submitter_code == code and s.period_start.year == year)


def test_the_register_holds_every_force_and_council_with_its_force() -> None:
    standard = load_standard()
    everyone = register.bodies(standard)
    forces = {b.code for b in everyone if b.type == "FORCE"}
    councils = [b for b in everyone if b.type == "COUNCIL"]
    assert len(forces) == 43
    assert len(councils) == len(standard.codelist("local_authority").codes)
    assert all(c.force_code in forces for c in councils)


def test_on_time_late_overdue_and_not_yet_due(tmp_path: Path) -> None:
    db = _warehouse(tmp_path, [("2023", "2024-01-15T10:00:00", 2023), ("2024", "2025-02-10T10:00:00", 2024)])
    con = duckdb.connect(str(db))
    statuses = register.expected_returns(con, [2023, 2024], as_of=datetime(2025, 3, 1))
    assert len(statuses) == 2 * len(register.bodies())
    on_time, late = _status(statuses, FORCE, 2023), _status(statuses, FORCE, 2024)
    assert (on_time.status, on_time.on_time, on_time.days_late, on_time.deadline) == (
        "ON_TIME", True, 0, date(2024, 1, 31))
    assert (late.status, late.on_time, late.days_late) == ("LATE", False, 10)
    assert (late.rows_in, late.rows_loaded, late.rows_quarantined, late.tables_missing) == (5, 5, 0, [])
    overdue = _status(statuses, OTHER_FORCE, 2024)
    assert (overdue.status, overdue.received, overdue.days_late) == ("OVERDUE", False, 29)
    early = register.return_status(con, 2024, as_of=datetime(2025, 1, 15))
    assert _status(early, OTHER_FORCE, 2024).status == "NOT_YET_DUE"


def test_a_late_correction_keeps_the_first_receipt_on_time(tmp_path: Path) -> None:
    db = _warehouse(tmp_path, [("2024", "2025-01-20T09:00:00", 2024), ("2024b", "2025-03-01T09:00:00", 2024)])
    con = duckdb.connect(str(db))
    status = _status(register.return_status(con, 2024, as_of=datetime(2025, 4, 1)), FORCE, 2024)
    assert (status.status, status.submissions, status.received_at) == ("ON_TIME", 2, datetime(2025, 3, 1, 9))
    assert status.current_submission_id.startswith(f"{FORCE}-2024b-")


def test_a_return_without_an_owed_table_is_incomplete(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    force_profile(root)
    folder = write_return(root, "2024", [person("P1")], [offence("C1")], [])
    (folder / "links.csv").unlink()
    ingest.run(root, tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert _status(register.return_status(con, 2024), FORCE, 2024).tables_missing == ["offence_person"]


def test_sign_off_lock_unlock_leaves_a_trail_and_lock_state(tmp_path: Path) -> None:
    con = connect(_warehouse(tmp_path, [("2024", "2025-01-20T09:00:00", 2024)]))
    assert not register.is_locked(con, FORCE, *P2024)  # no trail table yet: nothing is locked
    register.ensure_register_schema(con)
    with pytest.raises(ClearsightError, match="signed off"):
        register.lock(con, FORCE, *P2024, by="Audit lead")
    sid = register.sign_off(con, FORCE, *P2024, by="Force analyst")
    register.lock(con, FORCE, "2024-01-01", "2024-12-31", by="Audit lead", reason="published")
    assert register.is_locked(con, FORCE, *P2024)
    assert not register.is_locked(con, FORCE, date(2023, 1, 1), date(2023, 12, 31))
    with pytest.raises(ClearsightError, match="reason"):
        register.unlock(con, FORCE, *P2024, by="Audit lead", reason="  ")
    assert register.is_locked(con, FORCE, *P2024)
    register.unlock(con, FORCE, *P2024, by="Audit lead", reason="force found missing offences")
    assert not register.is_locked(con, FORCE, *P2024)
    register.ensure_register_schema(con)  # idempotent: the trail survives
    trail = register.signoff_trail(con, FORCE)
    assert [(e["action"], e["by_whom"], e["submission_id"]) for e in trail] == [
        ("SIGN_OFF", "Force analyst", sid), ("LOCK", "Audit lead", sid), ("UNLOCK", "Audit lead", sid)]
    assert trail[2]["reason"] == "force found missing offences"
    with pytest.raises(ClearsightError, match="not locked"):
        register.unlock(con, FORCE, *P2024, by="Audit lead", reason="again")
    status = _status(register.return_status(con, 2024), FORCE, 2024)
    assert (status.signed_off, status.signed_off_by, status.locked) == (True, "Force analyst", False)


def test_a_resubmission_needs_a_new_sign_off(tmp_path: Path) -> None:
    db = _warehouse(tmp_path, [("2024", "2025-01-20T09:00:00", 2024)])
    con = connect(db)
    register.sign_off(con, FORCE, *P2024, by="Force analyst")
    with pytest.raises(ClearsightError, match="already signed off"):
        register.sign_off(con, FORCE, *P2024, by="Force analyst")
    con.close()
    _warehouse(tmp_path, [("2024b", "2025-02-01T09:00:00", 2024)])
    con = connect(db)
    assert not _status(register.return_status(con, 2024), FORCE, 2024).signed_off
    register.sign_off(con, FORCE, *P2024, by="Force analyst")
    assert _status(register.return_status(con, 2024), FORCE, 2024).signed_off
    assert len(register.signoff_trail(con)) == 2


def test_the_configuration_is_a_file(tmp_path: Path) -> None:
    config = tmp_path / "returns.yaml"
    config.write_text("frequency: quarterly\ndeadline_days_after_period_end: 10\n"
                      "bodies: {FORCE: {owed: [offence]}}\n", encoding="utf-8")
    loaded = register.load_register_config(config)
    con = connect(tmp_path / "empty.duckdb")
    statuses = register.expected_returns(con, [2024], as_of=datetime(2024, 5, 1), config=loaded)
    assert len(statuses) == 4 * 43 and {s.submitter_type for s in statuses} == {"FORCE"}
    first = [s for s in statuses if s.submitter_code == FORCE]
    assert [(s.period, s.deadline) for s in first[:2]] == [
        ("2024-Q1", date(2024, 4, 10)), ("2024-Q2", date(2024, 7, 10))]
    assert [s.status for s in first] == ["OVERDUE", "NOT_YET_DUE", "NOT_YET_DUE", "NOT_YET_DUE"]
    config.write_text("bodies: {FORCE: {owed: [no_such_table]}}\n", encoding="utf-8")
    with pytest.raises(ClearsightError, match="no_such_table"):
        register.load_register_config(config)


def test_returns_commands(tmp_path: Path) -> None:
    db = str(_warehouse(tmp_path, [("2024", "2025-01-20T09:00:00", 2024)]))
    runner = CliRunner()
    result = runner.invoke(app, ["returns", "status", "--db", db, "--submitter", FORCE, "--json"])
    assert result.exit_code == 0, result.output
    assert [(s["status"], s["period"]) for s in json.loads(result.stdout)] == [("ON_TIME", "2024")]
    assert runner.invoke(app, ["returns", "status", "--db", db]).exit_code == 0
    assert runner.invoke(app, ["returns", "sign-off", FORCE, "2024", "--by", "Analyst", "--db", db]).exit_code == 0
    assert runner.invoke(app, ["returns", "lock", FORCE, "2024-01-01", "--by", "Lead", "--db", db]).exit_code == 0
    again = runner.invoke(app, ["returns", "lock", FORCE, "2024", "--by", "Lead", "--db", db])
    assert again.exit_code == 1 and "already locked" in str(again.exception)
    no_reason = runner.invoke(app, ["returns", "unlock", FORCE, "2024", "--by", "Lead", "--db", db])
    assert no_reason.exit_code == 2
    unlocked = runner.invoke(app, ["returns", "unlock", FORCE, "2024", "--by", "Lead", "--reason", "fix", "--db", db])
    assert unlocked.exit_code == 0
    unknown = runner.invoke(app, ["returns", "sign-off", OTHER_FORCE, "2024", "--by", "X", "--db", db])
    assert unknown.exit_code == 1
    con = duckdb.connect(db, read_only=True)
    assert [e["action"] for e in register.signoff_trail(con)] == ["SIGN_OFF", "LOCK", "UNLOCK"]
    con.close()
    connect(tmp_path / "empty.duckdb").close()
    empty = runner.invoke(app, ["returns", "status", "--db", str(tmp_path / "empty.duckdb")])
    assert empty.exit_code == 1 and "no submissions" in str(empty.exception)
