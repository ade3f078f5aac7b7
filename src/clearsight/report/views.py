"""The report's counting rules, written once as temporary views over the warehouse's current data.

Every table of the report is a GROUP BY over these views, so that a measure means the same everywhere:
``offences`` counts current offence records; ``victims`` and ``suspects`` count distinct people, by their
pseudonymous ``person_id`` where linkage has run, else by distinct person record. Demographics give each
person one value per characteristic (the value most often recorded for them; "not stated" only when no
record states one, and "not recorded" only when no record has anything), so those tables add up.
"""

from __future__ import annotations

import duckdb

from clearsight.engine import DuckDBEngine, Engine
from clearsight.standard import Standard

NOT_RECORDED = "Not recorded"
NOT_STATED = "Not stated"


def _code_table(con: duckdb.DuckDBPyConnection, name: str, rows: list[tuple[str, str, str]]) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (code VARCHAR, label VARCHAR, grp VARCHAR)")
    if rows:
        con.executemany(f"INSERT INTO {name} VALUES (?, ?, ?)", rows)


def _labels(standard: Standard, codelist: str) -> list[tuple[str, str, str]]:
    return [(c.code, c.label, c.group or "") for c in standard.codelist(codelist).codes]


def person_counting(con: duckdb.DuckDBPyConnection) -> str:
    """Say how people are counted, for the report's notes and the manifest."""
    linked = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'person_link'").fetchone()[0]
    if linked and con.execute("SELECT count(*) FROM person_link").fetchone()[0]:
        return "distinct pseudonymous persons (person_id from linkage) where linked, else distinct person records"
    return "distinct person records (linkage has not run on this warehouse)"


