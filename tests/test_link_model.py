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
                {"sql_condition": "addr_l IS NULL OR addr_r IS NULL", "label_for_charts": "null",
                 "is_null_level": True},
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
    assert model["clearsight_model_version"] == link_model.MODEL_VERSION == "clearsight-link-v5"


def _gated_model(disagree_bits: float) -> dict:
    """A date comparison whose 'dates of birth disagree' weighs ``disagree_bits``, and the shipped gates."""
    gates = next(c for c in link_model.comparisons() if c["output_column_name"] == "namesake")
    dates = {"output_column_name": "date_of_birth", "comparison_levels": [
        {"sql_condition": "dob_l IS NULL", "label_for_charts": "null", "is_null_level": True},
        {"sql_condition": "dob_l = dob_r", "label_for_charts": "exact", "m_probability": 0.9, "u_probability": 0.001},
        {"sql_condition": "ELSE", "label_for_charts": "dates of birth disagree",
         "m_probability": 0.5 * 2.0**disagree_bits, "u_probability": 0.5},
    ]}
    return {"probability_two_random_records_match": 1e-4, "comparisons": [dates, gates]}


def test_gates_weigh_no_more_than_disagreeing_dates_where_dates_are_unreliable() -> None:
    unreliable = link_model.bound_weights(_gated_model(-4.3))
    assert not link_model.dates_reliable(unreliable)
    gate = link_model.level_weight(unreliable, "namesake", "no date of birth, forenames not one name")
    assert gate is not None and math.isclose(gate, -4.3, abs_tol=1e-9)
    # where dates are reliable (synthetic national: disagreeing dates at -20 bits) the gates keep -10
    reliable = link_model.bound_weights(_gated_model(-9.3))
    assert link_model.dates_reliable(reliable)
    gate = link_model.level_weight(reliable, "namesake", "no date of birth, forenames not one name")
    assert gate is not None and math.isclose(gate, link_model.GATE_BITS, abs_tol=1e-9)


def _level_of(left: dict, right: dict, comparison: str) -> str:
    """The label of the level that two person records fall in, for one comparison of the shipped model."""
    from clearsight.link.scoring import prepare_features

    con = duckdb.connect()
    columns = ("unique_id", "source", "forename", "surname", "date_of_birth", "postcode", "address")
    con.execute(f"CREATE TABLE people ({', '.join(c + ' VARCHAR' for c in columns)})")
    for uid, record in (("1", left), ("2", right)):
        values = [uid, "S", *(record.get(c) for c in columns[2:])]
        con.execute("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?)", values)
    prepare_features(con, "people", set(columns))
    chosen = next(c for c in link_model.comparisons() if c["output_column_name"] == comparison)
    names = [r[0] for r in con.execute("DESCRIBE cs_features").fetchall()]
    sides = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in names)
    gamma = con.execute(f"SELECT {link_model._gamma_sql(chosen)} FROM (SELECT {sides} FROM cs_features l, "
                        "cs_features r WHERE l.unique_id = '1' AND r.unique_id = '2')").fetchall()[0][0]
    levels = [lv for lv in chosen["comparison_levels"] if not lv.get("is_null_level")]
    return "null" if gamma == -1 else levels[len(levels) - 1 - gamma]["label_for_charts"]


def test_new_levels_catch_the_slips_they_name() -> None:
    home = {"postcode": "SW8 7NB", "address": "82 Sanders Close, Kingston"}
    swapped = _level_of({"forename": "Amanda", "surname": "Okelllo", **home},
                        {"forename": "Okello", "surname": "Amanda", **home}, "forename")
    assert swapped == "swapped with surname, a spelling apart"
    moved = _level_of({"forename": "Alana", "surname": "Gould"}, {"forename": "Gould"}, "forename")
    assert moved == "recorded as the surname"
    slip = _level_of({"forename": "A", "postcode": "3782", "address": "19 warrumbul street gordonvale"},
                     {"forename": "A", "postcode": "3728", "address": "19 warrumbul st gordonvale"}, "location")
    assert slip == "postcode one slip apart, address alike"
    digits = _level_of({"forename": "A", "date_of_birth": "1994-08-31"},
                       {"forename": "A", "date_of_birth": "1994-80-31"}, "date_of_birth")
    assert digits.startswith("one digit differs")


