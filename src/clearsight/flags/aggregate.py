"""Aggregates of harm flags for the report: children recorded not harmed despite evidence, by area, year
and indicator.

Why children and not referrals: one child can be referred several times in a year; the audit counts
children. The counts here are raw; disclosure control is the report stage's job, not this one's.
"""

from __future__ import annotations

from typing import Any

import duckdb

ALL_INDICATORS = "All indicators"
TOTAL = "Total"

_COUNTS_SQL = """
WITH per_indicator AS (
    SELECT coalesce(f.local_authority, 'Not recorded') AS council, year(f.referral_date) AS year,
           unnest(string_split(f.indicators, ';')) AS indicator, f.person_id
    FROM harm_flag f
),
everything AS (
    SELECT council, year, indicator, person_id FROM per_indicator
    UNION ALL SELECT council, year, '{all}', person_id FROM per_indicator
    UNION ALL SELECT '{total}', year, indicator, person_id FROM per_indicator
    UNION ALL SELECT '{total}', year, '{all}', person_id FROM per_indicator
)
SELECT council, year, indicator, count(DISTINCT person_id) AS children
FROM everything GROUP BY council, year, indicator
ORDER BY council = '{total}', council, year, indicator = '{all}', indicator
"""


def flag_counts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Children flagged, per council (GSS code), referral year and indicator, with 'Total' council rows
    and 'All indicators' rows (a child with two indicators counts once there)."""
    sql = _COUNTS_SQL.format(all=ALL_INDICATORS, total=TOTAL)
    result = con.execute(sql)
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
