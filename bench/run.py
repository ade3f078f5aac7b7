"""`make bench`: run every benchmark in bench/ on this machine and write bench/results/SUMMARY.md.

Each benchmark measures Clearsight and its baseline on the same data in the same run; ratios are the
headline, absolute times hold for this machine only. Benchmarks never fail on time: they write figures.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
RESULTS = HERE / "results"


def _run(args: list[str], env: dict[str, str]) -> None:
    print("+", " ".join(args), file=sys.stderr)
    subprocess.run([sys.executable, *args], check=False, env=env)


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.setdefault("CLEARSIGHT_VAULT_KEY", "YmVuY2htYXJrLWtleS1ub3QtZm9yLXJlYWwtZGF0YSE=")  # synthetic data only
    with tempfile.TemporaryDirectory() as scratch:
        national = Path(scratch) / "national"
        subprocess.run(
            [sys.executable, "-m", "clearsight.cli", "synth", str(national), "--scale", "national", "--seed", "1",
             "--json"], check=True, env=env, stdout=subprocess.DEVNULL,
        )
        _run([str(HERE / "bench_synth.py")], env)
        _run([str(HERE / "bench_ingest.py"), str(national)], env)
        _run([str(HERE / "bench_link.py"), str(national), "--skip-recordlinkage"], env)
        _run([str(HERE / "bench_link_incremental.py"), str(national)], env)
        _run([str(HERE / "bench_networks.py"), "--skip-whole-leiden"], env)
        _run([str(HERE / "bench_service.py")], env)
        _run([str(HERE / "bench_tracker.py")], env)
        spark = ["--spark", "area"] if importlib.util.find_spec("pyspark") else []
        # national x 10 years end to end (synth, ingest, the audit): 10 minutes on a quiet 2-core machine,
        # about 40 on a shared one; BENCH_SKIP_NATIONAL10=1 leaves it out
        scales = ["area", "national:1"] + ([] if os.environ.get("BENCH_SKIP_NATIONAL10") else ["national:10"])
        _run([str(HERE / "bench_scale.py"), "--scales", *scales, *spark], env)
    write_summary()


def _flat(value: object, prefix: str = "") -> list[tuple[str, object]]:
    """Nested figures as (dotted name, number) rows."""
    if isinstance(value, dict):
        return [row for key, item in value.items() for row in _flat(item, f"{prefix}{key}.")]
    if isinstance(value, list):
        return [row for i, item in enumerate(value) for row in _flat(item, f"{prefix}{i}.")]
    return [(prefix.rstrip("."), value)] if isinstance(value, int | float) and not isinstance(value, bool) else []


def write_summary() -> None:
    """bench/results/SUMMARY.md: each benchmark's ratios (the headline) and then its other figures."""
    lines = ["# Benchmark summary", "",
             "Figures from `make bench` on this machine (2 cores); each benchmark measures Clearsight and its",
             "baseline in the same run, so the **ratios** are the headline and absolute times hold for this",
             "machine only. Each file in `bench/results/` has the full figures and the conditions they were taken in.",
             ""]
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text())
        lines += [f"## {path.stem}", ""]
        ratios = _flat(data.get("ratios", {}))
        if ratios:
            lines += ["| ratio | value |", "|---|---:|", *(f"| {name} | {value} |" for name, value in ratios), ""]
        figures = _flat({k: v for k, v in data.items() if k not in ("ratios", "machine")})[:60]
        if figures:
            lines += ["| figure | value |", "|---|---:|", *(f"| {name} | {value} |" for name, value in figures), ""]
    (RESULTS / "SUMMARY.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
