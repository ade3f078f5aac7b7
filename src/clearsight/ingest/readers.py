"""Read one submitted file into an Arrow table of text cells, whatever its local format.

Every cell is read as text: types are checked later, by rules, so that a bad value quarantines its row
instead of failing the file. Each table gets a ``__row`` column: the 1-based number of the data row in
its file or sheet (header and title rows not counted), which every message and the quarantine name.
A file that cannot be read at all raises ``FileRejected`` with a plain reason; other files still load.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from clearsight.ingest.profile import FileMapping

csv.field_size_limit(1 << 30)  # huge fields are checked by TEXT-TOO-LONG on their row, not by the parser

ROW = "__row"
SNIFF_BYTES = 256 * 1024
MAX_XLSX_UNCOMPRESSED = 512 * 1024 * 1024
MAX_XLSX_RATIO = 200


class FileRejected(Exception):
    """A file that cannot be read as a table; ``code`` names the reason in the rule catalogue."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class RawTable:
    """A file's rows as text, positional columns ``c0..cN`` plus ``__row``."""

    header: list[str]
    data: pa.Table
    rows_in: int
    malformed: list[tuple[int, str]] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise FileRejected("FILE-MISSING", "the file does not exist")
    if path.stat().st_size == 0:
        raise FileRejected("FILE-EMPTY", "the file is empty")


def read_file(path: Path, mapping: FileMapping) -> RawTable:
    """Read ``path`` as the profile entry says; raise ``FileRejected`` when it cannot be a table."""
    _check_file(path)
    readers = {"csv": _read_csv, "xlsx": _read_xlsx, "json": _read_json, "parquet": _read_parquet}
    return readers[mapping.format](path, mapping)


def _positional(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def _with_rows(columns: list[list[str]], header: list[str], rows: list[int]) -> pa.Table:
    arrays = [pa.array(col, type=pa.string()) for col in columns]
    arrays.append(pa.array(rows, type=pa.int64()))
    return pa.table(arrays, names=[*_positional(len(header)), ROW])


# --- CSV -------------------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when it decodes as such, else Windows-1252, else Latin-1."""
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        try:
            raw.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


_NOT_CONTROL = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32))


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    controls = len(sample.translate(None, _NOT_CONTROL))  # counted in C: deleting every other byte
    return len(sample) > 0 and controls / len(sample) > 0.05


def _sniff_delimiter(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text, delimiters=",;\t|").delimiter
    except csv.Error:
        first = text.splitlines()[0] if text else ""
        return max(",;\t|", key=first.count)


def _read_csv(path: Path, mapping: FileMapping) -> RawTable:
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    if _looks_binary(sample):
        raise FileRejected("FILE-NOT-TEXT", "the file holds binary data, not delimited text")
    encoding = mapping.encoding or detect_encoding(path)
    try:
        text_sample = sample.decode(encoding, errors="replace")
    except LookupError as error:
        raise FileRejected("FILE-ENCODING", f"unknown encoding {encoding!r} in the profile") from error
    delimiter = mapping.delimiter or _sniff_delimiter(text_sample.lstrip("\ufeff"))
    try:
        reader = csv.reader(io.StringIO(text_sample.lstrip("\ufeff")), delimiter=delimiter)
        lines = list(itertools.islice(reader, mapping.header_row))  # only as far as the header
    except csv.Error as error:
        raise FileRejected("FILE-UNREADABLE", f"the file could not be read as delimited text: {error}") from error
    if len(lines) < mapping.header_row:
        raise FileRejected("FILE-NO-HEADER", f"no header row at line {mapping.header_row}")
    header = [name.strip() for name in lines[mapping.header_row - 1]]
    names = _positional(len(header))
    malformed_count = 0

    def count_malformed(row: pacsv.InvalidRow) -> str:
        nonlocal malformed_count
        malformed_count += 1
        return "skip"

    arrow_encoding = "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=mapping.header_row,
                encoding=arrow_encoding,
                block_size=64 * 1024 * 1024,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=count_malformed
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise FileRejected("FILE-UNREADABLE", f"the file could not be read as delimited text: {error}") from error
    if malformed_count:
        return _read_csv_slowly(path, mapping, header, encoding, delimiter)
    rows = pa.array(range(1, table.num_rows + 1), type=pa.int64())
    table = table.append_column(ROW, rows)
    return RawTable(header, table, table.num_rows, [], encoding, delimiter)


