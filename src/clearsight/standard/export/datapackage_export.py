"""A Frictionless Data Package (v1) describing the standard's tables as CSV files, and its code lists.

The package lets any Frictionless tool (Python, R, the Open Data Editor) check a CSV extract against the
core data set without Clearsight installed. Each table resource points at ``data/<table>.csv``, written
here with just its header so that the package itself validates; analysts put their rows there. Code lists
ship as resources of their own, so a code's label and status travel with the data.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, get_args

from clearsight.standard.export._common import codes_pattern, size_limits, write_json, write_text
from clearsight.standard.model import Code, CodeList, FieldSpec, FieldType, Standard, Table

PROFILE = "tabular-data-package"
CODE_COLUMNS = ["code", "label", "description", "group", "status", "source"]
CODE_STATUSES = list(get_args(Code.model_fields["status"].annotation))

_TABLE_SCHEMA_TYPES = {
    FieldType.string: "string",
    FieldType.integer: "integer",
    FieldType.number: "number",
    FieldType.boolean: "boolean",
    FieldType.date: "date",
    FieldType.datetime: "datetime",
    FieldType.code: "string",
    FieldType.codes: "string",
}


def _unanchored(pattern: str) -> str:
    """Table Schema patterns are XML Schema regexes, implicitly anchored and without ``^``/``$``."""
    return pattern.removeprefix("^").removesuffix("$")


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def table_schema_field(spec: FieldSpec, standard: Standard) -> dict[str, Any]:
    """One Table Schema field: its type, and its constraints in Table Schema's own vocabulary."""
    field: dict[str, Any] = {
        "name": spec.name,
        "type": _TABLE_SCHEMA_TYPES[spec.type],
        "description": spec.description.strip(),
    }
    constraints: dict[str, Any] = {}
    if spec.required:
        constraints["required"] = True
    if spec.type is FieldType.code:
        constraints["enum"] = standard.codelist(spec.codelist or "").code_values()
    elif spec.type is FieldType.codes:
        codes = standard.codelist(spec.codelist or "").code_values()
        constraints["pattern"] = _unanchored(codes_pattern(codes))
    limits = size_limits(spec)
    if "pattern" in limits:
        limits["pattern"] = _unanchored(limits["pattern"])
    constraints.update(limits)
    if constraints:
        field["constraints"] = constraints
    return field


def table_resource(standard: Standard, table: Table) -> dict[str, Any]:
    """The resource for one table, with keys expressed so Frictionless checks them across files."""
    schema: dict[str, Any] = {
        "fields": [table_schema_field(spec, standard) for spec in table.fields],
        "missingValues": [""],
        "primaryKey": list(table.primary_key),
    }
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {
                "fields": list(key.fields),
                "reference": {"resource": key.table, "fields": list(key.table_fields)},
            }
            for key in table.foreign_keys
        ]
    return {
        "name": table.name,
        "title": table.title,
        "description": table.description.strip(),
        "version": table.version,
        "path": f"data/{table.name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }


def codelist_resource(codelist: CodeList) -> dict[str, Any]:
    """The resource for one code list; its name is prefixed so it can never clash with a table's."""
    fields: list[dict[str, Any]] = [
        {"name": "code", "type": "string", "constraints": {"required": True, "unique": True}},
        {"name": "label", "type": "string", "constraints": {"required": True}},
        {"name": "description", "type": "string"},
        {"name": "group", "type": "string"},
        {"name": "status", "type": "string", "constraints": {"required": True, "enum": CODE_STATUSES}},
        {"name": "source", "type": "string"},
    ]
    return {
        "name": f"codelist-{codelist.name}".replace("_", "-"),
        "title": codelist.title,
        "description": codelist.description.strip(),
        "version": codelist.version,
        "sources": [{"title": codelist.source}] if codelist.source else [],
        "path": f"codelists/{codelist.name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {"fields": fields, "missingValues": [""], "primaryKey": ["code"]},
    }


def export_datapackage(standard: Standard, out_dir: Path) -> tuple[Path, list[Path]]:
    """Write ``datapackage.json``, an empty CSV per table and a CSV per code list.

    Returns the descriptor's path and the CSV files written. The code list CSVs are written from the
    loaded standard rather than copied byte for byte, so they hold exactly what the package describes.
    """
    data_files = [
        write_text(out_dir / "data" / f"{table.name}.csv", _csv_text([table.field_names()]))
        for table in standard.tables.values()
    ]
    for codelist in standard.codelists.values():
        rows = [CODE_COLUMNS] + [
            [getattr(code, column) for column in CODE_COLUMNS] for code in codelist.codes
        ]
        data_files.append(write_text(out_dir / "codelists" / f"{codelist.name}.csv", _csv_text(rows)))
    descriptor = {
        "profile": PROFILE,
        "name": standard.name,
        "title": standard.title,
        "version": standard.version,
        "description": standard.description.strip(),
        "resources": [table_resource(standard, table) for table in standard.tables.values()]
        + [codelist_resource(standard.codelists[name]) for name in sorted(standard.codelists)],
    }
    return write_json(out_dir / "datapackage.json", descriptor), data_files
