"""Load returns into the warehouse in batches, each in one transaction: all of it, or (if killed) none.

A batch is a run of returns read, normalised (Arrow) and validated together (one SQL pass per standard
table), so that the cost per file is a read, not dozens of SQL statements. Rows that pass every error rule
are loaded with lineage; every other row goes to quarantine with all its reasons. For every file,
rows in = rows loaded + rows quarantined.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa

from clearsight.ingest.identifiers import BatchVault, SharedVault
from clearsight.ingest.normalise import normalise
from clearsight.ingest.outcome import count_outcomes, record_submissions, write_quarantine
from clearsight.ingest.profile import FileMapping
from clearsight.ingest.readers import ROW, FileRejected, RawTable, read_file, read_workbook
from clearsight.ingest.register import locked_periods
from clearsight.ingest.returns import Return, ReturnFile
from clearsight.ingest.validate import ColumnReport, Formats, ident, match_columns, quote, validate_table
from clearsight.progress import ProgressCallback, silent
from clearsight.standard import Standard, Table
from clearsight.warehouse import LINEAGE_COLUMNS

logger = logging.getLogger(__name__)

BATCH_BYTES = 32 * 1024 * 1024  # files per transaction: bounds memory, and lets reading overlap SQL
WORKBOOK_PROCESSES = 1  # workbooks are parsed in another process: calamine holds Python's lock while it parses
WORKBOOKS_FOR_PROCESSES = 8  # fewer workbooks than this are read in this process (starting one costs ~1 s)


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
    copy_of: str | None = None  # the file of the return with the same bytes, sent before this one


@dataclass
class ReturnResult:
    """What happened to one return."""

    submission_id: str
    submitter_code: str
    label: str
    status: str  # loaded | already loaded | locked
    files: list[FileResult] = field(default_factory=list)


@dataclass
class _File:
    key: int
    ret_key: int
    mapping: FileMapping
    table: Table
    raw: RawTable
    columns: ColumnReport
    result: FileResult
    normalised: pa.Table | None = None


def fault_point(name: str) -> None:
    """Die here, as ``kill -9`` would, when CLEARSIGHT_FAULT names this point (used by the crash test)."""
    if os.environ.get("CLEARSIGHT_FAULT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def load_returns(
    con: duckdb.DuckDBPyConnection,
    returns: list[Return],
    standard: Standard,
    db_path: str,
    progress: ProgressCallback = silent,
) -> list[ReturnResult]:
    """Validate and load every return; a return already loaded (same files) or locked is skipped.

    While one batch is validated and written (DuckDB, which runs outside Python's lock), a reader thread
    already reads and normalises the next, so that on two cores reading and SQL overlap; workbooks are
    parsed in a worker process, because calamine holds Python's lock while it parses. Batches are still
    loaded one after another, each in its own transaction.
    """
    results: list[ReturnResult] = []
    batches: list[list[tuple[Return, ReturnResult]]] = [[]]
    size = 0
    loaded = {row[0] for row in con.execute("SELECT submission_id FROM submission").fetchall()}
    locked = locked_periods(con)  # one query each, not two per return
    for ret in returns:
        result = ReturnResult(ret.submission_id, ret.profile.submitter_code, ret.label, "loaded")
        results.append(result)
        if ret.submission_id in loaded:
            result.status = "already loaded"
        elif (ret.profile.submitter_code, ret.info.period_start, ret.info.period_end) in locked:
            result.status = "locked"  # a signed-off, locked return is never superseded until unlocked
        else:
            loaded.add(ret.submission_id)
            if size >= BATCH_BYTES:
                batches.append([])
                size = 0
            batches[-1].append((ret, result))
            size += sum(f.path.stat().st_size for f in ret.files)
    batches = [batch for batch in batches if batch]
    done = len(returns) - sum(len(batch) for batch in batches)
    workbooks = sum(1 for batch in batches for ret, _ in batch for item in ret.files if _is_workbook(item))
    pool = _workbook_pool() if workbooks >= WORKBOOKS_FOR_PROCESSES else None
    # Workbooks of this batch and the next are parsed by the pool while the reader thread reads the flat
    # files and the main thread validates and writes: three streams of work on two cores.
    parsed = [_submit_workbooks(batch, pool) if number < 2 else None for number, batch in enumerate(batches)]
    vault = SharedVault(db_path)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="clearsight-read") as reader:
            pending = reader.submit(_read_all, batches[0], standard, parsed[0]) if batches else None
            for number, batch in enumerate(batches):
                assert pending is not None
                files, formats = pending.result()
                parsed[number] = None
                if number + 2 < len(batches):
                    parsed[number + 2] = _submit_workbooks(batches[number + 2], pool)
                following = number + 1 if number + 1 < len(batches) else None
                pending = (
                    reader.submit(_read_all, batches[following], standard, parsed[following])
                    if following is not None
                    else None
                )
                _load_batch(con, batch, files, formats, standard, vault)
                done += len(batch)
                progress("ingest returns", done, len(returns))
    finally:
        vault.close()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return results


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[tuple[Return, ReturnResult]],
    files: list[_File],
    formats: Formats,
    standard: Standard,
    shared: SharedVault,
) -> None:
    vault = BatchVault(con, shared)
    names: list[str] = []
    con.execute("BEGIN TRANSACTION")
    try:
        names = _register(con, batch, files)
        tables = sorted({f.table.name for f in files})
        for name in tables:
            validate_table(con, standard.table(name), standard, f"batch_{name}", formats)
        _malformed(con, files)
        _cross_file_checks(con, standard, tables)
        _write(con, standard, tables, files, vault)
        record_submissions(con, batch, files, standard)
        vault.commit()  # before the warehouse commits: a vault failure rolls the batch back
        fault_point("before-commit")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        vault.close()
        raise
    finally:
        for name in names:
            con.unregister(name)


def _label(item: ReturnFile, mapping: FileMapping) -> str:
    return f"{item.name}#{mapping.sheet}" if mapping.format == "xlsx" else item.name


def _workbook_pool() -> ProcessPoolExecutor:
    """Worker processes for workbooks, started at the first submit.

    Started from a fork server (a fresh, single-threaded interpreter that imports only the readers), not forked
    from this process: forking a process that runs other threads (DuckDB's, a test runner's, a service's)
    copies their half-held locks and half-built objects, and a forked worker was seen to crash in garbage
    collection. Each worker, as with spawning, imports the caller's main script as ``__mp_main__``: a script
    that calls ``ingest.run`` needs an ``if __name__ == "__main__":`` guard (the ``clearsight`` command has
    one); without it the workers fail to start, and their workbooks are read in this process instead
    (``_parse``). The workers only parse
    workbooks into Arrow tables; they never touch the warehouse, and exit without running the parent's
    cleanup. Where there is no fork server (not POSIX), workers are spawned.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["clearsight.ingest.readers"])
    else:
        context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        WORKBOOK_PROCESSES,
        mp_context=context,
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    )


