"""Missing episodes and placements of looked-after children: the care side of exploitation.

Going missing (above all with adults, or coming back with an adult nobody knows) and being placed in
unregistered provision are signs that IICSA found were read as risk when harm was already happening.
These tables count what forces and councils recorded, through the same keyed cells as every other table,
so disclosure control sees them with the rest of the release. A child is counted by pseudonymous
``person_id`` where linkage has run, else by person record (as victims and suspects are).
"""

from __future__ import annotations

import duckdb

from clearsight.report.tables import Spec
from clearsight.report.views import NOT_RECORDED
from clearsight.standard import Standard

SECTION = "Missing children and placements"


def _person_key(con: duckdb.DuckDBPyConnection, alias: str) -> tuple[str, str]:
    """The SQL for a child's key from ``alias`` (a table with source, submission_id, person_record_id)."""
    linked = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'person_link'").fetchone()[0]
    if not linked:
        return f"{alias}.source || '|' || {alias}.person_record_id", ""
    join = (f"LEFT JOIN person_link pl ON pl.source = {alias}.source AND pl.record_id = {alias}.person_record_id "
            f"AND pl.submission_id = {alias}.submission_id")
    return f"coalesce(pl.person_id, {alias}.source || '|' || {alias}.person_record_id)", join


def _has_rows(con: duckdb.DuckDBPyConnection, view: str) -> bool:
    present = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
    return view in present and con.execute(f"SELECT count(*) FROM {view}").fetchone()[0] > 0


