"""The person graph: who is tied to whom, how strongly, when, and on which records' evidence.

Everything is SQL over the current warehouse views and linkage's ``person_link``, so that the graph scales
with the warehouse and not with Python: there is no loop over persons or records. The SQL is written once,
in DuckDB's dialect, and runs on DuckDB or (``--engine spark``) on Apache Spark (``clearsight.engine``).

Why three strengths: an analyst must be able to tell a tie that a court could see (a recorded offence:
*confirmed*) from one an intelligence officer would act on (a report graded A or B for its source and 1 or 2
for its content: *tentative*) from gossip (any other grading: *unconfirmed*). Group detection uses only the
first two by default, with unconfirmed ties that something independent corroborates (below), and every
published count says which it used.

Corroboration of an unconfirmed tie, each rule a separate option so that a count can name the rules it used:
- *by reports*: at least ``DEFAULT_CORROBORATION`` distinct reports support the tie (a phone named in two
  reports, one about each man; or two ungraded reports each naming both);
- *by records*: the one report it rests on is corroborated by a record of another kind: two of the persons it
  names are tied by a recorded offence or graded intelligence (``subjects_tied``: part of what it says is
  independently known), or a phone it names is on a police or council record of a person it names
  (``phone_on_record``: a detail it gives checks out). Intelligence practice treats a report whose checkable
  details check out as more credible; it does not prove every association the report asserts.
"""

from __future__ import annotations

import duckdb

from clearsight.engine import DuckDBEngine, Engine

STRENGTHS = ("confirmed", "tentative", "unconfirmed")
DEFAULT_GROUP_STRENGTHS = ("confirmed", "tentative")
# An unconfirmed tie counts for group detection once this many distinct reports support it (0: not by
# reports; corroboration by records below is a separate option): a
# phone named in two reports, one about each man, is two reports; one ungraded report naming both is one.
DEFAULT_CORROBORATION = 2
# An unconfirmed tie also counts when the one report it rests on is corroborated by a record of another kind
# (``nw_report_corroborated``); off with ``record_corroboration=False``.
DEFAULT_RECORD_CORROBORATION = True
# An entity (a phone, a car, a place) named in reports about more persons than this is a hub (a taxi
# rank, a school, a shopping centre) rather than evidence of a tie; its pairs would also grow quadratically.
MAX_ENTITY_PERSONS = 25

# Participants of offences and subjects of intelligence, each resolved to a pseudonymous person_id through
# person_link (same submission, same record id). Records linkage has not seen are left out, not guessed.
_OFFENCE_PARTY_SQL = """
SELECT o.source, o.submission_id, o.record_id AS offence_record_id, pl.person_id, upper(op.role) AS role,
       coalesce(o.committed_from, o.recorded_date) AS first_date,
       coalesce(o.committed_to, o.committed_from, o.recorded_date) AS last_date
FROM current_offence_person op
JOIN current_offence o ON o.submission_id = op.submission_id AND o.record_id = op.offence_record_id
JOIN person_link pl ON pl.submission_id = op.submission_id AND pl.record_id = op.person_record_id
WHERE upper(op.role) IN ('SUSPECT', 'VICTIM')
"""

_REPORT_SQL = """
SELECT i.source, i.submission_id, i.record_id, i.report_date,
       CASE WHEN upper(i.source_evaluation) IN ('A', 'B') AND i.intelligence_assessment IN ('1', '2')
            THEN 'tentative' ELSE 'unconfirmed' END AS strength
FROM current_intelligence i
"""

_SUBJECT_SQL = """
SELECT r.source, r.submission_id, r.record_id AS report_record_id, r.report_date, r.strength,
       pl.person_id, upper(s.role) AS role
FROM current_intelligence_subject s
JOIN nw_report r ON r.submission_id = s.submission_id AND r.record_id = s.intelligence_record_id
JOIN person_link pl ON pl.submission_id = s.submission_id AND pl.record_id = s.person_record_id
"""

# Every tie as one row per piece of evidence; ``person_a < person_b`` so that each pair has one spelling.
_EVIDENCE_SQL = f"""
WITH offence_pairs AS (
    SELECT a.person_id AS p1, b.person_id AS p2,
           CASE WHEN a.role = 'SUSPECT' AND b.role = 'SUSPECT' THEN 'co_suspect' ELSE 'offended_against' END
               AS edge_type,
           'confirmed' AS strength, a.first_date, a.last_date,
           [a.source || ':' || a.offence_record_id] AS evidence
    FROM nw_offence_party a JOIN nw_offence_party b
      ON a.submission_id = b.submission_id AND a.offence_record_id = b.offence_record_id
     AND a.person_id < b.person_id
    WHERE a.role = 'SUSPECT' OR b.role = 'SUSPECT'
),
subject_pairs AS (
    SELECT a.person_id AS p1, b.person_id AS p2, 'co_subject' AS edge_type, a.strength,
           a.report_date AS first_date, a.report_date AS last_date,
           [a.source || ':' || a.report_record_id] AS evidence
    FROM nw_subject a JOIN nw_subject b
      ON a.submission_id = b.submission_id AND a.report_record_id = b.report_record_id
     AND a.person_id < b.person_id
),
entity_subject AS (
    SELECT lower(e.entity_type) AS entity_type, e.entity_value, s.person_id, s.strength, s.report_date,
           s.source || ':' || s.report_record_id AS evidence
    FROM current_intelligence_entity e
    JOIN nw_subject s ON s.submission_id = e.submission_id AND s.report_record_id = e.intelligence_record_id
),
entity_small AS (
    SELECT entity_type, entity_value FROM entity_subject GROUP BY ALL
    HAVING count(DISTINCT person_id) <= {MAX_ENTITY_PERSONS}
),
entity_kept AS (SELECT s.* FROM entity_subject s SEMI JOIN entity_small USING (entity_type, entity_value)),
entity_pairs AS (
    SELECT a.person_id AS p1, b.person_id AS p2, 'shared_' || a.entity_type AS edge_type,
           CASE WHEN a.strength = 'tentative' AND b.strength = 'tentative' THEN 'tentative'
                ELSE 'unconfirmed' END AS strength,
           least(a.report_date, b.report_date) AS first_date, greatest(a.report_date, b.report_date) AS last_date,
           [a.evidence, b.evidence] AS evidence
    FROM entity_kept a JOIN entity_kept b
      ON a.entity_type = b.entity_type AND a.entity_value = b.entity_value AND a.person_id < b.person_id
     AND a.evidence <> b.evidence  -- two subjects of one report are co-subjects already
)
SELECT * FROM offence_pairs UNION ALL SELECT * FROM subject_pairs UNION ALL SELECT * FROM entity_pairs
"""

