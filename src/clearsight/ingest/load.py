"""Load one return into the warehouse in a single transaction: all of it, or (if killed) none of it.

Rows that pass every error rule are loaded with lineage; every other row goes to quarantine with all its
reasons. For every file, rows in = rows loaded + rows quarantined.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from clearsight.ingest.profile import FileMapping
from clearsight.ingest.readers import ROW, FileRejected, RawTable, read_file
from clearsight.ingest.register import is_locked
from clearsight.ingest.returns import Return, ReturnFile
from clearsight.ingest.validate import ColumnReport, ident, quote, stage_file
from clearsight.standard import Standard, Table
from clearsight.warehouse import LINEAGE_COLUMNS


@dataclass
class FileResult:
    """What happened to one file (or one sheet of a workbook)."""

    file: str
    table: str | None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_with_warnings: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    rejected: str | None = None
    rules: dict[str, int] = field(default_factory=dict)
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    unmapped_codes: dict[str, int] = field(default_factory=dict)


@dataclass
class ReturnResult:
    """What happened to one return."""

    submission_id: str
    submitter_code: str
    label: str
    status: str  # loaded | already loaded
    files: list[FileResult] = field(default_factory=list)


@dataclass
class _Staged:
    key: str
    file: ReturnFile
    mapping: FileMapping
    table: Table
    raw: RawTable
    columns: ColumnReport
    result: FileResult


def fault_point(name: str) -> None:
    """Die here, as ``kill -9`` would, when CLEARSIGHT_FAULT names this point (used by the crash test)."""
    if os.environ.get("CLEARSIGHT_FAULT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def load_return(con: duckdb.DuckDBPyConnection, ret: Return, standard: Standard) -> ReturnResult:
    """Validate and load one return; a return already loaded (same files) is skipped."""
    sid = ret.submission_id
    result = ReturnResult(sid, ret.profile.submitter_code, ret.label, "loaded")
    if con.execute("SELECT count(*) FROM submission WHERE submission_id = ?", [sid]).fetchone()[0]:
        result.status = "already loaded"
        return result
    if is_locked(con, ret.profile.submitter_code, ret.info.period_start, ret.info.period_end):
        result.status = "locked"  # a signed-off, locked return is never superseded until it is unlocked
        return result
    con.execute("BEGIN TRANSACTION")
    try:
        staged = _stage_all(con, ret, standard, result)
        _cross_file_checks(con, staged, standard)
        _write(con, ret, staged, standard, result)
        fault_point("before-commit")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for item in locals().get("staged", []) or []:
            con.unregister(f"raw_{item.key}")
    return result


def _file_label(item: ReturnFile, mapping: FileMapping) -> str:
    return f"{item.name}#{mapping.sheet}" if mapping.format == "xlsx" else item.name


def _stage_all(con: duckdb.DuckDBPyConnection, ret: Return, standard: Standard, result: ReturnResult) -> list[_Staged]:
    staged: list[_Staged] = []
    received = ret.info.received_at.date()
    for item in ret.unmapped:
        rejected = FileResult(
            item.name, None, rejected="FILE-UNMAPPED: no entry of the submitter profile matches this file"
        )
        result.files.append(rejected)
    for item in ret.files:
        for mapping in item.mappings:
            label = _file_label(item, mapping)
            file_result = FileResult(label, mapping.table)
            result.files.append(file_result)
            try:
                raw = read_file(item.path, mapping)
            except FileRejected as error:
                file_result.rejected = f"{error.code}: {error.message}"
                continue
            except (OSError, UnicodeDecodeError, ValueError) as error:
                file_result.rejected = f"FILE-UNREADABLE: {type(error).__name__}"
                continue
            key = str(len(staged))
            con.register(f"raw_{key}", raw.data)
            table = standard.table(mapping.table)
            columns = stage_file(con, key, f"raw_{key}", raw, mapping, table, standard, received)
            file_result.rows_in = raw.rows_in
            file_result.encoding, file_result.delimiter = raw.encoding, raw.delimiter
            file_result.unknown_columns = columns.unknown + [f"{name} (mapped twice)" for name in columns.duplicated]
            file_result.missing_columns = columns.missing_required
            if raw.malformed:
                rows = ", ".join(f"({number}, {quote(reason)})" for number, reason in raw.malformed)
                con.execute(
                    f"INSERT INTO issues_{key} SELECT n, NULL, NULL, 'ROW-MALFORMED', 'error', reason "
                    f"FROM (VALUES {rows}) AS v(n, reason)"
                )
            staged.append(_Staged(key, item, mapping, table, raw, columns, file_result))
    return staged


def _key_of(table: Table) -> str:
    return ", ".join(ident(name) for name in table.primary_key)


def _cross_file_checks(con: duckdb.DuckDBPyConnection, staged: list[_Staged], standard: Standard) -> None:
    """Duplicate records within the return, then references to records that are absent or quarantined."""
    by_table: dict[str, list[_Staged]] = {}
    for item in staged:
        by_table.setdefault(item.table.name, []).append(item)
    for name, items in by_table.items():
        table = standard.table(name)
        key = _key_of(table)
        union = " UNION ALL ".join(
            f"SELECT {item.key} AS k, {ROW}, {quote(item.result.file)} AS f, {key} FROM typed_{item.key}"
            for item in items
        )
        not_null = " AND ".join(f"{ident(n)} IS NOT NULL" for n in table.primary_key)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE dups AS SELECT k, {ROW}, first_f, first_row FROM ("
            f"SELECT k, {ROW}, row_number() OVER w AS n, first_value(f) OVER w AS first_f, "
            f"first_value({ROW}) OVER w AS first_row FROM ({union}) WHERE {not_null} "
            f"WINDOW w AS (PARTITION BY {key} ORDER BY k, {ROW})) WHERE n > 1"
        )
        for item in items:
            con.execute(
                f"INSERT INTO issues_{item.key} SELECT {ROW}, {quote(', '.join(table.primary_key))}, NULL, "
                f"'KEY-DUPLICATE', 'error', 'the same record as row ' || first_row || ' of ' || first_f "
                f"FROM dups WHERE k = {item.key}"
            )
    for name in _dependency_order(standard, by_table):
        table = standard.table(name)
        for foreign in table.foreign_keys:
            targets = by_table.get(foreign.table, [])
            target_cols = ", ".join(ident(n) for n in foreign.table_fields)
            good = (
                " UNION ALL ".join(
                    f"SELECT {target_cols} FROM typed_{t.key} WHERE {ROW} NOT IN "
                    f"(SELECT {ROW} FROM issues_{t.key} WHERE severity = 'error')"
                    for t in targets
                )
                or f"SELECT {', '.join('NULL AS ' + ident(n) for n in foreign.table_fields)} WHERE FALSE"
            )
            pairs = zip(foreign.fields, foreign.table_fields, strict=True)
            on = " AND ".join(f"s.{ident(a)} = g.{ident(b)}" for a, b in pairs)
            present = " AND ".join(f"s.{ident(a)} IS NOT NULL" for a in foreign.fields)
            for item in by_table[name]:
                con.execute(
                    f"INSERT INTO issues_{item.key} SELECT s.{ROW}, {quote(', '.join(foreign.fields))}, "
                    f"s.{ident('__t_' + foreign.fields[0])}, 'REF-MISSING', 'error', "
                    f"{quote(_missing_reference_message(foreign.table))} "
                    f"FROM typed_{item.key} s WHERE {present} AND NOT EXISTS "
                    f"(SELECT 1 FROM ({good}) g WHERE {on})"
                )


def _missing_reference_message(table: str) -> str:
    return f"refers to a record of the {table} table that is not in this return, or was quarantined"


def _dependency_order(standard: Standard, present: dict[str, list[_Staged]]) -> list[str]:
    """Tables that are referenced before the tables that refer to them."""
    order: list[str] = []

    def visit(name: str, trail: tuple[str, ...] = ()) -> None:
        if name in order or name in trail:
            return
        for foreign in standard.table(name).foreign_keys:
            if foreign.table in present:
                visit(foreign.table, (*trail, name))
        order.append(name)

    for name in present:
        visit(name)
    return order


def _write(
    con: duckdb.DuckDBPyConnection, ret: Return, staged: list[_Staged], standard: Standard, result: ReturnResult
) -> None:
    sid, source = ret.submission_id, ret.profile.submitter_code
    for item in staged:
        key, label, table = item.key, item.result.file, item.table
        bad = f"(SELECT {ROW} FROM issues_{key} WHERE severity = 'error')"
        lineage = ", ".join(name for name, _ in LINEAGE_COLUMNS)
        fields = ", ".join(ident(name) for name in table.field_names())
        con.execute(
            f"INSERT INTO {ident(table.name)} ({lineage}, {fields}) SELECT {quote(sid)}, {quote(source)}, "
            f"{quote(label)}, {ROW}, {fields} FROM typed_{key} WHERE {ROW} NOT IN {bad} ORDER BY {ROW}"
        )
        fault_point("after-first-insert")
        pairs = ", ".join(f"{quote(h or f'column {i + 1}')}, c{i}" for i, h in enumerate(item.raw.header))
        raw_json = f"json_object({pairs})" if pairs else "'{}'"
        con.execute(
            f"INSERT INTO quarantine_row SELECT {quote(sid)}, {quote(source)}, {quote(label)}, "
            f"{quote(table.name)}, n, COALESCE(raw, '{{}}') "
            f"FROM (SELECT DISTINCT {ROW} AS n FROM issues_{key} WHERE severity = 'error') b "
            f"LEFT JOIN (SELECT {ROW}, CAST({raw_json} AS VARCHAR) AS raw FROM raw_{key}) r ON r.{ROW} = b.n"
        )
        con.execute(
            f"INSERT INTO validation_issue SELECT {quote(sid)}, {quote(source)}, {quote(label)}, {quote(table.name)}, "
            f"{ROW}, field, value, rule_code, severity, message FROM issues_{key}"
        )
        _count(con, item)
        _file_issues(con, sid, item)
    _submission_rows(con, ret, result, standard)


def _count(con: duckdb.DuckDBPyConnection, item: _Staged) -> None:
    key, res = item.key, item.result
    res.rows_quarantined = con.execute(
        f"SELECT count(DISTINCT {ROW}) FROM issues_{key} WHERE severity = 'error'"
    ).fetchone()[0]
    res.rows_loaded = res.rows_in - res.rows_quarantined
    res.rows_with_warnings = con.execute(
        f"SELECT count(DISTINCT {ROW}) FROM issues_{key} WHERE severity = 'warning' AND {ROW} NOT IN "
        f"(SELECT {ROW} FROM issues_{key} WHERE severity = 'error')"
    ).fetchone()[0]
    res.rules = dict(con.execute(f"SELECT rule_code, count(*) FROM issues_{key} GROUP BY 1 ORDER BY 1").fetchall())
    unmapped = con.execute(
        f"SELECT field || ': ' || value, count(*) FROM issues_{key} WHERE rule_code = 'CODE-UNKNOWN' "
        "GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall()
    res.unmapped_codes = dict(unmapped)


def _file_issues(con: duckdb.DuckDBPyConnection, sid: str, item: _Staged) -> None:
    """Column-level findings, by name and count, for the submitter to fix in their extract or profile."""
    res = item.result
    rows: list[tuple[str, str | None, int, str]] = []
    rows += [
        ("COLUMN-UNKNOWN", name, res.rows_in, "column not in the profile; not loaded") for name in res.unknown_columns
    ]
    rows += [("COLUMN-MISSING", name, res.rows_in, "required field has no column") for name in res.missing_columns]
    rows += [
        ("CODE-UNMAPPED", code, n, "local code neither standard nor mapped") for code, n in res.unmapped_codes.items()
    ]
    for code, subject, count, message in rows:
        con.execute("INSERT INTO file_issue VALUES (?, ?, ?, ?, ?, ?)", [sid, res.file, code, subject, count, message])


def _submission_rows(con: duckdb.DuckDBPyConnection, ret: Return, result: ReturnResult, standard: Standard) -> None:
    sid = ret.submission_id
    hashes = {f.name: f.sha256 for f in ret.files + ret.unmapped}
    seen: Counter[str] = Counter(hashes.values())
    for res in result.files:
        base = res.file.split("#", 1)[0]
        sheet = res.file.split("#", 1)[1] if "#" in res.file else None
        con.execute(
            "INSERT INTO submission_file VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)",
            [
                sid,
                base,
                sheet,
                hashes.get(base, ""),
                res.table,
                res.encoding,
                res.delimiter,
                res.rows_in,
                res.rows_loaded,
                res.rows_quarantined,
                res.rows_with_warnings,
                res.rejected,
            ],
        )
        if res.rejected:
            code, _, message = res.rejected.partition(": ")
            con.execute("INSERT INTO file_issue VALUES (?, ?, ?, NULL, 0, ?)", [sid, res.file, code, message])
    for name, digest in sorted(hashes.items()):
        if seen[digest] > 1:
            con.execute(
                "INSERT INTO file_issue VALUES (?, ?, 'FILE-DUPLICATE', NULL, 0, ?)",
                [sid, name, "same bytes as another file of the return"],
            )
    totals = [sum(getattr(r, name) for r in result.files) for name in ("rows_in", "rows_loaded", "rows_quarantined")]
    info = ret.info
    con.execute(
        "INSERT INTO submission VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            sid,
            ret.profile.submitter_code,
            ret.profile.submitter_type,
            ret.label,
            info.period_start,
            info.period_end,
            info.received_at,
            info.deadline,
            standard.version,
            datetime.now(UTC).replace(tzinfo=None),
            *totals,
        ],
    )
