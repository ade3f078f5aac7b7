"""Markdown pages for people: the standard's index, a page per table and a page per code list.

Police and council analysts read these to prepare a return, so the pages say what each field means, what
it allows and why some fields are handled with care, in words before code. Everything is generated from the
standard (never edited by hand) and carries no timestamp, so the same standard gives the same bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

from clearsight.standard.export._common import (
    IDENTIFIER_MEANING,
    PROTECTED_MEANING,
    constraint_phrases,
    type_label,
    write_text,
)
from clearsight.standard.model import CodeList, FieldSpec, Standard, Table

DOCS_DIR = "docs"

SUBMITTER_WORDS = {
    "force": "police forces",
    "council": "councils",
    "service": "the Clearsight service",
    "any": "any submitting body",
}
STATUS_WORDS = {
    "confirmed": "seen in the cited source",
    "partial": "only part of it was seen in the source (for example a label taken from a local script "
    "rather than the national guide)",
    "unconfirmed": "recalled or derived, not yet checked against an official source: check it before "
    "relying on it",
    "local": "defined by this standard for the audit, not taken from a published list",
}
IDENTIFIER_NOTE = f"**Identifier**: {IDENTIFIER_MEANING}"
PROTECTED_NOTE = f"**Protected characteristic**: {PROTECTED_MEANING}"


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def code_span(text: str) -> str:
    """Inline code, with a longer fence when the text itself holds a backtick."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def _paragraph(text: str) -> str:
    return " ".join(text.split())


def _usage(standard: Standard) -> dict[str, list[str]]:
    """Code list name -> the ``table.field`` names that use it, in the standard's order."""
    used: dict[str, list[str]] = {name: [] for name in standard.codelists}
    for table in standard.tables.values():
        for spec in table.fields:
            if spec.codelist:
                used.setdefault(spec.codelist, []).append(f"{table.name}.{spec.name}")
    return used


def _demote(markdown: str) -> str:
    """Nest the changelog under the index's own heading: drop its title, push other headings down."""
    lines = markdown.strip().splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join(re.sub(r"^(#+) ", r"#\1 ", line) for line in lines).strip()


def index_page(standard: Standard, changelog_text: str) -> str:
    """The landing page: what the standard is, its tables, its code lists and its history."""
    used = _usage(standard)
    tables = [
        [
            f"[{table.title}](tables/{table.name}.md)",
            code_span(table.name),
            table.version,
            ", ".join(SUBMITTER_WORDS[who] for who in table.submitted_by),
            str(len(table.fields)),
        ]
        for table in standard.tables.values()
    ]
    codelists = [
        [
            f"[{standard.codelists[name].title}](codelists/{name}.md)",
            code_span(name),
            str(len(standard.codelists[name].codes)),
            ", ".join(code_span(use) for use in used[name]) or "not used by a field yet",
        ]
        for name in sorted(standard.codelists)
    ]
    parts = [
        f"# {standard.title}",
        f"Version **{standard.version}** of `{standard.name}`.",
        _paragraph(standard.description),
        "## How to read these pages",
        "Each table has a page listing its fields in the order a submission gives them, with each field's "
        "type, whether it is required, the code list its values come from and its constraints, then the "
        "checks made across fields of a row. A required field must have a value in every row; where a field "
        "names a code for an empty value (such as `NR`, not recorded), an empty cell is read as that code. "
        "Two kinds of field are marked:",
        f"- {IDENTIFIER_NOTE}\n- {PROTECTED_NOTE}",
        "The same definitions are published as JSON Schema (`json-schema/`), as a Frictionless data package "
        "(`datapackage.json`) and as Excel submission templates (`templates/`).",
        "## Tables",
        _table(["Table", "Name", "Version", "Submitted by", "Fields"], tables),
        "## Code lists",
        _table(["Code list", "Name", "Codes", "Used by"], codelists),
        "## Changelog",
        _demote(changelog_text),
    ]
    return "\n\n".join(parts) + "\n"


def _field_row(spec: FieldSpec) -> list[str]:
    marks = [
        label
        for flag, label in (
            (spec.identifier, "identifier"),
            (spec.protected_characteristic, "protected characteristic"),
        )
        if flag
    ]
    name = code_span(spec.name) + "".join(f"<br>*{mark}*" for mark in marks)
    codelist = f"[{spec.codelist}](../codelists/{spec.codelist}.md)" if spec.codelist else ""
    constraints = "; ".join(constraint_phrases(spec, code_span))
    return [
        name,
        type_label(spec),
        "yes" if spec.required else "no",
        codelist,
        _paragraph(spec.description),
        constraints,
    ]


