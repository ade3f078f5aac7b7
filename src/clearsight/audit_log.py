"""Append-only, hash-chained audit log of sign-ins, reads of personal data, changes and exports.

Why a chain: an audit log is only evidence if a database administrator cannot quietly rewrite it. Each entry
stores ``hash = SHA-256(canonical entry + prev_hash)``, so editing, inserting, deleting or reordering a row
breaks the chain at that row, and :meth:`AuditLog.verify` names the first broken ``seq`` and says which of
those it looks like. Rewriting the *whole tail* with freshly computed hashes is the one thing a bare chain
cannot see; :meth:`AuditLog.head` gives ``(seq, hash)`` to keep elsewhere (a ticket, a printout) and
``verify(expected_head=...)`` checks against it. The database also refuses UPDATE and DELETE on the table
(triggers), so tampering needs DDL rights, not just a stray query.

The log is used by the web service (entries written in the same transaction as the change they record, so a
change is never committed without its entry) and by the CLI (``clearsight audit-log verify``). Details must
not hold personal data: they are checked for the obvious identifying keys and for long free text.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, Text, create_engine, select, text

GENESIS_HASH = "0" * 64
_metadata = MetaData()
audit_log_table = Table(
    "audit_log",
    _metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("role", String(40), nullable=False),
    Column("action", String(80), nullable=False),
    Column("object", String(200), nullable=False),
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
_PERSONAL_KEYS = frozenset({"name", "forename", "surname", "email", "postcode", "address", "date_of_birth", "dob",
                            "phone", "ip", "child_name", "reporter_name", "description"})
_MAX_DETAIL_TEXT = 80
_PG_LOCK_KEY = 7_402_118_991  # any constant: serialises appends across processes on PostgreSQL
_process_lock = threading.Lock()


class PersonalDataInAuditDetails(ValueError):
    """Raised when a caller tries to put identifying data into an entry's details."""


