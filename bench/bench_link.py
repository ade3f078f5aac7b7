"""Linkage speed and accuracy: Clearsight vs plain Splink vs the recordlinkage toolkit, same records, same run.

Usage: python bench/bench_link.py SYNTH_DIR [SYNTH_DIR ...] [--out FILE] [--skip-recordlinkage]
Writes bench/results/link.json (one SYNTH_DIR) or, with several, one entry per set under "sets".
SYNTH_DIR is a ``clearsight synth`` output (its truth is read here, never by the package). "Plain Splink"
is the default-style configuration a newcomer writes: stock comparisons (NameComparison, DateOfBirth-
Comparison, PostcodeComparison, Levenshtein on address), blocking on name and date of birth, EM every run.
The recordlinkage toolkit blocks on surname and year of birth (surname alone made 21 GB of candidate pairs on
the national set) and compares with Jaro-Winkler and exact matches, classifying with its ECM (unsupervised)
classifier.

Each tool runs in its own process, one after the other, so each has its own peak memory (``peak_rss_mib``,
the process's maximum resident set). Both Splink configurations get the same DuckDB memory limit
(``scoring.DEFAULT_MEMORY_LIMIT`` or ``CLEARSIGHT_LINK_MEMORY_LIMIT``, spilling to a temporary folder) and
the same cap on EM training pairs (``model.EM_MAX_PAIRS``): at national x 10 years, EM blocked on date of
birth alone is ~86M pairs. The
recordlinkage toolkit (pandas, in memory) runs under an address-space cap (``--rl-cap-gb``): where it does not
fit, the entry says so with the size it reached.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from bench_link_eval import synth_truth

from clearsight.link import link_file
from clearsight.link.evaluate import pairwise, read_clusters, read_pairs, recall_at_precision
from clearsight.link.model import EM_MAX_PAIRS
from clearsight.link.scoring import DEFAULT_MEMORY_LIMIT, MEMORY_LIMIT_ENV

TOOLS = ("clearsight", "clearsight_saved_model", "plain_splink", "recordlinkage")


def clearsight(persons: Path, truth: dict[str, str], work: Path, reuse: bool = False) -> dict[str, object]:
    """Clearsight as an analyst runs it (``link-file``: train, score, cluster at 0.99), pairs >= 0.5 kept.

    The first run trains on the file and saves the model with its charts in ``work/model``; with ``reuse``
    (tool ``clearsight_saved_model``, run after it) the saved model is loaded instead, as every later run of
    the product does (issue #5: the model is trained once and reused; plain Splink trains every run).
    ``seconds`` leaves out writing every kept pair to a CSV (``seconds_pairs_out``, given apart): only the
    benchmark needs that file, for recall at precision 0.999; plain Splink's figure has no such step.
    (The blocking's recall and the curve of clusters are ``bench_link_eval.py``'s: its pass that keeps
    every scored pair needs several GB, which this comparison of speed and accuracy does not.)
    """
    model_dir = work / "model"
    if reuse and not (model_dir / "model.json").exists():
        return {"not_run": "no saved model: the clearsight tool runs first and saves it"}
    if not reuse and model_dir.exists():
        shutil.rmtree(model_dir)  # an earlier run's model: this run trains its own
    started = time.perf_counter()
    info = link_file(persons, work / "clusters.csv", pairs_out=work / "pairs.csv", model_path=model_dir)
    seconds = time.perf_counter() - started - float(info["seconds_pairs_out"])
    best, _ = recall_at_precision(read_pairs(work / "pairs.csv"), truth)
    stages = {f"seconds_{k}": round(float(info[f"seconds_{k}"]), 2)
              for k in ("features", "train", "predict", "pairs_out")}
    stages["seconds_cluster_and_write"] = round(seconds - stages["seconds_features"] - stages["seconds_train"]
                                                - stages["seconds_predict"], 2)
    return {"seconds": round(seconds, 2), "records_per_second": round(info["records"] / seconds),
            "model": "saved model reused" if reuse else "trained on this file and saved", **stages,
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
    con.execute("SET memory_limit = ?", [os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT])
    con.execute("SET temp_directory = ?", [str(persons.parent / "plain-splink.tmp")])
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
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"),
                                                                       max_pairs=EM_MAX_PAIRS)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("forename", "surname"),
                                                                       max_pairs=EM_MAX_PAIRS)
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


def worker(tool: str, synth: Path, work: Path, rl_cap_gb: float) -> None:
    """Run one tool on one set in this process; print its result (with this process's peak memory) as JSON."""
    persons, truth = synth_truth(synth, work)
    try:
        if tool in ("clearsight", "clearsight_saved_model"):
            result = clearsight(persons, truth, work, reuse=tool == "clearsight_saved_model")
        elif tool == "plain_splink":
            result = plain_splink(persons, truth)
        else:
            cap = int(rl_cap_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            result = recordlinkage_toolkit(persons, truth)
    except MemoryError:
        result = {"did_not_fit": f"MemoryError under a {rl_cap_gb:g} GB address-space cap", "records": len(truth)}
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print("RESULT " + json.dumps(result), flush=True)


def run_set(synth: Path, work: Path, tools: list[str], rl_cap_gb: float, rounds: int = 1) -> dict[str, object]:
    """Each tool on ``synth`` in its own process, one after the other; with ``rounds`` > 1, then that many more
    rounds of the saved-model run and plain Splink taking turns (``interleaved``: each round's seconds and the
    load average before it), because this machine's speed drifts by more than the gap being measured."""
    out: dict[str, object] = {"data": str(synth)}
    for tool in tools:
        out[tool] = _run_tool(synth, work, tool, rl_cap_gb)
    turns = [t for t in ("clearsight_saved_model", "plain_splink") if t in tools]
    if rounds > 1 and turns:
        interleaved: dict[str, list[object]] = {t: [] for t in turns}
        interleaved["load_average_before"] = []
        for _ in range(rounds - 1):
            for tool in turns:
                interleaved["load_average_before"].append([tool, round(os.getloadavg()[0], 2)])
                result = _run_tool(synth, work, tool, rl_cap_gb)
                interleaved[tool].append(result.get("seconds"))
        out["interleaved"] = interleaved
    return out


def _run_tool(synth: Path, work: Path, tool: str, rl_cap_gb: float) -> dict[str, object]:
    """One tool on ``synth`` in a process of its own; its result (or how it failed)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, str(synth), "--worker", tool, "--work", str(work),
                           "--rl-cap-gb", str(rl_cap_gb)], capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if lines:
        result: dict[str, object] = json.loads(lines[-1][len("RESULT "):])
    else:
        result = {"failed": f"exit {done.returncode}", "stderr_tail": done.stderr[-600:],
                  "seconds_until_failure": round(time.perf_counter() - started, 1)}
    print(synth.name, tool, json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("synth", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "link.json")
    parser.add_argument("--skip-recordlinkage", action="store_true")
    parser.add_argument("--rl-cap-gb", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=1,
                        help="after the first pass, this many minus one more rounds of the saved-model run and "
                             "plain Splink taking turns")
    parser.add_argument("--worker", choices=TOOLS, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.synth[0], args.work, args.rl_cap_gb)
        return
    tools = [t for t in TOOLS if not (args.skip_recordlinkage and t == "recordlinkage")]
    results: dict[str, object] = {"sets": {}}
    for synth in args.synth:
        work = args.out.parent / f"work-{synth.name}"
        work.mkdir(parents=True, exist_ok=True)
        entry = run_set(synth, work, tools, args.rl_cap_gb, args.rounds)
        entry["records"] = sum(1 for _ in open(work / f"{synth.name}.persons.csv", encoding="utf-8")) - 1
        results["sets"][synth.name] = entry  # type: ignore[index]
        for item in sorted(work.rglob("*"), reverse=True):
            item.rmdir() if item.is_dir() else item.unlink()
        work.rmdir()
    results["load_average_at_end"] = list(os.getloadavg())
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