def _missing_specs(con: duckdb.DuckDBPyConnection) -> tuple[Spec, ...]:
    key, join = _person_key(con, "m")
    referral_key, referral_join = _person_key(con, "r")
    con.execute(f"""
    CREATE OR REPLACE TEMP VIEW r_cse_child AS
    SELECT DISTINCT {referral_key} AS child_key FROM current_referral r {referral_join} WHERE r.cse_concern
    """)
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE r_missing AS
    SELECT m.source, m.submission_id, m.record_id, {key} AS child_key,
           coalesce(CAST(year(m.start_datetime) AS VARCHAR), '{NOT_RECORDED}') AS year,
           CASE WHEN s.submitter_type = 'force' THEN 'Police force' ELSE 'Council' END AS recorded_by,
           coalesce(f.label, c.label, m.source) AS submitter,
           CASE m.with_adults WHEN 'Y' THEN 'Yes' WHEN 'N' THEN 'No' WHEN 'U' THEN 'Not known'
                ELSE '{NOT_RECORDED}' END AS with_adults,
           CASE WHEN m.return_context IS NULL OR m.return_context = 'NR' THEN '{NOT_RECORDED}'
                ELSE coalesce(x.label, m.return_context) END AS return_context,
           CASE WHEN m.end_datetime IS NULL OR m.end_datetime < m.start_datetime THEN 'Not recorded as found'
                WHEN date_diff('hour', m.start_datetime, m.end_datetime) < 24 THEN '0 to 23 hours'
                WHEN date_diff('hour', m.start_datetime, m.end_datetime) < 72 THEN '24 to 71 hours'
                ELSE '72 hours or more' END AS time_missing,
           CASE WHEN k.child_key IS NULL THEN 'No' ELSE 'Yes' END AS child_has_cse_concern
    FROM current_missing_episode m
    JOIN submission s ON s.submission_id = m.submission_id
    {join}
    LEFT JOIN r_force f ON f.code = m.source
    LEFT JOIN r_council c ON c.code = m.source
    LEFT JOIN r_missing_context x ON x.code = m.return_context
    LEFT JOIN r_cse_child k ON k.child_key = {key}
    """)
    con.execute("""
    CREATE OR REPLACE TEMP TABLE r_missing_child AS
    SELECT child_key, CASE WHEN count(*) = 1 THEN '1 episode' WHEN count(*) = 2 THEN '2 episodes'
                           WHEN count(*) <= 4 THEN '3 or 4 episodes' WHEN count(*) <= 9 THEN '5 to 9 episodes'
                           ELSE '10 or more episodes' END AS episodes_recorded
    FROM r_missing GROUP BY child_key
    """)
    episodes = {"missing_episodes": "count(DISTINCT source || '|' || submission_id || '|' || record_id)",
                "children_missing": "count(DISTINCT child_key)"}
    about = "Episodes when a child was missing from home or care, as forces and councils recorded them. "
    return (
        Spec("missing_episodes_by_year", "Missing episodes and children missing by year", SECTION, ("year",),
             ("missing_episodes", "children_missing"), about + "By the year the child was reported missing. A "
             "child missing in two years is counted in each, once in the total. Both a force and a council may "
             "record the same episode.", view="r_missing", union=("children_missing",), measure_sql=episodes,
             chart=False, interval=True),
        Spec("children_by_missing_episodes", "Children by number of missing episodes recorded", SECTION,
             ("episodes_recorded",), ("children_missing",), "Distinct children by how many missing episodes "
             "are recorded for them in this report: repeated going missing is itself a warning sign.",
             view="r_missing_child", share=True, measure_sql={"children_missing": "count(*)"}),
        Spec("missing_episodes_by_adults_and_return", "Missing episodes: with adults, and how they ended", SECTION,
             ("with_adults", "return_context"), ("missing_episodes",), about + "Whether the child was believed "
             "to be with adults, and how the episode ended (found with adults, or brought back by an adult "
             "nobody knows, are possible signs of exploitation).", view="r_missing", measure_sql=episodes,
             chart=False),
        Spec("missing_episodes_by_return", "Missing episodes by how they ended", SECTION, ("return_context",),
             ("missing_episodes",), about + "How each episode ended.", view="r_missing", share=True,
             measure_sql=episodes),
        Spec("missing_episodes_by_time_missing", "Missing episodes by time missing", SECTION, ("time_missing",),
             ("missing_episodes",), about + "Time from the report to the child being found or returning.",
             view="r_missing", share=True, measure_sql=episodes),
        Spec("missing_episodes_by_cse_concern", "Missing episodes of children with a CSE concern", SECTION,
             ("child_has_cse_concern",), ("missing_episodes", "children_missing"), about + "Whether the child "
             "also has a children's social care referral recording child sexual exploitation as a concern "
             "(matched on the linked person where linkage has run, else within the same council's records).",
             view="r_missing", share=True, measure_sql=episodes, chart=False),
        Spec("missing_episodes_by_recorder", "Missing episodes by the force or council that recorded them",
             SECTION, ("recorded_by", "submitter"), ("missing_episodes",), about + "By the body that recorded "
             "them; the child's home council is not part of the missing-episode record.", view="r_missing",
             grouping="nested", measure_sql=episodes, chart=False),
    )


def _placement_specs(con: duckdb.DuckDBPyConnection) -> tuple[Spec, ...]:
    key, join = _person_key(con, "p")
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE r_placement AS
    SELECT p.source, p.submission_id, p.record_id, {key} AS child_key,
           coalesce(CAST(year(p.start_date) AS VARCHAR), '{NOT_RECORDED}') AS year,
           coalesce(c.label, sc.label, coalesce(p.local_authority, p.source)) AS council,
           coalesce(f.label, 'Not known') AS force_area,
           coalesce(nullif(t.grp, ''), CASE WHEN p.placement_type IS NULL THEN '{NOT_RECORDED}' ELSE 'Other' END)
               AS placement_type,
           CASE p.provider_registration WHEN 'REGISTERED' THEN 'Registered'
                WHEN 'UNREGISTERED' THEN 'Unregistered' WHEN 'EXEMPT' THEN 'Not required to register'
                ELSE '{NOT_RECORDED}' END AS provider_registration
    FROM current_placement p
    {join}
    LEFT JOIN r_council c ON c.code = p.local_authority
    LEFT JOIN r_council sc ON sc.code = p.source
    LEFT JOIN r_force f ON f.code = coalesce(nullif(c.grp, ''), nullif(sc.grp, ''))
    LEFT JOIN r_placement_type t ON t.code = p.placement_type
    """)
    placements = {"placements": "count(DISTINCT source || '|' || submission_id || '|' || record_id)",
                  "children_placed": "count(DISTINCT child_key)"}
    about = "Placements of looked-after children that started in the period, as councils recorded them. "
    return (
        Spec("placements_by_type", "Placements by type", SECTION, ("placement_type",), ("placements",),
             about + "By the group of the DfE SSDA903 placement type.", view="r_placement", share=True,
             measure_sql=placements),
        Spec("placements_by_type_and_registration", "Placements by type and provider registration", SECTION,
             ("placement_type", "provider_registration"), ("placements",), about + "Whether the provider was "
             "registered with Ofsted: unregistered provision is illegal, and children placed there are at "
             "greater risk of exploitation.", view="r_placement", measure_sql=placements, chart=False),
        Spec("children_placed_by_provider_registration", "Children placed, by provider registration", SECTION,
             ("provider_registration",), ("placements", "children_placed"), about + "A child with placements of "
             "two kinds is counted under each, once in the total. The percentage is of placements.",
             view="r_placement", union=("children_placed",), measure_sql=placements, share=True),
        Spec("placements_by_force_area_and_registration",
             "Placements by police force area and provider registration", SECTION,
             ("force_area", "provider_registration"), ("placements",), about + "By the police force area of the "
             "placing council; the percentage in the Unregistered row is the area's share of placements in "
             "unregistered provision. (By council, most counts of unregistered placements are too small to "
             "publish without withholding most of the table.)", view="r_placement", grouping="nested",
             share=True, measure_sql=placements, chart=False),
        Spec("placements_by_year_and_registration", "Placements by year and provider registration", SECTION,
             ("year", "provider_registration"), ("placements",), about + "By the year the placement started.",
             view="r_placement", measure_sql=placements, chart=False),
    )


