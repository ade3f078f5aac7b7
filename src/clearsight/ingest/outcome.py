"""What a batch's load leaves behind besides the rows: quarantined rows as sent, counts, submissions, files.

Split from ``load`` so that each module stays readable: these run inside the batch's transaction, after the
valid rows are written, and fill the access-controlled ``quarantine_row``, each file's counts (rows in =
rows loaded + rows quarantined) and the ``submission``, ``submission_file`` and ``file_issue`` tables.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from clearsight.ingest.readers import ROW
from clearsight.ingest.validate import quote
from clearsight.standard import Standard

if TYPE_CHECKING:
    from clearsight.ingest.load import ReturnResult, _File
    from clearsight.ingest.returns import Return


def write_quarantine(con: duckdb.DuckDBPyConnection, name: str, by_key: dict[int, _File]) -> None:
    """Each quarantined row as the submitter sent it (their column names), for the access-controlled report."""
    rows: dict[str, list] = {k: [] for k in ("__s", "__k", "row_number", "raw_row")}
    query = f"SELECT __k, list({ROW} ORDER BY {ROW}) FROM errors_{name} GROUP BY __k ORDER BY __k"
    for key, numbers in con.execute(query).fetchall():
        entry = by_key[key]
        data = entry.raw.data
        picked = data.filter(pc.is_in(data[ROW], value_set=pa.array(numbers, pa.int64())))
        headers = [h or f"column {i + 1}" for i, h in enumerate(entry.raw.header)]
        found = {
            record[ROW]: json.dumps(
                {h: record[f"c{i}"] for i, h in enumerate(headers)}, ensure_ascii=False, separators=(",", ":")
            )
            for record in picked.to_pylist()
        }
        for number in numbers:
            rows["__s"].append(entry.ret_key)
            rows["__k"].append(key)
            rows["row_number"].append(number)
            rows["raw_row"].append(found.get(number, "{}"))  # a malformed row has no columns to show
    con.register(
        "quarantine_batch",
        pa.table(
            {
                "__s": pa.array(rows["__s"], pa.int32()),
                "__k": pa.array(rows["__k"], pa.int32()),
                "row_number": pa.array(rows["row_number"], pa.int64()),
                "raw_row": pa.array(rows["raw_row"], pa.string()),
            }
        ),
    )
    con.execute(
        f"INSERT INTO quarantine_row SELECT r.submission_id, r.source, f.label, {quote(name)}, q.row_number, "
        "q.raw_row FROM quarantine_batch q JOIN batch_files f ON f.__k = q.__k JOIN batch_returns r ON r.__s = q.__s "
        "ORDER BY f.label, q.row_number"
    )
    con.unregister("quarantine_batch")


def count_outcomes(con: duckdb.DuckDBPyConnection, name: str, by_key: dict[int, _File]) -> None:
    per_row = (
        f"SELECT __k, {ROW}, bool_or(severity = 'error') AS e, bool_or(severity = 'warning') AS w "
        f"FROM issues_{name} GROUP BY __k, {ROW}"
    )
    for key, quarantined, warned in con.execute(
        f"SELECT __k, count(*) FILTER (WHERE e), count(*) FILTER (WHERE w AND NOT e) FROM ({per_row}) GROUP BY __k"
    ).fetchall():
        result = by_key[key].result
        result.rows_quarantined, result.rows_with_warnings = quarantined, warned
    for key, code, count in con.execute(
        f"SELECT __k, rule_code, count(*) FROM issues_{name} GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall():
        by_key[key].result.rules[code] = count
    for key, code, count in con.execute(
        f"SELECT __k, field || ': ' || value, count(*) FROM issues_{name} WHERE rule_code = 'CODE-UNKNOWN' "
        "GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2"
    ).fetchall():
        by_key[key].result.unmapped_codes[code] = count
    for entry in by_key.values():
        if entry.table.name == name:
            entry.result.rows_loaded = entry.result.rows_in - entry.result.rows_quarantined


def record_submissions(
    con: duckdb.DuckDBPyConnection, batch: list[tuple[Return, ReturnResult]], files: list[_File], standard: Standard
) -> None:
    """The submissions, their files and the column-level findings (by name and count), inserted in bulk."""
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    file_rows: list[tuple] = []
    issue_rows: list[tuple] = []
    submission_rows: list[tuple] = []
    for ret, result in batch:
        sid = ret.submission_id
        hashes = {f.name: f.sha256 for f in ret.files + ret.unmapped}
        for res in result.files:
            base, _, sheet = res.file.partition("#")
            file_rows.append(
                (
                    sid,
                    base,
                    sheet or None,
                    hashes.get(base, ""),
                    res.table,
                    None,
                    res.encoding,
                    res.delimiter,
                    res.rows_in,
                    res.rows_loaded,
                    res.rows_quarantined,
                    res.rows_with_warnings,
                    res.rejected,
                )
            )
            issue_rows += [
                (sid, res.file, "COLUMN-UNKNOWN", c, res.rows_in, "column not in the profile; not loaded")
                for c in res.unknown_columns
            ]
            issue_rows += [
                (sid, res.file, "COLUMN-MISSING", c, res.rows_in, "required field has no column")
                for c in res.missing_columns
            ]
            issue_rows += [
                (sid, res.file, "CODE-UNMAPPED", c, n, "local code neither standard nor mapped")
                for c, n in res.unmapped_codes.items()
            ]
            if res.rejected:
                code, _, message = res.rejected.partition(": ")
                issue_rows.append((sid, res.file, code, None, 0, message))
        issue_rows += _copies(sid, ret)
        totals = [sum(getattr(r, n) for r in result.files) for n in ("rows_in", "rows_loaded", "rows_quarantined")]
        info = ret.info
        submission_rows.append(
            (
                sid,
                ret.profile.submitter_code,
                ret.profile.submitter_type,
                ret.label,
                info.period_start,
                info.period_end,
                info.received_at,
                info.deadline,
                standard.version,
                loaded_at,
                *totals,
            )
        )
    for table, rows in (("submission_file", file_rows), ("file_issue", issue_rows), ("submission", submission_rows)):
        _insert_rows(con, table, rows)


def _copies(sid: str, ret: Return) -> list[tuple]:
    """A file sent twice: the copy is named with the file it copies (whose rows are the ones loaded)."""
    return [
        (
            sid,
            name,
            "FILE-DUPLICATE",
            None,
            0,
            f"a copy of {original} (the same bytes), sent twice: the rows of {original} are loaded and "
            "each row of this copy is quarantined as KEY-DUPLICATE",
        )
        for name, original in ret.copies().items()
    ]


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Insert Python rows in one statement through Arrow, in the table's own column order and types."""
    if not rows:
        return
    empty = con.sql(f"SELECT * FROM {table} LIMIT 0").to_arrow_table()
    names = empty.schema.names
    columns = list(zip(*rows, strict=True))
    data = pa.table(
        [pa.array(list(values), empty.schema.field(i).type) for i, values in enumerate(columns)], names=names
    )
    con.register("bookkeeping_rows", data)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM bookkeeping_rows")
    finally:
        con.unregister("bookkeeping_rows")
