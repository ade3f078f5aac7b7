"""Check every rule of the standard over a batch of files at once, as set operations in DuckDB.

``validate_table`` types the normalised rows of one standard table, from every file of every return in the
batch (``typed_<table>``), and lists every failure (``issues_<table>``, keyed by return ``__s``, file ``__k``
and data row ``__row``). Each rule is one SQL query over the whole batch: no per-row or per-file Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from clearsight.ingest.profile import FileMapping
from clearsight.ingest.readers import ROW, RawTable
from clearsight.standard import FieldSpec, FieldType, Standard, Table

ISSUE_COLUMNS = "__s, __k, __row, field, value, rule_code, severity, message"


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def human_format(fmt: str) -> str:
    """A strftime pattern as an analyst writes it: ``%d/%m/%Y`` becomes ``dd/mm/yyyy``."""
    words = {"%d": "dd", "%m": "mm", "%Y": "yyyy", "%y": "yy", "%H": "hh", "%M": "mm", "%S": "ss", "%b": "Mon"}
    for code, word in words.items():
        fmt = fmt.replace(code, word)
    return fmt


def _literal_list(values: list[str]) -> str:
    return "[" + ", ".join(quote(v) for v in values) + "]"


@dataclass
class ColumnReport:
    """What the header told us: columns loaded, unknown, ignored, and required fields with no column."""

    used: dict[str, str] = field(default_factory=dict)  # standard field -> positional column
    unknown: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)


def match_columns(raw: RawTable, mapping: FileMapping, table: Table) -> ColumnReport:
    """Match the file's header to the profile; unknown names are reported, never guessed."""
    report = ColumnReport()
    for index, local in enumerate(raw.header):
        if local in mapping.columns:
            standard_field = mapping.columns[local]
            if standard_field in report.used:
                report.duplicated.append(local)
                continue
            report.used[standard_field] = f"c{index}"
        elif local in mapping.ignore_columns:
            report.ignored.append(local)
        elif local == "" and index >= len(raw.header):
            continue
        else:
            report.unknown.append(local or f"(unnamed column {index + 1})")
    for spec in table.fields:
        if spec.required and spec.name not in report.used and not spec.blank_code:
            report.missing_required.append(spec.name)
    return report


def _date_expr(column: str, formats: list[str], selector: str, cast: str) -> str:
    """Strict parsing with the format each row's file declares (DuckDB needs constant formats)."""
    if not formats:
        return f"CAST(NULL AS {cast})"
    cases = " ".join(f"WHEN {i} THEN TRY_STRPTIME({column}, {quote(fmt)})" for i, fmt in enumerate(formats))
    return f"CAST(CASE {selector} {cases} END AS {cast})"


def _typed_expr(spec: FieldSpec, formats: Formats) -> str:
    text = ident(spec.name)
    if spec.type == FieldType.integer:
        return f"TRY_CAST({text} AS BIGINT)"
    if spec.type == FieldType.number:
        return f"TRY_CAST({text} AS DOUBLE)"
    if spec.type == FieldType.date:
        return _date_expr(text, formats.dates, "__df", "DATE")
    if spec.type == FieldType.datetime:
        expressions = [
            f"COALESCE(TRY_STRPTIME({text}, {quote(dt)}), TRY_STRPTIME({text}, {quote(d)}))"
            for dt, d in formats.datetimes
        ]
        cases = " ".join(f"WHEN {i} THEN {e}" for i, e in enumerate(expressions))
        return f"CAST(CASE __dtf {cases} END AS TIMESTAMP)" if cases else "CAST(NULL AS TIMESTAMP)"
    return text


@dataclass
class Formats:
    """The distinct date and date-time formats of a batch; each row points at its file's by index."""

    dates: list[str] = field(default_factory=list)
    datetimes: list[tuple[str, str]] = field(default_factory=list)

    def date_id(self, mapping: FileMapping) -> int:
        if mapping.date_format not in self.dates:
            self.dates.append(mapping.date_format)
        return self.dates.index(mapping.date_format)

    def datetime_id(self, mapping: FileMapping) -> int:
        pair = (mapping.datetime_format, mapping.date_format)
        if pair not in self.datetimes:
            self.datetimes.append(pair)
        return self.datetimes.index(pair)

    def _human(self, selector: str, names: list[str]) -> str:
        cases = " ".join(f"WHEN {i} THEN {quote(human_format(n))}" for i, n in enumerate(names))
        return f"CASE {selector} {cases} END" if cases else "''"

    def date_words(self) -> str:
        return self._human("__df", self.dates)

    def datetime_words(self) -> str:
        return self._human("__dtf", [dt for dt, _ in self.datetimes])


