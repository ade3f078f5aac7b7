"""Ingest against the synthetic generator's truth: it finds exactly the rows made bad on purpose."""

from __future__ import annotations

import csv
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
import pytest

from clearsight import ingest, synth

CASCADES = {"REF-MISSING", "KEY-DUPLICATE"}  # consequences of another bad row, or of a file sent twice


@pytest.fixture(scope="module", params=[11, 3])  # seed 3 sends files twice ("X (copy).csv")
def ingested(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> tuple[Path, ingest.IngestSummary, duckdb.DuckDBPyConnection]:
    out = tmp_path_factory.mktemp("synth")
    synth.run(out, scale="tiny", years=1, seed=request.param)
    summary = ingest.run(out / "submissions", out / "w.duckdb")
    return out, summary, duckdb.connect(str(out / "w.duckdb"), read_only=True)


def test_every_file_adds_up(ingested) -> None:
    _, summary, _ = ingested
    assert summary.returns_loaded == summary.returns_found > 0
    for ret in summary.returns:
        for item in ret["files"]:
            assert item["rejected"] is None, item
            assert item["rows_in"] == item["rows_loaded"] + item["rows_quarantined"]


def test_every_injected_bad_row_is_quarantined_at_its_field(ingested) -> None:
    out, _, con = ingested
    with (out / "truth" / "bad_rows.csv").open() as handle:
        bad = list(csv.DictReader(handle))
    assert bad
    for row in bad:
        fields = con.execute(
            "SELECT list(field) FROM validation_issue WHERE severity = 'error' AND file_name = ? AND row_number = ?",
            [row["file"], int(row["row"])],
        ).fetchone()[0]
        assert fields, f"bad row not quarantined: {row}"
        assert any(row["field"] in (field or "") or row["field"] == "record_id" for field in fields), (row, fields)


def test_nothing_else_is_quarantined_except_cascades(ingested) -> None:
    out, _, con = ingested
    with (out / "truth" / "bad_rows.csv").open() as handle:
        bad = {(row["file"], int(row["row"])) for row in csv.DictReader(handle)}
    quarantined = con.execute(
        "SELECT file_name, row_number, list(DISTINCT rule_code) FROM validation_issue WHERE severity = 'error' "
        "GROUP BY 1, 2"
    ).fetchall()
    unexplained = [(f, r, rules) for f, r, rules in quarantined if (f, r) not in bad and not set(rules) <= CASCADES]
    assert unexplained == []


def test_a_file_sent_twice_loads_from_the_original_and_the_copy_is_quarantined(ingested) -> None:
    out, _, con = ingested
    with (out / "truth" / "returns.csv").open() as handle:
        sent_twice = [row for row in csv.DictReader(handle) if row["duplicate_files"]]
    with (out / "truth" / "bad_rows.csv").open() as handle:
        bad = {(row["file"], int(row["row"])) for row in csv.DictReader(handle)}
    for ret in sent_twice:
        copy = f"{ret['source']}/{ret['label']}/{ret['duplicate_files']}"
        original = copy.replace(" (copy)", "")
        sheets = con.execute(
            "SELECT file_name || coalesce('#' || sheet, ''), rows_in, rows_quarantined FROM submission_file "
            "WHERE file_name = ? AND table_name IS NOT NULL",
            [copy],
        ).fetchall()
        assert sheets and all(rows_in == quarantined for _, rows_in, quarantined in sheets), sheets
        for name, rows_in, _ in sheets:
            messages = con.execute(
                "SELECT DISTINCT message FROM validation_issue WHERE file_name = ? AND rule_code = 'KEY-DUPLICATE'",
                [name],
            ).fetchall()
            assert rows_in == 0 or (messages and all(" of " + original in m for (m,) in messages)), (name, messages)
        repeated = con.execute(
            "SELECT file_name, row_number FROM validation_issue WHERE split_part(file_name, '#', 1) = ? "
            "AND rule_code = 'KEY-DUPLICATE'",
            [original],
        ).fetchall()
        assert all(key in bad for key in repeated), "the original's rows load, bar rows made bad on purpose"
        for table in ("offence", "referral"):
            loaded = f"SELECT count(*) FROM {table} WHERE split_part(file_name, '#', 1) = ?"
            assert con.execute(loaded, [copy]).fetchone()[0] == 0


def test_workbooks_read_in_worker_processes_give_the_same_warehouse_and_vault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from clearsight.ingest import load
    from clearsight.vault import Vault, load_key

    synth.run(tmp_path / "s", scale="tiny", years=1, seed=3)
    contents = []
    working_pool = load._workbook_pool

    def dying_pool() -> ProcessPoolExecutor:
        # workers that die as they start (as one killed for memory would): their workbooks are read in-process
        return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=os._exit,
                                   initargs=(3,))

    for label, threshold, pool in (("pool", 1, working_pool), ("inline", 10**9, working_pool),
                                   ("dying", 1, dying_pool)):
        monkeypatch.setattr(load, "WORKBOOKS_FOR_PROCESSES", threshold)
        monkeypatch.setattr(load, "_workbook_pool", pool)
        db = tmp_path / f"{label}.duckdb"
        summary = ingest.run(tmp_path / "s" / "submissions", db)
        con = duckdb.connect(str(db), read_only=True)
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        rows = {
            t: con.execute(f'SELECT * EXCLUDE (loaded_at) FROM "{t}" ORDER BY ALL').fetchall()
            if t == "submission"
            else con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall()
            for t in tables
        }
        con.close()
        with Vault.open(db, load_key(), read_only=True) as vault:
            names = [r[0] for r in vault.con.execute("SELECT DISTINCT table_name FROM identity").fetchall()]
            sealed = sorted(str(r) for t in names for r in vault.iter_records(t))
        contents.append((summary.returns, rows, sealed))
    assert sum(1 for p in (tmp_path / "s" / "submissions").rglob("*.xlsx")) >= 2
    assert contents[0][1]["person"] and contents[0][2]
    assert contents[0] == contents[1] == contents[2]
    assert "a workbook worker stopped" in caplog.text  # the dying workers' workbooks were read in-process


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="lists processes through /proc")
def test_a_killed_ingest_leaves_no_workbook_worker_behind(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    synth.run(tmp_path / "s", scale="tiny", years=1, seed=3)
    db, submissions = tmp_path / "killed.duckdb", tmp_path / "s" / "submissions"
    script = (
        "from pathlib import Path; from clearsight import ingest; from clearsight.ingest import load; "
        f"load.WORKBOOKS_FOR_PROCESSES = 1; ingest.run(Path({str(submissions)!r}), Path({str(db)!r}))"
    )
    env = {**os.environ, "CLEARSIGHT_FAULT": "after-first-insert"}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}  # a survivor would hold a pipe open
    assert subprocess.run([sys.executable, "-c", script], env=env, **quiet).returncode == -9

    def survivors() -> list[str]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and str(db) in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(entry.name)
            except OSError:
                continue
        return found

    deadline = time.monotonic() + 10
    while survivors() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert survivors() == []
    summary = ingest.run(submissions, db)
    assert summary.returns_loaded == summary.returns_found > 0