def test_a_missing_surname_does_not_let_an_undated_pair_skip_the_gates() -> None:
    home = {"postcode": "BA5 7JR", "address": "105 Lloyd Avenue"}
    gate = _level_of({"forename": "Oliver", **home}, {"forename": "Harry", **home}, "namesake")
    assert gate == "no date of birth, forenames not one name"


def _blocked_pairs(rows: list[dict], cap: int) -> set[tuple[str, str]]:
    """The candidate pairs of the shipped blocking rules over ``rows`` (person columns), with ``cap``."""
    from clearsight.link.features import blocking_keys_sql
    from clearsight.link.scoring import prepare_features

    con = duckdb.connect()
    columns = ("unique_id", "source", "forename", "surname", "date_of_birth", "postcode", "address")
    con.execute(f"CREATE TABLE people ({', '.join(c + ' VARCHAR' for c in columns)})")
    for row in rows:
        con.execute("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?)", [row.get(c) for c in columns])
    prepare_features(con, "people", set(columns))
    con.execute(f"CREATE TABLE keyed AS {blocking_keys_sql('cs_features', link_model.BLOCKS, cap)}"
                .replace("SELECT *,", "SELECT unique_id,"))
    names = [name for name, _, _ in link_model.BLOCKS]
    found = con.execute("SELECT DISTINCT a.unique_id, b.unique_id FROM keyed a JOIN keyed b "
                        f"ON a.unique_id < b.unique_id AND ({' OR '.join(f'a.bk_{n} = b.bk_{n}' for n in names)})"
                        ).fetchall()
    return set(found)


def test_a_large_block_is_split_by_the_finer_key_and_a_noisy_pair_in_a_small_one_is_kept() -> None:
    # 60 children born on one day whose forenames start with J, each at a home of their own: one block of the
    # date of birth with the forename's initial, larger than the cap
    letters = [f"{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(60)]
    crowd = [{"unique_id": f"c{i}", "source": "S", "forename": f"J{two}x", "surname": f"{two}quist",
              "date_of_birth": "2012-03-04", "postcode": f"ZZ{i} 1AA"} for i, two in enumerate(letters)]
    # one child recorded twice, surname garbled (Whitfield, Whtifeld) and no home on one side: only the date
    # of birth with the forename's initial (or its first three letters) brings the two together
    child = [{"unique_id": "a", "source": "S", "forename": "Jasmine", "surname": "Whitfield",
              "date_of_birth": "2012-03-04", "postcode": "AB1 2CD", "address": "1 Long Lane"},
             {"unique_id": "b", "source": "T", "forename": "Jasmin", "surname": "Xhtifeld",
              "date_of_birth": "2012-04-03"}]
    small = _blocked_pairs(crowd + child, cap=100)
    assert ("a", "b") in small  # one block of 62 (day and month transposed: the same key)
    assert len(small) == 62 * 61 // 2
    split = _blocked_pairs(crowd + child, cap=link_model.BLOCK_CAP)
    assert ("a", "b") in split  # the finer key: the same date of birth and "jas"
    assert len(split) < 62  # the crowd's forenames differ in their first three letters
    # a missing part of the finer key blocks nothing (not one block of every such record)
    nameless = [dict(r, forename=None, surname="Quist", postcode=None) for r in crowd]
    assert len(_blocked_pairs(nameless, cap=100)) == 60 * 59 // 2  # the date of birth with "qu"
    assert not _blocked_pairs(nameless, cap=link_model.BLOCK_CAP)  # split by the forename's initial: missing


def test_a_model_saved_with_other_blocking_rules_is_refused(tmp_path) -> None:
    import json

    import pytest

    from clearsight.errors import ClearsightError

    model = link_model.bound_weights({**link_model.settings().create_settings_dict("duckdb")})
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model))
    assert link_model.load(path)["clearsight_blocking"] == link_model.blocking_fingerprint()
    for change in ({"clearsight_blocking": "other"},
                   {"blocking_rules_to_generate_predictions": model["blocking_rules_to_generate_predictions"][1:]}):
        path.write_text(json.dumps({**model, **change}))
        with pytest.raises(ClearsightError, match="other blocking rules"):
            link_model.load(path)
    path.write_text(json.dumps({**model, "clearsight_model_version": "clearsight-link-v4"}))
    with pytest.raises(ClearsightError, match="--retrain"):
        link_model.load(path)


