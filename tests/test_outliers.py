"""Outliers: exact funnel-plot limits against peers, exact Poisson limits against a body's own history.

The warehouse is filled directly (a submission row and its offences or persons per return), so each test
states exactly the counts it judges.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime
from math import comb, exp, factorial
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from clearsight.cli import app
from clearsight.ingest.outliers import binomial_limits, find_outliers, funnel_points, poisson_limits
from clearsight.warehouse import connect

FORCES = [f"E23{n:06d}" for n in (1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)]  # 12 real force codes
HIGH, SMALL, FEW_RECORDED = FORCES[0], FORCES[1], FORCES[2]


def _return(con: duckdb.DuckDBPyConnection, code: str, year: int, offences: tuple[int, int] = (0, 0),
            suspects: tuple[int, int] = (0, 0), kind: str = "FORCE") -> None:
    """One current return: ``offences`` = (CSA offences, of which CSE); ``suspects`` = (all, of which NR)."""
    sid = f"{code}-{year}"
    con.execute("INSERT INTO submission VALUES (?, ?, ?, ?, ?, ?, ?, NULL, '1.0.0', ?, 0, 0, 0)",
                [sid, code, kind, str(year), f"{year}-01-01", f"{year}-12-31", datetime(year + 1, 1, 10),
                 datetime(year + 1, 1, 10)])
    con.execute("INSERT INTO offence (submission_id, source, file_name, row_number, record_id, csa_flag, cse_flag) "
                "SELECT ?, ?, 'f', i, 'C' || i, TRUE, i < ? FROM range(?) t(i)", [sid, code, offences[1], offences[0]])
    everyone, not_recorded = suspects
    con.execute("INSERT INTO person (submission_id, source, file_name, row_number, record_id, role, "
                "ethnicity_self_defined) SELECT ?, ?, 'p', i, 'S' || i, 'SUSPECT', "
                "CASE WHEN i < ? THEN 'NR' WHEN i = ? - 1 THEN 'NS' ELSE 'A1' END FROM range(?) t(i)",
                [sid, code, not_recorded, everyone, everyone])


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2024: most forces flag 20 of 100 CSA offences as CSE; HIGH flags 60; SMALL 2 of 5. All record the
    ethnicity of their 10 suspects except FEW_RECORDED, whose 4 suspects are 3 NR."""
    db = tmp_path_factory.mktemp("peers") / "w.duckdb"
    con = connect(db)
    for code in FORCES:
        cse = {HIGH: (100, 60), SMALL: (5, 2)}.get(code, (100, 20))
        _return(con, code, 2024, cse, (4, 3) if code == FEW_RECORDED else (10, 0))
    con.close()
    return db


def _findings(db: Path) -> list:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return find_outliers(con)
    finally:
        con.close()


def test_a_force_far_above_the_national_cse_share_is_flagged_and_one_at_it_is_not(peers: Path) -> None:
    found = {(f.submitter_code, f.measure): f for f in _findings(peers) if f.method == "funnel"}
    high = found[(HIGH, "cse_share_of_csa_offences")]
    assert (high.direction, high.limit_level, high.numerator, high.denominator) == ("above", "99.8%", 60, 100)
    assert high.expected == pytest.approx((60 + 2 + 20 * 10) / 1105, abs=1e-4)
    assert high.lower < high.expected < high.upper < high.value
    assert high.follow_up.startswith("Metropolitan Police Service flagged 60 of its 100 CSA offences")
    assert (SMALL, "cse_share_of_csa_offences") not in found  # 40% of 5 is inside the wide small-force limits
    assert (FORCES[5], "cse_share_of_csa_offences") not in found


def test_a_force_that_rarely_records_suspects_ethnicity_is_flagged_below(peers: Path) -> None:
    found = {(f.submitter_code, f.measure): f for f in _findings(peers) if f.method == "funnel"}
    few = found[(FEW_RECORDED, "suspects_self_defined_ethnicity_recorded")]
    assert (few.direction, few.value, few.limit_level) == ("below", 0.25, "99.8%")
    assert [k for k in found if k[1] == "suspects_self_defined_ethnicity_recorded"] == [
        (FEW_RECORDED, "suspects_self_defined_ethnicity_recorded")]


