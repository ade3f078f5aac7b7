"""Harm flags in the service: read them from the DuckDB warehouse, scoped to the reader, and keep decisions.

Why a connection per request: the flags stage (``clearsight flags``) rewrites ``harm_flag`` in the same
file, and DuckDB lets one process write it at a time; holding no connection between requests leaves the
file free for the pipeline, and a busy file is a clear "try again" page rather than a hang. Decisions go
through the flags stage's own ``record_decision`` (the one ``clearsight flags decide`` calls), so the
append-only trail in ``harm_flag_decision`` has one writer's rules.

Quotes (``harm_flag_quote``) are personal data: shown to the council analyst of the flag's council and to
national auditors only, never logged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from fastapi import HTTPException
from sqlalchemy.orm import Session

from clearsight.flags.store import Decision, current_decisions, record_decision
from clearsight.service.access import Principal
from clearsight.service.accounts import Role
from clearsight.service.db import transaction
from clearsight.service.models import User

READERS = frozenset({Role.council_analyst, Role.national_auditor, Role.admin})
DECIDERS = frozenset({Role.council_analyst, Role.national_auditor})
QUOTE_READERS = frozenset({Role.council_analyst, Role.national_auditor})
DECISIONS = {str(Decision.confirm): "Confirm: harm is evidenced", str(Decision.reject): "Reject: not evidenced",
             str(Decision.unsure): "Unsure: needs more information"}
_COLUMNS = ("flag_id", "person_id", "source", "record_id", "local_authority", "referral_date", "as_of_date",
            "recorded_status", "rule_version", "indicators", "evidence", "first_evidence_date", "last_evidence_date")


class WarehouseUnavailable(Exception):
    """No warehouse is configured, the file is missing, or another process holds it; the message says which."""


@dataclass
class Flag:
    """One flag as a page shows it: evidence parsed, the decision in force, and (when allowed) the quotes."""

    flag_id: str
    person_id: str
    source: str
    record_id: str
    local_authority: str | None
    referral_date: Any
    as_of_date: Any
    recorded_status: str
    rule_version: str
    indicators: list[str]
    evidence: list[dict[str, Any]]
    first_evidence_date: Any
    last_evidence_date: Any
    decision: str | None = None
    quotes: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def open_warehouse(path: str | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the configured warehouse for one request, closed after it."""
    if not path:
        raise WarehouseUnavailable("No warehouse is configured for this service (set CLEARSIGHT_WAREHOUSE).")
    if not Path(path).is_file():
        raise WarehouseUnavailable("The configured warehouse file was not found.")
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as error:
        raise WarehouseUnavailable("The warehouse is in use by another process. Try again in a few minutes."
                                   ) from error
    try:
        yield con
    finally:
        con.close()


@contextmanager
def audited_write(con: duckdb.DuckDBPyConnection, sessions: Any, principal: Principal
                  ) -> Iterator[tuple[Session, User]]:
    """A warehouse write made by a signed-in account, with its audit entry in ``session``: the warehouse
    commits only after the audit entry has, so nothing is kept without its entry."""
    con.begin()
    try:
        with transaction(sessions) as session:
            user = session.get(User, principal.user_id)
            if user is None:
                raise HTTPException(401, "Sign in to use this page.")
            yield session, user
        con.commit()
    except BaseException:
        con.rollback()
        raise


def has_flags(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the flags stage has run on this warehouse (``harm_flag`` exists)."""
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'harm_flag'"
                            ).fetchall()[0][0])


def _scope(principal: Principal) -> tuple[str, list[Any]]:
    """The WHERE clause for the flags this principal may read."""
    if principal.role == Role.council_analyst:
        return "local_authority = ?", [principal.scope]
    if principal.role in (Role.national_auditor, Role.admin):
        return "TRUE", []
    return "FALSE", []


def _flag(row: tuple[Any, ...]) -> Flag:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["indicators"] = [part for part in str(values["indicators"] or "").split(";") if part]
    try:
        evidence = json.loads(values["evidence"] or "[]")
    except ValueError:
        evidence = []
    values["evidence"] = evidence if isinstance(evidence, list) else []
    return Flag(**values)


def list_flags(con: duckdb.DuckDBPyConnection, principal: Principal) -> list[Flag]:
    """The flags this principal may read, newest referral first, each with the decision in force."""
    where, params = _scope(principal)
    rows = con.execute(f"SELECT {', '.join(_COLUMNS)} FROM harm_flag WHERE {where} "  # noqa: S608 - fixed text
                       "ORDER BY referral_date DESC NULLS LAST, flag_id", params).fetchall()
    in_force = current_decisions(con)
    flags = [_flag(row) for row in rows]
    for flag in flags:
        flag.decision = in_force.get(flag.flag_id)
    return flags


def read_flag(con: duckdb.DuckDBPyConnection, principal: Principal, flag_id: str) -> Flag | None:
    """One flag when this principal may read it (None otherwise), with its decisions and, if allowed, quotes."""
    where, params = _scope(principal)
    rows = con.execute(f"SELECT {', '.join(_COLUMNS)} FROM harm_flag WHERE flag_id = ? AND {where}",  # noqa: S608
                       [flag_id, *params]).fetchall()
    if not rows:
        return None
    flag = _flag(rows[0])
    flag.decision = current_decisions(con).get(flag_id)
    history = con.execute("SELECT decision_id, decision, decided_by, decided_at, why, deleted_at, withdraws "
                          "FROM harm_flag_decision WHERE flag_id = ? ORDER BY decided_at, decision_id",
                          [flag_id]).fetchall()
    keys = ("decision_id", "decision", "decided_by", "decided_at", "why", "deleted_at", "withdraws")
    flag.history = [dict(zip(keys, row, strict=True)) for row in history]
    if may_see_quotes(principal, flag):
        quotes = con.execute("SELECT record_id, field, span_start, span_end, quote FROM harm_flag_quote "
                             "WHERE flag_id = ? ORDER BY record_id, field, span_start", [flag_id]).fetchall()
        keys = ("record_id", "field", "span_start", "span_end", "quote")
        flag.quotes = [dict(zip(keys, row, strict=True)) for row in quotes]
    return flag


def may_see_quotes(principal: Principal, flag: Flag) -> bool:
    """Quoted words: the council analyst of the flag's own council, and national auditors."""
    if principal.role == Role.national_auditor:
        return True
    return principal.role == Role.council_analyst and flag.local_authority == principal.scope


def decide(con: duckdb.DuckDBPyConnection, flag_id: str, decision: str, by: str, why: str) -> str:
    """Append a decision through the flags stage's library function; returns its decision_id."""
    return record_decision(con, flag_id, decision, by, why)