def table_page(standard: Standard, table: Table) -> str:
    """One table's page: what a row is, every field, the row rules and the links to other tables."""
    parts = [
        f"# {table.title}",
        "[Core data set](../index.md) › Tables",
        _table(
            ["", ""],
            [
                ["Table name", code_span(table.name)],
                ["Version", table.version],
                ["Submitted by", ", ".join(SUBMITTER_WORDS[who] for who in table.submitted_by)],
                ["Primary key", ", ".join(code_span(key) for key in table.primary_key)],
            ],
        ),
        _paragraph(table.description),
        "## Fields",
        _table(
            ["Field", "Type", "Required", "Code list", "Description", "Constraints"],
            [_field_row(spec) for spec in table.fields],
        ),
    ]
    identifiers = [code_span(spec.name) for spec in table.fields if spec.identifier]
    protected = [code_span(spec.name) for spec in table.fields if spec.protected_characteristic]
    if identifiers or protected:
        parts.append("## Identifiers and protected characteristics")
        if identifiers:
            parts.append(f"{IDENTIFIER_NOTE} In this table: {', '.join(identifiers)}.")
        if protected:
            parts.append(f"{PROTECTED_NOTE} In this table: {', '.join(protected)}.")
    if table.rules:
        parts += [
            "## Row rules",
            "Each rule is a check across the fields of one row. An **error** sends the row to quarantine, "
            "with the rule's code and message, until it is corrected; a **warning** loads the row and "
            "reports it on the data-quality scorecard. The check is the condition a valid row meets (SQL).",
            _table(
                ["Rule", "Severity", "Fields", "Message", "Check"],
                [
                    [
                        code_span(rule.code),
                        rule.severity.value,
                        ", ".join(code_span(name) for name in rule.fields),
                        rule.message,
                        code_span(rule.check),
                    ]
                    for rule in table.rules
                ],
            ),
        ]
    if table.foreign_keys:
        parts.append("## References to other tables")
        parts.append(
            "\n".join(
                f"- {', '.join(code_span(name) for name in key.fields)} → "
                f"[{key.table}]({key.table}.md) {', '.join(code_span(name) for name in key.table_fields)}"
                + (f": {_paragraph(key.description)}" if key.description else "")
                for key in table.foreign_keys
            )
        )
    referring = [
        other
        for other in standard.tables.values()
        if any(key.table == table.name for key in other.foreign_keys)
    ]
    if referring:
        parts.append("## Referred to by")
        parts.append("\n".join(f"- [{other.title}]({other.name}.md)" for other in referring))
    return "\n\n".join(parts) + "\n"


def _code_sources(codelist: CodeList) -> list[str]:
    """The distinct sources codes cite, in first-seen order (a code without one cites the list's)."""
    return list(dict.fromkeys(code.source or codelist.source for code in codelist.codes))


def _status_notes(codelist: CodeList) -> list[str]:
    """A bullet per status other than ``confirmed``: how many codes, which, and what the status means."""
    total = len(codelist.codes)
    notes = []
    for status, words in STATUS_WORDS.items():
        codes = [code.code for code in codelist.codes if code.status == status]
        if status == "confirmed" or not codes:
            continue
        if len(codes) == total:
            which = f"all {total} codes"
        elif len(codes) <= 30:
            which = ", ".join(code_span(code) for code in codes)
        else:
            which = f"{len(codes)} codes"
        notes.append(f"- `{status}` ({which}): {words}.")
    return notes


def codelist_page(standard: Standard, codelist: CodeList) -> str:
    """One code list's page: its provenance, every code, and which codes are not yet confirmed."""
    used = _usage(standard)[codelist.name]
    sources = _code_sources(codelist)
    with_group = any(code.group for code in codelist.codes)
    with_source = len(sources) > 1
    header = ["Code", "Label"] + (["Group"] if with_group else []) + ["Description", "Status"]
    header += ["Source"] if with_source else []
    rows = [
        [code_span(code.code), code.label]
        + ([code.group] if with_group else [])
        + [code.description, code.status]
        + ([f"[{sources.index(code.source or codelist.source) + 1}]"] if with_source else [])
        for code in codelist.codes
    ]
    parts = [
        f"# {codelist.title}",
        "[Core data set](../index.md) › Code lists",
        _table(
            ["", ""],
            [
                ["Code list", code_span(codelist.name)],
                ["Version", codelist.version],
                ["Source", codelist.source],
                ["Codes", str(len(codelist.codes))],
                ["Used by", ", ".join(_field_link(standard, use) for use in used) or "no field yet"],
            ],
        ),
        _paragraph(codelist.description),
        "## Codes",
        _table(header, rows),
    ]
    notes = _status_notes(codelist)
    if notes:
        unconfirmed = sum(code.status != "confirmed" for code in codelist.codes)
        parts += [
            "## Codes not confirmed against a source",
            f"{unconfirmed} of the {len(codelist.codes)} codes are not marked `confirmed`:",
            "\n".join(notes),
        ]
    parts.append("## Sources of the codes")
    if with_source:
        parts.append("\n".join(f"{number}. {_paragraph(source)}" for number, source in enumerate(sources, 1)))
    else:
        parts.append(_paragraph(sources[0]) if sources else "No codes yet.")
    return "\n\n".join(parts) + "\n"


def _field_link(standard: Standard, use: str) -> str:
    table, field = use.split(".", 1)
    return f"[{standard.table(table).title}](../tables/{table}.md) {code_span(field)}"


def export_markdown(standard: Standard, out_dir: Path, changelog_text: str) -> list[Path]:
    """Write ``docs/index.md``, ``docs/tables/<table>.md`` and ``docs/codelists/<name>.md``."""
    docs = out_dir / DOCS_DIR
    paths = [write_text(docs / "index.md", index_page(standard, changelog_text))]
    paths += [
        write_text(docs / "tables" / f"{table.name}.md", table_page(standard, table))
        for table in standard.tables.values()
    ]
    paths += [
        write_text(docs / "codelists" / f"{name}.md", codelist_page(standard, standard.codelists[name]))
        for name in sorted(standard.codelists)
    ]
    return paths