def _read_csv_slowly(path: Path, mapping: FileMapping, header: list[str], encoding: str, delimiter: str) -> RawTable:
    """Exact row numbers for a file with ragged rows: only broken files take this path."""
    width = len(header)
    columns: list[list[str]] = [[] for _ in range(width)]
    rows: list[int] = []
    malformed: list[tuple[int, str]] = []
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        for _ in range(mapping.header_row):
            next(reader, None)
        number = 0
        for record in reader:
            if not record:
                continue
            number += 1
            if len(record) != width:
                malformed.append((number, f"the row has {len(record)} fields but the header has {width}"))
                continue
            rows.append(number)
            for index, value in enumerate(record):
                columns[index].append(value)
    return RawTable(header, _with_rows(columns, header, rows), number, malformed, encoding, delimiter)


# --- Excel -----------------------------------------------------------------------------------------


def _check_zip(path: Path) -> None:
    """Refuse files that are not workbooks, and zip bombs, before any parser inflates them."""
    if not zipfile.is_zipfile(path):
        raise FileRejected("FILE-NOT-XLSX", "the file is not an Excel .xlsx workbook")
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        uncompressed = sum(member.file_size for member in members)
        compressed = max(1, sum(member.compress_size for member in members))
        if uncompressed > MAX_XLSX_UNCOMPRESSED or uncompressed / compressed > MAX_XLSX_RATIO:
            raise FileRejected(
                "FILE-ZIP-BOMB",
                f"the workbook would expand to {uncompressed:,} bytes ({uncompressed // compressed}x): refused",
            )
        if "xl/workbook.xml" not in {member.filename for member in members}:
            raise FileRejected("FILE-NOT-XLSX", "the file is a zip archive but not an Excel workbook")


def _cell_text(value: object, mapping: FileMapping) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return mapping.true_values[0] if value else mapping.false_values[0]
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.strftime(mapping.date_format)
        return value.strftime(mapping.datetime_format)
    if isinstance(value, date):
        return value.strftime(mapping.date_format)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if isinstance(value, str) else str(value)


def _open_workbook(path: Path):  # noqa: ANN202 (python_calamine is imported lazily)
    from python_calamine import CalamineWorkbook

    _check_zip(path)
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own error types for corrupt workbooks
        raise FileRejected("FILE-NOT-XLSX", f"the workbook could not be opened: {error}") from error


def _read_xlsx(path: Path, mapping: FileMapping, workbook: object = None) -> RawTable:
    if workbook is None:
        workbook = _open_workbook(path)
    if mapping.sheet not in workbook.sheet_names:
        sheets = ", ".join(workbook.sheet_names)
        raise FileRejected("FILE-NO-SHEET", f"the workbook has no sheet {mapping.sheet!r} (sheets: {sheets})")
    cells = workbook.get_sheet_by_name(mapping.sheet).to_python(skip_empty_area=False)
    if len(cells) < mapping.header_row:
        raise FileRejected("FILE-NO-HEADER", f"no header row at row {mapping.header_row} of sheet {mapping.sheet}")
    header = [_cell_text(value, mapping) for value in cells[mapping.header_row - 1]]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    body = cells[mapping.header_row :]
    while body and all(value in (None, "") for value in body[-1]):
        body.pop()
    count = len(body)
    span = max((len(record) for record in body), default=0)
    if any(len(record) != span for record in body):
        body = [list(record) + [None] * (span - len(record)) for record in body]
    # Column by column (a transpose in C), so that the per-cell work is one str.strip for text cells.
    cells_by_column = list(zip(*body, strict=True)) if body else []
    columns = [_column_text(column, mapping) for column in cells_by_column[:width]]
    columns += [[""] * count for _ in range(len(columns), width)]
    beyond = {
        index
        for column in cells_by_column[width:]
        for index, text in enumerate(_column_text(column, mapping))
        if text
    }
    malformed = [(index + 1, "the row has values beyond the last named column") for index in sorted(beyond)]
    if beyond:
        keep = [index for index in range(count) if index not in beyond]
        columns = [[column[index] for index in keep] for column in columns]
        rows = [index + 1 for index in keep]
    else:
        rows = list(range(1, count + 1))
    return RawTable(header, _with_rows(columns, header, rows), count, malformed)


