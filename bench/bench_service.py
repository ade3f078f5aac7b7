"""Latency (p50, p99) and throughput of mandatory report intake on SQLite and PostgreSQL, over loopback.

Usage: ``.venv/bin/python bench/bench_service.py [--requests 400] [--concurrency 16] [--skip-postgres]``.
Starts ``clearsight serve`` as a child process on a free loopback port for each engine (a fresh SQLite file;
a fresh PostgreSQL database on 127.0.0.1:5432, dropped afterwards), posts reports from a bounded thread pool,
and writes ``bench/results/service.json``. Every request is a durable commit plus an audit-log append.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

RESULTS = Path(__file__).parent / "results" / "service.json"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _body(number: int) -> dict:
    return {"reporter_name": "Bench Reporter", "reporter_role": "Teacher", "reporter_organisation": "School",
            "reporter_setting": "school", "child_name": f"Bench Child{number}", "child_age": 12,
            "child_postcode": "AL2 1AB", "concern_type": "disclosed", "what_happened": "Benchmark report.",
            "became_known_on": "2025-01-01", "immediate_danger": False}


def run_case(database_url: str, requests: int, concurrency: int, workdir: Path) -> dict:
    port = _free_port()
    env = {**os.environ, "CLEARSIGHT_SECRET_KEY": "bench", "CLEARSIGHT_INTAKE_PER_MINUTE": "1000000"}
    server = subprocess.Popen([sys.executable, "-m", "clearsight.cli", "serve", "--database-url", database_url,
                               "--port", str(port)], cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        latencies: list[float] = []
        failures = 0
        local = threading.local()

        def post(number: int) -> None:
            nonlocal failures
            if not hasattr(local, "client"):  # one keep-alive client per thread: building one costs ~15 ms
                local.client = httpx.Client(timeout=30)
            start = time.perf_counter()
            response = local.client.post(f"{base}/api/reports", json=_body(number))
            latencies.append(time.perf_counter() - start)
            failures += response.status_code != 201

        with ThreadPoolExecutor(concurrency) as pool:  # warm-up
            list(pool.map(post, range(concurrency)))
        latencies.clear()
        wall = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(post, range(requests)))
        wall = time.perf_counter() - wall
    finally:
        server.terminate()
        server.wait(timeout=10)
    ordered = sorted(latencies)
    return {"requests": requests, "concurrency": concurrency, "failures": failures,
            "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
            "requests_per_s": round(requests / wall, 1), "wall_s": round(wall, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "cases": {}}
    with tempfile.TemporaryDirectory() as work:
        workdir = Path(work)
        results["cases"]["sqlite"] = run_case(f"sqlite:///{workdir / 'bench.db'}", args.requests, args.concurrency,
                                              workdir)
        print("sqlite", results["cases"]["sqlite"])
        if not args.skip_postgres:
            import psycopg

            name = f"clearsight_bench_{secrets.token_hex(3)}"
            try:
                with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
                    admin.execute(f'CREATE DATABASE "{name}"')
            except psycopg.OperationalError as error:
                print(f"postgresql skipped: {error}")
            else:
                try:
                    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
                    results["cases"]["postgresql"] = run_case(url, args.requests, args.concurrency, workdir)
                    print("postgresql", results["cases"]["postgresql"])
                finally:
                    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
