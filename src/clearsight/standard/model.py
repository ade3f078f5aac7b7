"""The core data set's own vocabulary: tables, fields, code lists and rules, as pydantic models.

The standard itself lives as data (YAML and CSV under ``data/``); these classes only give it types, so that
every exporter, the ingest validator and the synthetic generator read one source of truth.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class FieldType(StrEnum):
    """Logical types a field may take; exporters map each to JSON Schema, Frictionless, Excel and SQL."""

    string = "string"
    integer = "integer"
    number = "number"
    boolean = "boolean"
    date = "date"
    datetime = "datetime"
    code = "code"  # one code from a code list
    codes = "codes"  # several codes from one code list, separated by ';'


class Severity(StrEnum):
    """An error quarantines the row; a warning loads it and is reported."""

    error = "error"
    warning = "warning"


class Code(BaseModel):
    """One entry of a code list."""

    model_config = ConfigDict(frozen=True)

    code: str
    label: str
    description: str = ""
    group: str = ""
    status: Literal["confirmed", "partial", "unconfirmed", "local"] = "confirmed"
    source: str = ""


class CodeList(BaseModel):
    """A named list of codes with its provenance."""

    name: str
    title: str
    description: str
    source: str
    version: str = "1.0.0"
    codes: list[Code] = Field(default_factory=list)

    def code_values(self) -> list[str]:
        return [code.code for code in self.codes]

    def label_of(self, code: str) -> str:
        for entry in self.codes:
            if entry.code == code:
                return entry.label
        raise KeyError(f"{code!r} is not in code list {self.name!r}")


class Constraints(BaseModel):
    """Simple per-field constraints; each becomes a validation rule at ingest."""

    model_config = ConfigDict(extra="forbid")

    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    not_in_future: bool = False


class FieldSpec(BaseModel):
    """One field of a table."""

    model_config = ConfigDict(extra="forbid")

    name: str
    type: FieldType
    required: bool = False
    description: str
    codelist: str | None = None
    constraints: Constraints = Field(default_factory=Constraints)
    blank_code: str | None = None
    """Code that an empty value means (e.g. NR, 'not recorded'): the field then never stays empty."""
    identifier: bool = False
    """A raw personal identifier: kept only in the identity vault, never downstream."""
    protected_characteristic: bool = False
    """Described in aggregate statistics only; no rule, model or flag may use it about a person."""
    example: str | None = None

    @model_validator(mode="after")
    def _codelist_for_coded(self) -> FieldSpec:
        coded = self.type in (FieldType.code, FieldType.codes)
        if coded and not self.codelist:
            raise ValueError(f"field {self.name!r} is coded but names no code list")
        if not coded and self.codelist:
            raise ValueError(f"field {self.name!r} names a code list but is of type {self.type}")
        return self


class ForeignKey(BaseModel):
    """A reference to another table of the same submission."""

    model_config = ConfigDict(extra="forbid")

    fields: list[str]
    table: str
    table_fields: list[str]
    description: str = ""


class RowRule(BaseModel):
    """A cross-field rule on one row, as a SQL predicate that holds for a valid row.

    The predicate is written in portable SQL (DuckDB dialect) over the table's typed columns; a NULL
    result means the rule does not apply (a missing field is reported by its own rule).
    """

    model_config = ConfigDict(extra="forbid")

    code: str
    severity: Severity = Severity.error
    fields: list[str]
    check: str
    message: str


class Table(BaseModel):
    """One table of the core data set."""

    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    version: str
    description: str
    submitted_by: list[Literal["force", "council", "service", "any"]]
    primary_key: list[str]
    fields: list[FieldSpec]
    foreign_keys: list[ForeignKey] = Field(default_factory=list)
    rules: list[RowRule] = Field(default_factory=list)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(f"table {self.name!r} has no field {name!r}")

    def field_names(self) -> list[str]:
        return [spec.name for spec in self.fields]

    @model_validator(mode="after")
    def _consistent(self) -> Table:
        names = self.field_names()
        if len(names) != len(set(names)):
            raise ValueError(f"table {self.name!r} repeats a field name")
        for key in self.primary_key:
            if key not in names:
                raise ValueError(f"table {self.name!r}: primary key field {key!r} is not a field")
        for rule in self.rules:
            for name in rule.fields:
                if name not in names:
                    raise ValueError(f"table {self.name!r}: rule {rule.code} reads unknown field {name!r}")
        return self


class Standard(BaseModel):
    """The whole core data set: its version, tables and code lists."""

    name: str
    title: str
    version: str
    description: str
    tables: dict[str, Table]
    codelists: dict[str, CodeList]

    def table(self, name: str) -> Table:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"the standard has no table {name!r}") from None

    def codelist(self, name: str) -> CodeList:
        try:
            return self.codelists[name]
        except KeyError:
            raise KeyError(f"the standard has no code list {name!r}") from None

    @model_validator(mode="after")
    def _references_resolve(self) -> Standard:
        for table in self.tables.values():
            for spec in table.fields:
                if spec.codelist and spec.codelist not in self.codelists:
                    raise ValueError(f"{table.name}.{spec.name} names unknown code list {spec.codelist!r}")
                if spec.blank_code and spec.codelist:
                    if spec.blank_code not in self.codelists[spec.codelist].code_values():
                        raise ValueError(f"{table.name}.{spec.name}: blank code {spec.blank_code!r} not in list")
            for key in table.foreign_keys:
                if key.table not in self.tables:
                    raise ValueError(f"{table.name}: foreign key to unknown table {key.table!r}")
        return self
