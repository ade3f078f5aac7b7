"""Person records into the features linkage compares: one SQL statement, the same for the warehouse and a file.

Why derived columns and not raw ones: British records disagree in ways a string distance misreads. "Bob"
and "Robert" are one forename (a nickname group), "O'Brien" and "OBRIEN" one surname, "ss77nx" and
"SS7 7NX" one postcode; "12 Hale Rd" and "12 Hale Road" one address; a record with only an age still says
which birth years are possible. Each is normalised once here so that comparisons stay simple SQL.
"""

from __future__ import annotations

import csv
from importlib import resources

import duckdb

FEATURES_VERSION = "5"
"""Kept in a saved model (``clearsight_features``): a model whose levels read columns made otherwise is refused.
5: ``addr_mask`` added (v4's columns unchanged, so a model saved before it still scores as before)."""

ADDRESS_MASK_BITS = 63
"""``addr_mask``: the address's tokens as bits of a BIGINT (bit: a hash of the token modulo this; 63 keeps it
positive). Two addresses share a token only where their masks share a bit, so the location levels test the masks
(one AND per pair) before the token overlap (a list intersection); the test never changes a level, it only
skips the intersection where it must be empty."""

# Input columns a person relation may carry (any may be missing; ``unique_id`` and ``source`` are required).
INPUT_COLUMNS = (
    "unique_id", "source", "record_id", "forename", "surname", "aliases", "date_of_birth", "age_years",
    "ref_start", "ref_end", "sex", "postcode", "address", "phone_numbers",
)

_ADDRESS_WORDS = {
    "rd": "road", "st": "street", "ave": "avenue", "av": "avenue", "ln": "lane", "cl": "close", "cres": "crescent",
    "dr": "drive", "ct": "court", "pl": "place", "gr": "grove", "gdns": "gardens", "sq": "square", "tce": "terrace",
    "ter": "terrace", "wk": "walk", "pk": "park", "hse": "house", "apt": "flat", "apartment": "flat",
}


