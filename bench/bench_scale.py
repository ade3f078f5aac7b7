"""How each step of the audit grows from 'area' to 'national' x 10 years, and what the Spark engine costs here.

Usage: python bench/bench_scale.py [--scales area national:1 national:10] [--spark area] [--out FILE] [--keep DIR]
       [--relink] [--merge]
Writes bench/results/scale.json. Each step runs as its own ``clearsight`` process, so that its wall time and
its peak memory (the child's ru_maxrss, from wait4) are its own: synth, ingest, link, networks, flags,
report (no PDF: WeasyPrint's time is layout, not data). ``--spark SCALE`` also links a copy of that scale's
warehouse with ``--engine spark`` using the model the DuckDB run trained, then runs networks, flags and the
report on that copy with ``--engine spark``, so that the two engines do the same work (and says whether their tables
are identical); on one 2-core machine Spark's local mode pays for its JVM and shuffles and is not expected to
win: the figure says what the scale-out path costs before a cluster pays it back (docs/scale.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
KEY = "YmVuY2htYXJrLWtleS1ub3QtZm9yLXJlYWwtZGF0YSE="  # synthetic data only
BASIS = "UK GDPR 6(1)(e), 9(2)(g); synthetic benchmark data"


STEP_LOG: Path | None = None
"""Where each finished step is also written at once as a JSON line (``--out`` with ``.steps.jsonl``): a run
of an hour or more that is stopped part way keeps what it measured."""


def _step(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run one clearsight command; its seconds, peak resident memory (MiB) and the machine's load around it."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "clearsight.cli", *args], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    error = process.stderr.read().decode(errors="replace")[-2000:] if process.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"clearsight {' '.join(args)} exited {code}: {error}")
    figures = {"seconds": round(seconds, 2), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
               "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
               "load_1min_before_after": [round(load_before, 1), round(os.getloadavg()[0], 1)]}
    if STEP_LOG is not None:
        with STEP_LOG.open("a") as log:
            log.write(json.dumps({"args": args, **figures,
                                  "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}) + "\n")
    return figures


def _record_legal_bases(db: Path) -> None:
    """The synthetic sources' legal basis, recorded in one process (linkage refuses a source without one)."""
    from clearsight.link import legal_basis
    from clearsight.warehouse import connect

    con = connect(db)
    try:
        for (source,) in con.execute("SELECT DISTINCT source FROM current_person ORDER BY 1").fetchall():
            legal_basis.record(con, source, BASIS, "benchmark", "")
    finally:
        con.close()


def _same_results(db: Path, copy: Path) -> dict[str, float]:
    """1.0 for each table (persons, networks, flags, the report's tables) identical on both engines, else 0.0."""
    import duckdb

    same: dict[str, float] = {}
    selects = {"person_link": "SELECT source, submission_id, record_id, person_id FROM person_link",  # not run_id
               "network_edge": "SELECT * FROM network_edge", "offender_group_member": "SELECT * FROM "
               "offender_group_member", "harm_flag": "SELECT * FROM harm_flag"}
    for table, sql in selects.items():
        rows = []
        for path in (db, copy):
            con = duckdb.connect(str(path), read_only=True)
            try:
                rows.append(sorted(map(repr, con.execute(sql).fetchall())))
            finally:
                con.close()
        same[table] = float(rows[0] == rows[1])
    tables = sorted((db.parent / "report" / "tables").glob("*.csv"))
    same["report_tables"] = float(bool(tables) and all(
        (copy.parent / "report" / "tables" / path.name).read_text() == path.read_text() for path in tables))
    return same


