"""Score candidate pairs with Splink on an in-memory DuckDB: the one place linkage touches decrypted identifiers.

Why in memory: the features hold names and dates of birth in clear; they live only in this process's
DuckDB and are gone when it closes. What leaves is pair evidence: ids, probabilities, weights and which
comparison level each pair fell in, never the values compared.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from splink.internals.exceptions import EMTrainingException

from clearsight.errors import ClearsightError
from clearsight.link import engines
from clearsight.link import model as link_model
from clearsight.link.features import blocking_keys_sql, features_sql, namesakes_sql, register_nicknames

EVIDENCE_FLOOR = 0.5
"""Pairs below this probability are scored but not kept as evidence."""

MEMORY_LIMIT_ENV = "CLEARSIGHT_LINK_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "4GB"
"""DuckDB's memory limit for linkage's in-memory database (its own default is 80% of the machine's memory);
beyond it DuckDB spills to a private temporary folder (``scratch_connection``)."""

PREDICT_CHUNK_RECORDS = 2_000_000
"""Score the blocked pairs in ``ceil(records / this)`` chunks (Splink's ``predict_chunk``), so that only one
chunk's candidate pairs are held at a time; at or below this many records, one pass as before.

Why 2M (250,000 until 1 December 2026): the chunks were for model v4's blocking (257M pairs at national x 10);
v5's blocks are capped and give 17M pairs for 1.2M records, and each chunk blocks the whole left side again and
re-reads every record with its term frequencies: at 1.2M records five chunks took 79-83 s to score where one took
45-56 s (same run, interleaved), for a peak of 3.8 GB against 2.5 GB."""


@contextmanager
def scratch_connection(memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB for linkage with a memory limit and a private temporary folder, removed on close.

    Why: DuckDB's defaults are 80% of the machine's memory and a ``.tmp`` folder in the working directory.
    Spilled blocks hold decrypted features, so they go to a folder only this user can read (mode 0700), which
    is deleted when linkage ends, even on error. ``CLEARSIGHT_LINK_MEMORY_LIMIT`` overrides the limit.
    """
    limit = memory_limit or os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT
    spill = tempfile.mkdtemp(prefix="clearsight-link-")
    previous = _exit_on_sigterm()
    try:
        con = duckdb.connect()
        try:
            con.execute("SET memory_limit = ?", [limit])
            con.execute("SET temp_directory = ?", [spill])
            yield con
        finally:
            con.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm() -> Any:
    """Turn SIGTERM into SystemExit while linkage runs, so that the spill folder is removed (``finally``) when
    the process is stopped; the previous handler, to restore, or None where there was one already (a server's)
    or this is not the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        return None

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    return previous


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
    seconds_features: float


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
    started = time.perf_counter()
    records = prepare_features(con, input_table, present)
    seconds_features = time.perf_counter() - started
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
    if runner.name == "duckdb":
        _integer_ids(con)
    linker = runner.linker("cs_features", _with_evidence(link_model.for_splink(model)))
    if trained and model_dir is not None:
        link_model.save(model, linker, model_dir)
    seconds_train = time.perf_counter() - started
    started = time.perf_counter()
    if runner.name == "duckdb":
        try:
            chunks = math.ceil(records / PREDICT_CHUNK_RECORDS)
            pairs_scored, pairs_kept = _predict_in_chunks(con, linker, floor, chunks)
        finally:
            _string_ids(con)
    else:
        blocked = linker.inference.compute_blocked_pairs_for_predict()
        pairs_scored = runner.count(blocked)
        predictions = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
        columns = [c for c in predictions.columns_escaped if _is_evidence(c)]
        pairs_kept = runner.pairs_into(predictions, columns, "cs_pairs")
    names = [c["output_column_name"] for c in model["comparisons"]]
    return Scored(con, model, records, pairs_scored, pairs_kept, trained, seconds_train,
                  time.perf_counter() - started, names, seconds_features)


def _integer_ids(con: duckdb.DuckDBPyConnection) -> None:
    """Give ``cs_features`` integer ids in the order of its string ids (kept in ``cs_uid``) for scoring.

    Why: Splink materialises every candidate pair as (id, id, rule); with ids like ``submission|record`` that
    table alone was several GB at national x 10. The integers sort as the strings do, so every pair keeps its
    orientation (left id < right id) and its score; ``_string_ids`` puts the strings back.
    """
    con.execute("CREATE OR REPLACE TABLE cs_uid AS SELECT CAST(row_number() OVER (ORDER BY unique_id) AS BIGINT) "
                "AS uid, unique_id FROM cs_features")
    # unordered: scoring reads the records by id, and sorting every wide row cost 0.5 s of 1.3 at 1.2M records
    con.execute("CREATE OR REPLACE TABLE cs_features AS SELECT u.uid AS unique_id, f.* EXCLUDE (unique_id) "
                "FROM cs_features f JOIN cs_uid u USING (unique_id)")


def _string_ids(con: duckdb.DuckDBPyConnection) -> None:
    """Undo ``_integer_ids`` on ``cs_features`` and on the scored pairs ``cs_pairs`` (columns in their order)."""
    con.execute("CREATE OR REPLACE TABLE cs_features AS SELECT u.unique_id, f.* EXCLUDE (unique_id) "
                "FROM cs_features f JOIN cs_uid u ON u.uid = f.unique_id")
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'cs_pairs'").fetchall()[0][0]:
        names = [row[0] for row in con.execute("DESCRIBE cs_pairs").fetchall()]
        select = ", ".join(f"{side}.unique_id AS unique_id_{side}" if name == f"unique_id_{side}" else f'p."{name}"'
                           for name in names for side in [name[-1]])
        con.execute(f"CREATE OR REPLACE TABLE cs_pairs AS SELECT {select} FROM cs_pairs p "
                    "JOIN cs_uid l ON l.uid = p.unique_id_l JOIN cs_uid r ON r.uid = p.unique_id_r")
    con.execute("DROP TABLE cs_uid")


def _predict_in_chunks(con: duckdb.DuckDBPyConnection, linker: Any, floor: float, chunks: int) -> tuple[int, int]:
    """Score every blocked pair into ``cs_pairs`` (evidence columns only), one chunk of right-hand records at a
    time; (pairs scored, pairs kept). One chunk is Splink's plain ``predict``; each chunk's tables are dropped
    before the next is blocked, so memory holds one chunk's candidate pairs, not all of them."""
    con.execute("DROP TABLE IF EXISTS cs_pairs")
    scored = 0
    chunks = max(1, chunks)
    for part in range(1, chunks + 1):
        if chunks == 1:
            blocked = linker.inference.compute_blocked_pairs_for_predict()
        else:
            left, right = (1, 1), (part, chunks)
            blocked = linker.inference.compute_blocked_pairs_for_predict_chunk(left_chunk=left, right_chunk=right)
        scored += int(con.execute(f"SELECT count(*) FROM {blocked.physical_name}").fetchall()[0][0])
        if chunks == 1:
            predictions = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
        else:
            predictions = linker.inference.predict_chunk(left, right, threshold_match_probability=floor,
                                                         warning_mode="never")
        columns = ", ".join(c for c in predictions.columns_escaped if _is_evidence(c))
        verb = "INSERT INTO cs_pairs" if part > 1 else "CREATE TABLE cs_pairs AS"
        con.execute(f"{verb} SELECT {columns} FROM {predictions.physical_name}")
        predictions.drop_table_from_database_and_remove_from_cache()
        blocked.drop_table_from_database_and_remove_from_cache()
    return scored, int(con.execute("SELECT count(*) FROM cs_pairs").fetchall()[0][0])


def prepare_features(con: duckdb.DuckDBPyConnection, input_table: str, present: set[str]) -> int:
    """Derive the features of every record of ``input_table`` into ``cs_features``; the number of records."""
    quiet_splink()
    register_nicknames(con)
    con.execute(f"CREATE OR REPLACE TABLE cs_features_base AS {features_sql(input_table, present)}")
    con.execute(f"CREATE OR REPLACE TABLE cs_features_named AS {namesakes_sql('cs_features_base')}")
    con.execute("DROP TABLE cs_features_base")
    con.execute("CREATE OR REPLACE TABLE cs_features AS "
                f"{blocking_keys_sql('cs_features_named', link_model.BLOCKS, link_model.BLOCK_CAP)}")
    con.execute("DROP TABLE cs_features_named")
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
