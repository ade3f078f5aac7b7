"""The Spark engine: the model's DuckDB SQL rewritten for Spark, and Spark linking an 'area' warehouse exactly
as DuckDB does (the same pairs, weights and persons). Spark tests skip, saying why, where PySpark or Java is
missing; the rewrite is checked everywhere."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import sqlglot

from clearsight import ingest, link
from clearsight import spark as spark_engine
from clearsight.link import model as link_model
from clearsight.link.dialect import settings_for_spark, to_spark, with_duckdb_sql
from clearsight.link.pipeline import model_dir_for
from clearsight.synth import run as synth_run

needs_spark = pytest.mark.skipif(not spark_engine.available(),
                                 reason="PySpark or Java is not installed (pip install 'clearsight[spark]')")
DUCKDB_ONLY = ("list_has_any", "list_intersect", "jaro_winkler_similarity", "list_concat")


def _model() -> dict:
    return link_model.settings().create_settings_dict("duckdb")


def test_every_condition_of_the_model_is_rewritten_for_spark() -> None:
    spark = settings_for_spark(_model())
    conditions = [level["sql_condition"] for c in spark["comparisons"] for level in c["comparison_levels"]]
    conditions += [rule["blocking_rule"] for rule in spark["blocking_rules_to_generate_predictions"]]
    assert spark["sql_dialect"] == "spark" and conditions
    for sql in conditions:
        assert not any(name in sql.lower() for name in DUCKDB_ONLY), sql
        if sql != "ELSE":
            sqlglot.parse_one(sql, read="spark")  # valid Spark SQL
    assert to_spark("length(list_intersect(addr_tokens_l, addr_tokens_r)) > length(fn_l)") == (
        "SIZE(ARRAY_INTERSECT(addr_tokens_l, addr_tokens_r)) > LENGTH(fn_l)")  # size of lists, length of text
    assert to_spark("list_has_any(fn_keys_l, [sn_r])") == "ARRAYS_OVERLAP(fn_keys_l, ARRAY(sn_r))"


def test_a_model_trained_on_spark_is_saved_with_its_duckdb_sql() -> None:
    duckdb_settings = _model()
    trained = settings_for_spark(duckdb_settings)
    trained["comparisons"][0]["comparison_levels"][1]["m_probability"] = 0.42
    saved = with_duckdb_sql(trained, duckdb_settings)
    assert saved["sql_dialect"] == "duckdb"
    assert saved["comparisons"][0]["comparison_levels"][1]["m_probability"] == 0.42
    assert [lv["sql_condition"] for c in saved["comparisons"] for lv in c["comparison_levels"]] == [
        lv["sql_condition"] for c in duckdb_settings["comparisons"] for lv in c["comparison_levels"]]
    assert saved["blocking_rules_to_generate_predictions"] == duckdb_settings["blocking_rules_to_generate_predictions"]


def _persons(db: Path) -> set[frozenset[tuple[str, str]]]:
    con = duckdb.connect(str(db), read_only=True)
    groups: dict[str, set[tuple[str, str]]] = {}
    for source, record, person in con.execute("SELECT source, record_id, person_id FROM person_link").fetchall():
        groups.setdefault(person, set()).add((source, record))
    con.close()
    return {frozenset(g) for g in groups.values()}


def _evidence(db: Path) -> dict[tuple[str, str, str, str], float]:
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT source_l, record_id_l, source_r, record_id_r, match_weight FROM link_evidence"
                       ).fetchall()
    con.close()
    return {tuple(sorted([(a, b), (c, d)])): w for a, b, c, d, w in rows}  # type: ignore[misc]


@pytest.fixture(scope="module")
def area_both_engines(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An 'area' warehouse linked on DuckDB (training the model), and a copy linked on Spark with that model."""
    root = tmp_path_factory.mktemp("link-spark")
    synth_run(root / "synth", scale="area", years=1, seed=1)
    on_duckdb = root / "duckdb" / "w.duckdb"
    on_duckdb.parent.mkdir()
    ingest.run(root / "synth" / "submissions", on_duckdb)
    on_spark = root / "spark" / "w.duckdb"
    on_spark.parent.mkdir()
    for path in (on_duckdb, on_duckdb.with_name("w.vault.duckdb")):
        shutil.copy(path, on_spark.parent / path.name)
    link.run(on_duckdb)
    shutil.copytree(model_dir_for(on_duckdb), model_dir_for(on_spark))
    link.run(on_spark, engine="spark")
    return on_duckdb, on_spark


@needs_spark
@pytest.mark.slow
def test_spark_links_an_area_exactly_as_duckdb(area_both_engines: tuple[Path, Path]) -> None:
    on_duckdb, on_spark = area_both_engines
    persons = _persons(on_duckdb)
    assert len(persons) > 1000 and any(len(p) > 1 for p in persons)
    assert _persons(on_spark) == persons
    weights_duckdb, weights_spark = _evidence(on_duckdb), _evidence(on_spark)
    assert weights_spark.keys() == weights_duckdb.keys() and len(weights_duckdb) > 100
    assert max(abs(weights_spark[k] - weights_duckdb[k]) for k in weights_duckdb) < 1e-9


def test_spark_checkpoints_go_to_a_private_folder_removed_at_exit(monkeypatch) -> None:
    """Checkpoints can hold decrypted features: the folder is 0700 and removed when the process exits."""
    import os
    import stat

    from clearsight import spark

    at_exit = []
    monkeypatch.setattr(spark.atexit, "register", lambda function, *args: at_exit.append((function, args)))
    folder = spark.checkpoint_folder()
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    (Path(folder) / "part-0").write_text("features")
    assert len(at_exit) == 1
    function, args = at_exit[0]
    function(*args)
    assert not os.path.exists(folder)
