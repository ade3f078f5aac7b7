"""The tables the networks stage writes, each derived in SQL from the graph and the partition.

``network_edge``: every tie, typed, with its strength, date span and evidence records.
``offender_group``: one row per group, with its size, victims, span, areas, offence types and disruptions.
``offender_group_member``: suspects (core or periphery) and victims of each group.
``offender_group_offence``: the offences a group's members are suspects in.
``network_offence_flag``: the derived group-based flag beside the police-recorded one (the finding).
``network_report_corroboration``: unconfirmed reports a record of another kind corroborates, and how.
``network_run``: what each run did and which strengths its groups used.
Tables are replaced whole in one transaction, rows in a fixed order, so a re-run on the same inputs writes
the same tables.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

OUTPUT_TABLES = ("network_edge", "offender_group", "offender_group_member", "offender_group_offence",
                 "network_offence_flag")

RUN_DDL = """
CREATE TABLE IF NOT EXISTS network_run (
    run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP NOT NULL, strengths VARCHAR NOT NULL,
    max_group_suspects BIGINT NOT NULL, nodes BIGINT NOT NULL, edges BIGINT NOT NULL,
    components_split BIGINT NOT NULL, groups BIGINT NOT NULL, seconds DOUBLE NOT NULL
);
"""

# Group ids: a hash of the smallest member person_id, then carried forward from the previous run where a
# new group holds most of an old group's suspects and most of its own suspects were in it.
_GROUP_IDS_SQL = """
CREATE OR REPLACE TEMP TABLE nw_group_id AS
WITH candidates AS (
    SELECT community, min(person_id) AS min_person, string_agg(person_id, ' ' ORDER BY person_id) AS all_members,
           count(*) AS suspects
    FROM nw_partition WHERE person_role = 'suspect' GROUP BY community HAVING count(*) >= 2
),
fresh AS (
    SELECT community, 'G' || upper(substr(sha256('clearsight group ' || min_person), 1, 12)) AS fresh_id,
           'G' || upper(substr(sha256('clearsight group ' || all_members), 1, 12)) AS fallback_id,
           suspects FROM candidates
),
overlap AS (
    SELECT f.community, o.group_id AS old_id, count(*) AS shared, any_value(f.suspects) AS suspects,
           any_value(o.old_suspects) AS old_suspects
    FROM fresh f JOIN nw_partition p ON p.community = f.community AND p.person_role = 'suspect'
    JOIN nw_previous o ON o.person_id = p.person_id GROUP BY ALL
),
carried AS (
    SELECT community, old_id FROM overlap WHERE 2 * shared > suspects AND 2 * shared > old_suspects
)
-- a fresh id that an old group carried forward elsewhere (its smallest member moved) falls back to a hash
-- of all its members, so that ids stay unique
SELECT f.community, coalesce(c.old_id, CASE WHEN f.fresh_id IN (SELECT old_id FROM carried) THEN f.fallback_id
                                           ELSE f.fresh_id END) AS group_id
FROM fresh f LEFT JOIN carried c USING (community);
"""

_MEMBER_SQL = """
CREATE OR REPLACE TEMP TABLE nw_member AS
SELECT g.group_id, p.person_id, p.person_role,
       CASE WHEN p.person_role <> 'suspect' THEN NULL WHEN p.core THEN 'core' ELSE 'periphery' END AS member_role,
       p.strength AS weighted_degree, p.first_seen
FROM nw_partition p JOIN nw_group_id g USING (community)
WHERE p.person_role IN ('suspect', 'victim');
"""

_OFFENCE_SQL = """
CREATE OR REPLACE TEMP TABLE nw_group_offence AS
SELECT DISTINCT m.group_id, o.source, o.submission_id, o.offence_record_id
FROM nw_offence_party o JOIN nw_member m ON m.person_id = o.person_id AND m.person_role = 'suspect'
WHERE o.role = 'SUSPECT';

CREATE OR REPLACE TEMP TABLE nw_offence_flag AS
WITH derived AS (
    SELECT source, submission_id, offence_record_id AS record_id, min(group_id) AS group_id
    FROM nw_group_offence GROUP BY ALL
)
SELECT o.source, o.submission_id, o.record_id, o.group_based_flag AS police_group_based,
       d.group_id IS NOT NULL AS derived_group_based, d.group_id,
       CASE WHEN d.group_id IS NOT NULL AND coalesce(o.group_based_flag, false) THEN 'agree_group'
            WHEN d.group_id IS NOT NULL THEN 'group_not_recorded'
            WHEN coalesce(o.group_based_flag, false) THEN 'recorded_not_found'
            ELSE 'agree_not_group' END AS finding,
       o.cse_flag, o.csa_flag
FROM current_offence o LEFT JOIN derived d
  ON d.submission_id = o.submission_id AND d.record_id = o.record_id;
