"""The harm-not-risk rules as data: a versioned YAML file per rule set, loaded into small dataclasses.

Why YAML and not code: a safeguarding lead or an auditor must be able to read what a rule looks at and
where it comes from without reading Python, and every flag records the rule version that raised it.
Structured rules are SQL over the warehouse's current views; each can be run alone (``run_rule``) against
a warehouse, which is how the tests check one rule at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import yaml

from clearsight.engine import DuckDBEngine, Engine

DEFAULT_VERSION = "v1"
# Columns no rule may read (DESIGN.md: protected characteristics are never inputs to a flag).
PROTECTED_COLUMNS = (
    "ethnicity_self_defined",
    "ethnicity_officer_observed",
    "ethnicity",
    "nationality",
    "religion",
    "disability",
    "disability_type",
)
EVIDENCE_COLUMNS = (
    "source", "record_id", "evidence_table", "evidence_source", "evidence_record", "evidence_field", "evidence_date"
)


@dataclass(frozen=True)
class SqlRule:
    """A rule over structured records: its SQL returns one row per piece of evidence."""

    id: str
    indicator: str
    description: str
    source: str
    inputs: tuple[str, ...]
    sql: str
    supporting: bool = False
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextRule:
    """A rule over free text: patterns that state a harm, with a guard against non-asserting phrasings."""

    id: str
    indicator: str
    description: str
    source: str
    patterns: tuple[re.Pattern[str], ...]
    not_after: re.Pattern[str] | None = None
    under_age: int | None = None
    supporting: bool = False


@dataclass(frozen=True)
class RuleSet:
    """One version of the rules, with the citations its rules refer to."""

    version: str
    sources: dict[str, str]
    sql_rules: tuple[SqlRule, ...]
    text_rules: tuple[TextRule, ...]
    indicators: tuple[str, ...] = field(default=())
    name: str = DEFAULT_VERSION

    @property
    def supporting(self) -> frozenset[str]:
        """Ids of rules that add evidence beside another indicator but never raise a flag alone."""
        return frozenset(rule.id for rule in (*self.sql_rules, *self.text_rules) if rule.supporting)

    @property
    def label(self) -> str:
        """What a flag records as ``rule_version``: the file name and its semver."""
        return f"{self.name}:{self.version}"


def _parse(raw: dict[str, Any], name: str = DEFAULT_VERSION) -> RuleSet:
    sql_rules = tuple(
        SqlRule(
            r["id"], r["indicator"], r["description"], r["source"], tuple(r.get("inputs", ())), r["sql"],
            bool(r.get("supporting", False)), tuple(r.get("requires", ())),
        )
        for r in raw.get("rules", [])
    )
    text_rules = tuple(
        TextRule(
            r["id"],
            r["indicator"],
            r["description"],
            r["source"],
            tuple(re.compile(p, re.IGNORECASE) for p in r["patterns"]),
            re.compile(r["not_after"], re.IGNORECASE) if r.get("not_after") else None,
            r.get("under_age"),
            bool(r.get("supporting", False)),
        )
        for r in raw.get("text_rules", [])
    )
    sources = dict(raw.get("sources", {}))
    seen: list[str] = []
    ids: set[str] = set()
    for rule in (*sql_rules, *text_rules):
        if rule.id in ids or rule.source not in sources or not rule.description.strip():
            raise ValueError(f"rules {name}: rule {rule.id!r} is repeated, lacks a description or cites an "
                             f"unknown source {rule.source!r}")
        ids.add(rule.id)
        if rule.indicator not in seen:
            seen.append(rule.indicator)
    return RuleSet(str(raw["version"]), sources, sql_rules, text_rules, tuple(seen), name)


@cache
def load_rules(version: str = DEFAULT_VERSION) -> RuleSet:
    """The rule set shipped in the package as ``flags/rules/<version>.yaml``."""
    text = resources.files("clearsight.flags").joinpath("rules", f"{version}.yaml").read_text(encoding="utf-8")
    return _parse(yaml.safe_load(text), version)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views()")
    return {row[0] for row in rows.fetchall()}


def prepare(con: duckdb.DuckDBPyConnection, on: Engine | None = None) -> bool:
    """Build the helper views every structured rule reads; returns whether linkage output was used.

    ``on`` is the engine the rules will run on (default: DuckDB, in ``con``); the views are made there.

    Why a helper: the same child carries a different record id in every submission. With linkage
    (``person_link``) a council referral reaches the police victim and missing records of the same
    pseudonymous child; without it, only records in the referral's own submission count.
    """
    linked = "person_link" in _tables(con)
    if linked:
        person = (
            "SELECT DISTINCT submission_id, record_id AS person_record_id, person_id FROM person_link"
        )
    else:
        person = (
            "SELECT DISTINCT submission_id, record_id AS person_record_id, "
            "submission_id || '|' || record_id AS person_id FROM current_person"
        )
    on = on or DuckDBEngine(con)
    on.view("flag_person", person)
    on.view(
        "flag_referral",
        """
        SELECT r.source, r.submission_id, r.record_id, r.person_record_id, r.referral_date,
               coalesce(r.assessment_date, r.referral_date) AS as_of, r.recorded_status, r.local_authority,
               coalesce(r.cse_concern, FALSE)
                 OR list_contains(string_split(coalesce(r.assessment_factors, ''), ';'), '11A') AS cse_factor,
               coalesce(p.person_id, r.submission_id || '|' || r.person_record_id) AS person_id
        FROM current_referral r
        LEFT JOIN flag_person p ON p.submission_id = r.submission_id AND p.person_record_id = r.person_record_id
        """,
    )
    on.view(
        "flag_same_child",
        """
        SELECT r.source, r.record_id, o.submission_id AS other_submission_id,
               o.person_record_id AS other_person_record_id
        FROM flag_referral r JOIN flag_person o ON o.person_id = r.person_id
        UNION
        SELECT r.source, r.record_id, r.submission_id, r.person_record_id FROM flag_referral r
        """,
    )
    return linked


def runnable(con: duckdb.DuckDBPyConnection, rule: SqlRule) -> bool:
    """Whether the tables a rule requires from later stages (networks) exist in this warehouse."""
    return set(rule.requires) <= _tables(con)


def run_rule(con: duckdb.DuckDBPyConnection, rule: SqlRule, on: Engine | None = None) -> list[tuple[Any, ...]]:
    """Evidence rows of one structured rule, sorted; the helper views must exist (``prepare``, on the same
    engine ``on``: DuckDB in ``con`` by default, or Spark)."""
    sql = f"SELECT DISTINCT {', '.join(EVIDENCE_COLUMNS)} FROM ({rule.sql}) AS evidence ORDER BY ALL"
    return (on or DuckDBEngine(con)).rows(sql)


def rule_reads_protected(rule: SqlRule) -> list[str]:
    """Protected columns a rule's SQL or declared inputs mention (must be empty for every rule)."""
    text = (rule.sql + " " + " ".join(rule.inputs)).lower()
    return [column for column in PROTECTED_COLUMNS if re.search(rf"\b{column}\b", text)]
