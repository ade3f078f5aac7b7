"""Sections that appear only when a later stage has run: offender groups (networks) and harm flags.

The report reads the tables those stages write (their names come from the stages' own modules) but counts
them itself, through the same keyed cells as the rest of the release, so that disclosure control sees
the groups and flags alongside every other table: the count of offences the police flagged group-based
here is the very cell of the flags table, and cannot be used to unpick it.
"""

from __future__ import annotations

import duckdb

from clearsight.report.tables import Spec
from clearsight.report.views import NOT_RECORDED


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def _network_tables() -> tuple[str, ...]:
    try:
        from clearsight.networks.store import OUTPUT_TABLES
    except ImportError:
        return ("offender_group", "network_offence_flag")
    return tuple(OUTPUT_TABLES)


def _network_specs(con: duckdb.DuckDBPyConnection) -> tuple[Spec, ...]:
    con.execute("""
    CREATE OR REPLACE TEMP VIEW r_group AS
    SELECT group_id,
           CASE WHEN suspects <= 2 THEN '2 suspects' WHEN suspects <= 4 THEN '3 or 4 suspects'
                WHEN suspects <= 9 THEN '5 to 9 suspects' ELSE '10 or more suspects' END AS group_size,
           CASE WHEN victims = 0 THEN 'No victim recorded' WHEN victims = 1 THEN '1 victim'
                WHEN victims <= 4 THEN '2 to 4 victims' ELSE '5 or more victims' END AS victims_per_group,
           CASE WHEN duration_days IS NULL THEN 'Not known' WHEN duration_days < 30 THEN 'Under 1 month'
                WHEN duration_days < 365 THEN '1 to 12 months' WHEN duration_days < 1095 THEN '1 to 3 years'
                ELSE '3 years or more' END AS duration,
           CASE WHEN coalesce(disruptions, 0) > 0 THEN 'Yes' ELSE 'No' END AS disrupted,
           coalesce(CAST(year(first_date) AS VARCHAR), 'Not known') AS first_year
    FROM offender_group
    """)
    con.execute("""
    CREATE OR REPLACE TEMP VIEW r_group_force AS
    SELECT g.group_id, coalesce(f.label, u.code) AS force
    FROM offender_group g,
         unnest(CASE WHEN len(coalesce(g.forces, [])) = 0 THEN ['Not known'] ELSE g.forces END) AS u(code)
    LEFT JOIN r_force f ON f.code = u.code
    """)
    con.execute("""
    CREATE OR REPLACE TEMP VIEW r_group_offence AS
    SELECT o.*, CASE WHEN coalesce(n.derived_group_based, false) THEN 'Yes' ELSE 'No' END AS found_in_offender_group
    FROM r_offence o LEFT JOIN network_offence_flag n
      ON n.source = o.source AND n.submission_id = o.submission_id AND n.record_id = o.record_id
    """)
    groups = {"groups": "count(DISTINCT group_id)"}
    about = ("Offender groups are found by the networks stage: two or more suspects tied by offences or "
             "intelligence. ")
    return (
        Spec("groups_by_size", "Offender groups by size", "Offender groups", ("group_size",), ("groups",),
             about + "Groups by their number of suspects.", view="r_group", share=True, measure_sql=groups),
        Spec("groups_by_victims", "Offender groups by number of victims", "Offender groups",
             ("victims_per_group",), ("groups",), "Groups by the number of distinct victims of their offences.",
             view="r_group", share=True, measure_sql=groups),
        Spec("groups_by_duration", "Offender groups by duration", "Offender groups", ("duration",), ("groups",),
             "Time from a group's first offence to its last.", view="r_group", share=True, measure_sql=groups),
        Spec("groups_by_first_year", "Offender groups by the year of their first offence", "Offender groups",
             ("first_year",), ("groups",), about + "Groups by the year of the first offence linked to them.",
             view="r_group", measure_sql=groups, chart=False),
        Spec("groups_by_force", "Offender groups by police force", "Offender groups", ("force",), ("groups",),
             about + "Groups by the forces that recorded their offences; a group in two forces is counted in "
             "both, once in the total.", view="r_group_force", union=("groups",), measure_sql=groups, chart=False),
        Spec("groups_by_disruption", "Offender groups with a disruption recorded", "Offender groups",
             ("disrupted",), ("groups",), "Groups with at least one disruption (CAWN, SRO, SHPO, arrest...) "
             "recorded against a member.", view="r_group", share=True, measure_sql=groups),
        Spec("offences_by_group_based_recording", "Group-based offending: police flag against offender groups found",
             "Recording quality", ("group_based_flag", "found_in_offender_group"), ("offences",),
             "Offences the police flagged as group-based, against offences whose suspects belong to an offender "
             "group the networks stage found. Offences in groups but not flagged are recording gaps to check.",
             view="r_group_offence", chart=False),
    )


