"""The audit log's chain: intact logs verify; every kind of tampering is named at the first broken seq."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from clearsight.audit_log import AuditLog, PersonalDataInAuditDetails, drop_guards, entry_hash
from clearsight.cli import app as cli_app
from clearsight.service.db import make_engine, migrate
from test_service_support import database_url, pg_database  # noqa: F401 - fixtures


@pytest.fixture
def log(database_url: str) -> AuditLog:  # noqa: F811
    engine = make_engine(database_url)
    migrate(engine)
    audit = AuditLog(engine)
    for number in range(6):
        audit.append(f"user:{number}", "national_auditor", "report.read", f"report:CS-{number}", {"n": number})
    yield audit
    engine.dispose()


def _sql(log: AuditLog, *statements: str, params: dict | None = None) -> None:
    with log.engine.begin() as connection:
        drop_guards(connection)
        for statement in statements:
            connection.execute(text(statement), params or {})


def _row(log: AuditLog, seq: int):  # noqa: ANN202
    with log.engine.connect() as connection:
        return connection.execute(text("SELECT * FROM audit_log WHERE seq = :s"), {"s": seq}).one()


def test_intact_log_verifies_and_has_a_head(log: AuditLog) -> None:
    result = log.verify()
    assert result.ok and result.entries == 6 and result.head_seq == 6
    assert log.verify(expected_head=log.head()).ok
    assert "intact" in result.message()


def test_edited_entry_is_named(log: AuditLog) -> None:
    _sql(log, "UPDATE audit_log SET details = :d WHERE seq = 3", params={"d": '{"n":99}'})
    result = log.verify()
    assert (result.ok, result.broken_seq, result.kind) == (False, 3, "edited")


def test_edited_entry_with_recomputed_hash_is_named(log: AuditLog) -> None:
    row = _row(log, 3)
    forged = entry_hash(3, row.at, "user:evil", row.role, row.action, row.object, row.details, row.prev_hash)
    _sql(log, "UPDATE audit_log SET actor = 'user:evil', hash = :h WHERE seq = 3", params={"h": forged})
    result = log.verify()
    assert (result.broken_seq, result.kind) == (3, "edited")


def test_deleted_entry_is_named(log: AuditLog) -> None:
    _sql(log, "DELETE FROM audit_log WHERE seq = 3")
    result = log.verify()
    assert (result.broken_seq, result.kind) == (4, "deleted")


def test_deleted_and_renumbered_entry_is_named(log: AuditLog) -> None:
    _sql(log, "DELETE FROM audit_log WHERE seq = 3", *(f"UPDATE audit_log SET seq = {s - 1} WHERE seq = {s}"
                                                       for s in range(4, 7)))
    result = log.verify()
    assert (result.broken_seq, result.kind) == (3, "deleted")


def test_inserted_entry_is_named(log: AuditLog) -> None:
    third = _row(log, 3)
    _sql(log, *(f"UPDATE audit_log SET seq = {s + 1} WHERE seq = {s}" for s in range(6, 3, -1)))
    at, details = third.at, '{"n":42}'
    digest = entry_hash(4, at, "user:evil", "admin", "report.read", "report:CS-X", details, third.hash)
    _sql(log, "INSERT INTO audit_log VALUES (4, :at, 'user:evil', 'admin', 'report.read', 'report:CS-X', :d, :p, :h)",
         params={"at": at, "d": details, "p": third.hash, "h": digest})
    result = log.verify()
    assert (result.broken_seq, result.kind) == (4, "inserted")


def test_entry_appended_outside_the_log_is_named(log: AuditLog) -> None:
    _sql(log, "INSERT INTO audit_log VALUES (7, '2025-01-01', 'x', 'admin', 'a', 'o', '{}', :p, :p)",
         params={"p": "f" * 64})
    result = log.verify()
    assert (result.broken_seq, result.kind) == (7, "inserted")


def test_reordered_entries_are_named(log: AuditLog) -> None:
    _sql(log, "UPDATE audit_log SET seq = -1 WHERE seq = 3", "UPDATE audit_log SET seq = 3 WHERE seq = 4",
         "UPDATE audit_log SET seq = 4 WHERE seq = -1")
    result = log.verify()
    assert result.broken_seq == 3 and result.kind in ("reordered", "edited")
    assert result.kind == "reordered"


def test_removed_tail_is_caught_only_with_a_kept_head(log: AuditLog) -> None:
    kept = log.head()
    _sql(log, "DELETE FROM audit_log WHERE seq >= 5")
    assert log.verify().ok  # a bare chain cannot see a shorter tail ...
    result = log.verify(expected_head=kept)
    assert (result.ok, result.kind) == (False, "deleted")  # ... the kept head can


def test_database_refuses_update_and_delete(log: AuditLog) -> None:
    for statement in ("UPDATE audit_log SET actor = 'x' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 1"):
        with pytest.raises(Exception, match="append-only"), log.engine.begin() as connection:
            connection.execute(text(statement))
    assert log.verify().ok


def test_details_refuse_personal_data(log: AuditLog) -> None:
    for details in ({"postcode": "BD7 1AA"}, {"note": "x" * 200}, {"nested": {"a": 1}}):
        with pytest.raises(PersonalDataInAuditDetails):
            log.append("user:1", "admin", "x", "y", details)


def test_concurrent_appends_keep_one_chain(log: AuditLog) -> None:
    def worker(number: int) -> None:
        for index in range(15):
            log.append(f"user:{number}", "public", "report.create", f"report:{number}-{index}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = log.verify()
    assert result.ok and result.entries == 66


def test_cli_verify_exit_codes(log: AuditLog, database_url: str) -> None:  # noqa: F811
    runner = CliRunner()
    intact = runner.invoke(cli_app, ["audit-log", "verify", "--database-url", database_url])
    assert intact.exit_code == 0, intact.output
    assert "intact" in intact.output
    _sql(log, "UPDATE audit_log SET object = 'report:other' WHERE seq = 2")
    broken = runner.invoke(cli_app, ["audit-log", "verify", "--database-url", database_url])
    assert broken.exit_code == 1
    assert "seq 2" in broken.output and "edited" in broken.output
