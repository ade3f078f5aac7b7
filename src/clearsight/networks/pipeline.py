"""``run``: the networks stage's one entry point: graph, groups, roles, group profiles and the finding."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from clearsight.engine import ENGINES
from clearsight.engine import make as make_engine
from clearsight.errors import ClearsightError
from clearsight.networks import graph, groups, store
from clearsight.progress import ProgressCallback, silent
from clearsight.warehouse import connect


@dataclass
class NetworkSummary:
    """What a run found; ``lines`` is the CLI's summary."""

    db: str
    run_id: str
    nodes: int
    edges: int
    edges_by_strength: dict[str, int]
    strengths_used: list[str]
    components_split: int
    groups: int
    group_suspects: int
    group_victims: int
    offences_in_groups: int
    findings: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        by_strength = ", ".join(f"{k} {v:,}" for k, v in self.edges_by_strength.items())
        not_recorded = self.findings.get("group_not_recorded", 0)
        return [
            f"graph: {self.nodes:,} persons, {self.edges:,} ties ({by_strength})",
            f"groups from {' + '.join(self.strengths_used)} ties: {self.groups:,} groups, "
            f"{self.group_suspects:,} suspects, {self.group_victims:,} victims, "
            f"{self.offences_in_groups:,} offences ({self.components_split} components split by Leiden)",
            f"offences in a group the police did not flag group-based: {not_recorded:,}",
            f"{self.seconds:.1f} s",
        ]


RECORD_CORROBORATION_LABEL = ("unconfirmed in a report a record corroborates (two persons it names tied by a "
                              "tie used here; or a phone it names on a record of a person it names)")


def strengths_label(strengths: tuple[str, ...], corroboration: int, record_corroboration: bool) -> str:
    """What groups were built from, comma-separated: the strengths, then each corroboration rule used."""
    label = ",".join(strengths)
    if "unconfirmed" not in strengths:
        if corroboration:
            label += f",unconfirmed corroborated by {corroboration}+ reports"
        if record_corroboration:
            label += "," + RECORD_CORROBORATION_LABEL
    return label


def _partition(
    con: duckdb.DuckDBPyConnection, strengths: tuple[str, ...], corroboration: int, max_group_suspects: int,
    record_corroboration: bool = graph.DEFAULT_RECORD_CORROBORATION,
) -> tuple[pa.Table, int]:
    """Read the graph as integer arrays, detect groups, return one row per person with its community.

    A pair counts when a tie of a strength in ``strengths`` joins it, when ``corroboration`` or more distinct
    unconfirmed reports support it, or (``record_corroboration``) when one of its unconfirmed reports is
    corroborated by a record of another kind (``graph._CORROBORATED_SQL``; a corroborating tie must itself be
    of a strength in ``strengths``).
    """
    con.execute("CREATE OR REPLACE TEMP TABLE nw_index AS SELECT (row_number() OVER (ORDER BY person_id) - 1)"
                "::BIGINT AS idx, person_id, person_role, first_seen FROM nw_node")
    nodes = con.sql("SELECT idx, person_id, person_role, first_seen FROM nw_index ORDER BY idx").to_arrow_table()
    listed = ", ".join(f"'{strength}'" for strength in strengths)  # validated against graph.STRENGTHS
    # evidence_records lists a tie's first 20 records; a pair with more has two reports and counts anyway
    by_record = (
        "SELECT DISTINCT e.person_a, e.person_b FROM (SELECT person_a, person_b, unnest(evidence_records) AS report "
        "FROM nw_edge WHERE strength = 'unconfirmed') e JOIN nw_report_corroborated c USING (report) "
        f"WHERE c.basis = 'phone_on_record' OR c.by_strength IN ({listed})"
    ) if record_corroboration else (
        "SELECT NULL::VARCHAR AS person_a, NULL::VARCHAR AS person_b WHERE false")
    edges = con.sql(
        f"WITH by_record AS ({by_record}), "
        "pair AS (SELECT person_a, person_b, "
        f"coalesce(sum(evidence_count) FILTER (strength IN ({listed})), 0) AS strong, "
        "len(list_distinct(flatten(coalesce(list(evidence_records) FILTER (strength = 'unconfirmed'), [])))) "
        "AS weak, sum(evidence_count) AS total FROM nw_edge GROUP BY ALL) "
        "SELECT a.idx AS a, b.idx AS b, total::DOUBLE AS w FROM pair e "
        "JOIN nw_index a ON a.person_id = e.person_a JOIN nw_index b ON b.person_id = e.person_b "
        "LEFT JOIN by_record r ON r.person_a = e.person_a AND r.person_b = e.person_b "
        f"WHERE strong > 0 OR ({int(corroboration)} > 0 AND weak >= {int(corroboration)}) "
        "OR r.person_a IS NOT NULL ORDER BY 1, 2"
    ).to_arrow_table()
    is_suspect = np.asarray(nodes["person_role"].to_numpy(zero_copy_only=False) == "suspect")
    found = groups.detect(nodes.num_rows, edges["a"].to_numpy(), edges["b"].to_numpy(), edges["w"].to_numpy(),
                          is_suspect, max_group_suspects=max_group_suspects)
    core = groups.core_members(found.community, found.strength, is_suspect)
    return pa.table({
        "person_id": nodes["person_id"], "person_role": nodes["person_role"], "first_seen": nodes["first_seen"],
        "component": found.component, "community": found.community, "split": found.split,
        "strength": found.strength, "core": core,
    }), found.components_split


