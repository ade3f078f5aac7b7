"""The linkage model: comparisons that fit British person records, blocking rules, training, saving, charts.

Why custom levels rather than Splink's stock comparisons: the errors in agency records are structured.
A nickname or alias ("Bob"/"Robert") is stronger evidence than a Jaro-Winkler score says; a forename and
surname swapped, or a day and month transposed, is near-certain agreement that a distance function scores
as disagreement; a record with only an age agrees or not with a date of birth through a birth-year range.
Each level is plain SQL on the columns ``features.py`` derives. Term-frequency adjustments make a match on
"Smith" or a shared postcode weigh less than a match on a rare surname.

``MODEL_VERSION`` is recorded with every run's outputs so that a change of comparisons is visible.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from splink import Linker, SettingsCreator, block_on
from splink.blocking_rule_library import And, CustomRule

from clearsight.errors import ClearsightError
from clearsight.link.features import FEATURES_VERSION

MODEL_VERSION = "clearsight-link-v5"

BLOCK_CAP = 50
"""A blocking key's block (records sharing it) larger than this is split by the rule's finer key.

Why: a key whose values do not grow with the records (a date of birth: synthetic children's span a few
years; a surname with a birth year; a full name: name pools are finite) gives blocks that grow with the
records, so its pairs grow with their square: v4's rules gave 4.3M pairs for 188,874 records and 129M for
1,234,872 (national x 1 and x 10, truth records), 60% of them from the surname with the birth year alone.
Two records of one pair share the coarse key, so both are split, or neither: a pair in a large block is still
a candidate where it agrees on the finer key too (a large block holds the common values, where a finer key
costs least). Measured in docs/linkage.md ("Blocking that scales")."""

# Predictions are generated from the union of these rules. Measured on synthetic data they keep >= 99.5%
# of true pairs (see docs/linkage.md); each names the noise it survives. Each is (name, key, finer key): the
# key, or where its block holds more than BLOCK_CAP records the finer key (``features.blocking_keys_sql``
# derives one column per rule, ``bk_<name>``, NULL where a part is missing).
BLOCKS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    # exact or transposed date of birth with the forename's initial
    ("dob_fn", ("dob_key", "fn_initial"), ("dob_key", "substr(fn, 1, 3)")),
    # forename changed (nickname, typo) but surname start agrees
    ("dob_sn", ("dob_key", "substr(sn, 1, 2)"), ("dob_key", "substr(sn, 1, 2)", "fn_initial")),
    # full name, in either order (swaps), whatever the date of birth says
    ("name", ("name_key",), ("name_key", "birth_year_min")),
    # age-only records and year typos with an exact surname (v4: without the forename's initial, 60% of
    # v4's pairs, none of them a true pair no other rule finds on the synthetic truth records)
    ("sn_year", ("sn", "birth_year_min", "fn_initial"), ("sn", "birth_year_min", "fn")),
    # same home postcode, names garbled or swapped (a British postcode is ~15 homes)
    ("pc", ("pc",), ("pc", "substr(sn, 1, 1)")),
    # nickname forename and missing or mistyped date of birth
    ("sn_sector", ("sn", "pc_sector"), ("sn", "pc_sector", "fn_initial")),
    # same normalised address (family members are told apart by the model)
    ("addr", ("addr",), ("addr", "substr(sn, 1, 1)")),
    # house number or postcode missing, surname garbled
    ("street_fn", ("addr_street", "substr(fn, 1, 2)"), ("addr_street", "substr(fn, 1, 2)", "substr(pc, 1, 2)")),
    # house number or postcode missing, forename garbled
    ("street_sn", ("addr_street", "substr(sn, 1, 2)"), ("addr_street", "substr(sn, 1, 2)", "substr(pc, 1, 2)")),
    # a mistyped postcode and a garbled street name: the house number and the street's first letters
    ("number_street", ("addr_number", "substr(addr_street, 1, 3)", "substr(pc, 1, 1)"),
     ("addr_number", "substr(addr_street, 1, 3)", "substr(pc, 1, 1)", "substr(sn, 1, 1)")),
    # the same, with no house number but a date of birth
    ("dob_street", ("dob_key", "substr(addr_street, 1, 3)"), ("dob_key", "substr(addr_street, 1, 3)", "fn_initial")),
    # two characters of the postcode transposed (3782 for 3728)
    ("pc_sorted", ("pc_sorted", "substr(sn, 1, 1)"), ("pc_sorted", "substr(sn, 1, 1)", "fn_initial")),
)

_POSTCODE_SLIP = "(l.pc IS NULL OR r.pc IS NULL OR levenshtein(l.pc, r.pc) <= 2)"
_DATE_SLIP = ("(l.dob IS NULL OR r.dob IS NULL OR substr(l.dob, 1, 4) = substr(r.dob, 1, 4) "
              "OR substr(l.dob, 6, 5) = substr(r.dob, 6, 5))")
"""A date of birth missing on one side, or the same year, or the same day and month: every pair of dates
``cluster.dates_compatible`` accepts as one person's (a slip) passes, since each of its slips leaves the year or
the day and month as they were. (An edit distance was tried too: it added no true pair and cost a second of
blocking at 1.2M records.)"""
BLOCK_CONDITIONS: dict[str, str] = {
    # age-only records: a pair where both have a date of birth is found by the rules on the date
    "sn_year": "(l.dob IS NULL OR r.dob IS NULL)",
    # a nickname with a missing or mistyped date of birth
    "sn_sector": _DATE_SLIP,
    # a mistyped postcode: missing, or at most two edits apart (one slip is at most two)
    "number_street": _POSTCODE_SLIP,
    "dob_street": _POSTCODE_SLIP,
}
"""A pair a rule's key finds is a candidate only where this holds too: the noise the rule is for (its comment
above). Why: each of these rules' keys also brings together neighbours and namesakes the rule was never meant
for. On the synthetic truth records at national x 10 (1,234,872 records) the four conditions, with
``RELIABLE_DATES_CONDITIONS``, cut the candidate pairs from 17,092,170 to 8,397,479 (``sn_year`` alone 3.6
million: with both dates present its pairs are all found by the date rules or are not true pairs); these four
keep every true pair the rules kept there, on national x 1 and on FEBRL4 (docs/linkage.md, "Conditions on the
blocking rules")."""
RELIABLE_DATES_CONDITIONS: dict[str, str] = {"name": _DATE_SLIP}
"""Conditions only where the trained model finds dates of birth reliable (``dates_reliable``). There clustering
refuses to merge records whose dates are not one person's with a slip (``cluster.dates_compatible``), and
``_DATE_SLIP`` passes every pair of dates it accepts, so the full-name pairs this drops (namesakes born years
apart: 2.7 million pairs at national x 10, among them 4 of the 224,822 true pairs, whose dates no slip explains)
could never join one cluster. Where dates are unreliable (FEBRL4) the full-name rule keeps every pair, whatever
the dates say: there the condition lost 2 of FEBRL4's 5,000 true pairs."""


def _rule(name: str, dates_reliable: bool = True) -> Any:
    key = block_on(f"bk_{name}")
    conditions = {**BLOCK_CONDITIONS, **(RELIABLE_DATES_CONDITIONS if dates_reliable else {})}
    condition = conditions.get(name)
    return key if condition is None else And(key, CustomRule(condition, sql_dialect="duckdb"))


def blocking_rules(dates_reliable: bool = True) -> tuple[Any, ...]:
    """The rules that generate predictions (``BLOCKS`` with their conditions), for data whose dates of birth are
    reliable or not (a trained model says which: ``dates_reliable``)."""
    return tuple(_rule(name, dates_reliable) for name, _, _ in BLOCKS)


def blocking_fingerprint() -> str:
    """What the blocking keys are made of (the rules, their finer keys and the cap), kept in a saved model:
    the rules a model scores with are only column names (``bk_…``), so a change of what fills them would
    otherwise go unseen."""
    import hashlib

    text = json.dumps({"blocks": BLOCKS, "cap": BLOCK_CAP, "conditions": BLOCK_CONDITIONS,
                       "reliable_dates_conditions": RELIABLE_DATES_CONDITIONS}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


HARD_LEVELS = ("born more than five years apart", "dates of birth disagree")
"""Levels that say whether dates of birth in this data are reliable. A date that disagrees beyond a
transposition, one or two digits or a year is, in records like the synthetic ones, a sibling's or a parent's,
not a slip; in extracts whose dates are often wrong outright (FEBRL4) it is a slip. EM learns m for both;
where "dates of birth disagree" comes out at or below ``RELIABLE_DATES_BITS`` (true matches practically never
disagree), both levels are set to ``HARD_FLOOR`` bits: EM, which sees a parent and child of one name at one
address agree on everything else, would otherwise learn that true matches sometimes disagree this much.
Elsewhere the learned weight stands (floored like any other level). v2 fixed them at about -17 and -20 bits
whatever the data, which on FEBRL4 vetoed some 250 true pairs that agree on names and address."""
HARD_FLOOR = -20.0
SOFT_FLOOR = -12.0
RELIABLE_DATES_BITS = -7.0
"""Measured: synthetic national -9.3 bits (dates reliable), FEBRL4 -4.3 (unreliable)."""
GATE_BITS = -10.0
"""The fixed weight of the no-date-of-birth gates (see ``comparisons``)."""
SPELLING_GATE_BITS = -1.0
"""The gate's weight when the forenames are one spelling apart (Jaro-Winkler >= 0.92): a sibling is not given
a spelling of a brother's or sister's name, so this is mostly a typo; v2 weighed it like two names (-10),
which left some 300 true pairs of the synthetic national set below the threshold (docs/linkage.md)."""


SAMPLE_MATCHES = 30.0
"""``refine_u``: where the sample holds at least this many likely matches (FEBRL4: about 200 in 2M pairs;
synthetic national: about 3), the match rate is taken from it too: the near-certain rules' estimate assumes
they find 70% of matches, and where records are as noisy as FEBRL4's they find fewer."""
UNSEEN_PAIRS = 1.0
"""``refine_u``: a level no non-match of the sample shows counts as this many pairs (rare, not impossible)."""


SWAPPED_TYPO = ("jaro_winkler_similarity(fn_l, sn_r) >= 0.92 AND jaro_winkler_similarity(sn_l, fn_r) >= 0.92 "
                "AND fn_l <> sn_l AND fn_r <> sn_r")
"""Forename and surname swapped, with a spelling slip ('Amanda Okelllo' and 'Okello Amanda'): one name, as
an exact swap is. Counted once, in the forename comparison (the surname's level weighs 0)."""


def _level(sql: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _null(sql: str) -> dict[str, Any]:
    return _level(sql, "null", is_null_level=True)


def _else() -> dict[str, Any]:
    return _level("ELSE", "all other comparisons")


def comparisons(present: set[str] | None = None) -> list[dict[str, Any]]:
    """The comparisons, each a Splink comparison dict; those whose inputs are all missing are left out."""
    jw = "jaro_winkler_similarity"
    forename = {
        "output_column_name": "forename",
        "comparison_levels": [
            _null("fn_l IS NULL OR fn_r IS NULL"),
            _level("fn_l = fn_r", "exact", tf_adjustment_column="fn", tf_adjustment_weight=1.0),
            # adjusted for how common the full name is in either order ('Jack Ryan' and 'Ryan Jack'): with
            # the surname's level at 0, this level carries both names' evidence, as exact forename and
            # surname do with their own frequencies
            _level("fn_l = sn_r AND sn_l = fn_r", "swapped with surname", tf_adjustment_column="name_key",
                   tf_adjustment_weight=1.0, disable_tf_exact_match_detection=True),
            _level(SWAPPED_TYPO, "swapped with surname, a spelling apart"),
            _level("list_has_any(fn_keys_l, fn_keys_r)", "nickname or alias"),
            # one record holds its only name in the other field ('Gould' as forename, no surname)
            _level("(fn_l = sn_r AND sn_l IS NULL) OR (fn_r = sn_l AND sn_r IS NULL)", "recorded as the surname"),
            _level(f"{jw}(fn_l, fn_r) >= 0.92", "jaro-winkler >= 0.92"),
            _level(f"{jw}(fn_l, fn_r) >= 0.8 OR {jw}(fn_l, sn_r) >= 0.92", "jaro-winkler >= 0.8 or swapped typo"),
            _else(),
        ],
    }
    surname = {
        "output_column_name": "surname",
        "comparison_levels": [
            _null("sn_l IS NULL OR sn_r IS NULL"),
            _level("sn_l = sn_r", "exact", tf_adjustment_column="sn", tf_adjustment_weight=1.0),
            # counted once, in the forename comparison: weight 0 here
            _level("fn_l = sn_r AND sn_l = fn_r", "swapped with forename", m_probability=0.01, u_probability=0.01,
                   fix_m_probability=True, fix_u_probability=True),
            _level(SWAPPED_TYPO, "swapped with forename, a spelling apart", m_probability=0.01, u_probability=0.01,
                   fix_m_probability=True, fix_u_probability=True),
            _level("(sn_l = fn_r AND fn_l IS NULL) OR (sn_r = fn_l AND fn_r IS NULL)", "recorded as the forename"),
            _level(f"{jw}(sn_l, sn_r) >= 0.92", "jaro-winkler >= 0.92"),
            _level(
                "list_has_any(sn_parts_l, [sn_r]) OR list_has_any(sn_parts_r, [sn_l]) "
                "OR list_has_any(alias_surnames_l, [sn_r]) OR list_has_any(alias_surnames_r, [sn_l])",
                "double-barrelled part or alias",
            ),
            _level(f"{jw}(sn_l, sn_r) >= 0.8 OR {jw}(sn_l, fn_r) >= 0.92", "jaro-winkler >= 0.8 or swapped typo"),
            _else(),
        ],
    }
    date_of_birth = {
        "output_column_name": "date_of_birth",
        "comparison_levels": [
            _null(
                "(dob_l IS NULL AND birth_year_min_l IS NULL) OR (dob_r IS NULL AND birth_year_min_r IS NULL)"
            ),
            _level("dob_l = dob_r", "exact"),
            _level(
                "dob_l IS NOT NULL AND dob_r IS NOT NULL AND dob_key_l = dob_key_r",
                "day and month transposed",
            ),
            # NULLs tested first: Splink's Spark UDF for Damerau-Levenshtein does not return NULL for them
            # Levenshtein <= 2 before Damerau-Levenshtein <= 1, which implies it: the same level at a fraction of
            # the cost (Damerau-Levenshtein costs about five times Levenshtein per pair in DuckDB)
            _level("levenshtein(dob_l, dob_r) <= 1 OR (dob_l IS NOT NULL AND dob_r IS NOT NULL "
                   "AND substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND levenshtein(dob_l, dob_r) <= 2 "
                   "AND damerau_levenshtein(dob_l, dob_r) <= 1)",
                   "one digit differs, or two swapped in the month or day"),
            _level("substr(dob_l, 6, 5) = substr(dob_r, 6, 5) AND abs(birth_year_min_l - birth_year_min_r) <= 1",
                   "year out by one", m_probability=0.01),
            _level(
                "(dob_l IS NULL OR dob_r IS NULL) AND greatest(birth_year_min_l, birth_year_min_r) "
                "<= least(birth_year_max_l, birth_year_max_r)",
                "age agrees with the date of birth",
                m_probability=0.05,
            ),
            # the year first: it is cheaper than the distance, and most pairs that reach this level differ in it
            _level("substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND levenshtein(dob_l, dob_r) <= 2",
                   "same year, two digits differ"),
            # a parent and child of one name at one address differ here. EM, which sees such pairs agree on
            # everything else, could learn that true matches often disagree this much; so both levels start
            # near zero and are floored at HARD_FLOOR, not the ordinary floor (``bound_weights``)
            _level("greatest(birth_year_min_l, birth_year_min_r) - least(birth_year_max_l, birth_year_max_r) > 5",
                   "born more than five years apart", m_probability=1e-4),
            _level("ELSE", "dates of birth disagree", m_probability=1e-3),
        ],
    }
    # Each share of tokens is tested after ``shared``: the token masks (``features.ADDRESS_MASK_BITS``) share a
    # bit wherever the addresses share a token, so the test changes no level; it skips the list intersection
    # (about 40 times its cost per pair) for pairs whose addresses share no token, most of those that reach the
    # sector and district levels (v5 before this computed the intersection twice for each of them).
    shared = "(addr_mask_l & addr_mask_r) <> 0"
    # How many tokens the addresses share: each record's tokens are distinct (``features.py``), so this is the
    # size of v5's ``list_intersect``; at × 1 it cost a fifth as much in the location levels (DuckDB's
    # list_intersect did work for every pair of a vector, not only for the pairs a level reaches).
    common = "array_length(list_filter(addr_tokens_l, lambda t: list_contains(addr_tokens_r, t)))"
    # with the postcode (or a slip of it): one house number, and most of the shorter address in the longer
    # ("75 bendigo village" in "75 scantlebury crescent bendigo village"): the same home, less a part
    one_home = (f"(addr_number_l = addr_number_r AND {shared} AND {common} * 1.0 / "
                "least(length(addr_tokens_l), length(addr_tokens_r)) >= 0.6)")
    both = "addr_l IS NOT NULL AND addr_r IS NOT NULL"

    def overlap(at_least: float) -> str:
        return f"({shared} AND {common} * 1.0 / greatest(length(addr_tokens_l), length(addr_tokens_r)) >= {at_least})"

    # alike as written, or once spaces are ignored ("7 murrellplace" for "7 murrell place")
    alike = f"({jw}(addr_l, addr_r) >= 0.9 OR {jw}(replace(addr_l, ' ', ''), replace(addr_r, ' ', '')) >= 0.9)"
    # One comparison for where a person lives: address and postcode say the same thing twice, and counting
    # both as independent evidence is what merges siblings who share a surname and a home.
    location = {
        "output_column_name": "location",
        "comparison_levels": [
            _null("(pc_l IS NULL OR pc_r IS NULL) AND (addr_l IS NULL OR addr_r IS NULL)"),
            _level("addr_l = addr_r AND (pc_l = pc_r OR pc_l IS NULL OR pc_r IS NULL)", "same address"),
            # one postcode and a near-identical address: the address, not the postcode's frequency, says how
            # rare this is (v3 adjusted it for the postcode's frequency, which made it count as a postcode)
            # both addresses tested present: Spark's size() of a missing list is -1, which made -1 / -1 "alike"
            _level(f"pc_l = pc_r AND {both} AND ({overlap(0.6)} OR {alike} OR {one_home})",
                   "same postcode, address alike"),
            _level("pc_l = pc_r AND (addr_l IS NULL OR addr_r IS NULL)", "same postcode, address missing",
                   tf_adjustment_column="pc", tf_adjustment_weight=1.0, disable_tf_exact_match_detection=True),
            # a postcode keyed with one slip (two characters transposed, one wrong) and the address alike
            # Levenshtein first: one slip (Damerau-Levenshtein <= 1) is at most two edits (Levenshtein <= 2), and
            # Levenshtein costs a fifth of Damerau-Levenshtein (which most pairs reach: postcodes differ)
            _level("pc_l IS NOT NULL AND pc_r IS NOT NULL AND levenshtein(pc_l, pc_r) <= 2 "
                   f"AND damerau_levenshtein(pc_l, pc_r) <= 1 AND {both} "
                   f"AND ({overlap(0.6)} OR {alike} OR {one_home})",
                   "postcode one slip apart, address alike"),
            _level(f"addr_number_l = addr_number_r AND {both} AND ({overlap(0.6)} OR {alike})",
                   "address alike, postcode differs"),
            # one side has no house number ("powell gardens" for "147 powell gardens"): the street agrees
            _level("(addr_number_l IS NULL) <> (addr_number_r IS NULL) "
                   "AND (pc_l = pc_r OR pc_l IS NULL OR pc_r IS NULL) "
                   "AND addr_street_l = addr_street_r", "same street, one without its house number"),
            _level("pc_l = pc_r OR levenshtein(pc_l, pc_r) <= 1", "same postcode, address differs"),
            _level(f"pc_sector_l = pc_sector_r OR {overlap(0.6)}", "same postcode sector"),
            _level(f"pc_district_l = pc_district_r OR {overlap(0.3)}", "same postcode district"),
            _else(),
        ],
    }
    phone = {
        "output_column_name": "phone",
        "comparison_levels": [
            _null("phones_l IS NULL OR phones_r IS NULL"),
            _level("list_has_any(phones_l, phones_r)", "a phone number shared"),
            _else(),
        ],
    }
    # Without a date of birth, name and home are all that tell two people apart, and siblings (or a parent
    # and child) share a surname and a home. These levels are gates, not fields: each applies only to a pair
    # where one record has no date of birth, and takes a fixed -10 bits (``GATE_BITS``) when the rest of the
    # evidence is what a namesake in the same family would also show:
    # - the home's dated namesakes (same forename, surname and postcode or street) were born years apart;
    # - the forenames are not one name (exact, nickname or alias, or swapped with the surname); one spelling
    #   apart (Jaro-Winkler >= 0.92) is a milder gate (``SPELLING_GATE_BITS``): mostly a typo;
    # - there is no address or postcode on one side, so the pair rests on the names alone.
    dob_missing = "(dob_l IS NULL OR dob_r IS NULL)"
    # coalesced: a missing surname must not make the test NULL (which let such a pair skip the gates in v3)
    one_name = (f"coalesce(fn_l = fn_r OR coalesce(fn_l = sn_r AND sn_l = fn_r, false) "
                f"OR coalesce({SWAPPED_TYPO}, false) OR list_has_any(fn_keys_l, fn_keys_r), false) "
                "AND fn_l IS NOT NULL AND fn_r IS NOT NULL")
    no_home = "((pc_l IS NULL AND addr_l IS NULL) OR (pc_r IS NULL AND addr_r IS NULL))"
    gate_m, gate_u = 0.5 * 2.0**GATE_BITS, 0.5
    spelling = f"{jw}(fn_l, fn_r) >= 0.92 AND NOT {no_home}"
    namesake = {
        "output_column_name": "namesake",
        "comparison_levels": [
            _null(f"NOT {dob_missing}"),
            _level("greatest(coalesce(namesake_spread_l, 0), coalesce(namesake_spread_r, 0)) >= 2",
                   "no date of birth, namesakes at this home born years apart", m_probability=gate_m,
                   u_probability=gate_u, fix_m_probability=True, fix_u_probability=True),
            _level(f"NOT ({one_name}) AND {spelling}", "no date of birth, forenames one spelling apart",
                   m_probability=0.5 * 2.0**SPELLING_GATE_BITS, u_probability=gate_u, fix_m_probability=True,
                   fix_u_probability=True),
            _level(f"NOT ({one_name})", "no date of birth, forenames not one name", m_probability=gate_m,
                   u_probability=gate_u, fix_m_probability=True, fix_u_probability=True),
            _level(no_home, "no date of birth, no home to compare", m_probability=gate_m, u_probability=gate_u,
                   fix_m_probability=True, fix_u_probability=True),
            _level("ELSE", "no date of birth, names and home agree", m_probability=0.5, u_probability=0.5,
                   fix_m_probability=True, fix_u_probability=True),
        ],
    }
    sex = {
        "output_column_name": "sex",
        "comparison_levels": [_null("sex_l IS NULL OR sex_r IS NULL"), _level("sex_l = sex_r", "exact"), _else()],
    }
    needs = {
        "forename": {"forename"}, "surname": {"surname"}, "date_of_birth": {"date_of_birth", "age_years"},
        "location": {"postcode", "address"}, "phone": {"phone_numbers"}, "sex": {"sex"},
        "namesake": {"date_of_birth"},
    }
    chosen = [forename, surname, date_of_birth, location, phone, sex, namesake]
    if present is None:
        return chosen
    return [c for c in chosen if needs[c["output_column_name"]] & present]


def settings(present: set[str] | None = None, dates_reliable: bool = True) -> SettingsCreator:
    """Splink settings: a dedupe across every source (records of one source may be duplicates too)."""
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons(present),
        blocking_rules_to_generate_predictions=list(blocking_rules(dates_reliable)),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        additional_columns_to_retain=["source", "record_id"],
        max_iterations=20,
    )


def _tolerate_zero_m_from_em() -> None:
    """Work around Splink 5.0.0's EM writing an m of exactly 0 (a level no likely match fell in), which its
    own validator then rejects (ValueError: below 1e-300): clamp to the smallest value it accepts. The
    weight floor (``bound_weights``) then applies as for any other level."""
    from splink.internals import expectation_maximisation as em

    original = em.populate_m_u_from_lookup
    if getattr(original, "clearsight_clamped", False):
        return

    def clamped(fixed: Any, level: Any, name: str, lookup: dict[str, dict[int, Any]]) -> None:
        for record in lookup.get(name, {}).values():
            for key in ("m_probability", "u_probability"):
                value = record.get(key)
                if isinstance(value, float | int) and value < 1e-300:
                    record[key] = 1e-300
        original(fixed, level, name, lookup)

    clamped.clearsight_clamped = True  # type: ignore[attr-defined]
    em.populate_m_u_from_lookup = clamped


EM_MAX_PAIRS = 1e6
"""At most about this many blocked pairs per EM pass (Splink's deterministic hash sample of the records).

Why: blocking on date of birth grows with the square of the records; on national x 10 years (~860k records)
it is ~86M pairs, which took more than 20 GB. v4 capped each pass at 5M (national x 1, ~3.2M pairs, was not
sampled); v5 at 1M: on national x 1 the date-of-birth pass took 35 of about 95 s of training, and sampled to
1M the model scores as before (recall at precision >= 0.999 0.9791 against 0.9790; docs/linkage.md). FEBRL4
(10,000 records) is below the cap."""


def train(linker: Linker, model_json: Callable[[Linker], dict[str, Any]] | None = None,
          max_pairs: float = 2e6, seed: int = 1, em_max_pairs: float | None = EM_MAX_PAIRS,
          features: tuple[duckdb.DuckDBPyConnection, str] | None = None) -> dict[str, Any]:
    """The match rate from near-certain rules, u from a random sample, then m by EM in two passes.

    Each EM pass blocks on fields it then cannot estimate, so the two passes together estimate every
    comparison: dates of birth fixed to train names, addresses and postcodes; names fixed to train the rest.
    Each pass uses at most about ``em_max_pairs`` pairs (``EM_MAX_PAIRS``; None: every pair).

    With ``features`` (the DuckDB connection and table holding the features) the random sample is drawn
    once (``sample_patterns``): u before EM is read off it with every pair counted as a non-match, as
    Splink's random sampling does, and after EM it is read off the same sample again with the likely
    matches discounted (``refine_u``). Without ``features``, Splink's own random sampling gives u.
    Why one sample: Splink's sampling compares the sample once per comparison, in ten chunks each; v4 drew
    a second sample for ``refine_u``. On national x 1 the two took 30 s and 24 s of about 95 s of training.
    """
    _tolerate_zero_m_from_em()
    as_json = model_json or (lambda trained: trained.misc.save_model_to_json(overwrite=True))
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("fn", "sn", "dob"), block_on("fn", "sn", "pc")], recall=0.7
    )
    sample: Patterns | None = None
    if features is not None:
        # ``model_json``: how the engine hands back the model (Spark's is put back into DuckDB SQL)
        sample = sample_patterns(features[0], features[1], as_json(linker)["comparisons"], max_pairs, seed)
        set_u_from_sample(linker, sample)
    else:
        training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), estimate_without_term_frequencies=True, max_pairs=em_max_pairs
    )
    training.estimate_parameters_using_expectation_maximisation(
        block_on("fn", "sn"), estimate_without_term_frequencies=True, max_pairs=em_max_pairs
    )
    trained = as_json(linker)
    trained["clearsight_em_max_pairs"] = em_max_pairs
    if sample is not None:
        trained = refine_u(features[0], features[1], trained, max_pairs=max_pairs, seed=seed,  # type: ignore[index]
                           sample=sample)
    return bound_weights(trained)


