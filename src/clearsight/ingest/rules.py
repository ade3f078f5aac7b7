"""The catalogue of ingest rules: one code per rule, its severity, what it reads and its plain message.

Generic rules apply to every field of a type (``TYPE-DATE`` to every date field); the standard's own row
rules (``OFF-DATE-ORDER``...) come from the table definitions; file rules describe why a whole file could not
be read. ``catalogue()`` lists them all (``clearsight rules`` prints it), and every code here has a test.
Messages never contain the offending value: values go only into the access-controlled quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass

from clearsight.standard import Severity, Standard, load_standard


@dataclass(frozen=True)
class Rule:
    """One validation rule."""

    code: str
    severity: Severity
    scope: str  # file | column | row | field | reference
    reads: str  # which fields it reads
    message: str


E, W = Severity.error, Severity.warning

_GENERIC = [
    Rule(
        "SUB-PERIOD-ORDER",
        E,
        "return",
        "return.yaml",
        "The return's period starts after it ends; the return is not loaded.",
    ),
    Rule("FILE-MISSING", E, "file", "the file", "The file named in the return does not exist."),
    Rule("FILE-EMPTY", E, "file", "the file", "The file is empty."),
    Rule("FILE-NOT-TEXT", E, "file", "the file", "The file holds binary data, not delimited text."),
    Rule("FILE-ENCODING", E, "file", "the file", "The profile names an encoding that does not exist."),
    Rule("FILE-NO-HEADER", E, "file", "the file", "There is no header row where the profile says."),
    Rule("FILE-UNREADABLE", E, "file", "the file", "The file could not be read as delimited text."),
    Rule("FILE-NOT-XLSX", E, "file", "the file", "The file is not an Excel .xlsx workbook."),
    Rule("FILE-ZIP-BOMB", E, "file", "the file", "The workbook would expand to an unsafe size and was refused."),
    Rule("FILE-NO-SHEET", E, "file", "the file", "The workbook has no sheet of the name the profile gives."),
    Rule("FILE-NOT-JSON", E, "file", "the file", "The file is not a JSON list of records."),
    Rule("FILE-NOT-PARQUET", E, "file", "the file", "The file is not a readable Parquet file."),
    Rule("FILE-UNMAPPED", E, "file", "the file name", "No entry of the submitter profile matches this file."),
    Rule("FILE-DUPLICATE", W, "file", "the file's bytes", "The return holds two files with identical content."),
    Rule("COLUMN-UNKNOWN", W, "column", "the header", "A column is not in the submitter profile and was not loaded."),
    Rule("COLUMN-MISSING", E, "column", "the header", "A required field of the standard has no column in the file."),
    Rule(
        "CODE-UNMAPPED",
        E,
        "column",
        "a coded field",
        "Local codes that are neither standard nor mapped by the profile.",
    ),
    Rule("ROW-MALFORMED", E, "row", "the whole row", "The row does not have one value for each column of the header."),
    Rule("FIELD-REQUIRED", E, "field", "a required field", "A required field is empty."),
    Rule("TYPE-INTEGER", E, "field", "an integer field", "Not a whole number."),
    Rule("TYPE-NUMBER", E, "field", "a number field", "Not a number."),
    Rule("TYPE-DATE", E, "field", "a date field", "Not a date in the form the profile gives."),
    Rule("TYPE-DATETIME", E, "field", "a date-time field", "Not a date and time in the form the profile gives."),
    Rule("TYPE-BOOLEAN", E, "field", "a yes/no field", "Not one of the profile's words for yes or no."),
    Rule("CODE-UNKNOWN", E, "field", "a coded field", "Not a code of the field's code list, nor mapped to one."),
    Rule("VALUE-BELOW-MINIMUM", E, "field", "a numeric field", "Below the smallest value the standard allows."),
    Rule("VALUE-ABOVE-MAXIMUM", E, "field", "a numeric field", "Above the largest value the standard allows."),
    Rule("TEXT-TOO-LONG", E, "field", "a text field", "Longer than the standard allows."),
    Rule("TEXT-PATTERN", E, "field", "a text field", "Not in the form the standard requires."),
    Rule("DATE-IN-FUTURE", E, "field", "a date field", "A date after the day the return was received."),
    Rule("KEY-DUPLICATE", E, "row", "the primary key", "The same record appears earlier in this return."),
    Rule(
        "REF-MISSING",
        E,
        "reference",
        "a reference field",
        "Refers to a record that is not in this return, or was quarantined.",
    ),
]

FILE_RULES = {rule.code for rule in _GENERIC if rule.scope == "file"}


def catalogue(standard: Standard | None = None) -> list[Rule]:
    """Every rule: the generic ones, then each table's own row rules from the standard."""
    standard = standard or load_standard()
    rules = list(_GENERIC)
    for table in standard.tables.values():
        if not {"force", "council"} & set(table.submitted_by):
            continue  # the service validates its own tables
        for row_rule in table.rules:
            rules.append(
                Rule(
                    row_rule.code,
                    row_rule.severity,
                    "row",
                    f"{table.name}: {', '.join(row_rule.fields)}",
                    row_rule.message,
                )
            )
    return rules


def rule(code: str) -> Rule:
    """Look a rule up by its code."""
    for entry in catalogue():
        if entry.code == code:
            return entry
    raise KeyError(f"no ingest rule {code!r}")