def create_views(con: duckdb.DuckDBPyConnection, standard: Standard, on: Engine | None = None) -> None:
    """Create the temporary views ``r_offence``, ``r_involved`` and ``r_person`` the tables read.

    ``on`` is where the per-person transforms (``r_records``, each person's most-recorded characteristic,
    ``r_person``) run: DuckDB in ``con`` by default, or Spark (``clearsight.engine``); ``r_person`` lands on
    ``con`` either way, and the report's GROUPING SETS aggregations read it there.

    ``r_involved`` keeps offences with no victim or suspect recorded (role NULL), so that offences counted
    beside people are the same offences as everywhere else.
    """
    _code_table(con, "r_force", _labels(standard, "police_force"))
    _code_table(con, "r_council", _labels(standard, "local_authority"))
    _code_table(con, "r_ho", _labels(standard, "ho_offence_code"))
    _code_table(con, "r_outcome", _labels(standard, "police_outcome_type"))
    _code_table(con, "r_location", _labels(standard, "location_type"))
    _code_table(con, "r_context", _labels(standard, "offence_context"))
    _code_table(con, "r_sex", _labels(standard, "sex"))
    _code_table(con, "r_ethnic", _labels(standard, "ethnicity_self_defined"))
    _code_table(con, "r_ic", _labels(standard, "ethnicity_officer_observed"))
    _code_table(con, "r_disability", _labels(standard, "disability"))
    has_link = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'person_link'").fetchone()[0]
    link_join = ("LEFT JOIN person_link pl ON pl.source = op.source AND pl.record_id = op.person_record_id "
                 "AND pl.submission_id = op.submission_id" if has_link else "")
    person_id = "coalesce(pl.person_id, op.source || '|' || op.person_record_id)" if has_link else \
        "op.source || '|' || op.person_record_id"
    yes_no = "CASE WHEN {0} THEN 'Yes' WHEN NOT {0} THEN 'No' ELSE '" + NOT_RECORDED + "' END"
    con.execute(f"""
    CREATE OR REPLACE TEMP VIEW r_offence AS
    SELECT o.source, o.submission_id, o.record_id,
           coalesce(CAST(year(o.recorded_date) AS VARCHAR), '{NOT_RECORDED}') AS year,
           coalesce(f.label, o.source) AS force,
           CASE WHEN o.local_authority IS NULL THEN '{NOT_RECORDED}' ELSE coalesce(c.label, o.local_authority) END
               AS council,
           coalesce(nullif(h.grp, ''), CASE WHEN o.ho_code IS NULL THEN '{NOT_RECORDED}' ELSE 'Other' END)
               AS offence_type,
           {yes_no.format('o.csa_flag')} AS csa_flag,
           {yes_no.format('o.cse_flag')} AS cse_flag,
           {yes_no.format('o.group_based_flag')} AS group_based_flag,
           {yes_no.format('o.online_flag')} AS online,
           {yes_no.format('o.night_time_economy')} AS night_time_economy,
           CASE WHEN o.location_type IS NULL OR o.location_type = 'NR' THEN '{NOT_RECORDED}'
                ELSE coalesce(l.label, o.location_type) END AS location,
           CASE WHEN o.offence_context IS NULL OR o.offence_context = 'NR' THEN '{NOT_RECORDED}'
                ELSE coalesce(x.label, o.offence_context) END AS context,
           CASE WHEN o.outcome_type IS NULL OR o.outcome_type = 'NR' THEN '{NOT_RECORDED}'
                WHEN o.outcome_type = 'PENDING' THEN 'Outcome not yet assigned'
                ELSE coalesce(nullif(u.grp, ''), 'Other outcome') END AS outcome,
           CASE WHEN o.outcome_type NOT IN ('PENDING', 'NR') AND o.outcome_date >= o.recorded_date
                THEN date_diff('day', o.recorded_date, o.outcome_date) END AS days_to_outcome
    FROM current_offence o
    LEFT JOIN r_force f ON f.code = o.source
    LEFT JOIN r_council c ON c.code = o.local_authority
    LEFT JOIN r_ho h ON h.code = o.ho_code
    LEFT JOIN r_location l ON l.code = o.location_type
    LEFT JOIN r_context x ON x.code = o.offence_context
    LEFT JOIN r_outcome u ON u.code = o.outcome_type
    """)
    con.execute(f"""
    CREATE OR REPLACE TEMP VIEW r_involved AS
    SELECT o.*, op.role, op.age_at_offence, op.person_record_id, op.submission_id AS person_submission,
           {person_id} AS person_key
    FROM r_offence o
    LEFT JOIN current_offence_person op ON o.source = op.source AND o.record_id = op.offence_record_id
         AND o.submission_id = op.submission_id AND op.role IN ('VICTIM', 'SUSPECT')
    {link_join}
    """)
    con.execute(f"""
    CREATE OR REPLACE TEMP VIEW r_referral AS
    SELECT r.source, r.submission_id, r.record_id,
           CASE WHEN r.local_authority IS NULL THEN '{NOT_RECORDED}' ELSE coalesce(c.label, r.local_authority) END
               AS council,
           {yes_no.format('r.cse_concern')} AS cse_concern
    FROM current_referral r LEFT JOIN r_council c ON c.code = r.local_authority
    """)
    pick = ("(SELECT person_key, role, {col} AS value, count(*) AS n FROM r_records GROUP BY ALL) "
            "QUALIFY row_number() OVER (PARTITION BY person_key, role ORDER BY value IN ('NR', 'NS'), "
            "value = 'NR', n DESC, value) = 1")
    on = on or DuckDBEngine(con)
    # The per-person transforms (they grow with people and records) run on the engine; the views above are
    # lookups over the current data, read by DuckDB and, where a transform needs one, sent to Spark as is.
    on.table("r_records", """
    SELECT DISTINCT i.person_key, i.role, i.source, i.person_record_id,
           coalesce(p.sex, 'NR') AS sex, coalesce(p.ethnicity_self_defined, 'NR') AS ethnic,
           coalesce(p.ethnicity_officer_observed, 'NR') AS ic, coalesce(p.nationality, 'NR') AS nationality,
           coalesce(p.disability, 'NR') AS disability
    FROM r_involved i
    LEFT JOIN current_person p ON p.source = i.source AND p.record_id = i.person_record_id
         AND p.submission_id = i.person_submission
    WHERE i.role IS NOT NULL
    """, keep=False)
    for column in ("sex", "ethnic", "ic", "nationality", "disability"):
        on.table(f"r_pick_{column}", "SELECT person_key, role, value FROM " + pick.format(col=column), keep=False)
    special = (f"CASE {{0}} WHEN 'NR' THEN '{NOT_RECORDED}' WHEN 'NS' THEN '{NOT_STATED}' ELSE {{1}} END")
    on.table("r_person", f"""
    WITH people AS (
        SELECT person_key, role, min(age_at_offence) AS age, count(DISTINCT source || '|' || record_id) AS offences
        FROM r_involved WHERE role IS NOT NULL GROUP BY ALL)
    SELECT p.person_key, p.role, p.offences,
           CASE WHEN p.age IS NULL THEN '{NOT_RECORDED}' WHEN p.age < 10 THEN '0 to 9'
                WHEN p.age < 13 THEN '10 to 12' WHEN p.age < 16 THEN '13 to 15' WHEN p.age < 18 THEN '16 to 17'
                WHEN p.age < 25 THEN '18 to 24' WHEN p.age < 35 THEN '25 to 34' WHEN p.age < 45 THEN '35 to 44'
                WHEN p.age < 55 THEN '45 to 54' ELSE '55 and over' END AS age_band,
           {special.format('s.value', "coalesce(rs.label, 'Other')")} AS sex,
           {special.format('e.value', "coalesce(nullif(re.grp, ''), 'Other')")} AS ethnicity_self_defined,
           {special.format('ic.value', "coalesce(ri.label, 'Other')")} AS ethnicity_officer_observed,
           {special.format('n.value', "CASE WHEN n.value = 'GBR' THEN 'British' ELSE 'Other nationality' END")}
               AS nationality,
           {special.format('d.value', "coalesce(rd.label, 'Other')")} AS disability,
           CASE WHEN p.offences = 1 THEN '1 offence' WHEN p.offences = 2 THEN '2 offences'
                WHEN p.offences <= 4 THEN '3 or 4 offences' ELSE '5 or more offences' END AS offences_recorded
    FROM people p
    JOIN r_pick_sex s USING (person_key, role) LEFT JOIN r_sex rs ON rs.code = s.value
    JOIN r_pick_ethnic e USING (person_key, role) LEFT JOIN r_ethnic re ON re.code = e.value
    JOIN r_pick_ic ic USING (person_key, role) LEFT JOIN r_ic ri ON ri.code = ic.value
    JOIN r_pick_nationality n USING (person_key, role)
    JOIN r_pick_disability d USING (person_key, role) LEFT JOIN r_disability rd ON rd.code = d.value
    """)
