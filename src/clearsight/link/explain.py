"""Why two records were (or were not) linked: Splink's waterfall, rebuilt from the stored evidence.

Why from ``link_evidence`` and not by rescoring: the evidence holds, per pair, the comparison level each
field fell in and its Bayes factors, so an authorised user sees exactly what the run decided, without
the vault being opened and without any identifier being shown.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import duckdb

from clearsight.errors import ClearsightError


@dataclass
class Step:
    """One bar of the waterfall: a field, the level it fell in, and the weight it added (bits)."""

    comparison: str
    level: str
    match_weight: float


@dataclass
class Explanation:
    record_a: str
    record_b: str
    steps: list[Step]
    match_weight: float
    match_probability: float
    linked_same_person: bool


def _split(name: str) -> tuple[str, str]:
    if ":" not in name:
        raise ClearsightError(f"{name!r}: name a record as SOURCE:RECORD_ID")
    source, record_id = name.split(":", 1)
    return source, record_id


def explain(con: duckdb.DuckDBPyConnection, model_path: Path, a: str, b: str) -> Explanation:
    """The waterfall of the pair ``a``, ``b`` (each SOURCE:RECORD_ID) from the latest run's evidence."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "link_evidence" not in tables:
        raise ClearsightError("no linkage evidence yet: run `clearsight link` first")
    (sa, ra), (sb, rb) = _split(a), _split(b)
    cursor = con.execute(
        "SELECT * FROM link_evidence WHERE (source_l = ? AND record_id_l = ? AND source_r = ? AND record_id_r = ?) "
        "OR (source_l = ? AND record_id_l = ? AND source_r = ? AND record_id_r = ?) ORDER BY match_weight DESC",
        [sa, ra, sb, rb, sb, rb, sa, ra],
    )
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if not rows:
        raise ClearsightError(
            f"{a} and {b} were not scored above the evidence floor: the model found them unlike (or they were "
            "never compared)"
        )
    row = dict(zip(columns, rows[0], strict=True))
    model = json.loads(model_path.read_text())
    prior = model["probability_two_random_records_match"]
    steps = [Step("prior", "two records chosen at random", math.log2(prior / (1 - prior)))]
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        gamma = row.get(f"gamma_{name}")
        if gamma is None:
            continue
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        label = "null (not compared)" if gamma == -1 else levels[len(levels) - 1 - gamma]["label_for_charts"]
        steps.append(Step(name, label, float(row.get(f"mw_{name}") or 0.0)))
        tf = float(row.get(f"mw_tf_adj_{name}") or 0.0)
        if tf:
            steps.append(Step(f"{name} (term frequency)", "how common the agreeing value is", tf))
    linked = con.execute(
        "SELECT count(DISTINCT person_id) = 1 FROM person_link WHERE (source = ? AND record_id = ?) "
        "OR (source = ? AND record_id = ?)", [sa, ra, sb, rb]
    ).fetchall()[0][0]
    return Explanation(a, b, steps, float(row["match_weight"]), float(row["match_probability"]), bool(linked))
