"""The tables the flags stage writes, and the append-only trail of human decisions on flags.

``harm_flag`` is rebuilt on every run (same inputs, same rows, same order); it holds no quoted text, only
pointers (record, table, field, character span). The quoted words sit in ``harm_flag_quote``, which is
personal data and is read only through access-controlled paths (the service), never published.
``harm_flag_decision`` is never rebuilt and never updated: a decision withdrawn is a new row with
``deleted_at`` set, so that who decided what, when and why stays provable (nomenklatura's edges do the same).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from enum import StrEnum

import duckdb

from clearsight.errors import ClearsightError

DDL = """
CREATE TABLE IF NOT EXISTS harm_flag (
    flag_id VARCHAR PRIMARY KEY, person_id VARCHAR NOT NULL, source VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL, local_authority VARCHAR, referral_date DATE, as_of_date DATE,
    recorded_status VARCHAR NOT NULL, rule_version VARCHAR NOT NULL, indicators VARCHAR NOT NULL,
    evidence VARCHAR NOT NULL, first_evidence_date DATE, last_evidence_date DATE
);
CREATE TABLE IF NOT EXISTS harm_flag_quote (
    flag_id VARCHAR NOT NULL, record_id VARCHAR NOT NULL, field VARCHAR NOT NULL,
    span_start BIGINT NOT NULL, span_end BIGINT NOT NULL, quote VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS harm_flag_run (
    run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP NOT NULL, rule_version VARCHAR NOT NULL,
    linked BOOLEAN NOT NULL, referrals BIGINT NOT NULL, flags BIGINT NOT NULL, seconds DOUBLE NOT NULL
);
CREATE TABLE IF NOT EXISTS harm_flag_decision (
    decision_id VARCHAR PRIMARY KEY, flag_id VARCHAR NOT NULL, decision VARCHAR NOT NULL,
    decided_by VARCHAR NOT NULL, decided_at TIMESTAMP NOT NULL, why VARCHAR NOT NULL,
    deleted_at TIMESTAMP, withdraws VARCHAR
);
"""


class Decision(StrEnum):
    """What a person concluded about a flag."""

    confirm = "confirm"
    reject = "reject"
    unsure = "unsure"


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the flags tables when they are missing (idempotent)."""
    con.execute(DDL)


def flag_id(source: str, record_id: str) -> str:
    """A flag's id: the same referral gives the same id on every run and under every rule version,
    so that decisions made on a flag stay attached to it when the flags are recomputed."""
    digest = hashlib.sha256(f"harm_flag|{source}|{record_id}".encode()).hexdigest()[:16].upper()
    return f"F{digest}"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record_decision(
    con: duckdb.DuckDBPyConnection, flag: str, decision: Decision | str, by: str, why: str
) -> str:
    """Append a person's decision on a flag; returns its decision_id."""
    decision = Decision(decision)
    if not by.strip() or not why.strip():
        raise ClearsightError("a decision needs who made it (--by) and why (--why)")
    ensure_tables(con)
    if not con.execute("SELECT count(*) FROM harm_flag WHERE flag_id = ?", [flag]).fetchall()[0][0]:
        raise ClearsightError(f"no flag {flag!r}; run `clearsight flags` and take an id from its output")
    decision_id = uuid.uuid4().hex[:16]
    con.execute(
        "INSERT INTO harm_flag_decision VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
        [decision_id, flag, str(decision), by.strip(), _now(), why.strip()],
    )
    return decision_id


def withdraw_decision(con: duckdb.DuckDBPyConnection, decision_id: str, by: str, why: str) -> str:
    """Withdraw a decision by appending a row that names it, with ``deleted_at`` set; nothing is updated."""
    ensure_tables(con)
    rows = con.execute(
        "SELECT flag_id, decision FROM harm_flag_decision WHERE decision_id = ? AND deleted_at IS NULL",
        [decision_id],
    ).fetchall()
    if not rows:
        raise ClearsightError(f"no decision {decision_id!r} to withdraw")
    new_id = uuid.uuid4().hex[:16]
    now = _now()
    con.execute(
        "INSERT INTO harm_flag_decision VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [new_id, rows[0][0], rows[0][1], by.strip(), now, why.strip(), now, decision_id],
    )
    return new_id


def current_decisions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The decision in force per flag: the latest one not withdrawn."""
    ensure_tables(con)
    rows = con.execute(
        """
        SELECT flag_id, decision FROM (
            SELECT d.*, row_number() OVER (PARTITION BY flag_id ORDER BY decided_at DESC, decision_id DESC) AS n
            FROM harm_flag_decision d
            WHERE d.deleted_at IS NULL
              AND d.decision_id NOT IN (SELECT withdraws FROM harm_flag_decision WHERE withdraws IS NOT NULL)
        ) WHERE n = 1 ORDER BY flag_id
        """
    ).fetchall()
    return {flag: decision for flag, decision in rows}