"""

_GROUP_SQL = """
CREATE OR REPLACE TEMP TABLE nw_group AS
WITH members AS (
    SELECT group_id, count(*) FILTER (person_role = 'suspect') AS suspects,
           count(*) FILTER (member_role = 'core') AS core_suspects,
           count(*) FILTER (person_role = 'victim') AS victims, min(first_seen) AS first_seen
    FROM nw_member GROUP BY group_id
),
offences AS (
    SELECT g.group_id, count(*) AS offences, min(coalesce(o.committed_from, o.recorded_date)) AS first_date,
           max(coalesce(o.committed_to, o.committed_from, o.recorded_date)) AS last_date,
           list_sort(list(DISTINCT o.local_authority) FILTER (o.local_authority IS NOT NULL)) AS areas,
           list_sort(list(DISTINCT o.source)) AS forces,
           list_sort(list(DISTINCT o.ho_code) FILTER (o.ho_code IS NOT NULL)) AS offence_types,
           count(*) FILTER (o.group_based_flag) AS police_flagged_offences,
           count(*) FILTER (o.cse_flag) AS cse_offences
    FROM nw_group_offence g JOIN current_offence o
      ON o.submission_id = g.submission_id AND o.record_id = g.offence_record_id
    GROUP BY g.group_id
),
disruptions AS (
    SELECT m.group_id, count(*) AS disruptions, list_sort(list(DISTINCT d.disruption_type)) AS disruption_types
    FROM current_disruption d
    JOIN person_link pl ON pl.submission_id = d.submission_id AND pl.record_id = d.person_record_id
    JOIN nw_member m ON m.person_id = pl.person_id AND m.person_role = 'suspect'
    GROUP BY m.group_id
),
split AS (SELECT g.group_id, bool_or(p.split) AS split_from_component, max(p.component) AS component
          FROM nw_partition p JOIN nw_group_id g USING (community) GROUP BY g.group_id)
SELECT m.group_id, m.suspects, m.core_suspects, m.victims, coalesce(o.offences, 0) AS offences,
       o.first_date, o.last_date, m.first_seen, date_diff('day', o.first_date, o.last_date) AS duration_days,
       coalesce(o.areas, []) AS areas, coalesce(o.forces, []) AS forces,
       coalesce(o.offence_types, []) AS offence_types, coalesce(o.police_flagged_offences, 0)
           AS police_flagged_offences, coalesce(o.cse_offences, 0) AS cse_offences,
       coalesce(d.disruptions, 0) AS disruptions, coalesce(d.disruption_types, []) AS disruption_types,
       s.split_from_component, ? AS strengths_used
FROM members m LEFT JOIN offences o USING (group_id) LEFT JOIN disruptions d USING (group_id)
JOIN split s USING (group_id);
"""

_ORDER = {
    "network_edge": ("nw_edge", "person_a, person_b, edge_type, strength"),
    "offender_group": ("nw_group", "group_id"),
    "offender_group_member": ("nw_member", "group_id, person_role, person_id"),
    "offender_group_offence": ("nw_group_offence", "group_id, source, submission_id, offence_record_id"),
    "network_offence_flag": ("nw_offence_flag", "source, submission_id, record_id"),
    "network_report_corroboration": ("nw_report_corroborated", "report, basis, by_strength"),
}


def load_previous(con: duckdb.DuckDBPyConnection) -> None:
    """Keep the last run's group suspects as ``nw_previous`` so that their ids can be carried forward."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables "
                         "WHERE table_name = 'offender_group_member'").fetchall()[0][0]
    source = ("SELECT group_id, person_id, count(*) OVER (PARTITION BY group_id) AS old_suspects "
              "FROM offender_group_member WHERE person_role = 'suspect'") if exists else (
        "SELECT NULL::VARCHAR AS group_id, NULL::VARCHAR AS person_id, NULL::BIGINT AS old_suspects WHERE false")
    con.execute(f"CREATE OR REPLACE TEMP TABLE nw_previous AS {source}")


def derive(con: duckdb.DuckDBPyConnection, partition: pa.Table, strengths: str) -> int:
    """Turn the partition (``person_id, person_role, community, component, split, strength, core,
    first_seen``) into the group tables (temporary); returns the number of groups."""
    con.register("nw_partition_arrow", partition)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE nw_partition AS SELECT * FROM nw_partition_arrow")
    finally:
        con.unregister("nw_partition_arrow")
    for sql in (_GROUP_IDS_SQL, _MEMBER_SQL, _OFFENCE_SQL):
        con.execute(sql)
    con.execute(_GROUP_SQL, [strengths])
    return int(con.execute("SELECT count(*) FROM nw_group").fetchall()[0][0])


def write(con: duckdb.DuckDBPyConnection, run: dict[str, object]) -> None:
    """Replace the output tables with the temporary ones and log the run, in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(RUN_DDL)
        for table, (temp, order) in _ORDER.items():
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {temp} ORDER BY {order}")
        columns = ", ".join(run)
        con.execute(f"INSERT INTO network_run ({columns}) VALUES ({', '.join('?' for _ in run)})",
                    list(run.values()))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
