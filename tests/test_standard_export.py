"""The exported artefacts say what the standard says, validate in their own tools, and are reproducible.

Each artefact is checked with the tool its readers will use (jsonschema, frictionless, openpyxl) against
example rows built from the standard itself, so a change to a table or code list is tested without
editing this file.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import frictionless
import hypothesis.strategies as st
import jsonschema
import pytest
from hypothesis import find, settings
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

from clearsight.standard import FieldSpec, FieldType, Standard, Table, load_standard
from clearsight.standard.export import ExportSummary, export_standard

STANDARD = load_standard()
TABLES = list(STANDARD.tables.values())
SUBMITTED = [table for table in TABLES if {"force", "council", "any"} & set(table.submitted_by)]


def _ids(table: Table) -> str:
    return table.name


def _fields_of(kinds: tuple[FieldType, ...], required: bool | None = None) -> list[tuple[Table, FieldSpec]]:
    return [
        (table, spec)
        for table in TABLES
        for spec in table.fields
        if spec.type in kinds and (required is None or spec.required == required)
    ]


def _pair_id(pair: tuple[Table, FieldSpec]) -> str:
    return f"{pair[0].name}.{pair[1].name}"


# --- example rows built from the standard ------------------------------------------------------------


def example_value(spec: FieldSpec, standard: Standard) -> Any:
    """A valid value of the field's type: its declared example, else the simplest value that fits."""
    rules = spec.constraints
    if spec.type in (FieldType.code, FieldType.codes):
        return standard.codelist(spec.codelist or "").code_values()[0]
    if spec.type is FieldType.boolean:
        return True
    if spec.type is FieldType.date:
        return spec.example or "2024-01-31"
    if spec.type is FieldType.datetime:
        return spec.example or "2024-01-31T10:15:00Z"
    if spec.type in (FieldType.integer, FieldType.number):
        value = rules.minimum if rules.minimum is not None else min(1, rules.maximum or 1)
        return int(value) if spec.type is FieldType.integer else float(value) + 0.5
    if spec.example is not None:
        return spec.example
    if rules.pattern is not None:
        longest = rules.max_length or 10_000
        return find(
            st.from_regex(rules.pattern, fullmatch=True),
            lambda text: len(text) <= longest,
            settings=settings(database=None),
        )
    return "x" * max(1, rules.min_length or 1)


def example_rows(standard: Standard) -> dict[str, dict[str, Any]]:
    """One valid row per table, whose foreign keys point at the referenced table's example row."""
    rows: dict[str, dict[str, Any]] = {}
    for table in standard.tables.values():
        rows[table.name] = {spec.name: example_value(spec, standard) for spec in table.fields}
    for table in standard.tables.values():
        for key in table.foreign_keys:
            for field, target in zip(key.fields, key.table_fields, strict=True):
                rows[table.name][field] = rows[key.table][target]
    return rows


ROWS = example_rows(STANDARD)


# --- one export for the whole module -----------------------------------------------------------------


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportSummary]:
    out_dir = tmp_path_factory.mktemp("export")
    return out_dir, export_standard(out_dir, STANDARD)


@pytest.fixture(scope="session")
def out(exported: tuple[Path, ExportSummary]) -> Path:
    return exported[0]


def _schema(out: Path, table: Table) -> dict[str, Any]:
    return json.loads((out / "json-schema" / f"{table.name}.schema.json").read_text(encoding="utf-8"))


def _validator(out: Path, table: Table) -> jsonschema.Draft202012Validator:
    schema = _schema(out, table)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _errors(out: Path, table: Table, row: dict[str, Any]) -> list[str]:
    return [error.message for error in _validator(out, table).iter_errors(row)]


# --- summary -----------------------------------------------------------------------------------------


def test_summary_counts_what_was_written(exported: tuple[Path, ExportSummary]) -> None:
    out, summary = exported
    assert summary.standard_version == STANDARD.version
    assert len(summary.json_schemas) == len(STANDARD.tables)
    assert len(summary.templates) == len(SUBMITTED)
    assert all(path.is_file() for path in summary.files)
    listed = json.loads(json.dumps(summary.to_dict()))
    assert listed["counts"]["files"] == len(summary.files)
    assert listed["datapackage"] == "datapackage.json"
    assert any(STANDARD.version in line for line in summary.lines())