def test_u_before_em_counts_every_sampled_pair_as_a_non_match() -> None:
    con = duckdb.connect()
    _records(con)
    comparisons = _toy_model()["comparisons"]
    sample = link_model.sample_patterns(con, "feats", comparisons, max_pairs=1e6)
    pairs = 200 * 199 // 2
    assert sample.pairs == pairs
    counts = link_model.level_counts(sample)["address"]
    # gamma 2: same address (the 100 matches), 1: same town, 0: else
    assert counts[2] == 100 and counts[1] == 4 * (50 * 49 // 2) - 100
    # refine_u reads the same sample: the result is the one it draws itself
    drawn = link_model.refine_u(con, "feats", _toy_model(), max_pairs=1e6)
    given = link_model.refine_u(con, "feats", _toy_model(), max_pairs=1e6, sample=sample)
    assert drawn == given


_ADDRESSES = (
    "82 Sanders Close, Kingston", "82 Sanders Cl Kingston", "Flat 3, 82 Sanders Close", "7 Murrell Place",
    "7 murrellplace", "75 Bendigo Village", "75 Scantlebury Crescent, Bendigo Village", "19 Warrumbul St",
    "12 Hale Rd", "12 Hale Road, Leeds", "Goddard Lane, Hartlepool", "3 Goddard Lane", "Kingston", None,
)


def _address_features() -> duckdb.DuckDBPyConnection:
    from clearsight.link.scoring import prepare_features

    con = duckdb.connect()
    con.execute("CREATE TABLE people (unique_id VARCHAR, source VARCHAR, forename VARCHAR, postcode VARCHAR, "
                "address VARCHAR)")
    postcodes = ("SW8 7NB", "SW8 7BN", "SW8 7NX", "SW9 1AA", "LS1 4AP", None)
    rows = [(f"{i}-{j}", "s", "A", pc, addr) for i, addr in enumerate(_ADDRESSES) for j, pc in enumerate(postcodes)]
    con.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?)", rows)
    prepare_features(con, "people", {"unique_id", "source", "forename", "postcode", "address"})
    return con


def test_address_masks_share_a_bit_wherever_the_addresses_share_a_token() -> None:
    con = _address_features()
    rows = con.execute("SELECT addr_tokens, addr_mask FROM cs_features").fetchall()
    for tokens, mask in rows:
        assert (tokens is None) == (mask is None)
        if mask is not None:
            assert 0 < mask < 2**63 and bin(mask).count("1") <= len(tokens)
    for tokens_l, mask_l in rows:
        for tokens_r, mask_r in rows:
            if tokens_l and tokens_r and set(tokens_l) & set(tokens_r):
                assert mask_l & mask_r != 0


def test_the_token_mask_test_changes_no_location_level() -> None:
    # the shipped location levels, and the same levels as v5 wrote them before (no mask test, the shared tokens
    # counted by list_intersect, Damerau-Levenshtein alone), over every pair
    con = _address_features()
    common = "array_length(list_filter(addr_tokens_l, lambda t: list_contains(addr_tokens_r, t)))"
    intersect = "length(list_intersect(addr_tokens_l, addr_tokens_r))"
    location = next(c for c in link_model.comparisons() if c["output_column_name"] == "location")
    shared = "(addr_mask_l & addr_mask_r) <> 0"
    assert any(shared in lv["sql_condition"] and common in lv["sql_condition"] for lv in location["comparison_levels"])
    without = {**location, "comparison_levels": [
        {**lv, "sql_condition": lv["sql_condition"].replace(shared, "TRUE").replace(common, intersect)
         .replace("levenshtein(pc_l, pc_r) <= 2 AND damerau", "damerau")} for lv in location["comparison_levels"]]}
    names = [r[0] for r in con.execute("DESCRIBE cs_features").fetchall()]
    sides = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in names)
    gammas = con.execute(
        f"SELECT {link_model._gamma_sql(location)}, {link_model._gamma_sql(without)} FROM (SELECT {sides} "
        "FROM cs_features l JOIN cs_features r ON l.unique_id < r.unique_id)").fetchall()
    assert len(gammas) == (len(_ADDRESSES) * 6) * (len(_ADDRESSES) * 6 - 1) // 2
    assert all(a == b for a, b in gammas)
    assert len({a for a, _ in gammas}) >= 8  # the pairs reach most levels, not only "all other"


