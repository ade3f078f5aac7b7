"""The contenders of bench_ingest.py; each returns the rows it handled."""

from __future__ import annotations

import fnmatch
from pathlib import Path

from clearsight.ingest.profile import RETURN_FILE, read_profile
from clearsight.ingest.readers import read_file
from clearsight.standard import FieldType, load_standard


def _files(submissions: str):
    for submitter in sorted(Path(submissions).iterdir()):
        if not (submitter / "profile.yaml").is_file():
            continue
        profile = read_profile(submitter / "profile.yaml")
        for path in sorted(submitter.rglob("*")):
            if path.is_file() and path.name not in (RETURN_FILE, "profile.yaml"):
                relative = path.relative_to(path.parent).as_posix()
                for mapping in profile.files:
                    if fnmatch.fnmatch(relative, mapping.pattern):
                        yield path, mapping
                        if mapping.format != "xlsx":
                            break


def _stop_fork_server() -> None:
    """Stop and reap the fork server that started ingest's workbook workers.

    Workers are the fork server's children, not this process's: their CPU time reaches this process's
    ``RUSAGE_CHILDREN`` only once the fork server has reaped them and been reaped itself. Without this the
    benchmark's CPU figure leaves out every workbook parsed in a worker.
    """
    from multiprocessing import forkserver

    server = forkserver._forkserver
    if getattr(server, "_forkserver_pid", None) is not None:
        server._stop()


def clearsight_ingest(submissions: str, scratch: str) -> dict:
    from clearsight import ingest

    db = Path(scratch) / "bench.duckdb"
    db.unlink(missing_ok=True)
    summary = ingest.run(Path(submissions), db)
    _stop_fork_server()
    return {"rows": summary.rows_in, "rows_loaded": summary.rows_loaded, "rows_quarantined": summary.rows_quarantined}


def bare_read(submissions: str, scratch: str) -> dict:
    """The floor: every file (every mapped sheet) read once by the fastest plain reader for its format.

    No checks, no mapping, no row numbers: pyarrow's CSV reader with the profile's delimiter and encoding
    (types inferred, as a plain call does), python-calamine with each workbook opened once and each mapped
    sheet read to Python rows, ``json.load``, ``pyarrow.parquet``.
    """
    import json

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from python_calamine import CalamineWorkbook

    rows = 0
    workbooks: dict[Path, CalamineWorkbook] = {}
    for path, mapping in _files(submissions):
        try:
            if mapping.format == "csv":
                encoding = {"utf-8": "utf8", "utf-8-sig": "utf8"}.get(mapping.encoding or "utf-8", mapping.encoding)
                table = pacsv.read_csv(
                    path,
                    read_options=pacsv.ReadOptions(skip_rows=mapping.header_row - 1, encoding=encoding),
                    parse_options=pacsv.ParseOptions(delimiter=mapping.delimiter or ",", newlines_in_values=True),
                )
                rows += table.num_rows
            elif mapping.format == "xlsx":
                if path not in workbooks:
                    workbooks = {path: CalamineWorkbook.from_path(str(path))}
                cells = workbooks[path].get_sheet_by_name(mapping.sheet).to_python(skip_empty_area=False)
                rows += len(cells) - mapping.header_row
            elif mapping.format == "json":
                with path.open(encoding=mapping.encoding or "utf-8") as handle:
                    rows += len(json.load(handle))
            else:
                rows += pq.read_table(path).num_rows
        except Exception:
            continue
    return {"rows": rows, "note": "pyarrow CSV, calamine (each workbook opened once), json.load, pyarrow Parquet"}


def clearsight_readers(submissions: str, scratch: str) -> dict:
    """Clearsight's own readers alone (text cells, row numbers, hostile-input checks): what ingest reads."""
    rows = 0
    for path, mapping in _files(submissions):
        try:
            rows += read_file(path, mapping).rows_in
        except Exception:
            continue
    return {"rows": rows}


def duckdb_bare_read_csv(submissions: str, scratch: str) -> dict:
    import duckdb

    from clearsight.ingest.readers import _sniff_delimiter, detect_encoding

    con = duckdb.connect()
    rows = 0
    for path, mapping in _files(submissions):
        if mapping.format != "csv":
            continue
        encoding = mapping.encoding or detect_encoding(path)
        if encoding not in ("utf-8", "utf-8-sig"):
            continue  # DuckDB reads only UTF-8 (and Latin-1/UTF-16) without an extension
        delimiter = mapping.delimiter or _sniff_delimiter(path.read_text(encoding=encoding)[:65536])
        rows += con.execute(
            "SELECT count(*) FROM read_csv(?, all_varchar=true, header=true, delim=?, skip=?)",
            [str(path), delimiter, mapping.header_row - 1],
        ).fetchone()[0]
    return {"rows": rows, "note": "UTF-8 CSV files only"}


