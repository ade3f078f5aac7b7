"""Linkage quality through ``link-file``: synthetic truth and FEBRL4; writes bench/results/link_eval.json.

Usage: python bench/bench_link_eval.py [--synth DIR ...] [--febrl4]
Each DIR is a ``clearsight synth`` output; its truth is read here (a benchmark may), never by the package.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import duckdb

from clearsight.link import link_file
from clearsight.link.evaluate import (
    bcubed,
    blocking_recall,
    febrl4_persons,
    pairwise,
    read_clusters,
    read_pairs,
    recall_at_precision,
)

SWEEP = (0.1, 0.2, 0.3, 0.5, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99995, 0.99999, 0.999999)


def cluster_recall_at_precision(
    swept: dict[str, dict[str, str]], truth: dict[str, str], target: float = 0.999
) -> tuple[float, float, dict[str, object]]:
    """(best pairwise recall of the clusters with pairwise precision >= target, its threshold, the curve)."""
    best, at, curve = 0.0, 1.0, {}
    for t, clusters in swept.items():
        m = pairwise(clusters, truth)
        curve[t] = {"precision": m.precision, "recall": m.recall, "f1": m.f1}
        if m.precision >= target and m.recall > best:
            best, at = m.recall, float(t)
    return best, at, curve


def evaluate(persons: Path, truth: dict[str, str], work: Path, name: str) -> dict[str, object]:
    """Link ``persons`` and score it against ``truth`` (record_id -> entity).

    Timed once as an analyst runs it (pairs >= 0.5 written), then again keeping every scored pair (floor 0)
    and clustering at each threshold of ``SWEEP``, for the blocking's recall and the curve of clusters.
    """
    out, pairs_out = work / f"{name}.clusters.csv", work / f"{name}.pairs.csv"
    started = time.perf_counter()
    info = link_file(persons, out, pairs_out=pairs_out)
    seconds = time.perf_counter() - started
    clusters = read_clusters(out)
    all_pairs_out = work / f"{name}.all-pairs.csv"
    swept = link_file(persons, work / f"{name}.swept.csv", pairs_out=all_pairs_out, sweep=SWEEP, floor=0.0)
    every = read_pairs(all_pairs_out)
    pairs = [x for x in every if x[2] >= 0.5]
    best, at = recall_at_precision(pairs, truth)
    best_all, at_all = recall_at_precision(every, truth)
    cluster_best, cluster_at, curve = cluster_recall_at_precision(swept["sweep"], truth)
    kept, true_kept, candidates = blocking_recall(((a, b) for a, b, _ in every), truth)
    precision_b, recall_b, f1_b = bcubed(clusters, truth)
    return {
        "records": info["records"], "seconds": round(seconds, 2),
        "records_per_second": round(info["records"] / seconds),
        "pairs_scored": info["pairs_scored"], "pairwise": asdict(pairwise(clusters, truth)),
        "recall_at_precision_0999": best, "threshold_for_it": at,
        "recall_at_precision_0999_all_pairs": best_all, "threshold_for_it_all_pairs": at_all,
        "bcubed": {"precision": precision_b, "recall": recall_b, "f1": f1_b},
        "pairs_kept_above_0_5_recall": blocking_recall(((a, b) for a, b, _ in pairs), truth)[0],
        "blocking": {"true_pairs_kept": kept, "true_pairs_kept_count": true_kept, "candidate_pairs": candidates,
                     "pairs_scored": swept["pairs_scored"]},
        "cluster_recall_at_precision_0999": cluster_best, "cluster_threshold_for_it": cluster_at,
        "conflicts_refused": info["conflicts_refused"], "cluster_curve": curve,
    }


def synth_truth(folder: Path, work: Path) -> tuple[Path, dict[str, str]]:
    """The synthetic persons with record ids made unique across sources, and their truth."""
    rows = list(csv.DictReader(open(folder / "truth" / "persons.csv", newline="", encoding="utf-8")))
    truth = {}
    for row in rows:
        row["record_id"] = f"{row['source']}:{row['record_id']}"
        truth[row["record_id"]] = row.pop("true_person_id")
    path = work / f"{folder.name}.persons.csv"
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path, truth


def cap_duckdb_memory(limit: str) -> None:
    """Every DuckDB connection this process opens gets ``memory_limit`` (the keep-every-pair pass on the
    national set peaked at 6.4 GB with DuckDB's default of 80% of memory, beside other work)."""
    connect = duckdb.connect
    if getattr(connect, "clearsight_capped", False):
        return

    def capped(database: str = ":memory:", read_only: bool = False, config: dict | None = None, **kw: object):
        return connect(database, read_only=read_only, config={"memory_limit": limit, **(config or {})}, **kw)

    capped.clearsight_capped = True  # type: ignore[attr-defined]
    duckdb.connect = capped  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB memory_limit of every connection")
    parser.add_argument("--synth", type=Path, nargs="*", default=[])
    parser.add_argument("--febrl4", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "link_eval.json")
    args = parser.parse_args()
    cap_duckdb_memory(args.memory_limit)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for folder in args.synth:
            persons, truth = synth_truth(folder, work)
            results[f"synth:{folder.name}"] = evaluate(persons, truth, work, folder.name)
            print(folder.name, json.dumps(results[f"synth:{folder.name}"], indent=1))
        if args.febrl4:
            truth = febrl4_persons(work / "febrl4.csv")
            results["febrl4"] = evaluate(work / "febrl4.csv", truth, work, "febrl4")
            print("febrl4", json.dumps(results["febrl4"], indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
