"""Where a stage's SQL transforms run: DuckDB in this process, or Apache Spark for scale. One SQL, two engines.

Why one SQL: a transform written twice (DuckDB SQL here, PySpark there) drifts. Every transform that grows
with the data (networks' pairs of persons, flags' rule joins) is written once, as a DuckDB ``SELECT``; the
Spark engine rewrites it with sqlglot (DuckDB dialect in, Spark dialect out, plus the few functions whose
name or meaning differ: see :func:`to_spark`) and runs it there.

How data moves: the warehouse stays the DuckDB file. A transform names the tables and views it reads in its
``FROM`` clauses; the Spark engine sends each one to Spark the first time a transform reads it (Arrow, through
``createDataFrame``), keeps it there as a temporary view of the same name, and brings each result back into
the DuckDB connection as a temporary table of the same name (Arrow again), so that the code after a
transform (group detection, writing the stage's tables) is the same for both engines. A result stays cached
in Spark for the transforms that read it next.

``clearsight.link.dialect`` uses :func:`to_spark` for the linkage model's conditions (with its list columns),
and ``tests/test_engine_spark.py`` checks networks and flags give the same tables on both engines.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer

from clearsight.errors import ClearsightError

if TYPE_CHECKING:  # imported where used, so that the CLI starts without sqlglot or pyarrow
    import duckdb
    import pyarrow as pa
    from sqlglot import exp

ENGINES = ("duckdb", "spark")


class EngineName(StrEnum):
    """``--engine``'s choices (DESIGN.md's CLI contract)."""

    duckdb = "duckdb"
    spark = "spark"


EngineOption = Annotated[EngineName, typer.Option(
    "--engine", help="Where the stage's SQL transforms run: duckdb here, spark for scale (docs/scale.md).")]

_ARRAY_FUNCTIONS = {"list_intersect": "array_intersect", "list_concat": "concat", "list_distinct": "array_distinct"}


def _is_array(node: exp.Expression, array_columns: frozenset[str]) -> bool:
    """Whether ``node`` is a list (DuckDB's ``length`` of a list is Spark's ``size``; of text, ``length``)."""
    from sqlglot import exp

    if isinstance(node, exp.Column):
        return node.name.lower().removesuffix("_l").removesuffix("_r") in array_columns
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        return name in _ARRAY_FUNCTIONS or name in _ARRAY_FUNCTIONS.values() or name == "slice"
    if isinstance(node, exp.Bracket):
        return any(isinstance(e, exp.Slice) for e in node.expressions)
    return isinstance(node, (exp.Array, exp.ArrayIntersect, exp.ArrayConcat, exp.ArrayDistinct, exp.ArraySort,
                             exp.ArrayAgg, exp.Flatten, exp.ArraySlice))


def _slice(node: exp.Bracket) -> exp.Expression:
    """DuckDB's ``list[a:b]`` (1-based, both ends included) as Spark's ``slice(list, a, b - a + 1)``."""
    from sqlglot import exp

    part = node.expressions[0]
    start = part.this if part.this is not None else exp.Literal.number(1)
    end = part.expression
    if end is None:
        return exp.Anonymous(this="slice", expressions=[node.this, start, exp.Anonymous(
            this="size", expressions=[node.this.copy()])])
    if isinstance(start, exp.Literal) and isinstance(end, exp.Literal) and not start.is_string:
        length: exp.Expression = exp.Literal.number(int(end.this) - int(start.this) + 1)
    else:
        length = exp.Add(this=exp.Sub(this=exp.Paren(this=end.copy()), expression=exp.Paren(this=start.copy())),
                         expression=exp.Literal.number(1))
    return exp.Anonymous(this="slice", expressions=[node.this, start, length])


def _rewriter(array_columns: frozenset[str]):
    from sqlglot import exp

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.ArrayOverlaps):
            return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
        if isinstance(node, exp.JarowinklerSimilarity):
            return exp.Anonymous(this="jaro_winkler", expressions=[node.this, node.expression])
        if isinstance(node, exp.ArrayIntersect):
            return exp.Anonymous(this="array_intersect", expressions=list(node.expressions))
        if isinstance(node, exp.Anonymous) and node.name.lower() in _ARRAY_FUNCTIONS:
            return exp.Anonymous(this=_ARRAY_FUNCTIONS[node.name.lower()], expressions=list(node.expressions))
        if isinstance(node, exp.Length) and _is_array(node.this, array_columns):
            return exp.Anonymous(this="size", expressions=[node.this])
        if isinstance(node, exp.Bracket) and len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Slice):
            return _slice(node)
        return node

    return rewrite


def to_spark(sql: str, array_columns: Iterable[str] = ()) -> str:
    """One DuckDB statement or condition as Spark SQL.

    sqlglot does the dialect (``list(x)`` is ``collect_list``, ``[a, b]`` is ``array(a, b)``, null ordering
    made explicit); the rewrite maps what it leaves: ``list_has_any`` is ``arrays_overlap``, ``length`` of a
    list is ``size`` (``array_columns`` names the plain columns that hold lists), a slice ``l[a:b]`` is
    ``slice``, and ``jaro_winkler_similarity`` is the ``jaro_winkler`` that Splink registers from its jar.
    """
    import sqlglot

    if sql.strip().upper() == "ELSE":
        return sql
    rewrite = _rewriter(frozenset(c.lower() for c in array_columns))
    tree = sqlglot.parse_one(sql, read="duckdb")
    for _ in range(8):  # a rewritten node's arguments are not revisited in the same pass: repeat until stable
        before = tree.sql(dialect="spark")
        tree = tree.transform(rewrite)
        if tree.sql(dialect="spark") == before:
            break
    return tree.sql(dialect="spark")


def inputs(sql: str) -> list[str]:
    """The tables and views a statement reads (its CTEs left out), each named once."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    names: list[str] = []
    for table in tree.find_all(exp.Table):
        name = table.name
        if name and name.lower() not in ctes and name not in names:
            names.append(name)
    return names