def read_workbook(path: Path, mappings: list[FileMapping]) -> list[RawTable | tuple[str, str]]:
    """Every mapped sheet of one workbook, opened once: a table per sheet, or (code, message) for a sheet
    that cannot be read. Runs in a worker process (see ``load``), so nothing is raised across it."""
    try:
        _check_file(path)
        workbook = _open_workbook(path)
    except FileRejected as error:
        return [(error.code, error.message)] * len(mappings)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return [("FILE-UNREADABLE", type(error).__name__)] * len(mappings)
    results: list[RawTable | tuple[str, str]] = []
    for mapping in mappings:
        try:
            results.append(_read_xlsx(path, mapping, workbook))
        except FileRejected as error:
            results.append((error.code, error.message))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            results.append(("FILE-UNREADABLE", type(error).__name__))
    return results


def _column_text(column: tuple, mapping: FileMapping) -> list[str]:
    """A column's cells as trimmed text; cells of other types (dates, numbers, yes/no) as ``_cell_text``."""
    try:
        return list(map(str.strip, column))  # the common case: a column of text cells
    except TypeError:
        return [value.strip() if type(value) is str else _cell_text(value, mapping) for value in column]


# --- JSON and Parquet ------------------------------------------------------------------------------


def _read_json(path: Path, mapping: FileMapping) -> RawTable:
    text = path.read_text(encoding=mapping.encoding or "utf-8", errors="strict")
    try:
        stripped = text.lstrip()
        records = (
            json.loads(text) if stripped.startswith("[") else [json.loads(x) for x in text.splitlines() if x.strip()]
        )
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FileRejected("FILE-NOT-JSON", f"the file is not valid JSON: {error}") from error
    if not isinstance(records, list):
        raise FileRejected("FILE-NOT-JSON", "the JSON file must hold a list of records")
    header = list(dict.fromkeys(key for record in records if isinstance(record, dict) for key in record))
    malformed = [
        (number, "the record is not an object of named fields")
        for number, record in enumerate(records, start=1)
        if not isinstance(record, dict)
    ]
    rows = [number for number, record in enumerate(records, start=1) if isinstance(record, dict)]
    objects = [record for record in records if isinstance(record, dict)] if malformed else records
    columns = [_json_text([record.get(key) for record in objects], mapping) for key in header]
    return RawTable(header, _with_rows(columns, header, rows), len(records), malformed)


def _json_text(values: list, mapping: FileMapping) -> list[str]:
    """One field of every record as text: nested values as JSON, yes/no as the profile's words."""
    if all(type(value) is str for value in values):
        return values
    return [
        ""
        if value is None
        else json.dumps(value)
        if isinstance(value, (dict, list))
        else _cell_text(value, mapping)
        if isinstance(value, bool)
        else str(value)
        for value in values
    ]


def _read_parquet(path: Path, mapping: FileMapping) -> RawTable:
    import pyarrow.compute as pc

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise FileRejected("FILE-NOT-PARQUET", f"the file is not a readable Parquet file: {error}") from error
    arrays = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            # whole seconds: Arrow's %S would print fractions ("15:45:00.000") for millisecond timestamps
            text = pc.strftime(pc.cast(column, pa.timestamp("s")), format=mapping.datetime_format)
        elif pa.types.is_boolean(column.type):
            words = pa.array([mapping.false_values[0], mapping.true_values[0]], pa.string())
            text = pc.take(words, pc.cast(column, pa.int8()))
        elif pa.types.is_date(column.type):
            text = pc.strftime(column, format=mapping.date_format)
        else:
            text = pc.cast(column, pa.string())
        arrays.append(pc.fill_null(text, ""))
    header = list(table.column_names)
    rows = pa.array(range(1, table.num_rows + 1), type=pa.int64())
    data = pa.table([*arrays, rows], names=[*_positional(len(header)), ROW])
    return RawTable(header, data, table.num_rows, [])