def run_scale(scale: str, years: int, scratch: Path, env: dict[str, str], spark: bool,
              previous: dict[str, object] | None = None) -> dict[str, object]:
    """Every step of the audit at one scale. With ``previous`` (that scale's entry from an earlier run whose
    folder was kept) synth and ingest are not run again: their figures are carried over, marked as such, and
    linkage retrains (the case this is for: a new linkage model measured on the same warehouse)."""
    folder = scratch / f"{scale}-{years}"
    db = folder / "w.duckdb"
    steps: dict[str, dict[str, float]] = {}  # each step's seconds and peak memory (and the engines' agreement)
    if previous is None:
        steps["synth"] = _step(["synth", str(folder / "synth"), "--scale", scale, "--years", str(years),
                                "--seed", "1"], env)
        steps["ingest"] = _step(["ingest", str(folder / "synth" / "submissions"), "--db", str(db)], env)
        _record_legal_bases(db)
    else:
        for name in ("synth", "ingest"):
            steps[name] = {**previous["steps"][name], "carried_over_from": previous.get("measured", "earlier run")}
    if spark:
        copy = folder / "spark" / "w.duckdb"
        copy.parent.mkdir()
        for path in (db, db.with_name("w.vault.duckdb")):
            shutil.copy(path, copy.parent / path.name)
    steps["link"] = _step(["link", "--db", str(db), *(["--retrain"] if previous is not None else [])], env)
    if spark:
        shutil.copytree(db.with_name("w.link-model"), copy.with_name("w.link-model"))
        steps["link_spark_local"] = _step(["link", "--db", str(copy), "--engine", "spark"], env)
    steps["networks"] = _step(["networks", "--db", str(db)], env)
    steps["flags"] = _step(["flags", "--db", str(db)], env)
    if spark:  # the Spark copy, linked the same way, then the graph and the rules on Spark
        steps["networks_spark_local"] = _step(["networks", "--db", str(copy), "--engine", "spark"], env)
        steps["flags_spark_local"] = _step(["flags", "--db", str(copy), "--engine", "spark"], env)
    steps["report"] = _step(["report", "--db", str(db), "--out", str(folder / "report"), "--no-pdf"], env)
    if spark:
        steps["report_spark_local"] = _step(["report", "--db", str(copy), "--out", str(copy.parent / "report"),
                                             "--no-pdf", "--engine", "spark"], env)
        steps["same_results_on_both_engines"] = _same_results(db, copy)
    audit = {name: figures for name, figures in steps.items()
             if name in ("ingest", "link", "networks", "flags", "report")}
    return {
        "scale": scale, "years": years, "steps": steps,
        "audit_seconds": round(sum(f["seconds"] for f in audit.values()), 1),
        "audit_peak_rss_mib": max(f["peak_rss_mib"] for f in audit.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["area", "national:1"],
                        help="SCALE[:YEARS] to run, smallest first (add national:10 for the ten-year run)")
    parser.add_argument("--spark", nargs="*", default=[], help="scales whose linkage is also run on Spark")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "scale.json")
    parser.add_argument("--keep", type=Path, default=None,
                        help="work in this folder and keep it (warehouses, reports) instead of a temporary one")
    parser.add_argument("--relink", action="store_true",
                        help="with --keep and --out from an earlier run: reuse its synth and ingest, retrain linkage "
                             "and run the later steps again")
    parser.add_argument("--merge", action="store_true",
                        help="keep the other scales already in --out (each entry says when it was measured)")
    args = parser.parse_args()
    if args.relink and not (args.keep and args.out.is_file()):
        parser.error("--relink needs --keep (the earlier run's folder) and --out (its figures)")
    env = {**os.environ, "CLEARSIGHT_VAULT_KEY": os.environ.get("CLEARSIGHT_VAULT_KEY", KEY)}
    global STEP_LOG
    STEP_LOG = args.out.with_suffix(".steps.jsonl")
    results = []
    with tempfile.TemporaryDirectory(prefix="clearsight-scale-") as temporary:
        scratch = args.keep or Path(temporary)
        scratch.mkdir(parents=True, exist_ok=True)
        for item in args.scales:
            scale, _, years = item.partition(":")
            print(f"scale {scale} x {years or 1} year(s)", file=sys.stderr)
            previous = None
            if args.relink:
                earlier = json.loads(args.out.read_text())["results"]
                previous = next(r for r in earlier if r["scale"] == scale and r["years"] == int(years or 1))
            result = run_scale(scale, int(years or 1), scratch, env, item in args.spark, previous)
            result["measured"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            results.append(result)
    if args.merge and args.out.is_file():
        ran = {(r["scale"], r["years"]) for r in results}
        kept = [r for r in json.loads(args.out.read_text())["results"] if (r["scale"], r["years"]) not in ran]
        results = sorted(kept + results, key=lambda r: (r["scale"] != "area", r["years"]))
    base = results[0]
    for result in results:
        result["growth_vs_first"] = {
            name: round(figures["seconds"] / max(base["steps"][name]["seconds"], 0.01), 1)
            for name, figures in result["steps"].items() if name in base["steps"] and "seconds" in figures}
    payload = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
               "note": "each step a separate process; peak_rss_mib is that process's own; the machine may have "
                       "been shared with other work (ratios and growth are the headline)",
               "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
