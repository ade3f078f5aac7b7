"""Time the synthetic generator and measure its peak memory; writes ``bench/results/synth.json``.

Usage: ``.venv/bin/python bench/bench_synth.py [--ten-years] [--out DIR]``. Each case runs in a fresh
child process so that its peak resident memory (``ru_maxrss`` of the child) is its own.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = """
import json, sys, time
from pathlib import Path
from clearsight.synth import run
start = time.perf_counter()
summary = run(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), 2025)
print(json.dumps({"seconds": time.perf_counter() - start, "tables": summary.table_rows,
                  "truth": summary.truth_rows, "files": summary.files, "returns": summary.returns,
                  "offences_per_year": summary.offences_per_year}))
"""


def bench(scale: str, years: int, work: Path) -> dict:
    out = work / f"{scale}-{years}"
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    wall = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD, str(out), scale, str(years)], check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - wall
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    result.update(
        scale=scale,
        years=years,
        wall_seconds=round(wall, 2),
        seconds=round(result["seconds"], 2),
        peak_rss_mib=round(max(peak_kib, before) / 1024, 1),
        output_mib=round(size / 2**20, 1),
    )
    shutil.rmtree(out, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ten-years", action="store_true", help="also run national x 10 years")
    parser.add_argument("--out", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.out or Path(tempfile.mkdtemp(prefix="bench-synth-"))
    cases = [("tiny", 2), ("area", 1), ("national", 1)] + ([("national", 10)] if args.ten_years else [])
    results = []
    for scale, years in cases:
        result = bench(scale, years, work)
        print(
            f"{scale} x {years}: {result['seconds']} s, peak {result['peak_rss_mib']} MiB, "
            f"{result['output_mib']} MiB written"
        )
        results.append(result)
    target = Path(__file__).parent / "results" / "synth.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        json.dumps(
            {
                "machine": platform.platform(),
                "python": platform.python_version(),
                "note": "peak_rss_mib is the maximum over this and earlier cases (ru_maxrss of "
                "children); cases run smallest first",
                "results": results,
            },
            indent=2,
        )
    )
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