def _exit_with_parent(parent: int) -> None:
    """In a worker: exit when the ingest that started it is gone (killed with ``kill -9``, say), rather
    than wait for work forever. The worker's own parent is the fork server, which exits when the ingest
    does; either sign is enough."""
    server = os.getppid()

    def gone() -> bool:
        if os.getppid() != server:
            return True
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def watch() -> None:
        while not gone():
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="clearsight-parent-watch").start()


def _is_workbook(item: ReturnFile) -> bool:
    return bool(item.mappings) and item.mappings[0].format == "xlsx"


_Sheets = list[RawTable | tuple[str, str]]


def _submit_workbooks(
    batch: list[tuple[Return, ReturnResult]], pool: ProcessPoolExecutor | None
) -> dict[str, Future[_Sheets]]:
    """Start parsing the batch's workbooks in the pool (nothing to start without one)."""
    if pool is None:
        return {}
    try:
        return {
            item.name: pool.submit(read_workbook, item.path, item.mappings)
            for ret, _ in batch
            for item in ret.files
            if _is_workbook(item)
        }
    except BrokenProcessPool:
        return {}  # a worker died: this batch's workbooks are read in this process


def _parse(item: ReturnFile, future: Future[_Sheets] | None) -> _Sheets:
    """A workbook's sheets: from its worker, or read here where it has none or its worker died (killed for
    memory, or a caller's script without a main guard: ``_workbook_pool``). Nothing is lost either way."""
    if future is not None:
        try:
            return future.result()
        except BrokenProcessPool:
            logger.warning("a workbook worker stopped; reading %s in the ingest process", item.name)
    return read_workbook(item.path, item.mappings)


def _read_one(item: ReturnFile, mapping: FileMapping) -> RawTable | tuple[str, str]:
    try:
        return read_file(item.path, mapping)
    except FileRejected as error:
        return (error.code, error.message)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return ("FILE-UNREADABLE", type(error).__name__)


