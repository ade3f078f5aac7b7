"""Incremental linking: score only the pairs a new submission brings, against what is linked already.

Why: a full relink scores every candidate pair of the whole warehouse (millions at national scale) and
trains nothing new; when one force sends its next return, only the pairs that involve its records can
change anything. With the saved model, Splink's ``predict_between`` scores new records against existing
ones and ``predict_within`` scores new records among themselves; the existing clusters are kept as they
are (trusted links, so a later 'not same' still splits them), and the new links are added strongest
first under the same conflict checks and judgements as a full run. Person ids are still the keyed hash of
each cluster's earliest record, so an existing cluster keeps its id and a new person gets a new one.

Term frequencies (how common a forename, surname or postcode is) are computed over every current record,
old and new, as a full run computes them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

from clearsight.errors import ClearsightError
from clearsight.link import model as link_model
from clearsight.link.scoring import EVIDENCE_FLOOR, evidence_columns, evidence_settings, prepare_features


@dataclass
class IncrementalScored:
    """Pairs that involve a new record, scored into ``cs_pairs`` on the in-memory connection."""

    model: dict[str, Any]
    records: int
    new_records: int
    pairs_scored: int
    pairs_kept: int
    seconds: float


def prior_clusters(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The last run's person_id of each record it linked, by the record's unique id (submission|record)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'person_link'").fetchall()[0][0]
    if not exists:
        return {}
    return dict(con.execute(
        "SELECT submission_id || '|' || record_id, person_id FROM person_link").fetchall())


def require_prior(model_dir: Path, prior: dict[str, str]) -> None:
    """Incremental linking needs a saved model and an earlier run's clusters; say which is missing."""
    if not (model_dir / "model.json").is_file():
        raise ClearsightError(f"incremental linking needs a trained model ({model_dir / 'model.json'} is missing): "
                              "run `clearsight link` once without --incremental")
    if not prior:
        raise ClearsightError("incremental linking needs an earlier run's clusters (person_link is empty): "
                              "run `clearsight link` once without --incremental")


def score_new(
    mem: duckdb.DuckDBPyConnection,
    input_table: str,
    present: set[str],
    model_path: Path,
    existing: set[str],
    floor: float = EVIDENCE_FLOOR,
) -> IncrementalScored:
    """Score the records of ``input_table`` whose ``unique_id`` is not in ``existing`` against all others
    and among themselves, with the saved model at ``model_path``; pairs at or above ``floor`` go into
    ``cs_pairs`` (the same evidence columns as a full run)."""
    started = time.perf_counter()
    model = link_model.load(model_path)
    records = prepare_features(mem, input_table, present)
    mem.register("cs_existing_arrow", pa.table({"unique_id": pa.array(sorted(existing), pa.string())}))
    mem.execute("CREATE OR REPLACE TEMP TABLE cs_existing AS SELECT * FROM cs_existing_arrow")
    mem.unregister("cs_existing_arrow")
    mem.execute("CREATE OR REPLACE TABLE cs_features_old AS SELECT * FROM cs_features SEMI JOIN cs_existing "
                "USING (unique_id)")
    mem.execute("CREATE OR REPLACE TABLE cs_features_new AS SELECT * FROM cs_features ANTI JOIN cs_existing "
                "USING (unique_id)")
    new_records = mem.execute("SELECT count(*) FROM cs_features_new").fetchall()[0][0]
    api = DuckDBAPI(mem)
    linker = Linker(api.register("cs_features"), evidence_settings(model), log_level=None)
    for column in _tf_columns(model):
        linker.table_management.compute_tf_table(column)
    old, new = api.register("cs_features_old"), api.register("cs_features_new")
    parts = []
    if new_records:
        parts.append(linker.inference.predict_between(old, new, warning_mode="never"))
        parts.append(linker.inference.predict_within(new, warning_mode="never"))
    pairs_scored = sum(mem.execute(f"SELECT count(*) FROM {p.physical_name}").fetchall()[0][0] for p in parts)
    if parts:
        columns = ", ".join(evidence_columns(parts[0].columns_escaped))
        union = " UNION ALL BY NAME ".join(f"SELECT {columns} FROM {p.physical_name}" for p in parts)
        mem.execute(f"CREATE OR REPLACE TABLE cs_pairs AS SELECT * FROM ({union}) WHERE match_probability >= ?",
                    [floor])
    else:
        mem.execute("CREATE OR REPLACE TABLE cs_pairs (unique_id_l VARCHAR, unique_id_r VARCHAR, "
                    "match_weight DOUBLE, match_probability DOUBLE)")
    pairs_kept = mem.execute("SELECT count(*) FROM cs_pairs").fetchall()[0][0]
    return IncrementalScored(model, records, new_records, pairs_scored, pairs_kept, time.perf_counter() - started)


def _tf_columns(model: dict[str, Any]) -> list[str]:
    """The columns whose term frequencies the model's levels adjust by."""
    found = {level["tf_adjustment_column"] for c in model["comparisons"] for level in c["comparison_levels"]
             if level.get("tf_adjustment_column")}
    return sorted(found)
