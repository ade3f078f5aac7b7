"""Benchmark: Clearsight ingest vs a bare read of the same files vs pandas + pandera, in one run.

Usage: python bench/bench_ingest.py SYNTH_DIR [--out bench/results/ingest.json] [--rounds 3] [--note TEXT]
Each contender runs in its own subprocess so that its peak memory (max RSS) and CPU time are its own; CPU
time includes worker processes it started (ingest parses workbooks in one), whose largest peak memory is
given apart (``worker_peak_rss_mib``). Ratios
are the headline; absolute times hold for this machine only. On a shared machine use ``--rounds 3``: the
contenders take turns, and each one's median round is kept (the upper median for an even count).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONTENDERS = {
    "clearsight_ingest": "from bench_ingest_tasks import clearsight_ingest as task",
    "bare_read": "from bench_ingest_tasks import bare_read as task",
    "clearsight_readers": "from bench_ingest_tasks import clearsight_readers as task",
    "duckdb_bare_read_csv": "from bench_ingest_tasks import duckdb_bare_read_csv as task",
    "pandas_pandera": "from bench_ingest_tasks import pandas_pandera as task",
    "pandas_pandera_defaults": "from bench_ingest_tasks import pandas_pandera_defaults as task",
}


def measure(name: str, submissions: Path, scratch: Path) -> dict:
    code = (
        f"import sys, json; sys.path.insert(0, {str(Path(__file__).parent)!r}); {CONTENDERS[name]}; "
        f"result = task({str(submissions)!r}, {str(scratch)!r}); import resource; "
        f"usage = resource.getrusage(resource.RUSAGE_SELF); "
        f"children = resource.getrusage(resource.RUSAGE_CHILDREN); "
        f"result['peak_rss_mib'] = round(usage.ru_maxrss / 1024, 1); "
        f"result['worker_peak_rss_mib'] = round(children.ru_maxrss / 1024, 1); "
        f"result['cpu_seconds'] = round(usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime, 2); "
        f"print(json.dumps(result))"
    )
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        return {"name": name, "error": done.stderr[-2000:]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "name": name,
        "seconds": round(seconds, 3),
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        **result,
    }


def _median_run(runs: list[dict]) -> dict:
    """The run with the median time: on a shared machine the middle of interleaved rounds is the fair one."""
    timed = sorted((r for r in runs if "seconds" in r), key=lambda r: r["seconds"])
    if not timed:
        return runs[-1]
    # The upper median: with an even number of rounds the slower of the middle two, so that the figure
    # never flatters the contender (with 2 rounds the lower one would be its best run, not its median).
    chosen = dict(timed[len(timed) // 2])
    chosen["rounds_seconds"] = [r.get("seconds") for r in runs]
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("synth_dir", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "ingest.json")
    parser.add_argument("--contenders", default=",".join(CONTENDERS), help="comma-separated subset to run")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds; each contender's median is kept")
    parser.add_argument("--once", default="", help="contenders run in the first round only (slow baselines)")
    parser.add_argument("--note", default="", help="said with the figures, e.g. that the machine was shared")
    args = parser.parse_args()
    submissions = args.synth_dir / "submissions"
    runs: dict[str, list[dict]] = {name: [] for name in args.contenders.split(",")}
    with tempfile.TemporaryDirectory() as scratch:
        once = set(args.once.split(","))
        for round_number in range(args.rounds):
            for name in runs:
                if round_number and name in once:
                    continue
                runs[name].append(measure(name, submissions, Path(scratch)))
                print(json.dumps(runs[name][-1]), file=sys.stderr)
    results = {name: _median_run(done) for name, done in runs.items()}
    ours = results["clearsight_ingest"].get("seconds")
    ours_cpu = results["clearsight_ingest"].get("cpu_seconds")
    summary = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "note": args.note},
        "data": str(args.synth_dir),
        "rounds": args.rounds,
        "results": results,
        "ratios": {
            f"clearsight_vs_{name}": round(ours / r["seconds"], 2)
            for name, r in results.items()
            if name != "clearsight_ingest" and ours and r.get("seconds")
        },
        "cpu_ratios": {
            f"clearsight_vs_{name}": round(ours_cpu / r["cpu_seconds"], 2)
            for name, r in results.items()
            if name != "clearsight_ingest" and ours_cpu and r.get("cpu_seconds")
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary["ratios"], indent=2))


if __name__ == "__main__":
    main()