def columns_read(sql: str, schema: dict[str, list[str]]) -> dict[str, set[str]] | None:
    """The columns a statement reads from each table it names (``*`` expanded with ``schema``: table to column
    names), or None where sqlglot cannot resolve them (the caller then sends whole tables)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.optimizer.qualify import qualify
    from sqlglot.optimizer.scope import traverse_scope

    try:
        tree = qualify(sqlglot.parse_one(sql, read="duckdb"), dialect="duckdb", validate_qualify_columns=False,
                       schema={name: dict.fromkeys(columns, "VARCHAR") for name, columns in schema.items()})
        read: dict[str, set[str]] = {}
        for scope in traverse_scope(tree):
            for column in scope.columns:
                source = scope.sources.get(column.table)
                if isinstance(source, exp.Table):
                    read.setdefault(source.name.lower(), set()).add(column.name.lower())
    except sqlglot.errors.SqlglotError:
        return None
    return read


class Engine(Protocol):
    """What a stage asks of an engine; ``con`` is the DuckDB connection the stage works in."""

    name: str
    con: duckdb.DuckDBPyConnection

    def table(self, name: str, sql: str, keep: bool = True) -> None:
        """Materialise ``SELECT`` ``sql`` as the temporary table ``name`` on ``con``; with ``keep=False`` the
        result is only an input of later transforms, and an engine that runs elsewhere need not bring it back."""

    def view(self, name: str, sql: str) -> None:
        """Define ``name`` as ``sql`` (lazily) wherever later transforms and ``con`` will read it."""

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Run ``SELECT`` ``sql`` and return its rows as tuples."""

    def close(self) -> None:
        """Free what the engine holds for this run (the warehouse and ``con`` stay open)."""


