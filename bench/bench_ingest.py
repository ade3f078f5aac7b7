"""Benchmark: Clearsight ingest vs a bare read of the same files vs pandas + pandera, in one run.

Usage: python bench/bench_ingest.py SYNTH_DIR [--out bench/results/ingest.json]
Each contender runs in its own subprocess so that its peak memory (max RSS) is its own. Ratios are the
headline; absolute times hold for this machine only.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONTENDERS = {
    "clearsight_ingest": "from bench_ingest_tasks import clearsight_ingest as task",
    "bare_read": "from bench_ingest_tasks import bare_read as task",
    "duckdb_bare_read_csv": "from bench_ingest_tasks import duckdb_bare_read_csv as task",
    "pandas_pandera": "from bench_ingest_tasks import pandas_pandera as task",
}


def measure(name: str, submissions: Path, scratch: Path) -> dict:
    code = (
        f"import sys, json; sys.path.insert(0, {str(Path(__file__).parent)!r}); {CONTENDERS[name]}; "
        f"result = task({str(submissions)!r}, {str(scratch)!r}); import resource; "
        f"result['peak_rss_mib'] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1); "
        f"print(json.dumps(result))"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        return {"name": name, "error": done.stderr[-2000:]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "name": name,
        "seconds": round(seconds, 3),
        **result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("synth_dir", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "ingest.json")
    parser.add_argument("--contenders", default=",".join(CONTENDERS), help="comma-separated subset to run")
    args = parser.parse_args()
    submissions = args.synth_dir / "submissions"
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.contenders.split(","):
            results[name] = measure(name, submissions, Path(scratch))
            print(json.dumps(results[name]), file=sys.stderr)
    ours = results["clearsight_ingest"].get("seconds")
    summary = {
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "data": str(args.synth_dir),
        "results": results,
        "ratios": {
            f"clearsight_vs_{name}": round(ours / r["seconds"], 2)
            for name, r in results.items()
            if name != "clearsight_ingest" and ours and r.get("seconds")
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary["ratios"], indent=2))


if __name__ == "__main__":
    main()
