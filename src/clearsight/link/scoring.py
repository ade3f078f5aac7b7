"""Score candidate pairs with Splink on an in-memory DuckDB: the one place linkage touches decrypted identifiers.

Why in memory: the features hold names and dates of birth in clear; they live only in this process's
DuckDB and are gone when it closes. What leaves is pair evidence: ids, probabilities, weights and which
comparison level each pair fell in, never the values compared.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from splink.internals.exceptions import EMTrainingException

from clearsight.errors import ClearsightError
from clearsight.link import engines
from clearsight.link import model as link_model
from clearsight.link.features import features_sql, namesakes_sql, register_nicknames

EVIDENCE_FLOOR = 0.5
"""Pairs below this probability are scored but not kept as evidence."""


@dataclass
class Scored:
    """Pairs scored on ``con`` (table ``cs_pairs``) and how they were scored."""

    con: duckdb.DuckDBPyConnection
    model: dict[str, Any]
    records: int
    pairs_scored: int
    pairs_kept: int
    trained: bool
    seconds_train: float
    seconds_predict: float
    comparisons: list[str]


def quiet_splink() -> None:
    """Splink's INFO logging is for notebooks; the CLI shows its own progress."""
    logging.getLogger("splink").setLevel(logging.ERROR)


def score(
    con: duckdb.DuckDBPyConnection,
    input_table: str,
    present: set[str],
    model_dir: Path | None = None,
    retrain: bool = False,
    floor: float = EVIDENCE_FLOOR,
    engine: str = "duckdb",
) -> Scored:
    """Derive features from ``input_table``, train or load the model, and score blocked pairs into ``cs_pairs``.

    With ``model_dir`` the model is loaded from it when present (unless ``retrain``) and saved there with
    its charts when trained; without, it is trained on this input and kept only in the result. ``engine``
    says where Splink blocks, trains and scores (``engines.py``); the pairs always come back to ``con``.
    """
    records = prepare_features(con, input_table, present)
    runner = engines.make(engine, con)
    started = time.perf_counter()
    path = model_dir / "model.json" if model_dir else None
    trained = retrain or path is None or not path.exists()
    if trained:
        settings = link_model.settings(present if path is None else None)
        try:
            model = link_model.train(runner.linker("cs_features", settings),
                                     lambda linker: runner.model_json(linker, settings),
                                     features=(con, "cs_features"))
        except EMTrainingException as exc:
            raise ClearsightError(
                f"too few records ({records:,}) to train the linkage model on this input: no pair agrees on a "
                "training rule. Link it with a model trained on a larger set of records."
            ) from exc
    else:
        assert path is not None
        model = link_model.load(path)
    linker = runner.linker("cs_features", _with_evidence(link_model.for_splink(model)))
    if trained and model_dir is not None:
        link_model.save(model, linker, model_dir)
    seconds_train = time.perf_counter() - started
    started = time.perf_counter()
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    pairs_scored = runner.count(blocked)
    predictions = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    columns = [c for c in predictions.columns_escaped if _is_evidence(c)]
    pairs_kept = runner.pairs_into(predictions, columns, "cs_pairs")
    names = [c["output_column_name"] for c in model["comparisons"]]
    return Scored(con, model, records, pairs_scored, pairs_kept, trained, seconds_train,
                  time.perf_counter() - started, names)


def prepare_features(con: duckdb.DuckDBPyConnection, input_table: str, present: set[str]) -> int:
    """Derive the features of every record of ``input_table`` into ``cs_features``; the number of records."""
    quiet_splink()
    register_nicknames(con)
    con.execute(f"CREATE OR REPLACE TABLE cs_features_base AS {features_sql(input_table, present)}")
    con.execute(f"CREATE OR REPLACE TABLE cs_features AS {namesakes_sql('cs_features_base')}")
    con.execute("DROP TABLE cs_features_base")
    return con.execute("SELECT count(*) FROM cs_features").fetchall()[0][0]


def evidence_settings(model: dict[str, Any]) -> dict[str, Any]:
    """A saved model as Splink settings that keep each pair's levels and per-field weights."""
    return _with_evidence(link_model.for_splink(model))


def evidence_columns(escaped: list[str]) -> list[str]:
    """The prediction columns kept as evidence (ids, weight, probability, levels, per-field weights)."""
    return [c for c in escaped if _is_evidence(c)]


def _with_evidence(model: dict[str, Any]) -> dict[str, Any]:
    """Compute gamma levels and per-field weights; ``_is_evidence`` keeps those and drops the compared values."""
    return {**model, "retain_intermediate_calculation_columns": True, "retain_matching_columns": True,
            "additional_columns_to_retain": []}


def _is_evidence(escaped: str) -> bool:
    name = escaped.strip('"`')
    return name in ("unique_id_l", "unique_id_r", "match_weight", "match_probability") or name.startswith(
        ("gamma_", "mw_")
    )
