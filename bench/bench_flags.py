"""Harm-not-risk flags against the synthetic truth; writes bench/results/flags.json and prints the scores.

Usage: python bench/bench_flags.py SYNTH_DIR DB
SYNTH_DIR is a ``clearsight synth`` output (its ``truth/harm.csv`` is read here: a benchmark may, the
package never does); DB is that data ingested and linked. Scores, per indicator and overall:
- indicators: every referral (HARMED ones too), found indicator vs the truth's indicators;
- flags: a referral recorded AT_RISK / NEITHER / NR is truly flaggable when the truth lists at least one
  harm indicator for it; also scored against the truth's ``harmed``.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import Counter
from pathlib import Path

from clearsight.flags import referral_indicators, run
from clearsight.flags.pipeline import NOT_HARMED
from clearsight.warehouse import connect


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def score(folder: Path, db: Path) -> dict[str, object]:
    """Precision and recall per indicator and for flags, against ``folder/truth/harm.csv``."""
    with open(folder / "truth" / "harm.csv", newline="", encoding="utf-8") as stream:
        truth = {(r["source"], r["record_id"]): r for r in csv.DictReader(stream)}
    con = connect(db)
    try:
        referrals, linked = referral_indicators(con)
    finally:
        con.close()
    tp, fp, fn = Counter(), Counter(), Counter()
    flag = Counter()
    for referral in referrals:
        row = truth.get((referral.source, referral.record_id))
        if row is None:
            continue
        expected = set(filter(None, row["indicators"].split(";")))
        found = set(referral.indicators)
        for name in expected | found:
            key = "tp" if name in expected and name in found else "fp" if name in found else "fn"
            {"tp": tp, "fp": fp, "fn": fn}[key][name] += 1
        if referral.recorded_status in NOT_HARMED:
            truly, harmed = bool(expected), row["harmed"] == "true"
            flag[("tp" if truly else "fp") if referral.flagged else ("fn" if truly else "tn")] += 1
            flag[("harmed_tp" if harmed else "harmed_fp") if referral.flagged else
                 ("harmed_fn" if harmed else "harmed_tn")] += 1
    per_indicator = {
        name: {"precision": _ratio(tp[name], tp[name] + fp[name]), "recall": _ratio(tp[name], tp[name] + fn[name]),
               "tp": tp[name], "fp": fp[name], "fn": fn[name]}
        for name in sorted(set(tp) | set(fp) | set(fn))
    }
    all_tp, all_fp, all_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    return {
        "referrals": len(referrals), "linked": linked,
        "indicators": per_indicator,
        "indicators_overall": {"precision": _ratio(all_tp, all_tp + all_fp), "recall": _ratio(all_tp, all_tp + all_fn)},
        "flags": {"precision": _ratio(flag["tp"], flag["tp"] + flag["fp"]),
                  "recall": _ratio(flag["tp"], flag["tp"] + flag["fn"]),
                  **{k: flag[k] for k in ("tp", "fp", "fn", "tn")}},
        "flags_vs_harmed": {"precision": _ratio(flag["harmed_tp"], flag["harmed_tp"] + flag["harmed_fp"]),
                            "recall": _ratio(flag["harmed_tp"], flag["harmed_tp"] + flag["harmed_fn"])},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("synth_dir", type=Path)
    parser.add_argument("db", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    summary = run(args.db)
    result = {"run_seconds": round(time.perf_counter() - started, 2), "flags": summary.flags,
              **score(args.synth_dir, args.db)}
    out = Path(__file__).parent / "results" / "flags.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{'indicator':32} precision  recall    tp    fp    fn")
    for name, s in result["indicators"].items():
        print(f"{name:32} {s['precision']!s:9} {s['recall']!s:8} {s['tp']:5} {s['fp']:5} {s['fn']:5}")
    print(f"indicators overall: {result['indicators_overall']}")
    print(f"flags (truth: >=1 indicator): {result['flags']}")
    print(f"flags vs truth 'harmed': {result['flags_vs_harmed']}")
    print(f"run: {result['run_seconds']} s for {result['referrals']} referrals; written {out}")


if __name__ == "__main__":
    main()