def _gamma_sql(comparison: dict[str, Any]) -> str:
    """A comparison's levels as one SQL CASE giving Splink's gamma (null -1, then n-1 ... 0 in order)."""
    levels = comparison["comparison_levels"]
    parts, k = [], len([lv for lv in levels if not lv.get("is_null_level")])
    for level in levels:
        condition = level["sql_condition"]
        if level.get("is_null_level"):
            parts.append(f"WHEN {condition} THEN -1")
            continue
        k -= 1
        parts.append(f"ELSE {k}" if condition.strip().upper() == "ELSE" else f"WHEN {condition} THEN {k}")
    if not parts[-1].startswith("ELSE"):
        parts.append("ELSE 0")
    return "CASE " + " ".join(parts) + " END"


@dataclass
class Patterns:
    """A random sample of pairs as comparison patterns: each row the gamma level of every comparison (in the
    model's order; -1 where a value is missing) and how many sampled pairs show that pattern."""

    comparisons: list[str]
    rows: list[tuple[int, ...]]

    @property
    def pairs(self) -> int:
        return sum(row[-1] for row in self.rows)


def sample_patterns(con: duckdb.DuckDBPyConnection, table: str, comparisons: list[dict[str, Any]],
                    max_pairs: float = 2e6, seed: int = 1) -> Patterns:
    """Compare a random sample of records of ``table`` all against all (about ``max_pairs`` pairs) and count
    the pairs per comparison pattern. The records are chosen by a hash of the id (DuckDB's reservoir sample is
    repeatable only on one thread)."""
    columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    total = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    names = [c["output_column_name"] for c in comparisons]
    if total < 2:
        return Patterns(names, [])
    n = min(total, int((2 * max_pairs) ** 0.5) + 1)
    sides = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in columns)
    gammas = ", ".join(f"{_gamma_sql(c)} AS g{i}" for i, c in enumerate(comparisons))
    con.execute(f"CREATE OR REPLACE TEMP TABLE cs_u_sample AS SELECT * FROM {table} "
                f"ORDER BY hash(unique_id, {int(seed)}), unique_id LIMIT {n}")
    try:
        rows = con.execute(
            f"SELECT {', '.join(f'g{i}' for i in range(len(comparisons)))}, count(*) FROM ("
            f"SELECT {gammas} FROM (SELECT {sides} FROM cs_u_sample l JOIN cs_u_sample r "
            "ON l.unique_id < r.unique_id)) GROUP BY ALL").fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS cs_u_sample")
    return Patterns(names, [tuple(int(v) for v in row) for row in rows])