def run(
    db: Path | str,
    progress: ProgressCallback = silent,
    strengths: tuple[str, ...] = graph.DEFAULT_GROUP_STRENGTHS,
    corroboration: int = graph.DEFAULT_CORROBORATION,
    record_corroboration: bool = graph.DEFAULT_RECORD_CORROBORATION,
    max_group_suspects: int = groups.MAX_GROUP_SUSPECTS,
    engine: str = "duckdb",
) -> NetworkSummary:
    """Build the person graph over linked records, find offender groups and write the network tables.

    ``corroboration`` (distinct reports) and ``record_corroboration`` (a record of another kind corroborates
    the one report) say when an unconfirmed tie counts although ``strengths`` leaves unconfirmed out; the
    label every group and count carries (``strengths_used``) names the rules used.
    ``engine`` is where the graph's transforms (the pairs of persons) run: ``duckdb`` here, or ``spark``
    (``clearsight.engine``); group detection and the tables written are the same for both.
    """
    unknown = set(strengths) - set(graph.STRENGTHS)
    if unknown or not strengths:
        raise ClearsightError(f"strengths must be among {', '.join(graph.STRENGTHS)}; got {', '.join(strengths)}")
    if not Path(db).is_file():
        raise ClearsightError(f"{db}: no warehouse here")
    if engine not in ENGINES:
        raise ClearsightError(f"no engine {engine!r}: choose one of {', '.join(ENGINES)}")
    started, clock = datetime.now(), time.perf_counter()
    con = connect(db)
    runner = None
    try:
        if not graph.has_inputs(con):
            raise ClearsightError(f"{db}: no linked persons yet; run `clearsight link --db {db}` first")
        progress("networks: graph", 0, 4)
        runner = make_engine(engine, con)
        nodes, edges = graph.build(con, runner)
        progress("networks: graph", 1, 4)
        partition, components_split = _partition(con, strengths, corroboration, max_group_suspects,
                                                  record_corroboration)
        progress("networks: graph", 2, 4)
        label = strengths_label(strengths, corroboration, record_corroboration)
        run_id = hashlib.sha256(f"{started.isoformat()} {db}".encode()).hexdigest()[:12]
        store.load_previous(con)
        n_groups = store.derive(con, partition, label)
        progress("networks: graph", 3, 4)
        by_strength = dict(con.execute("SELECT strength, count(*) FROM nw_edge GROUP BY 1 ORDER BY 1").fetchall())
        totals = con.execute("SELECT coalesce(sum(suspects), 0), coalesce(sum(victims), 0) FROM nw_group"
                             ).fetchall()[0]
        offences = con.execute("SELECT count(*) FROM (SELECT DISTINCT submission_id, offence_record_id "
                               "FROM nw_group_offence)").fetchall()[0][0]
        findings = dict(con.execute("SELECT finding, count(*) FROM nw_offence_flag GROUP BY 1 ORDER BY 1"
                                    ).fetchall())
        seconds = time.perf_counter() - clock
        store.write(con, {
            "run_id": run_id, "started_at": started, "strengths": label,
            "max_group_suspects": max_group_suspects, "nodes": nodes, "edges": edges,
            "components_split": components_split, "groups": n_groups, "seconds": seconds,
        })
        progress("networks: graph", 4, 4)
    finally:
        if runner is not None:
            runner.close()
        con.close()
    return NetworkSummary(
        db=str(db), run_id=run_id, nodes=nodes, edges=edges, edges_by_strength=by_strength,
        strengths_used=label.split(","), components_split=components_split, groups=n_groups,
        group_suspects=int(totals[0]), group_victims=int(totals[1]), offences_in_groups=int(offences),
        findings=findings, seconds=round(seconds, 3),
    )