# --- JSON Schema -------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES, ids=_ids)
def test_json_schema_is_a_valid_schema_with_the_tables_markers(out: Path, table: Table) -> None:
    schema = _schema(out, table)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["x-clearsight-version"] == table.version
    assert list(schema["properties"]) == table.field_names()
    assert schema["required"] == [spec.name for spec in table.fields if spec.required]
    for spec in table.fields:
        prop = schema["properties"][spec.name]
        assert prop.get("x-identifier", False) == spec.identifier
        assert prop.get("x-protected-characteristic", False) == spec.protected_characteristic


@pytest.mark.parametrize("table", TABLES, ids=_ids)
def test_example_row_validates(out: Path, table: Table) -> None:
    assert _errors(out, table, ROWS[table.name]) == []


@pytest.mark.parametrize("table", TABLES, ids=_ids)
def test_optional_fields_may_be_null_or_absent(out: Path, table: Table) -> None:
    required = {spec.name for spec in table.fields if spec.required}
    only_required = {name: value for name, value in ROWS[table.name].items() if name in required}
    nulls = {**only_required, **{spec.name: None for spec in table.fields if not spec.required}}
    assert _errors(out, table, only_required) == []
    assert _errors(out, table, nulls) == []


@pytest.mark.parametrize("pair", _fields_of((FieldType.code, FieldType.codes)), ids=_pair_id)
def test_a_code_not_in_the_list_fails(out: Path, pair: tuple[Table, FieldSpec]) -> None:
    table, spec = pair
    assert _errors(out, table, {**ROWS[table.name], spec.name: "NOT-A-CODE"})


@pytest.mark.parametrize("pair", _fields_of((FieldType.codes,)), ids=_pair_id)
def test_several_codes_are_separated_by_semicolons(out: Path, pair: tuple[Table, FieldSpec]) -> None:
    table, spec = pair
    codes = STANDARD.codelist(spec.codelist or "").code_values()
    row = ROWS[table.name]
    assert _errors(out, table, {**row, spec.name: ";".join(codes[:3])}) == []
    assert _errors(out, table, {**row, spec.name: f"{codes[0]};NOT-A-CODE"})
    assert _errors(out, table, {**row, spec.name: f"{codes[0]}; {codes[-1]}"})


@pytest.mark.parametrize("pair", _fields_of(tuple(FieldType), required=True), ids=_pair_id)
def test_a_missing_or_null_required_field_fails(out: Path, pair: tuple[Table, FieldSpec]) -> None:
    table, spec = pair
    row = dict(ROWS[table.name])
    assert _errors(out, table, {**row, spec.name: None})
    del row[spec.name]
    assert _errors(out, table, row)


@pytest.mark.parametrize("pair", _fields_of((FieldType.date, FieldType.datetime)), ids=_pair_id)
def test_a_date_in_another_format_fails(out: Path, pair: tuple[Table, FieldSpec]) -> None:
    table, spec = pair
    for wrong in ("31/01/2024", "2024-1-31", "yesterday", "2024-01-31 10:15:00"):
        assert _errors(out, table, {**ROWS[table.name], spec.name: wrong}), wrong


@pytest.mark.parametrize("pair", _fields_of((FieldType.integer, FieldType.number)), ids=_pair_id)
def test_numbers_outside_their_bounds_fail(out: Path, pair: tuple[Table, FieldSpec]) -> None:
    table, spec = pair
    row = ROWS[table.name]
    assert _errors(out, table, {**row, spec.name: "12"}), "a number given as text is refused"
    if spec.constraints.minimum is not None:
        assert _errors(out, table, {**row, spec.name: spec.constraints.minimum - 1})
    if spec.constraints.maximum is not None:
        assert _errors(out, table, {**row, spec.name: spec.constraints.maximum + 1})


def test_unknown_fields_and_long_text_are_refused(out: Path) -> None:
    person = STANDARD.table("person")
    row = ROWS["person"]
    assert _errors(out, person, {**row, "shoe_size": 9})
    longest = person.field("record_id").constraints.max_length or 0
    assert _errors(out, person, {**row, "record_id": "x" * (longest + 1)})