def level_counts(sample: Patterns) -> dict[str, dict[int, int]]:
    """How many sampled pairs fall in each level (gamma) of each comparison; missing values (-1) left out."""
    counts: dict[str, dict[int, int]] = {name: {} for name in sample.comparisons}
    for row in sample.rows:
        for name, g in zip(sample.comparisons, row[:-1], strict=True):
            if g >= 0:
                counts[name][g] = counts[name].get(g, 0) + row[-1]
    return counts


def set_u_from_sample(linker: Linker, sample: Patterns) -> None:
    """Each level's u from the sample with every pair counted as a non-match, as Splink's
    ``estimate_u_using_random_sampling`` counts them, put into the linker as that method puts its own (a
    trained u per level, then the linker's m and u from its trained values). A level the sample never shows
    counts as ``UNSEEN_PAIRS`` pairs (Splink leaves such a level at 1e-6); fixed levels are left alone."""
    counts = level_counts(sample)
    for comparison in linker._settings_obj.comparisons:
        levels = counts.get(comparison.output_column_name, {})
        seen = sum(levels.values())
        if seen <= 0:
            continue
        for level in comparison._comparison_levels_excluding_null:
            if not level._fix_u_probability:
                u = max(levels.get(level.comparison_vector_value, 0), UNSEEN_PAIRS) / seen
                level._add_trained_u_probability(u, "estimate u by random sampling (one sample, Clearsight)")
    linker._populate_m_u_from_trained_values()


