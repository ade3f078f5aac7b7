"""Aggregate counts of offender groups for the report: never a person, only counts by category.

Tidy tables (dimension columns, then count columns named for what they count, ``Total`` rows), ready
for the report stage's disclosure control, which is applied there and not here: these are unsuppressed.
A group is placed in the area where most of its offences were committed and in the year its first
offence began (groups known only from intelligence: the year of their first report); every table carries
the strengths the groups were detected with, because a count of groups means something different with and
without intelligence ties.
"""

from __future__ import annotations

import duckdb

Row = dict[str, object]

_BANDS = {
    "suspects": "CASE WHEN suspects = 2 THEN '2' WHEN suspects <= 4 THEN '3-4' WHEN suspects <= 9 THEN '5-9' "
                "WHEN suspects <= 19 THEN '10-19' ELSE '20+' END",
    "victims": "CASE WHEN victims = 0 THEN '0' WHEN victims = 1 THEN '1' WHEN victims <= 4 THEN '2-4' "
               "WHEN victims <= 9 THEN '5-9' ELSE '10+' END",
    "duration": "CASE WHEN duration_days IS NULL THEN 'Not known' WHEN duration_days < 30 THEN 'under 1 month' "
                "WHEN duration_days < 365 THEN '1-12 months' WHEN duration_days < 3 * 365 THEN '1-3 years' "
                "ELSE '3 years or more' END",
}

_PLACED = """
CREATE OR REPLACE TEMP TABLE nw_placed AS
WITH area_votes AS (
    SELECT g.group_id, o.local_authority, count(*) AS offences
    FROM offender_group_offence g JOIN current_offence o
      ON o.submission_id = g.submission_id AND o.record_id = g.offence_record_id
    WHERE o.local_authority IS NOT NULL GROUP BY ALL
),
main_area AS (
    SELECT group_id, first(local_authority ORDER BY offences DESC, local_authority) AS area
    FROM area_votes GROUP BY group_id
)
SELECT g.*, coalesce(a.area, 'Not known') AS area,
       coalesce(CAST(year(coalesce(g.first_date, g.first_seen)) AS VARCHAR), 'Not known') AS year
FROM offender_group g LEFT JOIN main_area a USING (group_id);
"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[Row]:
    relation = con.execute(sql)
    columns = [d[0] for d in relation.description]
    return [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]


def _by(con: duckdb.DuckDBPyConnection, dimension: str, expression: str, order: str = "d") -> list[Row]:
    """Groups, suspects, victims and offences by one dimension, with a Total row (last); bands in order."""
    return _rows(con, f"""
        SELECT coalesce(CAST(d AS VARCHAR), 'Total') AS {dimension}, count(*) AS groups,
               coalesce(sum(suspects), 0)::BIGINT AS suspects, coalesce(sum(victims), 0)::BIGINT AS victims,
               coalesce(sum(offences), 0)::BIGINT AS offences
        FROM (SELECT {expression} AS d, {order} AS o, * FROM nw_placed)
        GROUP BY ROLLUP (d) ORDER BY d IS NULL, min(o), d""")


def _demographics(con: duckdb.DuckDBPyConnection, field: str) -> list[Row]:
    """Members and victims by one recorded characteristic, 'Not recorded' kept so completeness shows."""
    return _rows(con, f"""
        WITH per_person AS (
            SELECT m.person_id, m.person_role, mode(p.{field}) AS value
            FROM offender_group_member m JOIN person_link pl ON pl.person_id = m.person_id
            JOIN current_person p ON p.submission_id = pl.submission_id AND p.record_id = pl.record_id
            GROUP BY ALL
        )
        SELECT person_role, coalesce(value, 'Not recorded') AS {field}, count(*) AS persons
        FROM per_person GROUP BY ALL ORDER BY person_role, {field}""")


def group_statistics(con: duckdb.DuckDBPyConnection) -> dict[str, list[Row]]:
    """Every aggregate table of offender groups the report publishes, keyed by table name."""
    con.execute(_PLACED)
    strengths = con.execute("SELECT any_value(strengths_used) FROM offender_group").fetchall()[0][0] or ""
    tables = {
        "groups_by_area": _by(con, "local_authority", "area"),
        "groups_by_year": _by(con, "year", "year"),
        "groups_by_size": _by(con, "suspects_band", _BANDS["suspects"], "suspects"),
        "groups_by_victims": _by(con, "victims_band", _BANDS["victims"], "victims"),
        "groups_by_duration": _by(con, "duration_band", _BANDS["duration"], "coalesce(duration_days, 1e9)"),
        "groups_by_area_and_year": _rows(con, """
            SELECT area AS local_authority, year, count(*) AS groups, sum(suspects)::BIGINT AS suspects,
                   sum(victims)::BIGINT AS victims FROM nw_placed GROUP BY ALL ORDER BY 1, 2"""),
        "groups_by_offence_type": _rows(con, """
            SELECT ho_code, count(DISTINCT group_id) AS groups FROM nw_placed, unnest(offence_types) AS t(ho_code)
            GROUP BY ALL ORDER BY ho_code"""),
        "group_based_recording": _rows(con, """
            SELECT coalesce(source, 'Total') AS force, count(*) FILTER (derived_group_based) AS offences_in_groups,
                   count(*) FILTER (finding = 'agree_group') AS offences_flagged_and_found,
                   count(*) FILTER (finding = 'group_not_recorded') AS offences_in_groups_not_flagged,
                   count(*) FILTER (finding = 'recorded_not_found') AS offences_flagged_not_found
            FROM network_offence_flag GROUP BY ROLLUP (source) ORDER BY source IS NULL, source"""),
        "group_member_sex": _demographics(con, "sex"),
        "group_member_ethnicity": _demographics(con, "ethnicity_self_defined"),
    }
    for rows in tables.values():
        for row in rows:
            row["strengths_used"] = strengths
    return tables
