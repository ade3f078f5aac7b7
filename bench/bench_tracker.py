"""How the tracker's public page, API and Excel export scale with the register, against the start page.

Usage: ``.venv/bin/python bench/bench_tracker.py [--sizes 38,1000] [--repeat 15] [--skip-postgres]``.
In process (FastAPI's test client, no network), on SQLite and, when reachable, PostgreSQL: the register is
seeded, then grown with synthetic recommendations (each with an owner, two status events, a due date and an
escalation), and each page is fetched ``repeat`` times. The baseline is the service's start page (the same
GOV.UK template, no tracker query), fetched in the same run; ratios are the headline. Writes
``bench/results/tracker.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "src"))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from clearsight.service import create_app  # noqa: E402
from clearsight.service.db import transaction  # noqa: E402
from clearsight.service.settings import ServiceSettings  # noqa: E402
from clearsight.service.tracker import register  # noqa: E402
from clearsight.service.tracker.models import Recommendation  # noqa: E402
from clearsight.service.tracker.seed import seed  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "tracker.json"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PAGES = {"start page (baseline)": "/", "public page": "/tracker", "API register": "/api/tracker/recommendations",
         "Excel export": "/tracker/register.xlsx"}
ACTOR = register.Actor("cli:bench", "cli", "admin")


def _grow(app, target: int) -> None:  # noqa: ANN001
    with transaction(app.state.sessions) as session:
        seed(session)
        have = session.scalar(select(func.count()).select_from(Recommendation)) or 0
        for number in range(have, target):
            code = f"BENCH-{number}"
            register.add_recommendation(session, ACTOR, code, f"Synthetic recommendation {number}", "", "bench",
                                        [f"Organisation {number % 40}"])
            register.record_status(session, ACTOR, code, "owner", "accepted", "bench", date(2024, 1, 1))
            register.record_status(session, ACTOR, code, "assessment", "in progress", "bench", date(2025, 1, 1))
            register.set_due(session, ACTOR, code, date(2025, 6, 30), "bench")
            register.escalate(session, ACTOR, code, f"Organisation {number % 40}", "reminder", "bench",
                              date(2025, 7, 1))


def _time(client: TestClient, url: str, repeat: int) -> float:
    client.get(url)  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, (url, answer.status_code)
    return round(statistics.median(times), 1)


def run_engine(database_url: str, sizes: list[int], repeat: int) -> dict:
    app = create_app(ServiceSettings(database_url=database_url))
    found = {}
    try:
        client = TestClient(app)
        for size in sizes:
            _grow(app, size)
            medians = {name: _time(client, url, repeat) for name, url in PAGES.items()}
            base = medians["start page (baseline)"]
            found[str(size)] = {"median_ms": medians,
                                "ratio_to_start_page": {k: round(v / base, 1) for k, v in medians.items()}}
            print(size, found[str(size)], file=sys.stderr)
    finally:
        app.state.engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="38,1000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    sizes = [int(part) for part in args.sizes.split(",")]
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "note": "shared machine: other engineers' jobs ran at the same time"},
               "sizes": sizes, "repeat": args.repeat, "engines": {}}
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as scratch:
        results["engines"]["sqlite"] = run_engine(f"sqlite:///{Path(scratch) / 'bench.db'}", sizes, args.repeat)
    if not args.skip_postgres:
        try:
            import psycopg

            name = f"tracker_bench_{secrets.token_hex(3)}"
            with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            try:
                url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
                results["engines"]["postgresql"] = run_engine(url, sizes, args.repeat)
            finally:
                with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception as error:  # noqa: BLE001 - an unreachable server is reported, not fatal
            results["engines"]["postgresql"] = {"skipped": str(error)[:200]}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
