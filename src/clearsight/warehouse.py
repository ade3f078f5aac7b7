"""The analytical warehouse (DuckDB): its schema, derived from the standard, and how stages open it.

Every submitted table is stored with lineage columns (which submission, file and row each row came from).
Views named ``current_<table>`` hold only rows of the latest submission for each submitter and period,
so that a corrected resubmission supersedes the earlier one while the history stays queryable.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from clearsight.standard import FieldType, Standard, Table, load_standard

SQL_TYPES: dict[FieldType, str] = {
    FieldType.string: "VARCHAR",
    FieldType.integer: "BIGINT",
    FieldType.number: "DOUBLE",
    FieldType.boolean: "BOOLEAN",
    FieldType.date: "DATE",
    FieldType.datetime: "TIMESTAMP",
    FieldType.code: "VARCHAR",
    FieldType.codes: "VARCHAR",
}

LINEAGE_COLUMNS = (
    ("submission_id", "VARCHAR NOT NULL"),
    ("source", "VARCHAR NOT NULL"),
    ("file_name", "VARCHAR NOT NULL"),
    ("row_number", "BIGINT NOT NULL"),
)

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS submission (
    submission_id VARCHAR PRIMARY KEY,
    submitter_code VARCHAR NOT NULL,
    submitter_type VARCHAR NOT NULL,
    return_label VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    received_at TIMESTAMP NOT NULL,
    deadline DATE,
    standard_version VARCHAR NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    rows_in BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS submission_file (
    submission_id VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    sheet VARCHAR,
    sha256 VARCHAR NOT NULL,
    table_name VARCHAR,
    file_format VARCHAR,
    encoding VARCHAR,
    delimiter VARCHAR,
    rows_in BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    rows_with_warnings BIGINT NOT NULL,
    rejected_reason VARCHAR
);
CREATE TABLE IF NOT EXISTS file_issue (
    submission_id VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    issue_code VARCHAR NOT NULL,
    subject VARCHAR,
    occurrences BIGINT NOT NULL,
    message VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine_row (
    submission_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    row_number BIGINT NOT NULL,
    raw_row VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS validation_issue (
    submission_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    row_number BIGINT NOT NULL,
    field VARCHAR,
    value VARCHAR,
    rule_code VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    message VARCHAR NOT NULL
);
CREATE OR REPLACE VIEW submission_current AS
SELECT s.*,
       s.submission_id = first_value(s.submission_id) OVER (
           PARTITION BY s.submitter_code, s.period_start, s.period_end
           ORDER BY s.received_at DESC, s.submission_id DESC) AS is_current,
       lead(s.submission_id) OVER (
           PARTITION BY s.submitter_code, s.period_start, s.period_end
           ORDER BY s.received_at, s.submission_id) AS superseded_by
FROM submission s;
"""


def table_columns(table: Table) -> list[tuple[str, str]]:
    """The warehouse columns of a standard table: lineage first, then the standard's fields."""
    return [*LINEAGE_COLUMNS, *((spec.name, SQL_TYPES[spec.type]) for spec in table.fields)]


def submitted_tables(standard: Standard) -> list[Table]:
    """Tables that forces or councils submit (the service's own tables live in the service database)."""
    return [t for t in standard.tables.values() if {"force", "council"} & set(t.submitted_by)]


def ensure_schema(con: duckdb.DuckDBPyConnection, standard: Standard | None = None) -> None:
    """Create every warehouse table and view that does not exist yet (idempotent)."""
    standard = standard or load_standard()
    con.execute(_BOOKKEEPING)
    for table in submitted_tables(standard):
        columns = ", ".join(f'"{name}" {sql_type}' for name, sql_type in table_columns(table))
        con.execute(f'CREATE TABLE IF NOT EXISTS "{table.name}" ({columns})')
        con.execute(
            f'CREATE OR REPLACE VIEW "current_{table.name}" AS SELECT t.* FROM "{table.name}" t '
            "JOIN submission_current s USING (submission_id) WHERE s.is_current"
        )


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, creating its schema when writable."""
    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only:
        ensure_schema(con)
    return con