def _flag_specs(con: duckdb.DuckDBPyConnection) -> tuple[Spec, ...]:
    con.execute(f"""
    CREATE OR REPLACE TEMP VIEW r_harm AS
    SELECT f.person_id,
           CASE WHEN f.local_authority IS NULL THEN '{NOT_RECORDED}' ELSE coalesce(c.label, f.local_authority) END
               AS council,
           replace(trim(i.indicator), '_', ' ') AS indicator
    FROM harm_flag f LEFT JOIN r_council c ON c.code = f.local_authority,
         unnest(string_split(f.indicators, ';')) AS i(indicator)
    """)
    children = {"children_flagged": "count(DISTINCT person_id)"}
    about = ("Children whose referral recorded them as at risk (not harmed) although the records held evidence "
             "that harm had already happened. ")
    return (
        Spec("children_flagged_by_council", "Harm recorded as risk: children by council", "Harm, not risk",
             ("council",), ("children_flagged",), about + "A child flagged in two councils is counted in both.",
             view="r_harm", union=("children_flagged",), measure_sql=children, chart=False),
        Spec("children_flagged_by_indicator", "Harm recorded as risk: children by indicator", "Harm, not risk",
             ("indicator",), ("children_flagged",), about + "A child with two indicators is counted under both.",
             view="r_harm", union=("children_flagged",), measure_sql=children),
    )


def _intake_specs(con: duckdb.DuckDBPyConnection) -> tuple[Spec, ...]:
    con.execute(f"""
    CREATE OR REPLACE TEMP VIEW r_intake AS
    SELECT received_month,
           coalesce(reporter_setting, '{NOT_RECORDED}') AS reporter_setting,
           CASE WHEN force_code IS NULL THEN 'Not yet routed' ELSE coalesce(f.label, force_code) END AS force,
           CASE WHEN hours_report_to_triage IS NULL THEN 'Not yet triaged'
                WHEN hours_report_to_triage <= 24 THEN 'Within 24 hours'
                WHEN hours_report_to_triage <= 72 THEN '1 to 3 days' ELSE 'Over 3 days' END AS time_to_triage
    FROM mandatory_report_extract e LEFT JOIN r_force f ON f.code = e.force_code
    """)
    reports = {"mandatory_reports": "count(*)"}
    about = ("Reports made through the mandatory reporting service by people in positions of trust "
             "(the service's de-identified extract). ")
    return (
        Spec("mandatory_reports_by_setting", "Mandatory reports by the reporter's setting", "Mandatory reporting",
             ("reporter_setting",), ("mandatory_reports",), about + "By the setting the reporter works in.",
             view="r_intake", share=True, measure_sql=reports),
        Spec("mandatory_reports_by_triage_time", "Mandatory reports by time from report to triage",
             "Mandatory reporting", ("time_to_triage",), ("mandatory_reports",),
             about + "How soon the council or force first triaged each report.", view="r_intake", share=True,
             measure_sql=reports),
        Spec("mandatory_reports_by_force", "Mandatory reports by police force", "Mandatory reporting",
             ("force",), ("mandatory_reports",), about + "By the force the report was routed to.",
             view="r_intake", chart=False, measure_sql=reports),
    )


def optional_specs(con: duckdb.DuckDBPyConnection) -> tuple[tuple[Spec, ...], list[str]]:
    """The specs of the sections whose source tables exist, and a sentence for each that is left out."""
    present = _tables(con)
    specs: tuple[Spec, ...] = ()
    missing: list[str] = []
    if {"offender_group", "network_offence_flag"} <= present and set(_network_tables()) <= present | {
            "network_edge", "offender_group_member", "offender_group_offence"}:
        specs += _network_specs(con)
    else:
        missing.append("Offender groups are not reported: the networks stage has not run on this warehouse.")
    if "mandatory_report_extract" in present:
        specs += _intake_specs(con)
    if "harm_flag" in present:
        specs += _flag_specs(con)
    else:
        missing.append("Harm-not-risk findings are not reported: the flags stage has not run on this warehouse.")
    return specs, missing
