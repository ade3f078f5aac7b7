"""`make bench`: run every benchmark in bench/ on this machine and write bench/results/SUMMARY.md.

Each benchmark measures Clearsight and its baseline on the same data in the same run; ratios are the
headline, absolute times hold for this machine only. Benchmarks never fail on time: they write figures.
"""

from __future__ import annotations

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
    write_summary()


def write_summary() -> None:
    lines = ["# Benchmark summary", "", "Figures from `make bench` on this machine; ratios are the headline.", ""]
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text())
        lines += [f"## {path.stem}", "", "```json", json.dumps(data.get("ratios", data), indent=1)[:3000], "```", ""]
    (RESULTS / "SUMMARY.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
