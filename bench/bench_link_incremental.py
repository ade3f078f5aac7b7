"""Incremental linking vs a full relink when one submitter's returns arrive; writes bench/results/link_incremental.json.

Usage: python bench/bench_link_incremental.py SYNTH_DIR [--work DIR]
SYNTH_DIR is a ``clearsight synth`` output. Every submitter but one is ingested and linked (training the
model); then the held-out submitter's returns are ingested, and the same warehouse is linked twice from
the same state: incrementally (``link.run(incremental=True)``) and in full (the saved model reused, so
neither trains). Both are timed; their clusterings are compared record by record.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from clearsight import ingest, link


def _ids(db: Path) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {f"{s}:{r}": p for s, r, p in con.execute(
            "SELECT source, record_id, person_id FROM person_link").fetchall()}
    finally:
        con.close()


def _copy(db: Path, to: Path) -> None:
    for suffix in (".duckdb", ".vault.duckdb"):
        shutil.copy(db.with_name(db.stem + suffix), to.with_name(to.stem + suffix))
    shutil.copytree(link.model_dir_for(db), link.model_dir_for(to))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("synth", type=Path)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "link_incremental.json")
    args = parser.parse_args()
    os.environ.setdefault("CLEARSIGHT_VAULT_KEY", base64.b64encode(os.urandom(32)).decode())
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        work = Path(tmp)
        submissions = args.synth / "submissions"
        submitters = sorted(p.name for p in submissions.iterdir() if p.is_dir())
        held_out = submitters[len(submitters) // 2]
        first = work / "first"
        shutil.copytree(submissions, first,
                        ignore=lambda folder, names: [held_out] if Path(folder) == submissions else [])
        db, full = work / "inc.duckdb", work / "full.duckdb"
        ingest.run(first, db)
        started = time.perf_counter()
        initial = link.run(db)
        seconds_initial = time.perf_counter() - started
        before = _ids(db)
        ingest.run(submissions, db)
        _copy(db, full)
        started = time.perf_counter()
        inc = link.run(db, incremental=True)
        seconds_inc = time.perf_counter() - started
        started = time.perf_counter()
        relink = link.run(full)
        seconds_full = time.perf_counter() - started
        after, relinked = _ids(db), _ids(full)
    differing = sum(after[r] != relinked.get(r) for r in after)
    results = {
        "data": str(args.synth), "held_out_submitter": held_out, "records_before": len(before),
        "records_after": inc.records, "new_records": inc.new_records,
        "initial_link_seconds_with_training": round(seconds_initial, 2), "initial_pairs_scored": initial.pairs_scored,
        "incremental": {"seconds": round(seconds_inc, 2), "pairs_scored": inc.pairs_scored},
        "full_relink": {"seconds": round(seconds_full, 2), "pairs_scored": relink.pairs_scored},
        "speed_up": round(seconds_full / seconds_inc, 2),
        "records_whose_person_id_differs_from_full_relink": differing,
        "existing_records_renumbered": sum(after[r] != pid for r, pid in before.items() if r in after),
        "peak_rss_mib_whole_run": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }
    print(json.dumps(results, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
