"""Networks on synthetic data with a known truth: groups recovered, re-runs identical, the CLI's contract."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from clearsight import ingest, link, networks
from clearsight.cli import app
from clearsight.networks import store
from clearsight.networks.evaluate import evaluate
from clearsight.synth import run as synth_run

runner = CliRunner()


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("networks-synth")
    synth_run(root / "synth", scale="tiny", years=1, seed=1)
    db = root / "w.duckdb"
    ingest.run(root / "synth" / "submissions", db)
    link.run(db)
    return db, root / "synth" / "truth"


def _query_one(db: Path, sql: str) -> object:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


def _tables(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in store.OUTPUT_TABLES}
    finally:
        con.close()


def test_groups_match_the_planted_ones(linked: tuple[Path, Path], tmp_path: Path) -> None:
    db, truth = linked
    out = tmp_path / "GROUPS.csv"
    result = runner.invoke(app, ["networks", "--db", str(db), "--export", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["groups"] > 0 and summary["nodes"] > 100
    with open(out, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    metrics = evaluate(rows, truth / "groups.csv", truth / "persons.csv")
    assert metrics.true_groups >= 2
    assert metrics.correspondence >= 0.9, metrics
    assert metrics.recovery >= 0.6, metrics


def test_a_rerun_writes_identical_tables(linked: tuple[Path, Path]) -> None:
    db, _ = linked
    networks.run(db)
    first = _tables(db)
    networks.run(db)
    assert _tables(db) == first


def test_every_edge_names_its_strength_and_evidence(linked: tuple[Path, Path]) -> None:
    db, _ = linked
    networks.run(db)
    con = duckdb.connect(str(db), read_only=True)
    bad = con.execute("SELECT count(*) FROM network_edge WHERE strength NOT IN ('confirmed', 'tentative', "
                      "'unconfirmed') OR evidence_count < 1 OR len(evidence_records) < 1 OR person_a >= person_b"
                      ).fetchall()[0][0]
    confirmed_types = {r[0] for r in con.execute("SELECT DISTINCT edge_type FROM network_edge "
                                                  "WHERE strength = 'confirmed'").fetchall()}
    con.close()
    assert bad == 0
    assert _query_one(db, "SELECT count(*) = count(DISTINCT group_id) FROM offender_group")
    assert confirmed_types <= {"co_suspect", "offended_against"}
