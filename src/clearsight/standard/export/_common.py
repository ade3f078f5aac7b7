"""Helpers every exporter shares, so that all artefacts say the same thing about a field.

The JSON Schema, the data package, the docs and the templates are read by different people; if one of
them rounded a bound or spelt a pattern differently from the others, submitters would get contradictory
answers. Everything that decides *what* a field allows lives here once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clearsight.standard.model import FieldSpec, FieldType, Standard, Table

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
"""ISO 8601 calendar date; stated as a pattern too because most validators treat ``format`` as a hint."""

DATETIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
"""RFC 3339 date-time (what JSON Schema's ``date-time`` format means), with its offset."""

IDENTIFIER_MEANING = (
    "a raw personal identifier (a name, date of birth, address, postcode, phone number). Ingest moves it "
    "into the encrypted identity vault, where only record linkage reads it; every other part of Clearsight "
    "sees the pseudonymous person_id instead."
)
PROTECTED_MEANING = (
    "published only in aggregate statistics. No rule, model, flag or score about a person may use it."
)
"""What the two field markers mean, said once for the docs and the templates alike."""

_REGEX_SPECIALS = set("\\^$.|?*+()[]{}")
_SUBMITTERS = {"force", "council", "any"}


def submitted_tables(standard: Standard) -> list[Table]:
    """Tables that forces or councils fill in themselves (service-kept tables get no template)."""
    return [table for table in standard.tables.values() if _SUBMITTERS & set(table.submitted_by)]


def plain_number(value: float) -> int | float:
    """A bound as a reader expects it: ``120``, not ``120.0`` (the model stores bounds as floats)."""
    return int(value) if float(value).is_integer() else value


def escape_regex(text: str) -> str:
    """Escape a code for a pattern readable by both Python and ECMA-262 (JSON Schema's dialect).

    ``re.escape`` also escapes characters such as ``-`` and ``/``, which ECMA-262 in unicode mode rejects
    outside a character class, so only the true metacharacters are escaped here.
    """
    return "".join(f"\\{char}" if char in _REGEX_SPECIALS else char for char in text)


def codes_pattern(codes: list[str]) -> str:
    """Pattern for a ``codes`` field: one or more codes of the list separated by ';' without spaces."""
    alternatives = "|".join(escape_regex(code) for code in codes)
    return f"^(?:{alternatives})(?:;(?:{alternatives}))*$"


def size_limits(spec: FieldSpec) -> dict[str, Any]:
    """A field's numeric range and text length/pattern under their JSON Schema names (Table Schema shares them)."""
    rules = spec.constraints
    limits: dict[str, Any] = {}
    if spec.type in (FieldType.integer, FieldType.number):
        if rules.minimum is not None:
            limits["minimum"] = plain_number(rules.minimum)
        if rules.maximum is not None:
            limits["maximum"] = plain_number(rules.maximum)
    if spec.type is FieldType.string:
        if rules.min_length is not None:
            limits["minLength"] = rules.min_length
        if rules.max_length is not None:
            limits["maxLength"] = rules.max_length
        if rules.pattern is not None:
            limits["pattern"] = rules.pattern
    return limits


def typed_example(spec: FieldSpec) -> Any:
    """The field's example as a value of its type (examples are stored as text in the YAML)."""
    if spec.example is None:
        return None
    if spec.type is FieldType.integer:
        return int(spec.example)
    if spec.type is FieldType.number:
        return plain_number(float(spec.example))
    if spec.type is FieldType.boolean:
        return spec.example.strip().lower() in {"true", "yes", "y", "1"}
    return spec.example


def type_label(spec: FieldSpec) -> str:
    """The type in words a submitter recognises, used by the docs and the templates alike."""
    return {
        FieldType.string: "text",
        FieldType.integer: "whole number",
        FieldType.number: "number",
        FieldType.boolean: "true/false",
        FieldType.date: "date (yyyy-mm-dd)",
        FieldType.datetime: "date and time (yyyy-mm-dd hh:mm:ss)",
        FieldType.code: "code",
        FieldType.codes: "codes, separated by ';'",
    }[spec.type]


def constraint_phrases(spec: FieldSpec, literal: Callable[[str], str] = str) -> list[str]:
    """Each constraint of a field as a short phrase, for the docs and the templates' notes.

    ``literal`` formats a pattern or code (the docs set it in code type; a spreadsheet cell cannot).
    """
    rules = spec.constraints
    phrases: list[str] = []
    if rules.minimum is not None:
        phrases.append(f"at least {plain_number(rules.minimum)}")
    if rules.maximum is not None:
        phrases.append(f"at most {plain_number(rules.maximum)}")
    if rules.min_length is not None:
        phrases.append(f"at least {rules.min_length} characters")
    if rules.max_length is not None:
        phrases.append(f"at most {rules.max_length} characters")
    if rules.pattern is not None:
        phrases.append(f"matches {literal(rules.pattern)}")
    if rules.not_in_future:
        phrases.append("not in the future")
    if spec.blank_code:
        phrases.append(f"an empty value means {literal(spec.blank_code)}")
    return phrases


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text with '\\n' line ends on every platform, so exports are byte-identical."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path


def write_json(path: Path, document: dict[str, Any]) -> Path:
    """Write JSON indented, non-ASCII kept readable, with a final newline."""
    return write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
