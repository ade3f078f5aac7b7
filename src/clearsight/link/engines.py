"""Where Splink scores pairs: DuckDB in this process, or Apache Spark for scale. The linkage is the same.

Why adapters this small: everything that decides a link (the features, the comparisons, the training
sequence, the clustering and its conflict checks) is written once. An engine only says how the feature table
reaches Splink, how Splink's settings are spelt in its SQL, how to count a Splink table, and how pairs come
back into the in-memory DuckDB where clustering and the evidence tables are built. Features stay in DuckDB
(one pass over the records, linear); the part that grows with pairs (blocking, scoring, EM) runs on the engine.
"""

from __future__ import annotations

from typing import Any, Protocol

import duckdb
from splink import DuckDBAPI, Linker, SettingsCreator

from clearsight.errors import ClearsightError
from clearsight.link.dialect import settings_for_spark, with_duckdb_sql

ENGINES = ("duckdb", "spark")


class Engine(Protocol):
    name: str

    def linker(self, table: str, settings: SettingsCreator | dict[str, Any]) -> Linker: ...

    def count(self, frame: Any) -> int: ...

    def pairs_into(self, frame: Any, columns: list[str], target: str) -> int: ...

    def model_json(self, linker: Linker, settings: SettingsCreator | dict[str, Any]) -> dict[str, Any]: ...


class DuckDBEngine:
    """Splink on the same in-memory DuckDB that holds the features: nothing is copied."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def linker(self, table: str, settings: SettingsCreator | dict[str, Any]) -> Linker:
        return Linker(DuckDBAPI(self.con).register(table), settings, log_level=None)

    def count(self, frame: Any) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {frame.physical_name}").fetchall()[0][0])

    def pairs_into(self, frame: Any, columns: list[str], target: str) -> int:
        self.con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT {', '.join(columns)} FROM {frame.physical_name}")
        return int(self.con.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0])

    def model_json(self, linker: Linker, settings: SettingsCreator | dict[str, Any]) -> dict[str, Any]:
        return linker.misc.save_model_to_json(overwrite=True)


class SparkEngine:
    """Splink's Spark backend: the features go to Spark once (Arrow), the pairs come back (Arrow)."""

    name = "spark"

    def __init__(self, con: duckdb.DuckDBPyConnection, spark: Any = None) -> None:
        from clearsight import spark as spark_session

        self.con = con
        self.spark = spark if spark is not None else spark_session.session()

    def linker(self, table: str, settings: SettingsCreator | dict[str, Any]) -> Linker:
        from splink import SparkAPI

        frame = self.spark.createDataFrame(self.con.table(table).to_arrow_table())
        api = SparkAPI(spark_session=self.spark, break_lineage_method="persist")
        return Linker(api.register(frame), settings_for_spark(_as_dict(settings)), log_level=None)

    def count(self, frame: Any) -> int:
        return int(frame.as_spark_dataframe().count())

    def pairs_into(self, frame: Any, columns: list[str], target: str) -> int:
        names = [c.strip('"').strip("`") for c in columns]
        arrow = frame.as_spark_dataframe().select(*names).toArrow()
        self.con.register("cs_spark_pairs", arrow)
        try:
            self.con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM cs_spark_pairs")
        finally:
            self.con.unregister("cs_spark_pairs")
        return arrow.num_rows

    def model_json(self, linker: Linker, settings: SettingsCreator | dict[str, Any]) -> dict[str, Any]:
        """The trained parameters, with the conditions kept in DuckDB SQL: one saved model for both engines."""
        return with_duckdb_sql(linker.misc.save_model_to_json(overwrite=True), _as_dict(settings))


def _as_dict(settings: SettingsCreator | dict[str, Any]) -> dict[str, Any]:
    if isinstance(settings, SettingsCreator):
        return settings.create_settings_dict("duckdb")
    return settings


def make(name: str, con: duckdb.DuckDBPyConnection) -> Engine:
    """The engine called ``name`` over the in-memory DuckDB ``con`` that holds the features."""
    if name == "duckdb":
        return DuckDBEngine(con)
    if name == "spark":
        return SparkEngine(con)
    raise ClearsightError(f"no engine {name!r}: choose one of {', '.join(ENGINES)}")