def test_a_model_saved_before_the_token_masks_still_loads_and_other_features_are_refused(tmp_path) -> None:
    import json

    import pytest

    from clearsight.errors import ClearsightError
    from clearsight.link.features import FEATURES_VERSION

    model = link_model.bound_weights({**link_model.settings().create_settings_dict("duckdb")})
    assert model["clearsight_features"] == FEATURES_VERSION
    path = tmp_path / "model.json"
    before = {k: v for k, v in model.items() if k != "clearsight_features"}
    path.write_text(json.dumps(before))
    assert link_model.load(path) == before
    path.write_text(json.dumps({**model, "clearsight_features": "99"}))
    with pytest.raises(ClearsightError, match="features 99"):
        link_model.load(path)


def _window_keys_sql(relation: str, cap: int) -> str:
    """The blocking keys as v5 first defined them (a window count per rule): the reference the set-based
    ``blocking_keys_sql`` must equal."""
    from clearsight.link.features import _signed

    def key(parts: tuple[str, ...]) -> str:
        present = " AND ".join(f"({p}) IS NOT NULL" for p in parts)
        return f"CASE WHEN {present} THEN hash({', '.join(f'CAST(({p}) AS VARCHAR)' for p in parts)}) END"

    columns = []
    for name, coarse, fine in link_model.BLOCKS:
        k, f = key(coarse), key(fine)
        coarse_hash, fine_hash = _signed(f"hash('key', {k})"), _signed(f"hash('finer', {f})")
        columns.append(f"CASE WHEN {k} IS NULL THEN NULL WHEN count(*) OVER (PARTITION BY {k}) <= {cap} "
                       f"THEN {coarse_hash} WHEN {f} IS NOT NULL THEN {fine_hash} END AS bk_{name}")
    return f"SELECT *, {', '.join(columns)} FROM {relation}"


def test_blocking_keys_and_namesakes_equal_their_window_definitions() -> None:
    import random

    from clearsight.link.features import blocking_keys_sql, features_sql, namesakes_sql, register_nicknames

    rng = random.Random(7)
    con = duckdb.connect()
    columns = ("unique_id", "source", "forename", "surname", "date_of_birth", "postcode", "address")
    con.execute(f"CREATE TABLE people ({', '.join(c + ' VARCHAR' for c in columns)})")
    rows = []
    for i in range(600):  # few distinct values, so that many blocks are over a cap of 5
        rows.append([str(i), "S", rng.choice(["Jack", "Jake", "Amy", None, "Bob", "Robert"]),
                     rng.choice(["Smith", "Smyth", "Khan", None]),
                     rng.choice(["2010-03-04", "2010-04-03", "2011-01-02", "2009-03-04", None]),
                     rng.choice(["AB1 2CD", "AB12CD", "ZZ9 9ZZ", None]),
                     rng.choice(["1 High St", "1 High Street", "Flat 2, 7 Long Rd", "7 long road", None])])
    con.executemany(f"INSERT INTO people VALUES ({', '.join('?' * len(columns))})", rows)
    register_nicknames(con)
    con.execute(f"CREATE TABLE base AS {features_sql('people', set(columns))}")
    con.execute(f"CREATE TABLE named AS {namesakes_sql('base')}")
    # the namesakes' spread as two windows over every record, as first written
    con.execute("""CREATE TABLE named_ref AS SELECT * EXCLUDE (s1, s2),
        nullif(greatest(coalesce(s1, 0), coalesce(s2, 0)), 0) AS namesake_spread FROM (SELECT *,
        CASE WHEN fn IS NOT NULL AND sn IS NOT NULL AND pc IS NOT NULL THEN
            max(dob_year::INTEGER) OVER (PARTITION BY fn, sn, pc)
            - min(dob_year::INTEGER) OVER (PARTITION BY fn, sn, pc) END AS s1,
        CASE WHEN fn IS NOT NULL AND sn IS NOT NULL AND addr_street IS NOT NULL THEN
            max(dob_year::INTEGER) OVER (PARTITION BY fn, sn, addr_street)
            - min(dob_year::INTEGER) OVER (PARTITION BY fn, sn, addr_street) END AS s2 FROM base)""")
    con.execute(f"CREATE TABLE keyed AS {blocking_keys_sql('named', link_model.BLOCKS, 5)}")
    con.execute(f"CREATE TABLE keyed_ref AS {_window_keys_sql('named_ref', 5)}")
    names = [r[0] for r in con.execute("DESCRIBE keyed").fetchall()]
    assert names == [r[0] for r in con.execute("DESCRIBE keyed_ref").fetchall()]
    for a, b in (("keyed", "keyed_ref"), ("keyed_ref", "keyed")):
        difference = f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})"
        assert con.execute(difference).fetchall() == [(0,)]
    assert con.execute("SELECT count(namesake_spread) FROM keyed").fetchall()[0][0] > 0  # namesakes born apart
    # some blocks are over the cap of 5, so that the finer keys are in play: without a cap the keys differ
    con.execute(f"CREATE TABLE uncapped AS {blocking_keys_sql('named', link_model.BLOCKS, 10_000)}")
    assert con.execute("SELECT count(*) FROM keyed JOIN uncapped u USING (unique_id) "
                       "WHERE keyed.bk_pc IS DISTINCT FROM u.bk_pc").fetchall()[0][0] > 0


