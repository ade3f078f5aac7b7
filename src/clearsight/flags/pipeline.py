"""Harm, not risk: find children recorded 'at risk' (or not at all) despite evidence that harm happened.

A flag is a current referral whose ``recorded_status`` is not HARMED (AT_RISK, NEITHER or NR) and for
which at least one harm indicator holds on or before its assessment: a structured rule over the child's
linked records, or a text rule over the referral's summary. ``referral_indicators`` computes indicators for
every referral (HARMED ones too), so that indicator detection can be evaluated apart from recording.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from clearsight.engine import ENGINES, DuckDBEngine, Engine
from clearsight.engine import make as make_engine
from clearsight.errors import ClearsightError
from clearsight.flags.rules import RuleSet, load_rules, prepare, run_rule, runnable
from clearsight.flags.store import ensure_tables, flag_id
from clearsight.flags.text import find_indicators
from clearsight.progress import ProgressCallback, silent

NOT_HARMED = ("AT_RISK", "NEITHER", "NR")

_REFERRALS_SQL = """
SELECT r.source, r.record_id, r.person_id, r.local_authority, r.referral_date, r.as_of, r.recorded_status,
       c.summary, p.age_years
FROM flag_referral r
JOIN current_referral c ON c.submission_id = r.submission_id AND c.record_id = r.record_id
LEFT JOIN (SELECT submission_id, record_id, any_value(age_years) AS age_years FROM current_person GROUP BY ALL) p
  ON p.submission_id = r.submission_id AND p.record_id = r.person_record_id
ORDER BY r.source, r.record_id
"""


@dataclass
class ReferralIndicators:
    """One referral, what was recorded, and the indicators found with their evidence."""

    source: str
    record_id: str
    person_id: str
    local_authority: str | None
    referral_date: date | None
    as_of: date | None
    recorded_status: str
    evidence: list[dict[str, Any]] = field(default_factory=list)
    quotes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def indicators(self) -> list[str]:
        seen: list[str] = []
        for item in self.evidence:
            if item["indicator"] not in seen:
                seen.append(item["indicator"])
        return seen

    @property
    def flagged(self) -> bool:
        return self.recorded_status in NOT_HARMED and bool(self.evidence)


@dataclass
class FlagSummary:
    """What a flags run did; ``--json`` prints it."""

    db: str
    run_id: str
    rule_version: str
    linked: bool
    referrals: int = 0
    not_harmed: int = 0
    flags: int = 0
    children: int = 0
    by_indicator: dict[str, int] = field(default_factory=dict)
    skipped_rules: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """The plain-words summary the CLI prints."""
        linkage = "linked records (person_link)" if self.linked else "the referral's own submission only (no linkage)"
        return [
            f"referrals read: {self.referrals:,}; recorded at risk, neither or not recorded: {self.not_harmed:,}",
            f"flags: {self.flags:,} referrals of {self.children:,} children recorded not harmed despite evidence",
            *(f"  {name}: {count:,}" for name, count in self.by_indicator.items()),
            f"rules: {self.rule_version}; evidence from {linkage}",
            *([f"rules skipped (their input stage has not run): {', '.join(self.skipped_rules)}"]
              if self.skipped_rules else []),
            f"seconds: {self.seconds:.1f}",
        ]


def _pseudonym(person_id: str, linked: bool) -> str:
    """Without linkage the fallback id embeds a council record id: hash it so no raw id is written."""
    if linked and not person_id.count("|"):
        return person_id
    return "R" + hashlib.sha256(f"flag person|{person_id}".encode()).hexdigest()[:16].upper()


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def referral_indicators(
    con: duckdb.DuckDBPyConnection, rules: RuleSet | None = None, progress: ProgressCallback = silent,
    on: Engine | None = None,
) -> tuple[list[ReferralIndicators], bool]:
    """Indicators with evidence for every current referral, and whether linkage output was used.

    ``on`` is where the structured rules' joins run (default: DuckDB, in ``con``; or Spark,
    ``clearsight.engine``); the text rules read each referral's summary here, in Python.
    """
    rules = rules or load_rules()
    on = on or DuckDBEngine(con)
    linked = prepare(con, on)
    referrals: dict[tuple[str, str], ReferralIndicators] = {}
    rows = con.execute(_REFERRALS_SQL).fetchall()
    ages: dict[tuple[str, str], tuple[str | None, int | None]] = {}
    for source, record_id, person_id, council, referral_date, as_of, status, summary, age in rows:
        referrals[(source, record_id)] = ReferralIndicators(
            source, record_id, _pseudonym(person_id, linked), council, referral_date, as_of, status or "NR"
        )
        ages[(source, record_id)] = (summary, age)
    steps = len(rules.sql_rules) + 1
    for done, rule in enumerate(rules.sql_rules):
        progress("harm flags: rules", done, steps)
        if not runnable(con, rule):
            continue
        for source, record_id, table, evidence_source, record, column, when in run_rule(con, rule, on):
            referral = referrals.get((source, record_id))
            if referral is not None:
                referral.evidence.append(
                    {"indicator": rule.indicator, "rule": rule.id, "source": evidence_source, "record": record,
                     "table": table, "field": column, "date": _iso(when)}
                )
    for key, referral in referrals.items():
        summary, age = ages[key]
        for hit in find_indicators(summary, age, rules):
            referral.evidence.append(
                {"indicator": hit.indicator, "rule": hit.rule_id, "source": referral.source,
                 "record": referral.record_id, "table": "referral", "field": "summary",
                 "span": {"start": hit.start, "end": hit.end}, "date": _iso(referral.as_of)}
            )
            referral.quotes.append({"start": hit.start, "end": hit.end, "quote": hit.quote})
    for referral in referrals.values():
        if all(item["rule"] in rules.supporting for item in referral.evidence):
            referral.evidence.clear()
            referral.quotes.clear()
    progress("harm flags: rules", steps, steps)
    order = {name: i for i, name in enumerate(rules.indicators)}
    for referral in referrals.values():
        referral.evidence.sort(
            key=lambda e: (order.get(e["indicator"], 99), e["table"], str(e["record"]), e["field"], e["date"] or "")
        )
    return list(referrals.values()), linked


def _flag_rows(referrals: list[ReferralIndicators], rule_version: str) -> tuple[list[tuple], list[tuple]]:
    flags, quotes = [], []
    for referral in referrals:
        if not referral.flagged:
            continue
        fid = flag_id(referral.source, referral.record_id)
        dates = sorted(e["date"] for e in referral.evidence if e["date"] and e["table"] != "referral")
        dates = dates or [_iso(referral.as_of)]
        flags.append(
            (fid, referral.person_id, referral.source, referral.record_id, referral.local_authority,
             referral.referral_date, referral.as_of, referral.recorded_status, rule_version,
             ";".join(referral.indicators), json.dumps(referral.evidence, sort_keys=True), dates[0], dates[-1])
        )
        quotes.extend(
            (fid, referral.record_id, "summary", q["start"], q["end"], q["quote"]) for q in referral.quotes
        )
    return flags, quotes


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Insert rows in one columnar batch (row-at-a-time ``executemany`` took seconds at national scale)."""
    if not rows:
        return
    columns = [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]
    batch = pa.table({name: [row[i] for row in rows] for i, name in enumerate(columns)})
    con.register("flag_batch", batch)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM flag_batch")
    finally:
        con.unregister("flag_batch")