def refine_u(con: duckdb.DuckDBPyConnection, table: str, model: dict[str, Any], max_pairs: float = 2e6,
             seed: int = 1, sample: Patterns | None = None) -> dict[str, Any]:
    """Estimate each level's u again from a random sample of pairs, each weighted by the chance that it is
    not a match under the trained model (the posterior from m, u and the match rate, term frequencies left
    out), repeated until u settles.

    Why: Splink's random sampling counts the true matches in its sample as non-matches. Where records have
    few duplicates among many (synthetic national: about 1 pair in 700,000 is a match) that is noise; where
    every record has one (FEBRL4: 1 pair in 10,000) a level that only a match shows, such as one postcode
    and a near-identical address, gets u of about the match rate times m, so no single comparison can weigh
    more than the prior against a match (some 13 bits): a record whose forename and date of birth were both
    replaced could then not be linked by its address. Discounting likely matches leaves u what non-matches
    show; a level no non-match in the sample shows counts as UNSEEN_PAIRS of them (not seen among
    so many pairs: rare, not impossible). Where the sample holds ``SAMPLE_MATCHES`` or more likely matches,
    the match rate is re-estimated from it as well (EM on the sample with m held).
    ``sample``: the patterns already drawn (``sample_patterns``, the same comparisons in the same order);
    without, a sample is drawn here.
    """
    comparisons = [c for c in model["comparisons"]]
    if sample is None:
        sample = sample_patterns(con, table, comparisons, max_pairs, seed)
    if sample.comparisons != [c["output_column_name"] for c in comparisons]:
        raise ValueError("refine_u: the sample's comparisons are not the model's")
    if not sample.rows:
        return model
    groups = sample.rows
    prior = float(model["probability_two_random_records_match"])
    tables: list[dict[int, dict[str, Any]]] = []
    for comparison in comparisons:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        tables.append({len(levels) - 1 - j: lv for j, lv in enumerate(levels)})
    sampled = sum(row[-1] for row in groups)
    from_sample = False
    for step in range(40):
        before = [lv.get("u_probability") for levels in tables for lv in levels.values()] + [prior]
        odds_prior = prior / (1 - prior)
        not_match: list[dict[int, float]] = [{} for _ in comparisons]
        non_matches = 0.0
        for row in groups:
            odds = odds_prior
            for i, g in enumerate(row[:-1]):
                level = tables[i].get(g)
                if level is None:
                    continue
                m, u = level.get("m_probability"), level.get("u_probability")
                if isinstance(m, float | int) and isinstance(u, float | int) and m > 0 and u > 0:
                    odds *= m / u
            weight = row[-1] / (1 + odds)
            non_matches += weight
            for i, g in enumerate(row[:-1]):
                if g >= 0:
                    not_match[i][g] = not_match[i].get(g, 0.0) + weight
        for i, levels in enumerate(tables):
            seen = sum(not_match[i].values())
            if seen <= 0:
                continue
            for g, level in levels.items():
                if level.get("fix_u_probability"):
                    continue
                level["u_probability"] = max(not_match[i].get(g, 0.0), UNSEEN_PAIRS) / seen
        after = [lv.get("u_probability") for levels in tables for lv in levels.values()] + [prior]
        settled = all(a == b or (isinstance(a, float) and isinstance(b, float) and abs(a - b) <= 1e-3 * b)
                      for a, b in zip(before, after, strict=True))
        if settled or step == 19:
            # once u has settled: the match rate from the sample where it holds enough matches, counted once
            # (not re-estimated with u: EM on both with m held drifts towards no matches), then u again
            if from_sample or sampled - non_matches < SAMPLE_MATCHES:
                break
            prior, from_sample = (sampled - non_matches) / sampled, True
    model["clearsight_u_refined_pairs"] = sampled
    model["clearsight_match_rate_from_sample"] = from_sample
    if from_sample:
        model["probability_two_random_records_match"] = prior
    return model