def pandas_pandera_defaults(submissions: str, scratch: str) -> dict:
    """pandas + pandera as pandas is installed: ``read_excel``'s own engine for .xlsx (openpyxl)."""
    return pandas_pandera(submissions, scratch, excel_engine=None)


def pandas_pandera(submissions: str, scratch: str, excel_engine: str | None = "calamine") -> dict:
    """pandas + pandera, given the fastest Excel engine (python-calamine, which Clearsight uses too).

    Each mapped sheet is one ``read_excel`` call, as a pandas user writes it."""
    import pandas as pd
    import pandera.pandas as pa

    standard = load_standard()
    schemas = {}
    for table in standard.tables.values():
        columns = {}
        for spec in table.fields:
            checks = []
            if spec.codelist:
                if spec.type == FieldType.code:
                    checks.append(pa.Check.isin(standard.codelist(spec.codelist).code_values()))
            if spec.constraints.minimum is not None:
                checks.append(pa.Check.ge(spec.constraints.minimum))
            if spec.constraints.maximum is not None:
                checks.append(pa.Check.le(spec.constraints.maximum))
            if spec.constraints.max_length is not None:
                checks.append(pa.Check.str_length(max_value=spec.constraints.max_length))
            dtype = {
                FieldType.integer: "Int64", FieldType.number: "float64", FieldType.boolean: "boolean",
                FieldType.date: "datetime64[ns]", FieldType.datetime: "datetime64[ns]",
            }.get(spec.type, "string")
            columns[spec.name] = pa.Column(dtype, checks=checks, nullable=not spec.required, required=False)
        schemas[table.name] = pa.DataFrameSchema(columns, strict=False)
    rows = failures = 0
    for path, mapping in _files(submissions):
        try:
            if mapping.format == "csv":
                frame = pd.read_csv(path, dtype=str, encoding=mapping.encoding or "utf-8-sig",
                                    sep=mapping.delimiter, engine="python" if mapping.delimiter is None else "c",
                                    skiprows=mapping.header_row - 1, keep_default_na=False, encoding_errors="replace")
            elif mapping.format == "xlsx":
                frame = pd.read_excel(path, sheet_name=mapping.sheet, header=mapping.header_row - 1, dtype=str,
                                      engine=excel_engine)
            elif mapping.format == "json":
                frame = pd.read_json(path, dtype=str)
            else:
                frame = pd.read_parquet(path).astype(str)
        except Exception:
            continue
        frame = frame.rename(columns=mapping.columns)
        table = standard.table(mapping.table)
        for field, codes in mapping.codes.items():
            if field in frame:
                frame[field] = frame[field].replace(codes)
        for spec in table.fields:
            if spec.name not in frame:
                continue
            column = frame[spec.name].replace("", None)
            if spec.type in (FieldType.date, FieldType.datetime):
                fmt = mapping.date_format if spec.type == FieldType.date else mapping.datetime_format
                frame[spec.name] = pd.to_datetime(column, format=fmt, errors="coerce")
            elif spec.type == FieldType.integer:
                frame[spec.name] = pd.to_numeric(column, errors="coerce").astype("Int64")
            elif spec.type == FieldType.number:
                frame[spec.name] = pd.to_numeric(column, errors="coerce")
            elif spec.type == FieldType.boolean:
                frame[spec.name] = column.map(
                    lambda v, m=mapping: True if v in m.true_values else False if v in m.false_values else None
                ).astype("boolean")
            elif spec.blank_code:
                frame[spec.name] = column.fillna(spec.blank_code).astype("string")
            else:
                frame[spec.name] = column.astype("string")
        rows += len(frame)
        try:
            schemas[mapping.table].validate(frame, lazy=True)
        except pa.errors.SchemaErrors as error:
            failures += len(error.failure_cases)
    return {"rows": rows, "failure_cases": failures,
            "excel_engine": excel_engine or f"pandas default ({pd.__version__}: openpyxl)"}