class DuckDBEngine:
    """The default: every transform runs in ``con``, nothing is copied."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def table(self, name: str, sql: str, keep: bool = True) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def close(self) -> None:
        return None


def _for_spark(table: pa.Table) -> pa.Table:
    """Arrow types Spark reads: dictionary (DuckDB ENUM) columns as their values."""
    import pyarrow as pa

    fields = [pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in table.schema]
    schema = pa.schema(fields)
    return table if schema == table.schema else table.cast(schema)


def _for_duckdb(table: pa.Table) -> pa.Table:
    """Spark's timestamps come back as UTC instants; the warehouse's are plain (UTC) timestamps."""
    import pyarrow as pa

    fields = [pa.field(f.name, pa.timestamp(f.type.unit)) if pa.types.is_timestamp(f.type) and f.type.tz else f
              for f in table.schema]
    schema = pa.schema(fields)
    return table if schema == table.schema else table.cast(schema)


class SparkEngine:
    """Apache Spark (local mode here; a cluster with ``CLEARSIGHT_SPARK_MASTER``, see docs/scale.md)."""

    name = "spark"

    def __init__(self, con: duckdb.DuckDBPyConnection, spark: Any = None) -> None:
        from clearsight import spark as spark_session

        self.con = con
        self.spark = spark if spark is not None else spark_session.session()
        self._in_spark: set[str] = set()  # every temporary view this engine made in Spark
        self._made: set[str] = set()  # those computed in Spark (tables and views of transforms)
        self._shipped: dict[str, set[str]] = {}  # warehouse tables sent, and which of their columns
        self._columns: dict[str, list[str]] = {}  # every known table's columns, in order
        self._cached: list[Any] = []
        self.shipped_rows = 0  # rows sent from the warehouse to Spark (for the tests)
        self.shipped_columns: dict[str, list[str]] = {}  # the columns sent of each warehouse table

    def _ship(self, sql: str) -> None:
        """Send the warehouse tables ``sql`` reads to Spark, each with only the columns it reads (so that what
        no transform reads, protected characteristics included, never leaves the warehouse)."""
        names = inputs(sql)
        schema: dict[str, list[str]] = {}
        for name in names:
            key = name.lower()
            if key in self._columns:
                schema[key] = self._columns[key]
            else:
                schema[key] = [row[0] for row in self.con.execute(f"DESCRIBE SELECT * FROM {name}").fetchall()]
        read = columns_read(sql, schema)
        for name in names:
            key = name.lower()
            if key in self._made:
                continue  # made in Spark by an earlier transform, with all its columns
            wanted = set(schema[key]) if read is None or not read.get(key) else read[key]
            have = self._shipped.get(key, set())
            if wanted <= have:
                continue
            columns = [c for c in schema[key] if c.lower() in wanted | have]
            listed = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
            arrow = _for_spark(self.con.sql(f"SELECT {listed} FROM {name}").to_arrow_table())
            self.spark.createDataFrame(arrow).createOrReplaceTempView(name)
            self._shipped[key] = {c.lower() for c in columns}
            self._columns.setdefault(key, schema[key])
            self._in_spark.add(key)
            self.shipped_rows += arrow.num_rows
            self.shipped_columns[key] = columns

    def _frame(self, sql: str) -> Any:
        self._ship(sql)
        return self.spark.sql(to_spark(sql))

    def table(self, name: str, sql: str, keep: bool = True) -> None:
        frame = self._frame(sql)
        if keep:  # computed once (the copy back) and cached for the transforms that read it next
            frame = frame.cache()
            self._cached.append(frame)
        frame.createOrReplaceTempView(name)
        self._made_in_spark(name, frame)
        if not keep:  # an intermediate: Spark computes it inside the transform that reads it
            return
        arrow = _for_duckdb(frame.toArrow())
        self.con.register("cs_engine_result", arrow)
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM cs_engine_result")
        finally:
            self.con.unregister("cs_engine_result")

    def view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
        frame = self._frame(sql).cache()  # lazy: computed by the first transform that reads it, then reused
        self._cached.append(frame)
        frame.createOrReplaceTempView(name)
        self._made_in_spark(name, frame)

    def _made_in_spark(self, name: str, frame: Any) -> None:
        key = name.lower()
        self._in_spark.add(key)
        self._made.add(key)
        self._columns[key] = list(frame.columns)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._frame(sql).collect()]

    def close(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        self._cached.clear()
        for name in self._in_spark:
            self.spark.catalog.dropTempView(name)
        self._in_spark.clear()
        self._made.clear()
        self._shipped.clear()
        self._columns.clear()


def make(name: str, con: duckdb.DuckDBPyConnection, spark: Any = None) -> Engine:
    """The engine called ``name`` working with the DuckDB connection ``con``."""
    if name == "duckdb":
        return DuckDBEngine(con)
    if name == "spark":
        return SparkEngine(con, spark)
    raise ClearsightError(f"no engine {name!r}: choose one of {', '.join(ENGINES)}")