# One row per (pair, type, strength): the span of dates and the records (offences, reports) that are its
# evidence: ``evidence_count`` distinct records, the first 20 of them listed.
_EDGE_SQL = """
SELECT p1 AS person_a, p2 AS person_b, edge_type, strength, min(first_date) AS first_date,
       max(last_date) AS last_date, len(list_distinct(flatten(list(evidence)))) AS evidence_count,
       list_sort(list_distinct(flatten(list(evidence))))[1:20] AS evidence_records
FROM nw_evidence GROUP BY ALL
"""

# A person's role in the graph: a suspect anywhere is a suspect (a child can be both, and as an offender
# she is what group detection needs); otherwise a victim; otherwise another subject of intelligence.
_NODE_SQL = """
WITH roles AS (
    SELECT person_id, role, first_date AS seen FROM nw_offence_party
    UNION ALL SELECT person_id, role, report_date FROM nw_subject
)
SELECT person_id,
       CASE WHEN bool_or(role = 'SUSPECT') THEN 'suspect' WHEN bool_or(role = 'VICTIM') THEN 'victim'
            ELSE 'other' END AS person_role,
       min(seen) AS first_seen
FROM roles GROUP BY person_id
"""

# Unconfirmed reports that a record of another kind corroborates, one row per (report, basis, strength of
# the corroborating tie): two of the persons a report names are tied by a confirmed or tentative tie (which
# comes from other records: the report itself is unconfirmed), or a phone the report names is on a person
# record (police or council) of one of the persons it names. Phones are keyed pseudonyms in both places.
_CORROBORATED_SQL = """
WITH subjects_tied AS (
    SELECT a.source || ':' || a.report_record_id AS report, 'subjects_tied' AS basis, e.strength AS by_strength
    FROM nw_subject a JOIN nw_subject b
      ON a.submission_id = b.submission_id AND a.report_record_id = b.report_record_id
     AND a.person_id < b.person_id
    JOIN nw_edge e ON e.person_a = a.person_id AND e.person_b = b.person_id
    WHERE a.strength = 'unconfirmed' AND e.strength IN ('confirmed', 'tentative')
),
phone_on_record AS (
    SELECT s.source || ':' || s.report_record_id AS report, 'phone_on_record' AS basis,
           CAST(NULL AS VARCHAR) AS by_strength
    FROM current_intelligence_entity e
    JOIN nw_subject s ON s.submission_id = e.submission_id AND s.report_record_id = e.intelligence_record_id
    JOIN person_link pl ON pl.person_id = s.person_id
    JOIN current_person p ON p.submission_id = pl.submission_id AND p.record_id = pl.record_id
    WHERE s.strength = 'unconfirmed' AND lower(e.entity_type) = 'phone' AND p.phone_numbers IS NOT NULL
      AND instr(';' || replace(p.phone_numbers, ' ', '') || ';', ';' || e.entity_value || ';') > 0
)
SELECT DISTINCT report, basis, by_strength FROM subjects_tied
UNION SELECT DISTINCT report, basis, by_strength FROM phone_on_record
"""

# The graph's transforms in order, each a temporary table named for what it holds; written once in DuckDB's
# SQL and run by the engine the stage was given (``clearsight.engine``: DuckDB here, or Spark).
# ``keep``: whether code after the graph reads the table (``store.py`` reads nw_offence_party, the pipeline
# nw_edge and nw_node); the others are inputs of later steps only, computed inside the steps that read them.
STEPS: tuple[tuple[str, str, bool], ...] = (
    ("nw_offence_party", _OFFENCE_PARTY_SQL, True),
    ("nw_report", _REPORT_SQL, False),
    ("nw_subject", _SUBJECT_SQL, False),
    ("nw_evidence", _EVIDENCE_SQL, False),
    ("nw_edge", _EDGE_SQL, True),
    ("nw_node", _NODE_SQL, True),
    ("nw_report_corroborated", _CORROBORATED_SQL, True),
)


def build(con: duckdb.DuckDBPyConnection, on: Engine | None = None) -> tuple[int, int]:
    """Build ``nw_node`` and ``nw_edge`` (temporary tables on ``con``); returns (nodes, edges).

    ``on`` is where the transforms run (default: DuckDB, in ``con``); the tables land on ``con`` either way.
    """
    on = on or DuckDBEngine(con)
    for name, sql, keep in STEPS:
        on.table(name, sql, keep)
    nodes = con.execute("SELECT count(*) FROM nw_node").fetchall()[0][0]
    edges = con.execute("SELECT count(*) FROM nw_edge").fetchall()[0][0]
    return int(nodes), int(edges)


def has_inputs(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether linkage has run (networks are built over linked persons, never raw records)."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'person_link'"
    ).fetchall()[0][0]
    return bool(found)