@dataclass(frozen=True)
class AuditEntry:
    """One entry as stored."""

    seq: int
    at: str
    actor: str
    role: str
    action: str
    object: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of walking the chain: ``ok``, or the first broken ``seq``, a ``kind`` and a plain reason."""

    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    kind: str | None = None  # edited | inserted | deleted | reordered
    reason: str = ""

    def message(self) -> str:
        if self.ok:
            return f"audit log intact: {self.entries} entries, head seq {self.head_seq} hash {self.head_hash}"
        return f"audit log broken at seq {self.broken_seq} ({self.kind}): {self.reason}"


def canonical_details(details: dict[str, Any] | None) -> str:
    """Details as canonical JSON, refusing personal data (keys that identify, or long free text)."""
    details = details or {}
    for key, value in details.items():
        if key.lower() in _PERSONAL_KEYS:
            raise PersonalDataInAuditDetails(f"audit details must not hold personal data (key {key!r})")
        if isinstance(value, str) and len(value) > _MAX_DETAIL_TEXT:
            raise PersonalDataInAuditDetails(f"audit details must not hold free text (key {key!r})")
        if isinstance(value, dict | list):
            raise PersonalDataInAuditDetails(f"audit details must be flat (key {key!r})")
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(seq: int, at: str, actor: str, role: str, action: str, obj: str, details_json: str,
               prev_hash: str) -> str:
    """SHA-256 over the canonical entry (every field but the hash, details re-canonicalised) + prev_hash."""
    body = json.dumps(
        {"seq": seq, "at": at, "actor": actor, "role": role, "action": action, "object": obj,
         "details": json.loads(details_json)},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256((body + prev_hash).encode("utf-8")).hexdigest()


def create_schema(connection: Connection) -> None:
    """Create the table and the triggers that refuse UPDATE and DELETE (idempotent; used by migrations too)."""
    _metadata.create_all(connection, checkfirst=True)
    if connection.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            connection.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
        )
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        connection.exec_driver_sql(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()"
        )


def drop_guards(connection: Connection) -> None:
    """Remove the append-only triggers: what a tampering administrator would do first (tests use it)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class AuditLog:
    """The audit log in one database, reached through an SQLAlchemy engine or a database URL."""

    def __init__(self, engine_or_url: Engine | str) -> None:
        self.engine = create_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url

    def ensure_schema(self) -> None:
        """Create the table when it is not there (the service's migrations do this for it)."""
        with self.engine.begin() as connection:
            create_schema(connection)

    def append(self, actor: str, role: str, action: str, obj: str, details: dict[str, Any] | None = None,
               *, connection: Connection | None = None) -> AuditEntry:
        """Add one entry. Pass ``connection`` to write inside the caller's transaction (atomic with its change).

        Appends are serialised: a process-wide lock, plus ``pg_advisory_xact_lock`` on PostgreSQL; on SQLite
        the service opens write transactions with ``BEGIN IMMEDIATE``, which serialises them across processes.
        """
        details_json = canonical_details(details)
        if connection is None:
            with self.engine.begin() as own:
                return self.append(actor, role, action, obj, details, connection=own)
        with _process_lock:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            last = connection.execute(
                select(audit_log_table.c.seq, audit_log_table.c.hash).order_by(audit_log_table.c.seq.desc()).limit(1)
            ).first()
            seq = (last.seq + 1) if last else 1
            prev_hash = last.hash if last else GENESIS_HASH
            at = _now()
            digest = entry_hash(seq, at, actor, role, action, obj, details_json, prev_hash)
            connection.execute(audit_log_table.insert().values(
                seq=seq, at=at, actor=actor, role=role, action=action, object=obj, details=details_json,
                prev_hash=prev_hash, hash=digest,
            ))
        return AuditEntry(seq, at, actor, role, action, obj, json.loads(details_json), prev_hash, digest)

    def entries(self, *, limit: int | None = None, newest_first: bool = False) -> list[AuditEntry]:
        """Entries in chain order (or newest first), for display; details parsed."""
        order = audit_log_table.c.seq.desc() if newest_first else audit_log_table.c.seq
        query = select(audit_log_table).order_by(order)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [AuditEntry(r.seq, r.at, r.actor, r.role, r.action, r.object, json.loads(r.details), r.prev_hash,
                           r.hash) for r in rows]

    def head(self) -> tuple[int, str]:
        """The last entry's ``(seq, hash)``: keep it outside the database to detect a rewritten tail."""
        with self.engine.connect() as connection:
            last = connection.execute(
                select(audit_log_table.c.seq, audit_log_table.c.hash).order_by(audit_log_table.c.seq.desc()).limit(1)
            ).first()
        return (last.seq, last.hash) if last else (0, GENESIS_HASH)

    def verify(self, expected_head: tuple[int, str] | None = None) -> VerifyResult:
        """Walk the chain from seq 1; name the first broken entry and whether it was edited, inserted, deleted
        or reordered. ``expected_head`` (from :meth:`head`, kept elsewhere) also catches a removed or rewritten
        tail."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(audit_log_table).order_by(audit_log_table.c.seq)).all()
        return _walk(rows, expected_head)


def _walk(rows: list[Any], expected_head: tuple[int, str] | None) -> VerifyResult:
    position_of_hash = {row.hash: index for index, row in enumerate(rows)}
    head_seq, head_hash = (rows[-1].seq, rows[-1].hash) if rows else (0, GENESIS_HASH)

    def broken(row: Any, kind: str, reason: str) -> VerifyResult:
        return VerifyResult(False, len(rows), head_seq, head_hash, row.seq if row is not None else None, kind,
                            reason)

    previous_hash = GENESIS_HASH
    for index, row in enumerate(rows):
        expected_seq = index + 1
        if row.seq != expected_seq:
            return broken(row, "deleted", f"entries {expected_seq} to {row.seq - 1} are missing")
        try:
            own_ok = entry_hash(row.seq, row.at, row.actor, row.role, row.action, row.object, row.details,
                                row.prev_hash) == row.hash
        except (ValueError, TypeError):
            own_ok = False
        if row.prev_hash != previous_hash:
            linked = position_of_hash.get(row.prev_hash)
            linked = None if linked == index else linked
            if linked is not None and linked < index - 1:
                first = rows[linked + 1].seq
                return broken(rows[linked + 1], "inserted",
                              f"entries {first} to {row.seq - 1} are not in the chain (entry {row.seq} follows "
                              f"entry {rows[linked].seq})")
            if linked is not None and linked > index:
                return broken(row, "reordered", f"entry {row.seq} was written after entry {rows[linked].seq}")
            if index == len(rows) - 1 and linked is None:
                return broken(row, "inserted", f"entry {row.seq} does not follow entry {row.seq - 1}: appended "
                              "outside the log")
            if index == 0:
                return broken(row, "edited", "entry 1 does not start the chain")
            if not own_ok:
                return broken(row, "deleted", f"entry {row.seq} does not follow entry {row.seq - 1}: entries were "
                              "removed and the rest renumbered")
            return broken(rows[index - 1], "edited", f"entry {row.seq - 1} was rewritten (its hash recomputed), "
                          f"so entry {row.seq} no longer follows it")
        if not own_ok:
            return broken(row, "edited", f"entry {row.seq}'s content does not match its hash")
        previous_hash = row.hash
    if expected_head is not None:
        seq, digest = expected_head
        if head_seq < seq:
            return VerifyResult(False, len(rows), head_seq, head_hash, head_seq + 1, "deleted",
                                f"the log ends at seq {head_seq} but the kept head is seq {seq}")
        kept = next((row for row in rows if row.seq == seq), None)
        if kept is None or kept.hash != digest:
            return VerifyResult(False, len(rows), head_seq, head_hash, seq, "edited",
                                f"entry {seq}'s hash differs from the kept head: the chain was rewritten")
    return VerifyResult(True, len(rows), head_seq, head_hash)