def bound_weights(model: dict[str, Any], lowest: float = SOFT_FLOOR, hard: float = HARD_FLOOR) -> dict[str, Any]:
    """Bound each level's match weight from below (the bound and the model version are kept in the JSON).

    Why: EM on data where, say, a sex or surname never disagrees between true matches learns weights of
    -70 or -100, so one keying error (or a marriage) would veto an otherwise certain match. A floor of -12
    still outweighs any single agreeing field's evidence but no longer every field's together. Where dates
    are reliable, dates that disagree outright (``HARD_LEVELS``) weigh ``hard`` bits instead.
    """
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level") or level.get("fix_m_probability"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            if isinstance(u, float | int) and u <= 0:  # never seen among random pairs: rare, not impossible
                level["u_probability"] = u = 1e-9
            if isinstance(m, float | int):
                floor = u * 2.0**lowest if isinstance(u, float | int) else 1e-9
                level["m_probability"] = max(m, floor)
    model["clearsight_model_version"] = MODEL_VERSION
    model["clearsight_blocking"] = blocking_fingerprint()
    model["clearsight_features"] = FEATURES_VERSION
    model["clearsight_weight_floor"] = lowest
    weight = level_weight(model, "date_of_birth", "dates of birth disagree")
    model["clearsight_dates_reliable"] = reliable = weight is None or weight <= RELIABLE_DATES_BITS
    # the rules this model scores with follow what it found about the dates (``RELIABLE_DATES_CONDITIONS``)
    model["blocking_rules_to_generate_predictions"] = prediction_rules(reliable)
    if reliable:
        for comparison in model["comparisons"]:
            for level in comparison["comparison_levels"]:
                u = level.get("u_probability")
                if level.get("label_for_charts") in HARD_LEVELS and isinstance(u, float | int):
                    level["m_probability"] = u * 2.0**hard
    # A missing date of birth never counts more against a match than dates that disagree outright: where
    # dates are often wrong (FEBRL4: -4.3 bits), the gates, which stand in for the date a sibling would not
    # share, weigh no more than that.
    cap = None if reliable or weight is None else max(weight, GATE_BITS)
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] != "namesake" or cap is None:
            continue
        for level in comparison["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if level.get("is_null_level") or not isinstance(m, float | int) or not isinstance(u, float | int):
                continue
            if m < u * 2.0**cap:
                level["m_probability"] = u * 2.0**cap
    model["clearsight_gate_cap"] = cap
    return model


def prediction_rules(dates_reliable: bool) -> list[dict[str, Any]]:
    """The blocking rules as a saved model holds them (DuckDB SQL), for reliable dates of birth or not."""
    created = settings(dates_reliable=dates_reliable).create_settings_dict("duckdb")
    return created["blocking_rules_to_generate_predictions"]


def level_weight(model: dict[str, Any], comparison: str, label: str) -> float | None:
    """The match weight (bits) of one level of a trained model, None where absent or not estimated."""
    import math

    for c in model["comparisons"]:
        if c["output_column_name"] != comparison:
            continue
        for level in c["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if level.get("label_for_charts") == label and isinstance(m, float | int) and isinstance(u, float | int):
                return math.log2(m / u) if m > 0 and u > 0 else None
    return None


def dates_reliable(model: dict[str, Any]) -> bool:
    """Whether true matches in this data practically never disagree on date of birth beyond a slip (EM's
    weight of "dates of birth disagree" was at most ``RELIABLE_DATES_BITS``).

    Why: clustering refuses to merge clusters whose dates conflict, which keeps a parent and child, or two
    siblings, of one name apart. Where EM finds dates often wrong outright (FEBRL4), that refusal would undo
    what the scores say, so it applies only where the data bear it out (decided in ``bound_weights``).
    """
    return bool(model.get("clearsight_dates_reliable", True))


def save(model: dict[str, Any], linker: Linker, folder: Path) -> Path:
    """Write the model JSON and its charts (match weights, m/u) beside it; return the model's path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.json"
    path.write_text(json.dumps(model, indent=2, sort_keys=True))
    charts = {
        "match_weights": linker.visualisations.match_weights_chart(),
        "m_u_parameters": linker.visualisations.m_u_parameters_chart(),
    }
    for name, chart in charts.items():
        (folder / f"{name}.html").write_text(chart.to_html(inline=True), encoding="utf-8")
        (folder / f"{name}.vl.json").write_text(json.dumps(chart.chart_dict, default=str))
        _png(chart.chart_dict, folder / f"{name}.png")
    return path


def _png(spec: dict[str, Any], path: Path) -> None:
    """A PNG of a chart when vl-convert is installed (optional: the HTML is the primary chart)."""
    try:
        import vl_convert
    except ImportError:
        return
    path.write_bytes(vl_convert.vegalite_to_png(spec, scale=1.5))


def load(path: Path) -> dict[str, Any]:
    """A saved model, refused when it was made by other comparisons, other blocking rules or other features
    (``features.FEATURES_VERSION``) than this code's.

    Why the blocking too: the saved model holds the rules it scores with; a model saved with other rules
    would score other candidate pairs than this code's documented (and measured) blocking, without a word.
    """
    model = json.loads(path.read_text())
    if model.get("clearsight_model_version") != MODEL_VERSION:
        raise ClearsightError(f"{path} was trained for {model.get('clearsight_model_version')}, not "
                              f"{MODEL_VERSION}: run `clearsight link --retrain`")
    rules = [r.get("blocking_rule") if isinstance(r, dict) else r
             for r in model.get("blocking_rules_to_generate_predictions", [])]
    ours = [r["blocking_rule"] for r in prediction_rules(dates_reliable(model))]
    if rules != ours or model.get("clearsight_blocking") != blocking_fingerprint():
        raise ClearsightError(f"{path} was saved with other blocking rules than this code's "
                              "(docs/linkage.md): run `clearsight link --retrain`")
    # A model saved before features 5 has no ``clearsight_features``: its levels read only columns that features
    # 4 made and 5 makes the same way, so it scores as it did (without the token-mask shortcut).
    features = model.get("clearsight_features", "4")
    if features not in ("4", FEATURES_VERSION):
        raise ClearsightError(f"{path} was saved with features {features}, not {FEATURES_VERSION} "
                              "(its levels may read columns this code does not make): run `clearsight link --retrain`")
    return model


def for_splink(model: dict[str, Any]) -> dict[str, Any]:
    """The model without Clearsight's own keys, as Splink's settings reader wants it."""
    return {k: v for k, v in model.items() if not k.startswith("clearsight_")}
