"""The shared engine (``clearsight.engine``): each transform written once in DuckDB's SQL, run on DuckDB or on
Spark. The rewrite of every networks step and every flags rule is checked everywhere; where PySpark and Java
are installed, networks and flags run on a linked warehouse on both engines and must write the same tables.
Spark tests skip, saying why, where PySpark or Java is missing. One Spark session serves the whole module."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
import sqlglot

from clearsight import engine, flags, ingest, link, networks, report
from clearsight import spark as spark_engine
from clearsight.errors import ClearsightError
from clearsight.flags.rules import load_rules
from clearsight.networks import graph
from clearsight.synth import run as synth_run

needs_spark = pytest.mark.skipif(not spark_engine.available(),
                                 reason="PySpark or Java is not installed (pip install 'clearsight[spark]')")
DUCKDB_ONLY = ("list_has_any", "list_intersect", "list_distinct", "list_sort", "list_contains", "string_split",
               "len(", "[1:", " list(")
FLAG_VIEWS = ("flag_person", "flag_referral", "flag_same_child")


def _valid_spark(sql: str) -> str:
    spark_sql = engine.to_spark(sql)
    lowered = spark_sql.lower()
    assert not any(name in lowered for name in DUCKDB_ONLY), spark_sql
    sqlglot.parse_one(spark_sql, read="spark")
    return spark_sql


def test_the_rewrite_maps_what_sqlglot_leaves() -> None:
    assert engine.to_spark("SELECT list_sort(list_distinct(flatten(list(e))))[1:20] FROM t") == (
        "SELECT SLICE(ARRAY_SORT(ARRAY_DISTINCT(FLATTEN(COLLECT_LIST(e)))), 1, 20) FROM t")
    assert engine.to_spark("SELECT len(list_distinct(x)), length(name) FROM t") == (
        "SELECT SIZE(ARRAY_DISTINCT(x)), LENGTH(name) FROM t")  # size of a list, length of text
    assert engine.to_spark("SELECT length(tags) FROM t", array_columns=["tags"]) == "SELECT SIZE(tags) FROM t"
    assert engine.to_spark("SELECT x[a - 1:n] FROM t") == "SELECT SLICE(x, a - 1, (n) - (a - 1) + 1) FROM t"


def test_inputs_are_the_tables_read_not_the_ctes() -> None:
    sql = "WITH a AS (SELECT * FROM t1 JOIN t2 USING (k)) SELECT * FROM a JOIN t1 USING (k) SEMI JOIN t3 USING (k)"
    assert sorted(engine.inputs(sql)) == ["t1", "t2", "t3"]
    assert set(engine.inputs(graph._EVIDENCE_SQL)) == {"nw_offence_party", "nw_subject",
                                                        "current_intelligence_entity"}


def test_only_the_columns_a_transform_reads_are_named_for_sending() -> None:
    schema = {"current_person": ["record_id", "submission_id", "ethnicity_self_defined", "religion"],
              "person_link": ["record_id", "submission_id", "person_id"]}
    sql = ("WITH p AS (SELECT l.*, c.record_id AS r FROM person_link l JOIN current_person c USING (submission_id)) "
           "SELECT person_id, r FROM p")
    assert engine.columns_read(sql, schema) == {"current_person": {"record_id", "submission_id"},
                                                "person_link": {"record_id", "submission_id", "person_id"}}


def test_every_networks_step_and_flags_rule_rewrites_to_valid_spark_sql() -> None:
    for _, sql, _ in graph.STEPS:
        _valid_spark(sql)
    rules = load_rules()
    assert rules.sql_rules
    for rule in rules.sql_rules:
        assert set(engine.inputs(rule.sql)) & set(FLAG_VIEWS), rule.id
        _valid_spark(rule.sql)
    assert "ARRAY_CONTAINS(SPLIT(" in _valid_spark(
        "SELECT list_contains(string_split(coalesce(f, ''), ';'), '11A') FROM current_referral")


def test_the_duckdb_engine_runs_in_the_connection_and_unknown_engines_are_refused() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (2, 'c')) v(k, x)")
    runner = engine.make("duckdb", con)
    runner.table("per_k", "SELECT k, list_sort(list(x)) AS xs FROM t GROUP BY k")
    runner.view("big", "SELECT * FROM per_k WHERE k > 1")
    assert runner.rows("SELECT k, xs FROM big") == [(2, ["b", "c"])]
    assert con.execute("SELECT count(*) FROM per_k").fetchone() == (2,)
    with pytest.raises(ClearsightError, match="no engine 'polars'"):
        engine.make("polars", con)
    with pytest.raises(ClearsightError, match="no engine"):
        networks.run(__file__, engine="polars")


@pytest.fixture(scope="module")
def spark():
    """One local Spark session for the module, with few shuffle partitions (the data are small)."""
    if not spark_engine.available():
        pytest.skip("PySpark or Java is not installed")
    session = spark_engine.session()
    session.conf.set("spark.sql.shuffle.partitions", "2")
    return session


@needs_spark
def test_spark_gives_duckdbs_result_and_types(spark) -> None:
    con = duckdb.connect()
    con.execute("""CREATE TABLE t AS SELECT * FROM (VALUES
        (1, 'a', DATE '2020-01-02', TIMESTAMP '2020-01-02 23:30:00', 'W1'),
        (2, 'b', NULL, TIMESTAMP '2021-06-30 00:15:00', 'A1'),
        (2, NULL, DATE '2022-03-04', NULL, 'B2')) v(k, x, d, ts, ethnicity)""")
    sql = ("SELECT k, list_sort(list_distinct(flatten(list([x, 'z']))))[1:2] AS xs, min(d) AS first, "
           "max(CAST(ts AS DATE)) AS day, max(ts) AS last, count(x) AS n FROM t GROUP BY ALL")
    expected = con.execute(f"SELECT * FROM ({sql}) ORDER BY k").fetchall()
    runner = engine.make("spark", con, spark)
    try:
        runner.table("result", sql)
        assert con.execute("SELECT * FROM result ORDER BY k").fetchall() == expected
        assert expected[0] == (1, ["a", "z"], dt.date(2020, 1, 2), dt.date(2020, 1, 2),
                               dt.datetime(2020, 1, 2, 23, 30), 1)
        assert sorted(runner.rows("SELECT k, n FROM result")) == [(1, 1), (2, 1)]  # read back in Spark
        assert runner.shipped_rows == 3
        assert runner.shipped_columns == {"t": ["k", "x", "d", "ts"]}  # what no transform reads stays here
    finally:
        runner.close()
    assert not spark.catalog.tableExists("result")  # the run's temporary views are dropped


NETWORK_TABLES = ("network_edge", "offender_group", "offender_group_member", "offender_group_offence",
                  "network_offence_flag", "network_report_corroboration")
FLAG_TABLES = ("harm_flag", "harm_flag_quote")


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory: pytest.TempPathFactory, spark) -> tuple[Path, Path]:
    """A linked 'tiny' warehouse; networks, flags and the report run on one copy on DuckDB, on another on Spark."""
    root = tmp_path_factory.mktemp("engine-spark")
    synth_run(root / "synth", scale="tiny", years=1, seed=1)
    linked = root / "linked" / "w.duckdb"
    linked.parent.mkdir()
    ingest.run(root / "synth" / "submissions", linked)
    link.run(linked)
    copies = []
    for name in ("duckdb", "spark"):
        db = root / name / "w.duckdb"
        shutil.copytree(linked.parent, db.parent)
        networks.run(db, engine=name)
        flags.run(db, engine=name)
        report.run(db, db.parent / "report", pdf=False, engine=name)
        copies.append(db)
    return copies[0], copies[1]


def _rows(db: Path, table: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
    finally:
        con.close()


@needs_spark
@pytest.mark.slow
def test_networks_on_spark_find_the_same_graph_and_groups(both_engines: tuple[Path, Path]) -> None:
    on_duckdb, on_spark = both_engines
    assert len(_rows(on_duckdb, "network_edge")) > 100 and _rows(on_duckdb, "offender_group")
    for table in NETWORK_TABLES:
        assert _rows(on_spark, table) == _rows(on_duckdb, table), table


@needs_spark
@pytest.mark.slow
def test_flags_on_spark_raise_the_same_flags_with_the_same_evidence(both_engines: tuple[Path, Path]) -> None:
    on_duckdb, on_spark = both_engines
    flagged = _rows(on_duckdb, "harm_flag")
    assert len(flagged) > 5
    assert any('"table": "offence"' in str(row) for row in flagged)  # evidence from a structured (SQL) rule
    for table in FLAG_TABLES:
        assert _rows(on_spark, table) == _rows(on_duckdb, table), table


@needs_spark
@pytest.mark.slow
def test_the_report_on_spark_publishes_the_same_tables(both_engines: tuple[Path, Path]) -> None:
    on_duckdb, on_spark = both_engines
    tables = sorted((on_duckdb.parent / "report" / "tables").glob("*.csv"))
    assert len(tables) > 20
    assert any(path.name.startswith("victims_by_") for path in tables)  # the tables r_person feeds
    for path in tables:
        assert (on_spark.parent / "report" / "tables" / path.name).read_text() == path.read_text(), path.name