def _read_all(
    batch: list[tuple[Return, ReturnResult]], standard: Standard, parsed: dict[str, Future[_Sheets]] | None = None
) -> tuple[list[_File], Formats]:
    files: list[_File] = []
    formats = Formats()
    for ret_key, (ret, result) in enumerate(batch):
        copies = ret.copies()
        for item in ret.unmapped:
            result.files.append(FileResult(item.name, None, rejected="FILE-UNMAPPED: no entry of the profile matches"))
        for item in ret.files:
            if _is_workbook(item):
                sheets = _parse(item, (parsed or {}).get(item.name))
            else:
                sheets = [_read_one(item, mapping) for mapping in item.mappings]
            for mapping, raw in zip(item.mappings, sheets, strict=True):
                file_result = FileResult(_label(item, mapping), mapping.table, copy_of=copies.get(item.name))
                result.files.append(file_result)
                if isinstance(raw, tuple):
                    file_result.rejected = f"{raw[0]}: {raw[1]}"
                    continue
                table = standard.table(mapping.table)
                columns = match_columns(raw, mapping, table)
                file_result.rows_in = raw.rows_in
                file_result.encoding, file_result.delimiter = raw.encoding, raw.delimiter
                file_result.unknown_columns = columns.unknown + [f"{c} (mapped twice)" for c in columns.duplicated]
                file_result.missing_columns = columns.missing_required
                files.append(_File(len(files), ret_key, mapping, table, raw, columns, file_result))
    groups: dict[tuple, list[_File]] = {}
    for entry in files:  # files read by one profile entry with one header are normalised together
        groups.setdefault((id(entry.mapping), entry.table.name, tuple(entry.raw.header)), []).append(entry)
    for group in groups.values():
        first = group[0]
        keys = pa.concat_tables(
            _keys(e, batch[e.ret_key][0].info.received_at.date(), formats) for e in group
        ).combine_chunks()
        data = pa.concat_tables(e.raw.data for e in group) if len(group) > 1 else first.raw.data
        raw = RawTable(first.raw.header, data, data.num_rows)
        first.normalised = normalise(raw, first.mapping, first.table, first.columns, keys)
    return files, formats


def _keys(entry: _File, received: date, formats: Formats) -> pa.Table:
    """Per row of one file: its return and file in the batch, the day the return came, its date formats."""
    n = entry.raw.data.num_rows
    return pa.table(
        {
            "__s": pa.array(np.full(n, entry.ret_key, dtype=np.int32)),
            "__k": pa.array(np.full(n, entry.key, dtype=np.int32)),
            "__received": pa.array(np.full(n, np.datetime64(received, "D"))).cast(pa.date32()),
            "__df": pa.array(np.full(n, formats.date_id(entry.mapping), dtype=np.int16)),
            "__dtf": pa.array(np.full(n, formats.datetime_id(entry.mapping), dtype=np.int16)),
        }
    )


def _register(
    con: duckdb.DuckDBPyConnection, batch: list[tuple[Return, ReturnResult]], files: list[_File]
) -> list[str]:
    by_table: dict[str, list[pa.Table]] = {}
    for entry in files:
        if entry.normalised is not None:  # the first file of each group holds the group's rows
            by_table.setdefault(entry.table.name, []).append(entry.normalised)
    names = []
    for name, parts in by_table.items():
        con.register(f"batch_{name}", pa.concat_tables(parts))
        names.append(f"batch_{name}")
    con.register(
        "batch_returns",
        pa.table(
            {
                "__s": pa.array(range(len(batch)), pa.int32()),
                "submission_id": [ret.submission_id for ret, _ in batch],
                "source": [ret.profile.submitter_code for ret, _ in batch],
            }
        ),
    )
    con.register(
        "batch_files",
        pa.table(
            {
                "__k": pa.array([f.key for f in files], pa.int32()),
                "label": [f.result.file for f in files],
            }
        ),
    )
    return [*names, "batch_returns", "batch_files"]


def _malformed(con: duckdb.DuckDBPyConnection, files: list[_File]) -> None:
    for entry in files:
        if entry.raw.malformed:
            rows = ", ".join(f"({number}, {quote(reason)})" for number, reason in entry.raw.malformed)
            con.execute(
                f"INSERT INTO issues_{entry.table.name} SELECT {entry.ret_key}, {entry.key}, n, NULL, NULL, "
                f"'ROW-MALFORMED', 'error', reason FROM (VALUES {rows}) AS v(n, reason)"
            )


def _missing_reference_message(table: str) -> str:
    return f"refers to a record of the {table} table that is not in this return, or was quarantined"


