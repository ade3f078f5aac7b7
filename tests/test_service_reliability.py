"""No acknowledged report is lost: 100 reporters on loopback, the server killed with -9 mid-load, restarted.

A reference reaches a reporter only after the commit (SQLite WAL, synchronous=FULL), so every reference a
client received must be in the database after the crash, and the audit chain must still verify.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from clearsight.audit_log import AuditLog
from clearsight.service.db import make_engine
from test_service_support import report_json, two_areas

REPORTS = 100
KILL_AFTER = 35


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(database: Path, port: int, workdir: Path) -> subprocess.Popen:
    env = {**os.environ, "CLEARSIGHT_SECRET_KEY": "reliability-test", "CLEARSIGHT_INTAKE_PER_MINUTE": "100000"}
    server = subprocess.Popen(
        [sys.executable, "-m", "clearsight.cli", "serve", "--database-url", f"sqlite:///{database}",
         "--host", "127.0.0.1", "--port", str(port)], cwd=workdir, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
        if server.poll() is not None:
            raise AssertionError(f"server exited: {server.stderr.read().decode()}")
    server.kill()
    raise AssertionError("server did not start in 20 s")


def test_no_acknowledged_report_is_lost_when_killed(tmp_path: Path) -> None:
    database = tmp_path / "service.db"
    postcode = two_areas()[0][0]
    port = _free_port()
    server = _start(database, port, tmp_path)
    acknowledged: dict[int, str] = {}
    lock = threading.Lock()
    enough = threading.Event()

    def post(number: int) -> None:
        body = report_json(postcode, child_name=f"Child Number{number}")
        try:
            with httpx.Client(timeout=10) as client:
                response = client.post(f"http://127.0.0.1:{port}/api/reports", json=body)
        except httpx.HTTPError:
            return  # no answer: the reporter has no reference, so nothing was promised
        if response.status_code == 201:
            with lock:
                acknowledged[number] = response.json()["reference"]
                if len(acknowledged) >= KILL_AFTER:
                    enough.set()

    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            futures = [pool.submit(post, number) for number in range(REPORTS)]
            enough.wait(timeout=30)
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
            for future in futures:
                future.result()
        assert KILL_AFTER <= len(acknowledged) < REPORTS, "the kill should land mid-load"

        server = _start(database, port, tmp_path)  # restart: WAL recovery on open
        with sqlite3.connect(database) as connection:
            stored = {row[0] for row in connection.execute("SELECT reference FROM mandatory_reports")}
        assert set(acknowledged.values()) <= stored
        engine = make_engine(f"sqlite:///{database}")
        assert AuditLog(engine).verify().ok
        engine.dispose()
        missing = [n for n in range(REPORTS) if n not in acknowledged]
        with ThreadPoolExecutor(max_workers=8) as pool:  # the reporters without a reference try again
            list(pool.map(post, missing))
        assert len(acknowledged) == REPORTS
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=10)