def test_addresses_are_normalised_word_by_word() -> None:
    from clearsight.link.features import _address_sql

    con = duckdb.connect()
    cases = {"12 Hale Rd": "12 hale road", "Flat 3,  7 Long  Rd.": "flat 3 7 long road",
             "Apt 4 Rue Crés": "flat 4 rue crescent", "12st  Mary": "12st mary", "st st": "street street",
             "   ": None, "Gdns/Tce": "gardens terrace"}
    for raw, expected in cases.items():
        assert con.execute(f"SELECT {_address_sql('?')}", [raw]).fetchall()[0][0] == expected, raw


def _candidates(rows: list[dict], dates_reliable: bool = True) -> dict[tuple[str, str], str]:
    """The candidate pairs Splink blocks with the shipped rules (keys, finer keys and conditions), each with
    the first rule that found it: {(left id, right id): rule name}."""
    from clearsight.link import engines
    from clearsight.link.scoring import prepare_features

    con = duckdb.connect()
    columns = ("unique_id", "source", "forename", "surname", "date_of_birth", "age_years", "postcode", "address")
    con.execute(f"CREATE TABLE people ({', '.join(c + ' VARCHAR' for c in columns)})")
    con.executemany(f"INSERT INTO people VALUES ({', '.join('?' for _ in columns)})",
                    [[row.get(c) for c in columns] for row in rows])
    prepare_features(con, "people", set(columns))
    linker = engines.make("duckdb", con).linker("cs_features", link_model.settings(dates_reliable=dates_reliable))
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    names = [name for name, _, _ in link_model.BLOCKS]
    return {(a, b): names[int(k)] for a, b, k in con.execute(
        f"SELECT join_key_l, join_key_r, match_key FROM {blocked.physical_name}").fetchall()}


