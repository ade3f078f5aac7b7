"""JSON Schema (draft 2020-12) for one row of each table, as a submitter sends it after mapping.

A row here is the mapped form: standard field names, standard codes, ISO dates, real booleans and
numbers. Blank codes have already been applied, so a required field is present and not null; an
optional field may be absent or null. Cross-field rules and foreign keys cannot be said in JSON Schema,
so they travel as ``x-`` annotations for tools that want them; ingest enforces them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearsight.standard.export._common import (
    DATE_PATTERN,
    DATETIME_PATTERN,
    codes_pattern,
    size_limits,
    typed_example,
    write_json,
)
from clearsight.standard.model import FieldSpec, FieldType, Standard, Table

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_DIR = "json-schema"

_JSON_TYPES = {
    FieldType.string: "string",
    FieldType.integer: "integer",
    FieldType.number: "number",
    FieldType.boolean: "boolean",
    FieldType.date: "string",
    FieldType.datetime: "string",
    FieldType.code: "string",
    FieldType.codes: "string",
}


def schema_id(standard: Standard, table: Table) -> str:
    """A stable, versioned identifier; a URN because the schemas are not served from a fixed address."""
    return f"urn:clearsight:{standard.name}:{standard.version}:{table.name}"


def field_schema(spec: FieldSpec, standard: Standard) -> dict[str, Any]:
    """The schema of one field's value; optional fields also accept null (an empty cell)."""
    schema: dict[str, Any] = {"description": spec.description.strip()}
    json_type = _JSON_TYPES[spec.type]
    schema["type"] = json_type if spec.required else [json_type, "null"]
    rules = spec.constraints
    if spec.type is FieldType.date:
        schema.update(format="date", pattern=DATE_PATTERN)
    elif spec.type is FieldType.datetime:
        schema.update(format="date-time", pattern=DATETIME_PATTERN)
    elif spec.type is FieldType.code:
        codes: list[Any] = list(standard.codelist(spec.codelist or "").code_values())
        schema["enum"] = codes if spec.required else [*codes, None]
    elif spec.type is FieldType.codes:
        schema["pattern"] = codes_pattern(standard.codelist(spec.codelist or "").code_values())
    schema.update(size_limits(spec))
    example = typed_example(spec)
    if example is not None:
        schema["examples"] = [example]
    if spec.codelist:
        schema["x-codelist"] = spec.codelist
    if spec.blank_code:
        schema["default"] = spec.blank_code
        schema["x-blank-code"] = spec.blank_code
    if rules.not_in_future:
        schema["x-not-in-future"] = True
    if spec.identifier:
        schema["x-identifier"] = True
    if spec.protected_characteristic:
        schema["x-protected-characteristic"] = True
    return schema


def table_schema(standard: Standard, table: Table) -> dict[str, Any]:
    """The whole row schema of one table; unknown properties are refused so typos surface early."""
    return {
        "$schema": DIALECT,
        "$id": schema_id(standard, table),
        "title": table.title,
        "description": table.description.strip(),
        "type": "object",
        "properties": {spec.name: field_schema(spec, standard) for spec in table.fields},
        "required": [spec.name for spec in table.fields if spec.required],
        "additionalProperties": False,
        "x-clearsight-standard": standard.name,
        "x-clearsight-standard-version": standard.version,
        "x-clearsight-version": table.version,
        "x-primary-key": list(table.primary_key),
        "x-foreign-keys": [key.model_dump() for key in table.foreign_keys],
        "x-row-rules": [rule.model_dump(mode="json") for rule in table.rules],
    }


def export_json_schemas(standard: Standard, out_dir: Path) -> list[Path]:
    """Write ``json-schema/<table>.schema.json`` for every table, in the standard's order."""
    return [
        write_json(out_dir / SCHEMA_DIR / f"{table.name}.schema.json", table_schema(standard, table))
        for table in standard.tables.values()
    ]
