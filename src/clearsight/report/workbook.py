"""The report as an Excel workbook in the GSS style: a cover sheet, a notes sheet, then one sheet per table.

Following the Analysis Function's guidance on releasing statistics in spreadsheets: each table sheet
starts with its title in A1 and a few lines of context, has one table with a single header row, keeps
numbers as numbers and shorthand as text, and has no merged cells or colour-only meaning. Every text
cell goes through the formula-safe neutraliser, because category labels come from submitted data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearsight.report.publish import SHORTHAND
from clearsight.safe_output import neutralise


def _text(sheet: Any, row: int, column: int, value: Any, bold: bool = False, size: int | None = None) -> None:
    from openpyxl.styles import Font

    cell = sheet.cell(row=row, column=column, value=neutralise(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    if bold or size:
        cell.font = Font(bold=bold, size=size or 11)


def write_workbook(path: Path, document: dict[str, Any]) -> None:
    """Write ``report.xlsx`` from the same document model as the HTML page."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableStyleInfo

    book = Workbook()
    cover = book.active
    cover.title = "Cover"
    _text(cover, 1, 1, document["title"], bold=True, size=16)
    lines = [document["subtitle"], *document["summary"], "", "Contents", *[
        f"{t['sheet']}: {t['title']}" for t in document["tables"]], "Notes: shorthand, counting rules, notes",
        "", *document["about"]]
    for offset, line in enumerate(lines, start=2):
        _text(cover, offset, 1, line, bold=line == "Contents")
    cover.column_dimensions["A"].width = 120
    notes = book.create_sheet("Notes")
    _text(notes, 1, 1, "Notes", bold=True, size=14)
    _text(notes, 2, 1, "This worksheet contains one table: what the shorthand in the tables means.")
    _text(notes, 3, 1, "symbol", bold=True)
    _text(notes, 3, 2, "meaning", bold=True)
    for offset, (symbol, meaning) in enumerate(SHORTHAND.items(), start=4):
        _text(notes, offset, 1, symbol)
        _text(notes, offset, 2, meaning)
    notes.column_dimensions["B"].width = 110
    for number, item in enumerate(document["tables"], start=1):
        sheet = book.create_sheet(item["sheet"])
        _text(sheet, 1, 1, item["title"], bold=True, size=14)
        context = [item["description"], *item["notes"],
                   "This worksheet contains one table. Totals are rows whose category is Total. "
                   "[c] marks a withheld cell (see the Notes sheet).",
                   f"Source: tables/{item['name']}.csv of this report."]
        for offset, line in enumerate(context, start=2):
            _text(sheet, offset, 1, line)
        header = len(context) + 2
        for column, name in enumerate(item["columns"], start=1):
            _text(sheet, header, column, name, bold=True)
            sheet.column_dimensions[get_column_letter(column)].width = 18 if column > len(item["dimensions"]) else 34
        for row_offset, row in enumerate(item["rows"], start=header + 1):
            for column, name in enumerate(item["columns"], start=1):
                _text(sheet, row_offset, column, row.get(name))
        last = f"{get_column_letter(len(item['columns']))}{header + len(item['rows'])}"
        table = Table(displayName=f"table_{number}", ref=f"A{header}:{last}")  # a marked-up table for screen readers
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
        sheet.add_table(table)
        sheet.freeze_panes = sheet.cell(row=header + 1, column=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