def _cross_file_checks(con: duckdb.DuckDBPyConnection, standard: Standard, tables: list[str]) -> None:
    """Records repeated within a return, then references to records absent from it or quarantined."""
    for name in tables:
        table = standard.table(name)
        key = ", ".join(ident(n) for n in table.primary_key)
        not_null = " AND ".join(f"{ident(n)} IS NOT NULL" for n in table.primary_key)
        con.execute(
            f"INSERT INTO issues_{name} SELECT d.__s, d.__k, d.{ROW}, {quote(', '.join(table.primary_key))}, NULL, "
            f"'KEY-DUPLICATE', 'error', 'the same record as row ' || d.first_row || ' of ' || f.label FROM ("
            f"SELECT __s, __k, {ROW}, row_number() OVER w AS n, first_value(__k) OVER w AS first_k, "
            f"first_value({ROW}) OVER w AS first_row FROM typed_{name} WHERE {not_null} "
            f"WINDOW w AS (PARTITION BY __s, {key} ORDER BY __k, {ROW})) d "
            "JOIN batch_files f ON f.__k = d.first_k WHERE d.n > 1"
        )
    for name in _dependency_order(standard, tables):
        for foreign in standard.table(name).foreign_keys:
            target_cols = ", ".join(f"g.{ident(n)}" for n in foreign.table_fields)
            if foreign.table in tables:
                good = (
                    f"SELECT g.__s, {target_cols} FROM typed_{foreign.table} g WHERE NOT EXISTS (SELECT 1 FROM "
                    f"issues_{foreign.table} i WHERE i.severity = 'error' AND i.__k = g.__k AND i.{ROW} = g.{ROW})"
                )
            else:
                good = f"SELECT NULL::INTEGER AS __s, {', '.join('NULL AS ' + ident(n) for n in foreign.table_fields)}"
            pairs = zip(foreign.fields, foreign.table_fields, strict=True)
            on = " AND ".join(f"s.{ident(a)} = g.{ident(b)}" for a, b in pairs)
            present = " AND ".join(f"s.{ident(a)} IS NOT NULL" for a in foreign.fields)
            con.execute(
                f"INSERT INTO issues_{name} SELECT s.__s, s.__k, s.{ROW}, {quote(', '.join(foreign.fields))}, "
                f"s.{ident('__t_' + foreign.fields[0])}, 'REF-MISSING', 'error', "
                f"{quote(_missing_reference_message(foreign.table))} FROM typed_{name} s WHERE {present} "
                f"AND NOT EXISTS (SELECT 1 FROM ({good}) g WHERE g.__s = s.__s AND {on})"
            )


def _dependency_order(standard: Standard, present: list[str]) -> list[str]:
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
    con: duckdb.DuckDBPyConnection, standard: Standard, tables: list[str], files: list[_File], vault: BatchVault
) -> None:
    lineage = ", ".join(name for name, _ in LINEAGE_COLUMNS)
    by_key = {entry.key: entry for entry in files}
    for name in tables:
        table = standard.table(name)
        fields = ", ".join(ident(n) for n in table.field_names())
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE errors_{name} AS SELECT DISTINCT __k, {ROW} FROM issues_{name} "
            "WHERE severity = 'error'"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW kept_{name} AS SELECT r.submission_id, r.source, f.label AS file_name, "
            f"t.{ROW} AS row_number, t.__s, t.__k, {', '.join('t.' + ident(n) for n in table.field_names())} "
            f"FROM typed_{name} t JOIN batch_returns r ON r.__s = t.__s JOIN batch_files f ON f.__k = t.__k "
            f"WHERE NOT EXISTS (SELECT 1 FROM errors_{name} e WHERE e.__k = t.__k AND e.{ROW} = t.{ROW})"
        )
        source = vault.protect(table, f"kept_{name}")
        con.execute(
            f"INSERT INTO {ident(name)} ({lineage}, {fields}) SELECT {lineage}, {fields} FROM {source} "
            "ORDER BY submission_id, file_name, row_number"
        )
        fault_point("after-first-insert")
        con.execute(
            f"INSERT INTO validation_issue SELECT r.submission_id, r.source, f.label, {quote(name)}, i.{ROW}, "
            f"i.field, i.value, i.rule_code, i.severity, i.message FROM issues_{name} i "
            "JOIN batch_returns r ON r.__s = i.__s JOIN batch_files f ON f.__k = i.__k "
            f"ORDER BY f.label, i.{ROW}, i.rule_code"
        )
        write_quarantine(con, name, by_key)
        count_outcomes(con, name, by_key)
