"""Write CSV and Excel files that a spreadsheet cannot be tricked into running (formula injection).

Submitted data is hostile by default: a cell value such as ``=HYPERLINK("http://evil","click")`` or
``@SUM(1+1)*cmd|' /C calc'!A0`` that reaches an analyst's spreadsheet runs as a formula. Every CSV or
Excel file Clearsight writes (quarantine reports, scorecards, report tables) goes through this module, so
that no writer can forget. Following OWASP's advice, text whose first character a spreadsheet reads as the
start of a formula gets a leading single quote; numbers stay numbers, so a genuine -3 is still -3.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from numbers import Number
from pathlib import Path
from typing import Any

__all__ = ["FORMULA_TRIGGERS", "neutralise", "write_csv", "write_xlsx"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""Characters that start a formula: ASCII = + - @, tab and carriage return (OWASP), and their full-width
forms, which some spreadsheet programs normalise to ASCII before parsing."""

_LEADING_BLANKS = " \n\u00a0\u3000"
_BAD_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\]")

Row = Mapping[str, Any] | Sequence[Any]


def neutralise(value: Any) -> Any:
    """Make one cell safe: text a spreadsheet would read as a formula gets a leading ``'``.

    Numbers, booleans, dates and ``None`` are returned unchanged (a spreadsheet shows them as values, and a
    numeric -1 must stay a number). Any other object is written as its text, so it is checked as text. Text
    that starts with blanks before a trigger (`` =1+1``) is treated as a trigger too, because some programs
    trim before parsing.
    """
    if value is None or isinstance(value, bool | Number | Decimal | date | datetime):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.lstrip(_LEADING_BLANKS).startswith(FORMULA_TRIGGERS) or text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _cells(row: Row, columns: Sequence[str]) -> list[Any]:
    if isinstance(row, Mapping):
        return [neutralise(row.get(column)) for column in columns]
    values = list(row)
    if len(values) != len(columns):
        raise ValueError(f"a row has {len(values)} values for {len(columns)} columns")
    return [neutralise(value) for value in values]


def write_csv(path: Path | str, rows: Iterable[Row], columns: Sequence[str], encoding: str = "utf-8") -> int:
    """Write a CSV with a header row, every cell neutralised; returns the number of data rows written.

    ``rows`` are mappings (missing keys are written empty) or sequences in the order of ``columns``. Lines
    end with CRLF (RFC 4180), so that a cell holding a carriage return or newline is always quoted.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with target.open("w", encoding=encoding, newline="") as handle:
        # RFC 4180 line ends: with "\n" alone, the csv module would not quote a cell holding "\r".
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([neutralise(column) for column in columns])
        for row in rows:
            writer.writerow(["" if cell is None else cell for cell in _cells(row, columns)])
            written += 1
    return written


def _sheet_title(name: str, taken: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique without regard to case."""
    base = _BAD_SHEET_CHARACTERS.sub("_", name).strip("'") or "Sheet"
    title, number = base[:31], 1
    while title.lower() in taken:
        number += 1
        suffix = f" ({number})"
        title = base[: 31 - len(suffix)] + suffix
    taken.add(title.lower())
    return title


def write_xlsx(path: Path | str, sheets: Mapping[str, tuple[Sequence[str], Iterable[Row]]]) -> dict[str, int]:
    """Write a workbook with one sheet per entry ``name -> (columns, rows)``; returns rows written per sheet.

    Besides neutralising, every text cell is stored as a string (openpyxl would otherwise store text that
    starts with ``=`` as a formula), so the workbook holds no formula at all.
    """
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    counts: dict[str, int] = {}
    for name, (columns, rows) in sheets.items():
        sheet = workbook.create_sheet(_sheet_title(name, taken))
        sheet.append([neutralise(column) for column in columns])
        written = 0
        for row in rows:
            sheet.append(_cells(row, columns))
            written += 1
        for line in sheet.iter_rows():
            for cell in line:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
        counts[name] = written
    if not sheets:
        workbook.create_sheet("Empty")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    return counts