# --- Frictionless data package -----------------------------------------------------------------------


def test_data_package_validates_and_covers_the_standard(out: Path) -> None:
    report = frictionless.validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])
    descriptor = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    paths = {resource["path"] for resource in descriptor["resources"]}
    assert {f"data/{name}.csv" for name in STANDARD.tables} <= paths
    assert {f"codelists/{name}.csv" for name in STANDARD.codelists} <= paths
    assert len(paths) == len(STANDARD.tables) + len(STANDARD.codelists)
    for name, codelist in STANDARD.codelists.items():
        with (out / "codelists" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            assert [row["code"] for row in csv.DictReader(handle)] == codelist.code_values()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _write_rows(folder: Path, rows: dict[str, dict[str, Any]]) -> None:
    for name, row in rows.items():
        fields = STANDARD.table(name).field_names()
        with (folder / "data" / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(fields)
            writer.writerow([_csv_value(row[field]) for field in fields])


def test_data_package_accepts_the_example_rows_and_refuses_a_bad_code(out: Path, tmp_path: Path) -> None:
    """Table Schema and JSON Schema must agree: the rows valid in one are valid in the other."""
    copy = tmp_path / "package"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("templates", "docs", "json-schema"))
    _write_rows(copy, ROWS)
    report = frictionless.validate(str(copy / "datapackage.json"))
    assert report.valid, report.flatten(["resourcePath", "type", "note"])
    _write_rows(copy, {"person": {**ROWS["person"], "sex": "NOT-A-CODE"}})
    report = frictionless.validate(str(copy / "datapackage.json"))
    assert not report.valid
    assert "constraint-error" in {error[1] for error in report.flatten(["resourcePath", "type"])}


# --- Excel templates ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def templates(out: Path) -> dict[str, Any]:
    return {table.name: load_workbook(out / "templates" / f"{table.name}.xlsx") for table in SUBMITTED}


@pytest.mark.parametrize("table", SUBMITTED, ids=_ids)
def test_template_header_notes_and_about(templates: dict[str, Any], table: Table) -> None:
    workbook = templates[table.name]
    assert workbook.sheetnames[0] == "Data"
    assert workbook["Lists"].sheet_state == "hidden"
    data = workbook["Data"]
    header = [cell.value for cell in data[1]]
    assert header == table.field_names()
    assert data.freeze_panes == "A2"
    for spec, cell in zip(table.fields, data[1], strict=True):
        assert cell.font.bold
        assert cell.comment is not None and " ".join(spec.description.split())[:40] in cell.comment.text
        assert (cell.fill.fill_type == "solid") == spec.required, spec.name
    notes_fields = [row[0] for row in workbook["Notes"].iter_rows(min_row=2, values_only=True)]
    assert notes_fields[: len(table.fields)] == table.field_names()
    about = dict(workbook["About"].iter_rows(values_only=True))
    assert about["Standard version"] == STANDARD.version
    assert about["Table version"] == table.version


@pytest.mark.parametrize("table", SUBMITTED, ids=_ids)
def test_template_coded_fields_drop_down_their_code_list(templates: dict[str, Any], table: Table) -> None:
    workbook = templates[table.name]
    data, lists = workbook["Data"], workbook["Lists"]
    validations = data.data_validations.dataValidation
    for index, spec in enumerate(table.fields, start=1):
        column = get_column_letter(index)
        covering = [
            validation
            for validation in validations
            if any(
                rng.min_col == index and rng.max_col == index and rng.min_row == 2 and rng.max_row >= 1000
                for rng in validation.sqref.ranges
            )
        ]
        if spec.codelist:
            assert len(covering) == 1, spec.name
            validation = covering[0]
            assert validation.type == "list"
            sheet, cells = validation.formula1.split("!")
            assert sheet == "Lists"
            min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
            codes = [lists.cell(row=row, column=min_col).value for row in range(min_row, max_row + 1)]
            assert min_col == max_col
            assert codes == STANDARD.codelist(spec.codelist).code_values(), spec.name
        elif spec.type is FieldType.boolean:
            assert [validation.formula1 for validation in covering] == ['"TRUE,FALSE"'], spec.name
        if spec.type is FieldType.date:
            assert data.column_dimensions[column].number_format == "yyyy-mm-dd"
        if spec.type is FieldType.datetime:
            assert data.column_dimensions[column].number_format == "yyyy-mm-dd hh:mm:ss"


def _to_excel(spec: FieldSpec, value: Any) -> Any:
    if spec.type is FieldType.date:
        return date.fromisoformat(value)
    if spec.type is FieldType.datetime:
        return datetime.fromisoformat(value.replace("Z", "")).replace(tzinfo=None)
    return value


def _from_excel(spec: FieldSpec, value: Any, schema: dict[str, Any]) -> Any:
    """A template cell as the mapped JSON value; an empty cell takes the field's blank code, if any."""
    if value is None:
        return schema["properties"][spec.name].get("default")
    if spec.type is FieldType.date:
        return value.date().isoformat()
    if spec.type is FieldType.datetime:
        return value.isoformat() + "Z"  # the template's times are taken as UTC here
    return value


@pytest.mark.parametrize("table", SUBMITTED, ids=_ids)
def test_a_row_typed_into_the_template_validates(out: Path, tmp_path: Path, table: Table) -> None:
    workbook = load_workbook(out / "templates" / f"{table.name}.xlsx")
    data = workbook["Data"]
    blanked = next((spec.name for spec in table.fields if spec.blank_code), None)
    for index, spec in enumerate(table.fields, start=1):
        if spec.name != blanked:
            data.cell(row=2, column=index, value=_to_excel(spec, ROWS[table.name][spec.name]))
    path = tmp_path / "filled.xlsx"
    workbook.save(path)
    values = next(load_workbook(path)["Data"].iter_rows(min_row=2, max_row=2, values_only=True))
    schema = _schema(out, table)
    row = {spec.name: _from_excel(spec, value, schema) for spec, value in zip(table.fields, values, strict=True)}
    if blanked:
        assert row[blanked] == table.field(blanked).blank_code
    assert _errors(out, table, row) == []


# --- Markdown ----------------------------------------------------------------------------------------


def test_every_table_and_code_list_has_a_page_naming_all_its_parts(out: Path) -> None:
    docs = out / "docs"
    for table in TABLES:
        page = (docs / "tables" / f"{table.name}.md").read_text(encoding="utf-8")
        assert page.startswith(f"# {table.title}\n")
        for spec in table.fields:
            assert f"| `{spec.name}`" in page, f"{table.name}.{spec.name}"
        for rule in table.rules:
            assert f"`{rule.code}`" in page
    for name, codelist in STANDARD.codelists.items():
        page = (docs / "codelists" / f"{name}.md").read_text(encoding="utf-8")
        for code in codelist.codes:
            assert f"| `{code.code}` |" in page, f"{name}: {code.code}"
        if any(code.status != "confirmed" for code in codelist.codes):
            assert "## Codes not confirmed against a source" in page


def test_every_link_in_the_docs_resolves(out: Path) -> None:
    docs = out / "docs"
    index = (docs / "index.md").read_text(encoding="utf-8")
    for name in [*STANDARD.tables, *STANDARD.codelists]:
        assert f"/{name}.md)" in index
    for page in docs.rglob("*.md"):
        for target in re.findall(r"\]\(([^)#]+)\)", page.read_text(encoding="utf-8")):
            if not target.startswith(("http://", "https://")):
                assert (page.parent / target).is_file(), f"{page.relative_to(docs)} -> {target}"


# --- reproducible ------------------------------------------------------------------------------------


def test_exporting_twice_gives_identical_bytes(out: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    export_standard(again, STANDARD)
    produced = sorted(path.relative_to(out) for path in out.rglob("*") if path.suffix in {".json", ".md", ".csv"})
    assert produced
    assert produced == sorted(
        path.relative_to(again) for path in again.rglob("*") if path.suffix in {".json", ".md", ".csv"}
    )
    for relative in produced:
        assert (out / relative).read_bytes() == (again / relative).read_bytes(), relative