def run(
    db: Path | str, progress: ProgressCallback = silent, rules: RuleSet | None = None, engine: str = "duckdb"
) -> FlagSummary:
    """Compute harm-not-risk flags for every current referral and rewrite ``harm_flag`` (decisions kept).

    ``engine`` is where the structured rules run: ``duckdb`` here, or ``spark`` (``clearsight.engine``).
    """
    from clearsight.warehouse import connect

    started = time.perf_counter()
    rules = rules or load_rules()
    if not Path(db).is_file():
        raise ClearsightError(f"{db}: no warehouse here; run `clearsight ingest SUBMISSIONS --db {db}` first")
    if engine not in ENGINES:
        raise ClearsightError(f"no engine {engine!r}: choose one of {', '.join(ENGINES)}")
    con = connect(db)
    runner = None
    try:
        if not con.execute("SELECT count(*) FROM current_referral").fetchall()[0][0]:
            raise ClearsightError(f"{db}: the warehouse holds no referrals; ingest council returns first")
        ensure_tables(con)
        runner = make_engine(engine, con)
        referrals, linked = referral_indicators(con, rules, progress, runner)
        flags, quotes = _flag_rows(referrals, rules.label)
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM harm_flag")
        con.execute("DELETE FROM harm_flag_quote")
        _insert(con, "harm_flag", flags)
        _insert(con, "harm_flag_quote", quotes)
        by_indicator: dict[str, int] = defaultdict(int)
        for referral in referrals:
            if referral.flagged:
                for name in referral.indicators:
                    by_indicator[name] += 1
        summary = FlagSummary(
            db=str(db),
            run_id=uuid.uuid4().hex[:12],
            rule_version=rules.label,
            linked=linked,
            referrals=len(referrals),
            not_harmed=sum(r.recorded_status in NOT_HARMED for r in referrals),
            flags=len(flags),
            children=len({row[1] for row in flags}),
            by_indicator={name: by_indicator[name] for name in rules.indicators if by_indicator.get(name)},
            skipped_rules=[rule.id for rule in rules.sql_rules if not runnable(con, rule)],
        )
        summary.seconds = round(time.perf_counter() - started, 3)
        con.execute(
            "INSERT INTO harm_flag_run VALUES (?, ?, ?, ?, ?, ?, ?)",
            [summary.run_id, datetime.now(UTC).replace(tzinfo=None), summary.rule_version, linked,
             summary.referrals, summary.flags, summary.seconds],
        )
        con.execute("COMMIT")
    finally:
        if runner is not None:
            runner.close()
        con.close()
    return summary