def _field_checks(spec: FieldSpec, standard: Standard, formats: Formats) -> list[tuple[str, str, str]]:
    """(rule code, SQL condition marking a failure, SQL message expression) for one field."""
    name, text = ident(spec.name), ident(f"__t_{spec.name}")
    checks: list[tuple[str, str, str]] = []
    if spec.required and not spec.blank_code:
        checks.append(("FIELD-REQUIRED", f"{text} IS NULL", quote("is required but empty")))
    type_rules = {
        FieldType.integer: ("TYPE-INTEGER", quote("is not a whole number")),
        FieldType.number: ("TYPE-NUMBER", quote("is not a number")),
        FieldType.date: ("TYPE-DATE", f"'is not a date in the form ' || {formats.date_words()}"),
        FieldType.datetime: ("TYPE-DATETIME", f"'is not a date and time in the form ' || {formats.datetime_words()}"),
        FieldType.boolean: ("TYPE-BOOLEAN", quote("is not one of the profile's words for yes or no")),
    }
    if spec.type in type_rules:
        code, message = type_rules[spec.type]
        checks.append((code, f"{text} IS NOT NULL AND {name} IS NULL", message))
    if spec.codelist:
        allowed = _literal_list(standard.codelists[spec.codelist].code_values())
        message = quote(f"is not a code of the {spec.codelist} list, nor mapped to one by the profile")
        if spec.type == FieldType.code:
            checks.append(("CODE-UNKNOWN", f"{name} IS NOT NULL AND NOT list_contains({allowed}, {name})", message))
        else:
            bad = f"len(list_filter(string_split({name}, ';'), lambda x: NOT list_contains({allowed}, x))) > 0"
            checks.append(("CODE-UNKNOWN", f"{name} IS NOT NULL AND {bad}", message))
    limits = spec.constraints
    if limits.minimum is not None:
        checks.append(
            ("VALUE-BELOW-MINIMUM", f"{name} < {limits.minimum}", quote(f"is below the minimum {limits.minimum:g}"))
        )
    if limits.maximum is not None:
        checks.append(
            ("VALUE-ABOVE-MAXIMUM", f"{name} > {limits.maximum}", quote(f"is above the maximum {limits.maximum:g}"))
        )
    if limits.max_length is not None:
        message = quote(f"is longer than {limits.max_length} characters")
        checks.append(("TEXT-TOO-LONG", f"length({text}) > {limits.max_length}", message))
    if limits.pattern is not None:
        condition = f"NOT regexp_full_match({text}, {quote(limits.pattern)})"
        checks.append(("TEXT-PATTERN", condition, quote("is not in the required form")))
    if limits.not_in_future:
        message = quote("is after the day the return was received")
        checks.append(("DATE-IN-FUTURE", f"CAST({name} AS DATE) > __received", message))
    return checks


def validate_table(
    con: duckdb.DuckDBPyConnection, table: Table, standard: Standard, batch: str, formats: Formats
) -> None:
    """Type the batch of one table (``typed_<table>``) and list every failure in it (``issues_<table>``)."""
    typed = ", ".join(f"{_typed_expr(spec, formats)} AS {ident(spec.name)}" for spec in table.fields)
    texts = ", ".join(ident(f"__t_{spec.name}") for spec in table.fields)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE typed_{table.name} AS "
        f"SELECT __s, __k, {ROW}, __received, __df, __dtf, {texts}, {typed} FROM {batch}"
    )
    queries = []
    for spec in table.fields:
        for code, condition, message in _field_checks(spec, standard, formats):
            queries.append(
                f"SELECT __s, __k, {ROW}, {quote(spec.name)}, {ident('__t_' + spec.name)}, {quote(code)}, "
                f"'error', {message} FROM typed_{table.name} WHERE {condition}"
            )
    for row_rule in table.rules:
        value = " || '; ' || ".join(
            f"{quote(name + '=')} || COALESCE({ident('__t_' + name)}, '')" for name in row_rule.fields
        )
        queries.append(
            f"SELECT __s, __k, {ROW}, {quote(', '.join(row_rule.fields))}, {value}, {quote(row_rule.code)}, "
            f"{quote(str(row_rule.severity))}, {quote(row_rule.message)} FROM typed_{table.name} "
            f"WHERE NOT COALESCE(({row_rule.check}), TRUE)"
        )
    union = " UNION ALL ".join(queries) or "SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE FALSE"
    con.execute(f"CREATE OR REPLACE TEMP TABLE issues_{table.name} AS SELECT * FROM ({union}) AS i({ISSUE_COLUMNS})")
