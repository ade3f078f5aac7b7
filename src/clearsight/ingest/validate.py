"""Map one file's text cells onto a standard table and check every rule, as set operations in DuckDB.

``stage_file`` turns the registered raw table into ``typed_<k>`` (one column per standard field, typed, plus
``__row`` and ``__t_<field>``: the text as submitted) and ``issues_<k>`` (one row per failure). Nothing here
loops over rows in Python: each rule is one SQL query over the whole file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from clearsight.ingest.profile import FileMapping
from clearsight.ingest.readers import ROW, RawTable
from clearsight.standard import FieldSpec, FieldType, Standard, Table

ISSUE_COLUMNS = "__row, field, value, rule_code, severity, message"


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


def _code_expr(text: str, spec: FieldSpec, mapping: FileMapping) -> str:
    local_codes = mapping.codes.get(spec.name, {})
    if not local_codes:
        return text
    cases = " ".join(f"WHEN {quote(k)} THEN {quote(v)}" for k, v in sorted(local_codes.items()))
    return f"(CASE {text} {cases} ELSE {text} END)"


def _typed_expr(spec: FieldSpec, text: str, mapping: FileMapping) -> str:
    kind = spec.type
    if kind == FieldType.integer:
        return f"TRY_CAST({text} AS BIGINT)"
    if kind == FieldType.number:
        return f"TRY_CAST({text} AS DOUBLE)"
    if kind == FieldType.boolean:
        return (
            f"(CASE WHEN {text} IN ({', '.join(map(quote, mapping.true_values))}) THEN TRUE "
            f"WHEN {text} IN ({', '.join(map(quote, mapping.false_values))}) THEN FALSE END)"
        )
    if kind == FieldType.date:
        return f"CAST(TRY_STRPTIME({text}, {quote(mapping.date_format)}) AS DATE)"
    if kind == FieldType.datetime:
        formats = _literal_list([mapping.datetime_format, mapping.date_format])
        return f"TRY_STRPTIME({text}, {formats})"
    if kind == FieldType.code:
        mapped = _code_expr(text, spec, mapping)
        return f"COALESCE({mapped}, {quote(spec.blank_code)})" if spec.blank_code else mapped
    if kind == FieldType.codes:
        element = _code_expr("trim(x)", spec, mapping)
        return f"array_to_string(list_transform(string_split({text}, ';'), lambda x: {element}), ';')"
    return text


def _field_checks(
    spec: FieldSpec, standard: Standard, mapping: FileMapping, received: date
) -> list[tuple[str, str, str]]:
    """(rule code, SQL condition that marks a failure, message) for one field."""
    name, text = ident(spec.name), ident(f"__t_{spec.name}")
    checks: list[tuple[str, str, str]] = []
    if spec.required and not spec.blank_code:
        checks.append(("FIELD-REQUIRED", f"{text} IS NULL", "is required but empty"))
    type_rules = {
        FieldType.integer: ("TYPE-INTEGER", "is not a whole number"),
        FieldType.number: ("TYPE-NUMBER", "is not a number"),
        FieldType.date: ("TYPE-DATE", f"is not a date in the form {human_format(mapping.date_format)}"),
        FieldType.datetime: (
            "TYPE-DATETIME",
            f"is not a date and time in the form {human_format(mapping.datetime_format)}",
        ),
        FieldType.boolean: ("TYPE-BOOLEAN", "is not one of the profile's words for yes or no"),
    }
    if spec.type in type_rules:
        code, message = type_rules[spec.type]
        checks.append((code, f"{text} IS NOT NULL AND {name} IS NULL", message))
    if spec.codelist:
        allowed = _literal_list(standard.codelists[spec.codelist].code_values())
        message = f"is not a code of the {spec.codelist} list, nor mapped to one by the profile"
        if spec.type == FieldType.code:
            checks.append(("CODE-UNKNOWN", f"{name} IS NOT NULL AND NOT list_contains({allowed}, {name})", message))
        else:
            bad = f"len(list_filter(string_split({name}, ';'), lambda x: NOT list_contains({allowed}, x))) > 0"
            checks.append(("CODE-UNKNOWN", f"{name} IS NOT NULL AND {bad}", message))
    limits = spec.constraints
    if limits.minimum is not None:
        checks.append(("VALUE-BELOW-MINIMUM", f"{name} < {limits.minimum}", f"is below the minimum {limits.minimum:g}"))
    if limits.maximum is not None:
        checks.append(("VALUE-ABOVE-MAXIMUM", f"{name} > {limits.maximum}", f"is above the maximum {limits.maximum:g}"))
    if limits.max_length is not None:
        checks.append(
            ("TEXT-TOO-LONG", f"length({text}) > {limits.max_length}", f"is longer than {limits.max_length} characters")
        )
    if limits.pattern is not None:
        checks.append(
            ("TEXT-PATTERN", f"NOT regexp_full_match({text}, {quote(limits.pattern)})", "is not in the required form")
        )
    if limits.not_in_future:
        checks.append(
            (
                "DATE-IN-FUTURE",
                f"CAST({name} AS DATE) > DATE {quote(received.isoformat())}",
                "is after the day the return was received",
            )
        )
    return checks


def stage_file(
    con: duckdb.DuckDBPyConnection,
    key: str,
    raw_name: str,
    raw: RawTable,
    mapping: FileMapping,
    table: Table,
    standard: Standard,
    received: date,
) -> ColumnReport:
    """Create ``typed_<key>`` and ``issues_<key>`` from the registered raw table ``raw_name``."""
    columns = match_columns(raw, mapping, table)
    texts, typed = [], []
    for spec in table.fields:
        source = columns.used.get(spec.name)
        text = f"NULLIF(trim({ident(source)}), '')" if source else "CAST(NULL AS VARCHAR)"
        texts.append(f"{text} AS {ident('__t_' + spec.name)}")
        typed.append(f"{_typed_expr(spec, ident('__t_' + spec.name), mapping)} AS {ident(spec.name)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE text_{key} AS SELECT {ROW}, {', '.join(texts)} FROM {raw_name}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE typed_{key} AS SELECT *, {', '.join(typed)} FROM text_{key}")
    queries = []
    for spec in table.fields:
        for code, condition, message in _field_checks(spec, standard, mapping, received):
            queries.append(
                f"SELECT {ROW}, {quote(spec.name)}, {ident('__t_' + spec.name)}, {quote(code)}, 'error', "
                f"{quote(message)} FROM typed_{key} WHERE {condition}"
            )
    for row_rule in table.rules:
        value = " || '; ' || ".join(
            f"{quote(name + '=')} || COALESCE({ident('__t_' + name)}, '')" for name in row_rule.fields
        )
        queries.append(
            f"SELECT {ROW}, {quote(', '.join(row_rule.fields))}, {value}, {quote(row_rule.code)}, "
            f"{quote(str(row_rule.severity))}, {quote(row_rule.message)} FROM typed_{key} "
            f"WHERE NOT COALESCE(({row_rule.check}), TRUE)"
        )
    union = " UNION ALL ".join(queries) if queries else "SELECT NULL, NULL, NULL, NULL, NULL, NULL WHERE FALSE"
    con.execute(f"CREATE OR REPLACE TEMP TABLE issues_{key} AS SELECT * FROM ({union}) AS i({ISSUE_COLUMNS})")
    return columns
