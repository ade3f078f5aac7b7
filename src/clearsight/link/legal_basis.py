"""The legal basis on which each submitting source's records may be linked, recorded before they are.

Why a register and a refusal: linking a child's records across agencies is processing of special-category
data about children, lawful only on a basis each source states (for example UK GDPR Article 6(1)(e) with
Article 9(2)(g) and the Data Protection Act 2018, Schedule 1, paragraph 18, safeguarding of children).
`clearsight link` refuses to run while any source in the warehouse has no recorded basis, and says which.
Rows are only ever added (who, when, why); the latest row for a source is its basis, and a basis is
withdrawn by recording ``withdrawn``, which makes linkage refuse that source again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from clearsight.errors import ClearsightError

WITHDRAWN = "withdrawn"

DDL = """
CREATE TABLE IF NOT EXISTS link_legal_basis (
    source VARCHAR NOT NULL,
    basis VARCHAR NOT NULL,
    recorded_by VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    note VARCHAR NOT NULL
)
"""


@dataclass(frozen=True)
class Basis:
    source: str
    basis: str
    recorded_by: str
    recorded_at: datetime
    note: str


def record(con: duckdb.DuckDBPyConnection, source: str, basis: str, by: str, note: str = "") -> Basis:
    """Record (append) the basis on which ``source``'s records may be linked; ``withdrawn`` withdraws it."""
    source, basis, by = source.strip(), basis.strip(), by.strip()
    if not source or not basis or not by:
        raise ClearsightError("a legal basis needs a source, the basis in words and who records it (--by)")
    row = Basis(source, basis, by, datetime.now(UTC).replace(tzinfo=None), note.strip())
    con.execute(DDL)
    con.execute("INSERT INTO link_legal_basis VALUES (?, ?, ?, ?, ?)",
                [row.source, row.basis, row.recorded_by, row.recorded_at, row.note])
    return row


def current(con: duckdb.DuckDBPyConnection) -> dict[str, Basis]:
    """Each source's latest recorded basis, withdrawn ones left out."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "link_legal_basis" not in tables:
        return {}
    rows = con.execute(
        "SELECT source, basis, recorded_by, recorded_at, note FROM link_legal_basis "
        "QUALIFY row_number() OVER (PARTITION BY source ORDER BY recorded_at DESC, rowid DESC) = 1"
    ).fetchall()
    return {r[0]: Basis(*r) for r in rows if r[1] != WITHDRAWN}


def check(con: duckdb.DuckDBPyConnection, sources: set[str]) -> None:
    """Refuse, naming them, the sources that have no recorded legal basis for linkage."""
    have = current(con)
    missing = sorted(s for s in sources if s not in have)
    if missing:
        shown = ", ".join(missing[:20]) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
        raise ClearsightError(
            f"linkage refused: no legal basis is recorded for source(s) {shown}. Record each with "
            "`clearsight link-basis SOURCE \"BASIS\" --by NAME` (for example \"UK GDPR 6(1)(e), 9(2)(g); DPA 2018 "
            "Sch 1 para 18\") once its data-sharing agreement is confirmed."
        )