def test_funnel_limits_widen_as_the_denominator_shrinks(peers: Path) -> None:
    con = duckdb.connect(str(peers), read_only=True)
    points = [p for p in funnel_points(con) if p["measure"] == "cse_share_of_csa_offences"]
    con.close()
    width = {p["denominator"]: (p["limits"]["95%"][1] - p["limits"]["95%"][0]) / p["denominator"] for p in points}
    assert width[5] > width[100]
    assert all(p["limits"]["99.8%"][0] <= p["limits"]["95%"][0] for p in points)


def _binomial_oracle(n: int, p: float, level: float) -> tuple[int, int]:
    """The obvious definition: the smallest counts whose cumulative probability reaches each tail."""
    tail, total, cumulative = (1 - level) / 2, 0.0, []
    for k in range(n + 1):
        total += comb(n, k) * p**k * (1 - p) ** (n - k)
        cumulative.append(total)
    return (next(k for k, c in enumerate(cumulative) if c >= tail - 1e-12),
            next(k for k, c in enumerate(cumulative) if c >= 1 - tail - 1e-12))


def test_exact_limits_match_a_slow_obvious_oracle() -> None:
    rng = random.Random(7)
    for _ in range(200):
        n, p, level = rng.randint(1, 80), rng.uniform(0.01, 0.99), rng.choice([0.95, 0.998])
        assert binomial_limits(n, p, level) == _binomial_oracle(n, p, level)
    for mean in (0.5, 3.0, 12.5, 40.0):
        cumulative = [sum(exp(-mean) * mean**j / factorial(j) for j in range(k + 1)) for k in range(120)]
        expected = (next(k for k, c in enumerate(cumulative) if c >= 0.001 - 1e-12),
                    next(k for k, c in enumerate(cumulative) if c >= 0.999 - 1e-12))
        assert poisson_limits(mean, 0.998) == expected


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SPIKE: 20, 22, 18, then 45. DROP: 20, 22, 18, then 5. STEADY: 20, 22, then 19. NEW: 2024 only."""
    db = tmp_path_factory.mktemp("history") / "w.duckdb"
    con = connect(db)
    series = {FORCES[0]: [20, 22, 18, 45], FORCES[1]: [20, 22, 18, 5], FORCES[2]: [None, 20, 22, 19],
              FORCES[3]: [None, None, None, 30]}
    for code, counts in series.items():
        for year, count in zip(range(2021, 2025), counts, strict=True):
            if count is not None:
                _return(con, code, year, (count, 0))
    con.close()
    return db


def test_a_count_spike_against_three_years_of_history_is_flagged(history: Path) -> None:
    found = [f for f in _findings(history) if f.method == "history" and f.measure == "offences"]
    flagged = {(f.submitter_code, f.period): f for f in found if f.direction in ("above", "below")}
    assert set(flagged) == {(FORCES[0], "2024"), (FORCES[1], "2024")}
    spike, drop = flagged[(FORCES[0], "2024")], flagged[(FORCES[1], "2024")]
    assert (spike.direction, spike.limit_level, spike.expected, spike.value) == ("above", "99.8%", 20.0, 45.0)
    assert spike.upper == poisson_limits(20.0, 0.998)[1] and "2021 to 2023" in spike.follow_up
    assert (drop.direction, drop.limit_level) == ("below", "99.8%")
    no_history = {(f.submitter_code, f.period) for f in found if f.direction == "no history"}
    assert (FORCES[3], "2024") in no_history and (FORCES[2], "2023") in no_history
    assert (FORCES[2], "2024") not in no_history  # two earlier years are enough, and 19 is within limits


def test_outliers_command(peers: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "outliers.csv"
    result = runner.invoke(app, ["outliers", "--db", str(peers), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["submitter_code"], r["direction"]) for r in rows if r["method"] == "funnel"} == {
        (HIGH, "above"), (FEW_RECORDED, "below")}
    as_json = runner.invoke(app, ["outliers", "--db", str(peers), "--json"])
    assert as_json.exit_code == 0 and len(json.loads(as_json.stdout)) == len(rows)
    connect(tmp_path / "empty.duckdb").close()
    assert runner.invoke(app, ["outliers", "--db", str(tmp_path / "empty.duckdb")]).exit_code == 1
