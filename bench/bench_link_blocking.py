"""Blocking: candidate pairs per rule (and what each adds to the rules before it) and the true pairs kept.

Usage: python bench/bench_link_blocking.py [--synth DIR ...] [--febrl4] [--v4] [--out FILE]
Writes bench/results/link_blocking.json. Each DIR is a ``clearsight synth`` output (its truth is read here,
never by the package); records as ``bench_link.py`` links them (the truth's person records, no ages). Counts
are exact (DuckDB joins on each rule's key, a pair counted once, under the first rule that finds it, as
Splink does), without scoring; a rule with a condition (``model.BLOCK_CONDITIONS``, and on the synthetic sets,
whose dates of birth a trained model finds reliable, ``model.RELIABLE_DATES_CONDITIONS``) counts only the pairs
that meet it. ``--v4`` also measures model v4's rules (no cap on a block's size), for the record of what
changed.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

import duckdb
from bench_link_eval import synth_truth

from clearsight.link import model as link_model
from clearsight.link.evaluate import febrl4_persons
from clearsight.link.scoring import prepare_features

V4 = (  # model v4's rules: (name, key), no finer key
    ("dob_fn", ("dob_key", "fn_initial")), ("dob_sn", ("dob_key", "substr(sn, 1, 2)")), ("name", ("name_key",)),
    ("sn_year", ("sn", "birth_year_min")), ("pc", ("pc",)), ("sn_sector", ("sn", "pc_sector")), ("addr", ("addr",)),
    ("street_fn", ("addr_street", "substr(fn, 1, 2)")), ("street_sn", ("addr_street", "substr(sn, 1, 2)")),
    ("number_street", ("addr_number", "substr(addr_street, 1, 3)", "substr(pc, 1, 1)")),
    ("dob_street", ("dob_key", "substr(addr_street, 1, 3)")), ("pc_sorted", ("pc_sorted", "substr(sn, 1, 1)")),
)


def features(con: duckdb.DuckDBPyConnection, persons: Path, truth: dict[str, str]) -> None:
    """``feats`` (the features with integer ids) and ``true_pairs`` (l < r) from a persons CSV."""
    con.execute("CREATE OR REPLACE TABLE cs_raw AS SELECT * FROM read_csv(?, all_varchar = true, header = true)",
                [str(persons)])
    columns = {r[0] for r in con.execute("DESCRIBE cs_raw").fetchall()}
    present = {c for c in ("record_id", "source", "forename", "surname", "aliases", "date_of_birth", "age_years",
                           "sex", "postcode", "address", "phone_numbers") if c in columns}
    con.execute(f"CREATE OR REPLACE TABLE cs_input AS SELECT {', '.join(sorted(present))}, "
                "CAST(row_number() OVER () AS VARCHAR) AS unique_id FROM cs_raw")
    if "source" not in present:
        con.execute("ALTER TABLE cs_input ADD COLUMN source VARCHAR DEFAULT ''")
    prepare_features(con, "cs_input", present | {"unique_id", "source"})
    con.execute("CREATE OR REPLACE TABLE feats AS SELECT CAST(unique_id AS BIGINT) AS uid, * EXCLUDE (unique_id) "
                "FROM cs_features")
    import pyarrow as pa

    con.register("cs_truth", pa.table({"record_id": list(truth), "entity": list(truth.values())}))
    con.execute("CREATE OR REPLACE TABLE truth AS SELECT * FROM cs_truth")
    con.unregister("cs_truth")
    con.execute("CREATE OR REPLACE TABLE true_pairs AS SELECT a.uid AS l, b.uid AS r FROM "
                "(SELECT f.uid, t.entity FROM feats f JOIN truth t USING (record_id)) a JOIN "
                "(SELECT f.uid, t.entity FROM feats f JOIN truth t USING (record_id)) b "
                "ON a.entity = b.entity AND a.uid < b.uid")
    for table in ("cs_raw", "cs_input", "cs_features", "truth"):
        con.execute(f"DROP TABLE IF EXISTS {table}")


def measure(con: duckdb.DuckDBPyConnection, keys: str, names: list[str],
            conditions: dict[str, str] | None = None) -> dict[str, object]:
    """Per rule over ``keys`` (uid, k_<name>..., and the columns the conditions read): pairs, largest block,
    pairs new to the union, true pairs. ``conditions`` (``model.BLOCK_CONDITIONS``): a rule's pair is a
    candidate only where its condition holds too (``pairs`` and ``largest_block`` are the key's alone)."""
    conditions = {n: re.sub(r"\br\.", "b.", re.sub(r"\bl\.", "a.", c)) for n, c in (conditions or {}).items()}

    def agree(n: str) -> str:
        return f"coalesce(a.k_{n} = b.k_{n}" + (f" AND {conditions[n]}" if n in conditions else "") + ", false)"

    records = con.execute(f"SELECT count(*) FROM {keys}").fetchall()[0][0]
    real = con.execute("SELECT count(*) FROM true_pairs").fetchall()[0][0]
    con.execute("CREATE OR REPLACE TEMP TABLE cs_true AS SELECT " + ", ".join(
        f"{agree(n)} AS m_{n}" for n in names)
        + f" FROM true_pairs p JOIN {keys} a ON a.uid = p.l JOIN {keys} b ON b.uid = p.r")
    rows, total = [], 0
    for i, name in enumerate(names):
        started = time.perf_counter()
        pairs, largest = con.execute(
            f"SELECT coalesce(sum(c * (c - 1) // 2), 0), coalesce(max(c), 0) FROM "
            f"(SELECT count(*) AS c FROM {keys} WHERE k_{name} IS NOT NULL GROUP BY k_{name})").fetchall()[0]
        earlier = " OR ".join(agree(n) for n in names[:i])
        where = [f"NOT ({earlier})"] if earlier else []
        if name in conditions:
            where.append(conditions[name])
        new = con.execute(f"SELECT count(*) FROM {keys} a JOIN {keys} b ON a.k_{name} = b.k_{name} AND a.uid < b.uid"
                          + (f" WHERE {' AND '.join(where)}" if where else "")).fetchall()[0][0]
        total += new
        others = " OR ".join(f"m_{n}" for n in names if n != name) or "false"
        kept, only, union = con.execute(
            f"SELECT count(*) FILTER (m_{name}), count(*) FILTER (m_{name} AND NOT ({others})), "
            f"count(*) FILTER ({' OR '.join(f'm_{n}' for n in names[:i + 1])}) FROM cs_true").fetchall()[0]
        rows.append({"rule": name, "pairs": int(pairs), "largest_block": int(largest), "new_pairs": int(new),
                     "cumulative_pairs": int(total), "true_pairs_kept": int(kept),
                     "true_pairs_only_this_rule": int(only),
                     "cumulative_true_pairs": int(union), "seconds": round(time.perf_counter() - started, 1)})
    kept = rows[-1]["cumulative_true_pairs"] if rows else 0
    return {"records": int(records), "true_pairs": int(real), "candidate_pairs": total,
            "pairs_per_record": round(total / records, 2), "true_pairs_kept": kept,
            "blocking_recall": kept / real if real else 1.0, "rules": rows}


def key(parts: tuple[str, ...]) -> str:
    return (f"CASE WHEN {' AND '.join(f'({p}) IS NOT NULL' for p in parts)} THEN "
            f"hash({', '.join(f'CAST(({p}) AS VARCHAR)' for p in parts)}) END")


def evaluate(con: duckdb.DuckDBPyConnection, v4: bool, dates_reliable: bool = True) -> dict[str, object]:
    """The shipped rules with their conditions (``dates_reliable``: with those for reliable dates of birth, as a
    model trained on the synthetic sets finds them; FEBRL4's model finds them unreliable), and v4's if asked."""
    out: dict[str, object] = {}
    names = [name for name, _, _ in link_model.BLOCKS]
    con.execute("CREATE OR REPLACE TEMP TABLE cs_keys AS SELECT uid, dob, pc, "
                + ", ".join(f"bk_{n} AS k_{n}" for n in names) + " FROM feats")
    conditions = {**link_model.BLOCK_CONDITIONS,
                  **(link_model.RELIABLE_DATES_CONDITIONS if dates_reliable else {})}
    out[link_model.MODEL_VERSION] = measure(con, "cs_keys", names, conditions)
    if v4:
        con.execute("CREATE OR REPLACE TEMP TABLE cs_keys AS SELECT uid, "
                    + ", ".join(f"{key(parts)} AS k_{n}" for n, parts in V4) + " FROM feats")
        out["clearsight-link-v4"] = measure(con, "cs_keys", [n for n, _ in V4])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synth", type=Path, nargs="*", default=[])
    parser.add_argument("--febrl4", action="store_true")
    parser.add_argument("--v4", action="store_true")
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "link_blocking.json")
    args = parser.parse_args()
    results: dict[str, object] = {"block_cap": link_model.BLOCK_CAP}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sets = [(f"synth:{d.name}", *synth_truth(d, work)) for d in args.synth]
        if args.febrl4:
            sets.append(("febrl4", work / "febrl4.csv", febrl4_persons(work / "febrl4.csv")))
        for name, persons, truth in sets:
            con = duckdb.connect()
            con.execute(f"SET memory_limit = '{args.memory_limit}'")
            con.execute(f"SET temp_directory = '{work / 'spill'}'")
            features(con, persons, truth)
            results[name] = evaluate(con, args.v4, dates_reliable=name != "febrl4")
            con.close()
            print(name, json.dumps({k: {x: y for x, y in v.items() if x != "rules"}  # type: ignore[union-attr]
                                    for k, v in results[name].items()}), flush=True)  # type: ignore[union-attr]
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
