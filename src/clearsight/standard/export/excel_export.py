"""Excel submission templates: one workbook per table that police forces or councils submit.

Many submitters build their return by hand or from a report in Excel; a template whose header already
carries the standard's field names, whose coded columns offer only the standard's codes, and whose notes
say what every field means removes most of the mapping errors ingest would otherwise quarantine.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from clearsight.standard.export._common import (
    IDENTIFIER_MEANING,
    PROTECTED_MEANING,
    constraint_phrases,
    plain_number,
    submitted_tables,
    type_label,
)
from clearsight.standard.model import FieldSpec, FieldType, Standard, Table

TEMPLATE_DIR = "templates"
DATA_SHEET, NOTES_SHEET, CODES_SHEET, ABOUT_SHEET, LISTS_SHEET = "Data", "Notes", "Codes", "About", "Lists"
LAST_ROW = 1_048_576
"""Validations cover the whole column below the header, so no row a submitter adds escapes them."""

REQUIRED_FILL = PatternFill(fill_type="solid", fgColor="FFD966")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")

_NUMBER_FORMATS = {
    FieldType.date: "yyyy-mm-dd",
    FieldType.datetime: "yyyy-mm-dd hh:mm:ss",
    FieldType.string: "@",
    FieldType.code: "@",
    FieldType.codes: "@",
}
"""Text columns are formatted as text so that codes such as ``1`` and phone numbers keep their form."""


def _marks(spec: FieldSpec) -> str:
    return ", ".join(
        label
        for flag, label in (
            (spec.identifier, "identifier"),
            (spec.protected_characteristic, "protected characteristic"),
        )
        if flag
    )


def _required_words(spec: FieldSpec) -> str:
    if not spec.required:
        return "no"
    return f"yes (an empty cell is read as {spec.blank_code})" if spec.blank_code else "yes"


def _comment_text(spec: FieldSpec) -> str:
    lines = [
        " ".join(spec.description.split()),
        "",
        f"Type: {type_label(spec)}",
        f"Required: {_required_words(spec)}",
    ]
    if spec.codelist:
        lines.append(f"Code list: {spec.codelist} (see the Codes sheet)")
    lines += [f"Rule: {phrase}" for phrase in constraint_phrases(spec)]
    return "\n".join(lines)


def _write_lists(sheet: Worksheet, table: Table, standard: Standard) -> dict[str, str]:
    """One column per code list the table uses; returns each list's range, e.g. ``Lists!$A$2:$A$40``.

    A range is used rather than an inline list because Excel caps inline lists at 255 characters.
    """
    ranges: dict[str, str] = {}
    for spec in table.fields:
        if not spec.codelist or spec.codelist in ranges:
            continue
        column = get_column_letter(len(ranges) + 1)
        codes = standard.codelist(spec.codelist).code_values()
        sheet[f"{column}1"] = spec.codelist
        for row, code in enumerate(codes, start=2):
            sheet[f"{column}{row}"].value = code
            sheet[f"{column}{row}"].number_format = "@"
        ranges[spec.codelist] = f"{LISTS_SHEET}!${column}$2:${column}${len(codes) + 1}"
    return ranges


def _validation(spec: FieldSpec, ranges: dict[str, str]) -> DataValidation | None:
    """The drop-down or bound that Excel can check as the submitter types; None when there is none."""
    rules = spec.constraints
    if spec.codelist:
        several = spec.type is FieldType.codes
        return DataValidation(
            type="list",
            formula1=ranges[spec.codelist],
            allow_blank=True,
            errorStyle="information" if several else "stop",
            showErrorMessage=True,
            errorTitle="Not a code of the list",
            error=(
                f"Several codes of {spec.codelist} may be given, separated by ';'."
                if several
                else f"Choose a code of the {spec.codelist} list (see the Codes sheet)."
            ),
        )
    if spec.type is FieldType.boolean:
        return DataValidation(
            type="list",
            formula1='"TRUE,FALSE"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Not TRUE or FALSE",
            error="Enter TRUE or FALSE.",
        )
    if spec.type in (FieldType.integer, FieldType.number) and (
        rules.minimum is not None or rules.maximum is not None
    ):
        kind = "whole" if spec.type is FieldType.integer else "decimal"
        low, high = rules.minimum, rules.maximum
        if low is not None and high is not None:
            operator, first, second = "between", low, high
        elif low is not None:
            operator, first, second = "greaterThanOrEqual", low, None
        else:
            operator, first, second = "lessThanOrEqual", high, None
        return DataValidation(
            type=kind,
            operator=operator,
            formula1=str(plain_number(first)),
            formula2=None if second is None else str(plain_number(second)),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Out of range",
            error="; ".join(constraint_phrases(spec)),
        )
    if spec.type is FieldType.string and rules.max_length is not None:
        return DataValidation(
            type="textLength",
            operator="lessThanOrEqual",
            formula1=str(rules.max_length),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Too long",
            error=f"At most {rules.max_length} characters.",
        )
    return None


def _write_data(sheet: Worksheet, table: Table, ranges: dict[str, str]) -> None:
    for index, spec in enumerate(table.fields, start=1):
        column = get_column_letter(index)
        header = sheet.cell(row=1, column=index, value=spec.name)
        header.font = BOLD
        if spec.required:
            header.fill = REQUIRED_FILL
        comment = Comment(_comment_text(spec), "Clearsight")
        comment.width, comment.height = 320, 180
        header.comment = comment
        dimension = sheet.column_dimensions[column]
        dimension.width = max(len(spec.name) + 4, 20 if spec.type is FieldType.datetime else 14)
        if spec.type in _NUMBER_FORMATS:
            dimension.number_format = _NUMBER_FORMATS[spec.type]
        validation = _validation(spec, ranges)
        if validation is not None:
            validation.add(f"{column}2:{column}{LAST_ROW}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"


def _write_notes(sheet: Worksheet, table: Table) -> None:
    header = ["Field", "Type", "Required", "Code list", "Description", "Constraints", "Handling"]
    sheet.append(header)
    for spec in table.fields:
        sheet.append(
            [
                spec.name,
                type_label(spec),
                _required_words(spec),
                spec.codelist or "",
                " ".join(spec.description.split()),
                "; ".join(constraint_phrases(spec)),
                _marks(spec),
            ]
        )
    sheet.append([])
    for line in (
        "Headers shaded amber on the Data sheet are required fields: every row needs a value, except where "
        "an empty cell is read as a code for 'not recorded' (shown in the Required column).",
        f"Identifier: {IDENTIFIER_MEANING}",
        f"Protected characteristic: {PROTECTED_MEANING}",
        "Enter dates as yyyy-mm-dd and times as yyyy-mm-dd hh:mm:ss; true/false fields as TRUE or FALSE.",
    ):
        sheet.append([line])
    for cell in sheet[1]:
        cell.font = BOLD
    for letter, width in zip("ABCDEFG", (28, 22, 22, 26, 80, 40, 26), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2, max_row=len(table.fields) + 1):
        for cell in row:
            cell.alignment = WRAP
    sheet.freeze_panes = "A2"


def _write_codes(sheet: Worksheet, table: Table, standard: Standard) -> None:
    """Every code with its label, so the drop-downs' codes can be read without the docs at hand."""
    sheet.append(["Code list", "Code", "Label", "Status"])
    seen: set[str] = set()
    for spec in table.fields:
        if spec.codelist and spec.codelist not in seen:
            seen.add(spec.codelist)
            for code in standard.codelist(spec.codelist).codes:
                sheet.append([spec.codelist, code.code, code.label, code.status])
    for cell in sheet[1]:
        cell.font = BOLD
    for letter, width in zip("ABCD", (28, 12, 70, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"


def _write_about(sheet: Worksheet, table: Table, standard: Standard) -> None:
    rows = [
        ("Standard", standard.title),
        ("Standard name", standard.name),
        ("Standard version", standard.version),
        ("Table", table.name),
        ("Table title", table.title),
        ("Table version", table.version),
        ("Description", " ".join(table.description.split())),
        ("How to submit", "Fill in the Data sheet, one row per record, keeping the header row as it is."),
    ]
    for label, value in rows:
        sheet.append([label, value])
        sheet.cell(row=sheet.max_row, column=1).font = BOLD
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 100
    for cell in sheet["B"]:
        cell.alignment = WRAP


def build_template(standard: Standard, table: Table) -> Workbook:
    """The workbook for one table, sheets in the order a submitter needs them."""
    workbook = Workbook()
    data = workbook.active
    data.title = DATA_SHEET
    notes = workbook.create_sheet(NOTES_SHEET)
    codes = workbook.create_sheet(CODES_SHEET)
    about = workbook.create_sheet(ABOUT_SHEET)
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    _write_data(data, table, _write_lists(lists, table, standard))
    _write_notes(notes, table)
    _write_codes(codes, table, standard)
    _write_about(about, table, standard)
    workbook.properties.creator = "Clearsight"
    workbook.properties.title = f"{table.title}: submission template ({standard.name} {standard.version})"
    return workbook


def export_templates(standard: Standard, out_dir: Path) -> list[Path]:
    """Write ``templates/<table>.xlsx`` for each table a force or council submits."""
    folder = out_dir / TEMPLATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for table in submitted_tables(standard):
        path = folder / f"{table.name}.xlsx"
        build_template(standard, table).save(path)
        paths.append(path)
    return paths
