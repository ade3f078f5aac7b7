"""The linkage model's training helpers: u estimated with the sample's likely matches discounted."""

from __future__ import annotations

import math

import duckdb

from clearsight.link import model as link_model


def _toy_model() -> dict:
    """One comparison, 'same address' or not, trained as Splink's random sampling would leave it when half
    the records have a duplicate: u of 'same address' is about the match rate times m."""
    return {
        "probability_two_random_records_match": 0.01,
        "comparisons": [{
            "output_column_name": "address",
            "comparison_levels": [
                {"sql_condition": "addr_l IS NULL OR addr_r IS NULL", "label_for_charts": "null", "is_null_level": True},
                {"sql_condition": "addr_l = addr_r", "label_for_charts": "same address",
                 "m_probability": 0.9, "u_probability": 0.01},
                {"sql_condition": "town_l = town_r", "label_for_charts": "same town",
                 "m_probability": 0.09, "u_probability": 0.3},
                {"sql_condition": "ELSE", "label_for_charts": "else", "m_probability": 0.01, "u_probability": 0.69},
            ],
        }],
    }


def _records(con: duckdb.DuckDBPyConnection) -> None:
    # 100 people in 4 towns, each recorded twice at one address no one else has
    rows = [(f"{p}-{k}", f"{p} high street", f"town{p % 4}") for p in range(100) for k in range(2)]
    con.execute("CREATE TABLE feats (unique_id VARCHAR, addr VARCHAR, town VARCHAR)")
    con.executemany("INSERT INTO feats VALUES (?, ?, ?)", rows)


def test_refine_u_discounts_the_matches_in_the_sample() -> None:
    con = duckdb.connect()
    _records(con)
    model = link_model.refine_u(con, "feats", _toy_model(), max_pairs=1e6)
    levels = {lv["label_for_charts"]: lv for lv in model["comparisons"][0]["comparison_levels"]}
    pairs = 200 * 199 // 2
    # no two different people share an address: u falls to about one unseen pair's share of the sample
    # (Splink's sampling counted the 100 matches: 100 / pairs)
    assert levels["same address"]["u_probability"] < 2 * link_model.UNSEEN_PAIRS / (pairs - 100)
    # 100 of the sample's pairs are matches, more than SAMPLE_MATCHES: the match rate is taken from it
    assert model["clearsight_match_rate_from_sample"]
    # (about: the toy m says a tenth of matches live in other towns or addresses, and EM counts those in)
    assert 100 / pairs <= model["probability_two_random_records_match"] <= 125 / pairs
    # the same town is what non-matches show: a quarter of the pairs of different people, less the matches
    same_town_non_match = 4 * (50 * 49 // 2) - 100
    assert math.isclose(levels["same town"]["u_probability"], same_town_non_match / (pairs - 100), rel_tol=0.01)
    assert model["clearsight_u_refined_pairs"] == pairs


def test_refine_u_keeps_fixed_levels_and_leaves_the_input_table_alone() -> None:
    con = duckdb.connect()
    _records(con)
    toy = _toy_model()
    toy["comparisons"][0]["comparison_levels"][2].update(fix_u_probability=True, u_probability=0.3)
    model = link_model.refine_u(con, "feats", toy, max_pairs=1e6)
    assert model["comparisons"][0]["comparison_levels"][2]["u_probability"] == 0.3
    assert con.execute("SELECT count(*) FROM feats").fetchall()[0][0] == 200
    assert not con.execute("SELECT * FROM duckdb_tables() WHERE table_name = 'cs_u_sample'").fetchall()


def test_bound_weights_records_the_model_version() -> None:
    model = link_model.bound_weights(_toy_model())
    assert model["clearsight_model_version"] == link_model.MODEL_VERSION == "clearsight-link-v4"
