"""The linkage model's SQL, written once for DuckDB, rewritten for Spark: one model, two engines.

Why a rewrite and not a second model: the comparisons in ``model.py`` are the linkage logic; keeping a Spark
copy by hand would let the two drift. sqlglot parses each level's condition as DuckDB and prints it as Spark
SQL, and the few functions whose names or meaning differ are mapped here:

- ``list_has_any(a, b)`` (arrays share an element) is Spark's ``arrays_overlap(a, b)``;
- ``list_intersect`` is ``array_intersect``; ``length`` of an array is ``size``;
- ``jaro_winkler_similarity`` is the ``jaro_winkler`` function that Splink registers from its Spark jar.

``tests/test_link_spark.py`` checks every level of the shipped model translates, and that Spark scores the
same pairs with the same probabilities as DuckDB.
"""

from __future__ import annotations

import copy
from typing import Any

import sqlglot
from sqlglot import exp

ARRAY_COLUMNS = frozenset({"fn_keys", "sn_parts", "alias_surnames", "addr_tokens", "phones"})
"""Feature columns (``features.py``) that hold lists; ``_l``/``_r`` suffixes are stripped before the check."""
_ARRAY_FUNCTIONS = {"list_intersect": "array_intersect", "list_concat": "concat", "list_distinct": "array_distinct"}


def _is_array(node: exp.Expression) -> bool:
    if isinstance(node, exp.Column):
        name = node.name.lower()
        return name.removesuffix("_l").removesuffix("_r") in ARRAY_COLUMNS
    if isinstance(node, exp.Anonymous):
        return node.name.lower() in _ARRAY_FUNCTIONS or node.name.lower() in _ARRAY_FUNCTIONS.values()
    return isinstance(node, exp.Array | exp.ArrayIntersect | exp.ArrayConcat)


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.ArrayOverlaps):
        return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
    if isinstance(node, exp.JarowinklerSimilarity):
        return exp.Anonymous(this="jaro_winkler", expressions=[node.this, node.expression])
    if isinstance(node, exp.ArrayIntersect):
        return exp.Anonymous(this="array_intersect", expressions=list(node.expressions))
    if isinstance(node, exp.Anonymous) and node.name.lower() in _ARRAY_FUNCTIONS:
        return exp.Anonymous(this=_ARRAY_FUNCTIONS[node.name.lower()], expressions=list(node.expressions))
    if isinstance(node, exp.Length) and _is_array(node.this):
        return exp.Anonymous(this="size", expressions=[node.this])
    return node


def to_spark(sql: str) -> str:
    """One DuckDB condition (a comparison level or a blocking rule) as Spark SQL."""
    if sql.strip().upper() == "ELSE":
        return sql
    tree = sqlglot.parse_one(sql, read="duckdb")
    for _ in range(8):  # a rewritten node's arguments are not revisited in the same pass: repeat until stable
        before = tree.sql(dialect="spark")
        tree = tree.transform(_rewrite)
        if tree.sql(dialect="spark") == before:
            break
    return tree.sql(dialect="spark")


def settings_for_spark(model: dict[str, Any]) -> dict[str, Any]:
    """A Splink settings dict (trained or not) with every condition rewritten for Spark."""
    spark = copy.deepcopy(model)
    for comparison in spark.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = to_spark(level["sql_condition"])
    rules = []
    for rule in spark.get("blocking_rules_to_generate_predictions", []):
        if isinstance(rule, dict):
            rules.append({**rule, "blocking_rule": to_spark(rule["blocking_rule"]), "sql_dialect": "spark"})
        else:
            rules.append(rule)
    spark["blocking_rules_to_generate_predictions"] = rules
    spark["sql_dialect"] = "spark"
    return spark


def with_duckdb_sql(trained: dict[str, Any], duckdb_settings: dict[str, Any]) -> dict[str, Any]:
    """A model trained on Spark, its conditions put back as DuckDB wrote them (the saved model's dialect).

    The trained model and the settings it was made from have the same comparisons and levels in the same
    order; only the parameters (m, u, the match rate) are taken from the trained one.
    """
    model = copy.deepcopy(trained)
    source = {c["output_column_name"]: c for c in duckdb_settings["comparisons"]}
    for comparison in model["comparisons"]:
        original = source[comparison["output_column_name"]]["comparison_levels"]
        if len(original) != len(comparison["comparison_levels"]):
            raise ValueError(f"comparison {comparison['output_column_name']}: levels differ between engines")
        for level, before in zip(comparison["comparison_levels"], original, strict=True):
            level["sql_condition"] = before["sql_condition"]
    model["blocking_rules_to_generate_predictions"] = copy.deepcopy(
        duckdb_settings["blocking_rules_to_generate_predictions"])
    model["sql_dialect"] = "duckdb"
    return model
