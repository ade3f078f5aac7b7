"""The linkage model's SQL, written once for DuckDB, rewritten for Spark: one model, two engines.

Why a rewrite and not a second model: the comparisons in ``model.py`` are the linkage logic; keeping a Spark
copy by hand would let the two drift. sqlglot parses each level's condition as DuckDB and prints it as Spark
SQL, and the few functions whose names or meaning differ are mapped (``clearsight.engine``, shared with the
other stages' transforms):

- ``list_has_any(a, b)`` (arrays share an element) is Spark's ``arrays_overlap(a, b)``;
- ``list_intersect`` is ``array_intersect``; ``length`` of an array is ``size``;
- ``jaro_winkler_similarity`` is the ``jaro_winkler`` function that Splink registers from its Spark jar.

``tests/test_link_spark.py`` checks every level of the shipped model translates, and that Spark scores the
same pairs with the same probabilities as DuckDB.
"""

from __future__ import annotations

import copy
from typing import Any

from clearsight import engine

ARRAY_COLUMNS = frozenset({"fn_keys", "sn_parts", "alias_surnames", "addr_tokens", "phones"})
"""Feature columns (``features.py``) that hold lists; ``_l``/``_r`` suffixes are stripped before the check."""


def to_spark(sql: str) -> str:
    """One DuckDB condition (a comparison level or a blocking rule) as Spark SQL (the shared rewrite,
    ``clearsight.engine.to_spark``, told which feature columns hold lists)."""
    return engine.to_spark(sql, ARRAY_COLUMNS)


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