def _disruption_specs(con: duckdb.DuckDBPyConnection) -> tuple[Spec, ...]:
    key, join = _person_key(con, "d")
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE r_disruption AS
    SELECT d.source, d.submission_id, d.record_id, {key} AS person_key,
           CASE WHEN d.disruption_type IS NULL THEN '{NOT_RECORDED}' ELSE coalesce(t.label, d.disruption_type) END
               AS disruption_type
    FROM current_disruption d {join} LEFT JOIN r_disruption_type t ON t.code = d.disruption_type
    """)
    counts = {"disruptions": "count(DISTINCT source || '|' || submission_id || '|' || record_id)",
              "people_disrupted": "count(DISTINCT person_key)"}
    return (Spec("disruptions_by_type", "Disruptions by type", "Nature", ("disruption_type",),
                 ("disruptions", "people_disrupted"), "Disruption of suspected offenders recorded by forces and "
                 "councils (warning notices, orders, arrests, charges, licensing action), with the distinct people "
                 "they were used against; a person disrupted in two ways is counted under each, once in the total.",
                 view="r_disruption", union=("people_disrupted",), measure_sql=counts, share=True),)


def care_specs(con: duckdb.DuckDBPyConnection, standard: Standard) -> tuple[Spec, ...]:
    """The specs of the missing-episode, placement and disruption tables, for those with any current rows."""
    for name, codelist in (("r_missing_context", "missing_return_context"), ("r_placement_type", "placement_type"),
                           ("r_disruption_type", "disruption_type")):
        rows = [(c.code, c.label, c.group or "") for c in standard.codelist(codelist).codes]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (code VARCHAR, label VARCHAR, grp VARCHAR)")
        con.executemany(f"INSERT INTO {name} VALUES (?, ?, ?)", rows)
    specs: tuple[Spec, ...] = ()
    if _has_rows(con, "current_missing_episode"):
        specs += _missing_specs(con)
    if _has_rows(con, "current_placement"):
        specs += _placement_specs(con)
    if _has_rows(con, "current_disruption"):
        specs += _disruption_specs(con)
    return specs