def test_a_rule_with_a_condition_finds_only_the_pairs_it_is_for() -> None:
    # Three people who share a surname, the forename's initial and a birth year, and nothing else a rule keys
    # on: with both dates of birth present, the surname-and-year rule (for age-only records) finds nothing
    dated = [{"unique_id": "k1", "source": "S", "forename": "Kai", "surname": "Brennan", "date_of_birth": "2011-05-06",
              "postcode": "M1 1AA", "address": "3 Oak Road"},
             {"unique_id": "k2", "source": "T", "forename": "Kerry", "surname": "Brennan",
              "date_of_birth": "2011-09-10", "postcode": "LS2 9ZZ", "address": "40 Elm Street"}]
    assert _candidates(dated) == {}
    # an age-only record of the same surname and initial whose age puts its earliest birth year at 2011 (no
    # reference period: the age is taken as of this year) is a candidate for both, found by that rule
    import datetime

    age = str(datetime.date.today().year - 2012)
    aged = [*dated, {"unique_id": "k3", "source": "U", "forename": "Kian", "surname": "Brennan", "age_years": age,
                     "date_of_birth": None, "postcode": "B5 4QQ", "address": "12 Ash Grove"}]
    assert _candidates(aged) == {("k1", "k3"): "sn_year", ("k2", "k3"): "sn_year"}
    # The house number and street's first letters in one postcode area (neighbours on two streets): a candidate
    # only where the postcodes could be one slip apart
    near = [{"unique_id": "n1", "source": "S", "forename": "Ada", "surname": "Moss", "date_of_birth": "1990-01-02",
             "postcode": "LS6 2AB", "address": "17 Grange Road"},
            {"unique_id": "n2", "source": "T", "forename": "Zoe", "surname": "Moss", "date_of_birth": "1971-08-30",
             "postcode": "LS6 2BA", "address": "17 Grangewood Avenue"}]
    assert _candidates(near) == {("n1", "n2"): "number_street"}
    far = [near[0], {**near[1], "postcode": "LS27 9QT"}]
    assert _candidates(far) == {}


def test_the_full_name_rule_drops_namesakes_born_years_apart_only_where_dates_are_reliable() -> None:
    # one full name, dates of birth 19 years apart (a father and son at different homes): no slip relates them
    far = [{"unique_id": "f1", "source": "S", "forename": "Tariq", "surname": "Hussain", "date_of_birth": "1988-02-14",
            "postcode": "OL1 3AB", "address": "9 Mill Lane"},
           {"unique_id": "f2", "source": "T", "forename": "Tariq", "surname": "Hussain", "date_of_birth": "2007-11-30",
            "postcode": "BD7 1XY", "address": "61 Park Road"}]
    assert _candidates(far) == {}
    assert _candidates(far, dates_reliable=False) == {("f1", "f2"): "name"}  # FEBRL4-like data: a garbled date
    # a slip the clustering would accept as one person's (the year out by one): still a candidate
    slip = [far[0], {**far[1], "date_of_birth": "1989-02-14"}]
    assert _candidates(slip) == {("f1", "f2"): "name"}
    from clearsight.link.cluster import dates_compatible

    assert dates_compatible("1988-02-14", "1989-02-14") and not dates_compatible("1988-02-14", "2007-11-30")


def test_a_model_scores_with_the_rules_for_what_it_found_about_dates(tmp_path) -> None:
    import json

    import pytest

    from clearsight.errors import ClearsightError

    base = link_model.settings().create_settings_dict("duckdb")
    reliable = link_model.bound_weights(json.loads(json.dumps(base)))
    unreliable_input = json.loads(json.dumps(base))
    for comparison in unreliable_input["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("label_for_charts") == "dates of birth disagree":
                level["m_probability"], level["u_probability"] = 0.4, 0.5  # true matches often disagree: -0.3 bits
    unreliable = link_model.bound_weights(unreliable_input)
    assert link_model.dates_reliable(reliable) and not link_model.dates_reliable(unreliable)
    name_rule = [r["blocking_rule"] for r in reliable["blocking_rules_to_generate_predictions"] if "bk_name" in r[
        "blocking_rule"]]
    assert "substr(l.dob, 6, 5) = substr(r.dob, 6, 5)" in name_rule[0]
    assert [r["blocking_rule"] for r in unreliable["blocking_rules_to_generate_predictions"]
            if "bk_name" in r["blocking_rule"]] == ['l."bk_name" = r."bk_name"']
    for model in (reliable, unreliable):
        path = tmp_path / "model.json"
        path.write_text(json.dumps(model))
        assert link_model.load(path)["blocking_rules_to_generate_predictions"] == model[
            "blocking_rules_to_generate_predictions"]
    # a model whose rules do not follow its own finding about dates is refused
    path.write_text(json.dumps({**unreliable, "blocking_rules_to_generate_predictions": reliable[
        "blocking_rules_to_generate_predictions"]}))
    with pytest.raises(ClearsightError, match="other blocking rules"):
        link_model.load(path)
