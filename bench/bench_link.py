"""Linkage speed and accuracy: Clearsight vs plain Splink vs the recordlinkage toolkit, same records, same run.

Usage: python bench/bench_link.py SYNTH_DIR [--limit N]; writes bench/results/link.json.
SYNTH_DIR is a ``clearsight synth`` output (its truth is read here, never by the package). "Plain Splink"
is the default-style configuration a newcomer writes: stock comparisons (NameComparison, DateOfBirth-
Comparison, PostcodeComparison, Levenshtein on address), blocking on name and date of birth, EM every run.
The recordlinkage toolkit blocks on surname and year of birth (surname alone made 21 GB of candidate pairs on
the national set) and compares with Jaro-Winkler and exact matches, classifying with its ECM (unsupervised)
classifier.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import time
from pathlib import Path

import duckdb
from bench_link_eval import synth_truth

from clearsight.link import link_file
from clearsight.link.evaluate import pairwise, read_clusters, read_pairs, recall_at_precision


def clearsight(persons: Path, truth: dict[str, str], work: Path) -> dict[str, object]:
    """Clearsight as an analyst runs it (``link-file``: train, score, cluster at 0.99), pairs >= 0.5 kept.

    (The blocking's recall and the curve of clusters are ``bench_link_eval.py``'s: its pass that keeps
    every scored pair needs several GB, which this comparison of speed and accuracy does not.)
    """
    started = time.perf_counter()
    info = link_file(persons, work / "clusters.csv", pairs_out=work / "pairs.csv")
    seconds = time.perf_counter() - started
    best, _ = recall_at_precision(read_pairs(work / "pairs.csv"), truth)
    return {"seconds": round(seconds, 2), "records_per_second": round(info["records"] / seconds),
            "seconds_train": round(info["seconds_train"], 2), "seconds_predict": round(info["seconds_predict"], 2),
            "pairs_scored": info["pairs_scored"],
            "pairwise": pairwise(read_clusters(work / "clusters.csv"), truth).__dict__,
            "recall_at_precision_0999": best}


def plain_splink(persons: Path, truth: dict[str, str]) -> dict[str, object]:
    """Splink with stock comparisons and EM trained every run, clustered at 0.99 like ours."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT record_id AS unique_id, * EXCLUDE (record_id) FROM "
                "read_csv(?, all_varchar = true)", [str(persons)])
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.NameComparison("forename"), cl.NameComparison("surname"),
                     cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
                     cl.PostcodeComparison("postcode"), cl.LevenshteinAtThresholds("address", [2, 5]),
                     cl.ExactMatch("sex")],
        blocking_rules_to_generate_predictions=[block_on("forename", "surname"), block_on("surname", "date_of_birth"),
                                                block_on("forename", "date_of_birth"), block_on("postcode")],
    )
    linker = Linker(DuckDBAPI(con).register("t"), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match([block_on("forename", "surname", "date_of_birth")],
                                                                  recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("forename", "surname"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.99)
    predicted = dict(con.execute(f"SELECT unique_id, cluster_id FROM {clusters.physical_name}").fetchall())
    seconds = time.perf_counter() - started
    sql = f"SELECT unique_id_l, unique_id_r, match_probability FROM {predictions.physical_name}"
    pairs = con.execute(sql).fetchall()
    best, _ = recall_at_precision(pairs, truth)
    return {"seconds": round(seconds, 2), "records_per_second": round(len(predicted) / seconds),
            "pairwise": pairwise(predicted, truth).__dict__, "recall_at_precision_0999": best}


def recordlinkage_toolkit(persons: Path, truth: dict[str, str]) -> dict[str, object]:
    """The recordlinkage toolkit: block on surname and year of birth, compare, ECM classifier, components."""
    import pandas as pd
    import recordlinkage

    started = time.perf_counter()
    frame = pd.read_csv(persons, dtype=str).set_index("record_id").fillna("")
    frame["birth_year"] = frame["date_of_birth"].str[:4]
    index = recordlinkage.Index()
    index.block(["surname", "birth_year"])
    candidates = index.index(frame)
    compare = recordlinkage.Compare()
    compare.string("forename", "forename", method="jarowinkler", threshold=0.85, label="forename")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("postcode", "postcode", label="postcode")
    compare.string("address", "address", method="jarowinkler", threshold=0.85, label="address")
    compare.exact("sex", "sex", label="sex")
    features = compare.compute(candidates, frame)
    matches = recordlinkage.ECMClassifier().fit_predict(features)
    parent = {k: k for k in frame.index}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in matches:
        parent[find(a)] = find(b)
    predicted = {k: find(k) for k in frame.index}
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "records_per_second": round(len(predicted) / seconds),
            "candidate_pairs": len(candidates), "pairwise": pairwise(predicted, truth).__dict__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("synth", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "link.json")
    parser.add_argument("--skip-recordlinkage", action="store_true")
    args = parser.parse_args()
    work = args.out.parent / "work"
    work.mkdir(parents=True, exist_ok=True)
    persons, truth = synth_truth(args.synth, work)
    results: dict[str, object] = {"data": str(args.synth), "records": len(truth)}
    results["clearsight"] = clearsight(persons, truth, work)
    print("clearsight", json.dumps(results["clearsight"]))
    results["plain_splink"] = plain_splink(persons, truth)
    print("plain splink", json.dumps(results["plain_splink"]))
    if not args.skip_recordlinkage:
        results["recordlinkage"] = recordlinkage_toolkit(persons, truth)
        print("recordlinkage", json.dumps(results["recordlinkage"]))
    results["peak_rss_mib_whole_run"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    for item in work.iterdir():
        item.unlink()
    work.rmdir()


if __name__ == "__main__":
    main()