def nickname_groups() -> list[tuple[str, list[str]]]:
    """Each name with the formal names it may stand for (itself included), from the shipped nickname table."""
    groups: dict[str, set[str]] = {}
    text = resources.files("clearsight.link").joinpath("data/nicknames.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(text.splitlines()):
        formal = row["name"].strip().lower()
        groups.setdefault(formal, set()).add(formal)
        for nick in row["nicknames"].split(";"):
            if nick.strip():
                groups.setdefault(nick.strip().lower(), set()).add(formal)
    return sorted((name, sorted(formal)) for name, formal in groups.items())


def register_nicknames(con: duckdb.DuckDBPyConnection) -> None:
    """Make the table ``cs_nickname(name, groups)`` the feature SQL joins to."""
    rows = nickname_groups()
    con.execute("CREATE OR REPLACE TABLE cs_nickname (name VARCHAR, groups VARCHAR[])")
    con.executemany("INSERT INTO cs_nickname VALUES (?, ?)", rows)


def _letters(column: str) -> str:
    return f"nullif(regexp_replace(lower(strip_accents(trim(CAST({column} AS VARCHAR)))), '[^a-z]', '', 'g'), '')"


def _address_sql(column: str) -> str:
    """Lower case, accents off, runs of other characters to one space, abbreviations spelled out.

    The abbreviations are swapped token by token (a CASE over each word); v5 before 1 December 2026 ran one
    regular expression per abbreviation over the whole text (21 passes, 4.2 s of 8.9 on 1.2M records), with
    the same result: after the first replacement the text holds only letters, digits and single spaces, so
    a word boundary is a space or an end, and no spelled-out word is itself an abbreviation."""
    text = f"lower(strip_accents(CAST({column} AS VARCHAR)))"
    text = f"regexp_replace({text}, '[^a-z0-9]+', ' ', 'g')"
    swap = " ".join(f"WHEN '{short}' THEN '{word}'" for short, word in _ADDRESS_WORDS.items())
    text = f"array_to_string(list_transform(string_split({text}, ' '), lambda w: CASE w {swap} ELSE w END), ' ')"
    return f"nullif(trim(regexp_replace({text}, '\\s+', ' ', 'g')), '')"


def features_sql(relation: str, present: set[str]) -> str:
    """SQL selecting the linkage features from ``relation``; columns not in ``present`` are read as NULL."""

    def col(name: str, sql_type: str = "VARCHAR") -> str:
        if name not in present:
            return f"CAST(NULL AS {sql_type})"
        return f"TRY_CAST(r.{name} AS {sql_type})"

    dob_digits = f"regexp_replace(coalesce({col('date_of_birth')}, ''), '[^0-9]', '', 'g')"
    year_now = f"coalesce(year({col('ref_end', 'DATE')}), year(current_date))"
    year_then = f"coalesce(year({col('ref_start', 'DATE')}), {year_now})"
    postcode = f"nullif(upper(regexp_replace(coalesce({col('postcode')}, ''), '[^A-Za-z0-9]', '', 'g')), '')"
    return f"""
WITH base AS (
    SELECT
        CAST(r.unique_id AS VARCHAR) AS unique_id,
        CAST(r.source AS VARCHAR) AS source,
        {col('record_id')} AS record_id,
        {_letters(col('forename'))} AS fn,
        {_letters(col('surname'))} AS sn,
        list_filter(string_split(regexp_replace(lower(strip_accents(coalesce({col('surname')}, ''))),
            '[^a-z]+', ' ', 'g'), ' '), lambda x: length(x) >= 3) AS sn_parts,
        list_filter(list_transform(string_split(coalesce({col('aliases')}, ''), ';'),
            lambda a: regexp_replace(lower(strip_accents(trim(a))), '[^a-z ]', '', 'g')),
            lambda a: a <> '') AS alias_names,
        CASE WHEN length({dob_digits}) = 8 THEN
            substr({dob_digits}, 1, 4) || '-' || substr({dob_digits}, 5, 2) || '-'
            || substr({dob_digits}, 7, 2) END AS dob,
        {col('age_years', 'INTEGER')} AS age_years,
        {year_now} AS year_now, {year_then} AS year_then,
        CASE upper(trim(coalesce({col('sex')}, ''))) WHEN 'M' THEN 'M' WHEN 'F' THEN 'F'
            WHEN 'MALE' THEN 'M' WHEN 'FEMALE' THEN 'F' END AS sex,
        {postcode} AS pc,
        {_address_sql(col('address'))} AS addr,
        list_filter(list_transform(string_split(coalesce({col('phone_numbers')}, ''), ';'),
            lambda p: regexp_replace(regexp_replace(p, '[^0-9]', '', 'g'), '^44(\\d{{10}})$', '0\\1')),
            lambda p: length(p) >= 7) AS phones
    FROM {relation} r
)
SELECT
    b.unique_id, b.source, b.record_id, b.fn, b.sn, b.dob, b.sex, b.pc, b.addr,
    CASE WHEN length(b.sn_parts) > 1 THEN b.sn_parts END AS sn_parts,
    list_distinct(list_concat(coalesce(n.groups, [b.fn]),
        list_transform(b.alias_names, lambda a: string_split(a, ' ')[1]))) AS fn_keys,
    list_distinct(list_filter(list_transform(b.alias_names, lambda a: string_split(a, ' ')[-1]),
        lambda s: length(s) >= 2)) AS alias_surnames,
    CASE WHEN b.fn IS NOT NULL THEN substr(b.fn, 1, 1) END AS fn_initial,
    substr(b.dob, 1, 4) AS dob_year,
    CASE WHEN b.dob IS NOT NULL THEN
        substr(b.dob, 1, 4) || least(substr(b.dob, 6, 2), substr(b.dob, 9, 2))
        || greatest(substr(b.dob, 6, 2), substr(b.dob, 9, 2)) END AS dob_key,
    coalesce(try_cast(substr(b.dob, 1, 4) AS INTEGER), b.year_then - b.age_years - 1) AS birth_year_min,
    coalesce(try_cast(substr(b.dob, 1, 4) AS INTEGER), b.year_now - b.age_years) AS birth_year_max,
    array_to_string(list_sort(string_split(b.pc, '')), '') AS pc_sorted,
    CASE WHEN length(b.pc) BETWEEN 5 AND 7 THEN left(b.pc, length(b.pc) - 2) END AS pc_sector,
    CASE WHEN length(b.pc) BETWEEN 5 AND 7 THEN left(b.pc, length(b.pc) - 3) END AS pc_district,
    nullif(regexp_extract(b.addr, '\\d+[a-z]?', 0), '') AS addr_number,
    nullif(trim(regexp_replace(coalesce(b.addr, ''), '^(flat \\d+[a-z]? )?\\d+[a-z]? ', '')), '') AS addr_street,
    list_distinct(list_filter(string_split(b.addr, ' '), lambda t: t <> '')) AS addr_tokens,
    list_aggregate(list_transform(list_filter(string_split(b.addr, ' '), lambda t: t <> ''),
        lambda t: CAST(1 AS BIGINT) << CAST(hash(t) % {ADDRESS_MASK_BITS} AS INTEGER)), 'bit_or') AS addr_mask,
    CASE WHEN b.fn IS NOT NULL AND b.sn IS NOT NULL THEN least(b.fn, b.sn) || ' ' || greatest(b.fn, b.sn)
        END AS name_key,
    CASE WHEN length(b.phones) > 0 THEN b.phones END AS phones
FROM base b LEFT JOIN cs_nickname n ON n.name = b.fn
"""


def namesakes_sql(relation: str) -> str:
    """``relation`` (the features) plus ``namesake_spread``: how many years apart the dated records that share
    this record's forename and surname at its home (same postcode, or same street) were born.

    Why: siblings, or a parent and child, of one name at one address are two people that nothing but a date
    of birth tells apart. When such a record has no date (only an age, or nothing), its agreement on name and
    address is no evidence for either of them; a spread of two or more years says the home has two namesakes.
    """
    # Each home's spread by a GROUP BY, joined back (v5 before 1 December 2026: two windows over every record
    # with all its columns, 4.1 s on 1.2M records; the spreads are the same)
    return f"""
WITH __s1 AS (
    SELECT fn, sn, pc, max(dob_year::INTEGER) - min(dob_year::INTEGER) AS s FROM {relation}
    WHERE fn IS NOT NULL AND sn IS NOT NULL AND pc IS NOT NULL GROUP BY fn, sn, pc
), __s2 AS (
    SELECT fn, sn, addr_street, max(dob_year::INTEGER) - min(dob_year::INTEGER) AS s FROM {relation}
    WHERE fn IS NOT NULL AND sn IS NOT NULL AND addr_street IS NOT NULL GROUP BY fn, sn, addr_street
)
SELECT r.*, nullif(greatest(coalesce(__s1.s, 0), coalesce(__s2.s, 0)), 0) AS namesake_spread
FROM {relation} r
LEFT JOIN __s1 ON __s1.fn = r.fn AND __s1.sn = r.sn AND __s1.pc = r.pc
LEFT JOIN __s2 ON __s2.fn = r.fn AND __s2.sn = r.sn AND __s2.addr_street = r.addr_street
"""


def _signed(sql: str) -> str:
    return f"CAST(({sql}) & 9223372036854775807 AS BIGINT)"


def blocking_keys_sql(relation: str, blocks: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...],
                      cap: int) -> str:
    """``relation`` plus one blocking key per rule, ``bk_<name>``: a hash of the rule's key, or of its finer key
    where more than ``cap`` records share the key; NULL where a part is missing (no pair is blocked on it).

    Why: a block of records sharing a key gives pairs with the square of its size, and a key whose values do
    not grow with the records (a date of birth, a surname and a birth year) gives blocks that grow with them.
    Both records of a pair share the key, so they fall on the same side of the cap and are compared on the same
    key. Hashed (63 bits, a signed BIGINT: Spark has no unsigned type) to keep the columns small; two keys with
    one hash only add a candidate pair, which the model scores like any other.
    """

    def key(parts: tuple[str, ...]) -> str:
        present = " AND ".join(f"({p}) IS NOT NULL" for p in parts)
        return f"CASE WHEN {present} THEN hash({', '.join(f'CAST(({p}) AS VARCHAR)' for p in parts)}) END"

    # Each rule's key and finer key computed once per record; the keys whose block is over the cap found by a
    # GROUP BY on the key alone, and joined back. (v5 before 1 December 2026 counted each block with a window,
    # ``count(*) OVER (PARTITION BY key)``: twelve windows, each sorting every record with all its columns,
    # 19.4 of 32 seconds of features on 1.2M records. The keys are the same to the bit.)
    names = [name for name, _, _ in blocks]
    keyed = ", ".join(f"{key(coarse)} AS __k_{name}, {key(fine)} AS __f_{name}" for name, coarse, fine in blocks)
    big = ", ".join(
        f"__big_{name} AS (SELECT __k_{name} AS k FROM __keyed WHERE __k_{name} IS NOT NULL "
        f"GROUP BY __k_{name} HAVING count(*) > {int(cap)})"
        for name in names
    )
    columns = []
    for name in names:
        coarse_hash = _signed(f"hash('key', __keyed.__k_{name})")
        fine_hash = _signed(f"hash('finer', __keyed.__f_{name})")
        columns.append(f"CASE WHEN __keyed.__k_{name} IS NULL THEN NULL WHEN __big_{name}.k IS NULL THEN {coarse_hash} "
                       f"WHEN __keyed.__f_{name} IS NOT NULL THEN {fine_hash} END AS bk_{name}")
    joins = " ".join(f"LEFT JOIN __big_{name} ON __big_{name}.k = __keyed.__k_{name}" for name in names)
    helpers = ", ".join(f"__k_{name}, __f_{name}" for name in names)
    return (f"WITH __keyed AS MATERIALIZED (SELECT *, {keyed} FROM {relation}), {big} "
            f"SELECT __keyed.* EXCLUDE ({helpers}), {', '.join(columns)} FROM __keyed {joins}")
