"""Human judgements about pairs of records: 'same', 'not same' or 'unsure', kept forever and replayed each run.

Why a log, not a flag on the pair: a judgement is evidence with an author, a time and a reason, and an
auditor must be able to see what was believed when. Rows are only ever added; withdrawing a judgement
stamps ``deleted_at`` on it (the one change allowed), so the history stays readable. A record is named by
its source and its own record id (``SOURCE:RECORD_ID``), which outlive resubmissions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import duckdb

from clearsight.errors import ClearsightError

DDL = """
CREATE TABLE IF NOT EXISTS link_judgement (
    judgement_id VARCHAR PRIMARY KEY,
    record_a VARCHAR NOT NULL,
    record_b VARCHAR NOT NULL,
    judgement VARCHAR NOT NULL CHECK (judgement IN ('same', 'not_same', 'unsure')),
    made_by VARCHAR NOT NULL,
    made_at TIMESTAMP NOT NULL,
    reason VARCHAR NOT NULL,
    deleted_at TIMESTAMP,
    deleted_by VARCHAR
)
"""


class Judgement(StrEnum):
    same = "same"
    not_same = "not_same"
    unsure = "unsure"


@dataclass(frozen=True)
class PairJudgement:
    record_a: str
    record_b: str
    judgement: Judgement


def record_key(source: str, record_id: str) -> str:
    """How a judgement names a record."""
    return f"{source}:{record_id}"


def _pair(a: str, b: str) -> tuple[str, str]:
    for name in (a, b):
        if ":" not in name:
            raise ClearsightError(f"{name!r}: name a record as SOURCE:RECORD_ID (for example E23000002:N-004211)")
    if a == b:
        raise ClearsightError("a judgement needs two different records")
    return (a, b) if a < b else (b, a)


def record(
    con: duckdb.DuckDBPyConnection, a: str, b: str, judgement: Judgement | str, by: str, why: str
) -> str:
    """Add a judgement (the pair's latest live judgement is the one that counts); return its id."""
    if not by.strip() or not why.strip():
        raise ClearsightError("a judgement needs who made it (--by) and why (--why)")
    con.execute(DDL)
    first, second = _pair(a, b)
    judgement_id = str(uuid.uuid4())
    con.execute(
        "INSERT INTO link_judgement VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
        [judgement_id, first, second, str(Judgement(judgement)), by, _now(), why],
    )
    return judgement_id


def withdraw(con: duckdb.DuckDBPyConnection, judgement_id: str, by: str) -> None:
    """Stamp a judgement as withdrawn; it stays in the log."""
    con.execute(DDL)
    updated = con.execute(
        "UPDATE link_judgement SET deleted_at = ?, deleted_by = ? WHERE judgement_id = ? AND deleted_at IS NULL "
        "RETURNING judgement_id",
        [_now(), by, judgement_id],
    ).fetchall()
    if not updated:
        raise ClearsightError(f"no live judgement {judgement_id}")


def live(con: duckdb.DuckDBPyConnection) -> list[PairJudgement]:
    """The judgement that counts for each pair: its latest one not withdrawn."""
    con.execute(DDL)
    rows = con.execute(
        "SELECT record_a, record_b, judgement FROM (SELECT *, row_number() OVER (PARTITION BY record_a, record_b "
        "ORDER BY made_at DESC, judgement_id DESC) AS n FROM link_judgement WHERE deleted_at IS NULL) WHERE n = 1 "
        "ORDER BY record_a, record_b"
    ).fetchall()
    return [PairJudgement(a, b, Judgement(j)) for a, b, j in rows]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
