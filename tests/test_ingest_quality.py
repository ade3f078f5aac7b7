"""The data-quality scorecard and the quarantine report, on hand-made returns whose every answer is known."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
import yaml
from openpyxl import load_workbook
from typer.testing import CliRunner

from clearsight import ingest
from clearsight.cli import app
from clearsight.ingest.quality import QUALITY_COLUMNS, scorecard, write_scorecard
from clearsight.warehouse import connect
from submission_builder import FORCE, PERSON_COLUMNS, force_profile, link, offence, person, write_csv, write_return

COUNCIL = "E08000003"  # Manchester, in Greater Manchester Police's area
HOSTILE_SEX = '=HYPERLINK("http://evil.example","fix me")'


def _force_return(root: Path) -> None:
    """Victims V1 (W1) and V2 (declined: NS); suspects S1 (W1), S2 (NR), S3 (blank: NR) and S4, recorded
    as OTHER on the person record but linked as a suspect (NR). Offences: C1 CSA+CSE at a hotel, C2 CSA
    only with no location, C3 neither, C4 quarantined (bad date). Received 5 days after the deadline."""
    force_profile(root)
    suspect = {"role": "SUSPECT", "sex": "Male", "dob": ""}
    write_return(
        root, "2024",
        [person("V1"), person("V2", SDE="NS"), person("S1", **{**suspect, "dob": "05/05/1990"}),
         person("S2", SDE="NR", **suspect), person("S3", SDE="", **suspect),
         person("S4", SDE="NR", **{**suspect, "role": "OTHER"})],
        [offence("C1"), offence("C2", CSE="N", Place=""), offence("C3", CSA="N", CSE="N"),
         offence("C4", From="2024-13-01")],
        [link("C1", "V1"), link("C1", "S1", "SUSPECT", "33"), link("C1", "S2", "SUSPECT", "30"),
         link("C2", "V2"), link("C2", "S3", "SUSPECT", ""), link("C3", "S4", "SUSPECT", "")],
        received="2025-02-05T12:00:00",
    )


def _council_return(root: Path) -> None:
    """A council: one child (victim), referrals R1 (AT_RISK) and R2 (blank: NR), one with a hostile sex."""
    folder = root / COUNCIL
    files = [
        {"pattern": "children*.csv", "table": "person", "format": "csv", "date_format": "%d/%m/%Y",
         "columns": PERSON_COLUMNS, "codes": {"sex": {"Female": "F", "Male": "M"}}},
        {"pattern": "referrals*.csv", "table": "referral", "format": "csv", "date_format": "%d/%m/%Y",
         "columns": {"Ref": "record_id", "Child": "person_record_id", "Date": "referral_date",
                     "CSE": "cse_concern", "Status": "recorded_status"}},
    ]
    folder.mkdir(parents=True)
    (folder / "profile.yaml").write_text(yaml.safe_dump(
        {"submitter_code": COUNCIL, "submitter_type": "COUNCIL", "submitter_name": "Manchester", "files": files}))
    (folder / "2024").mkdir()
    (folder / "2024" / "return.yaml").write_text(yaml.safe_dump(
        {"period_start": "2024-01-01", "period_end": "2024-12-31", "received_at": "2025-01-10T09:00:00"}))
    write_csv(folder / "2024" / "children.csv", [person("K1", Observed=""), person("K2", Sex=HOSTILE_SEX)],
              list(PERSON_COLUMNS))
    write_csv(folder / "2024" / "referrals.csv",
              [{"Ref": "R1", "Child": "K1", "Date": "01/03/2024", "CSE": "Y", "Status": "AT_RISK"},
               {"Ref": "R2", "Child": "K1", "Date": "01/04/2024", "CSE": "N", "Status": ""}],
              ["Ref", "Child", "Date", "CSE", "Status"])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("quality")
    _force_return(root / "subs")
    _council_return(root / "subs")
    ingest.run(root / "subs", root / "w.duckdb")
    return root / "w.duckdb"


def _measures(db: Path, code: str) -> dict[str, tuple[int, int | None, float | None]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r.measure: (r.numerator, r.denominator, r.value) for r in scorecard(con) if r.submitter_code == code}
    finally:
        con.close()


def test_force_completeness_counts_not_recorded_and_not_stated_apart(warehouse: Path) -> None:
    m = _measures(warehouse, FORCE)
    assert m["suspect.ethnicity_self_defined.complete"] == (1, 4, 0.25)
    assert m["suspect.ethnicity_self_defined.not_recorded"] == (3, 4, 0.75)
    assert m["suspect.ethnicity_self_defined.not_stated"] == (0, 4, 0.0)
    assert m["victim.ethnicity_self_defined.complete"] == (1, 2, 0.5)
    assert m["victim.ethnicity_self_defined.not_stated"] == (1, 2, 0.5)
    assert m["victim.ethnicity_self_defined.not_recorded"] == (0, 2, 0.0)
    assert m["suspect.ethnicity_officer_observed.complete"] == (4, 4, 1.0)
    assert m["suspect.date_of_birth_or_age.complete"] == (2, 4, 0.5)  # S1 by birth date, S2 by age at offence
    assert m["suspect.sex.complete"] == (4, 4, 1.0)


def test_force_offence_measures_validity_and_timeliness(warehouse: Path) -> None:
    m = _measures(warehouse, FORCE)
    assert m["offence.cse_flag.use"] == (1, 2, 0.5)
    assert m["offence.location_type.complete"] == (2, 3, 0.6667)
    assert m["offence.location_type.not_recorded"] == (1, 3, 0.3333)
    assert "offence.location_type.not_stated" not in m  # the location list has no NS code
    assert m["submission.validity"] == (15, 16, 0.9375)
    assert m["submission.on_time"] == (0, 1, 0.0)
    assert m["submission.days_late"] == (5, None, 5.0)


def test_council_measures(warehouse: Path) -> None:
    m = _measures(warehouse, COUNCIL)
    assert m["referral.recorded_status.complete"] == (1, 2, 0.5)
    assert m["referral.recorded_status.not_recorded"] == (1, 2, 0.5)
    assert not any("officer_observed" in name for name in m)  # councils do not record it
    assert not any(name.startswith(("suspect.", "offence.")) for name in m)
    assert m["victim.ethnicity_self_defined.complete"] == (1, 1, 1.0)
    assert m["submission.validity"] == (3, 4, 0.75)
    assert m["submission.on_time"] == (1, 1, 1.0)


def test_scorecard_csv_is_tidy(warehouse: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = scorecard(con)
    con.close()
    assert write_scorecard(rows, tmp_path / "q.csv") == len(rows)
    with (tmp_path / "q.csv").open(encoding="utf-8", newline="") as handle:
        read = list(csv.DictReader(handle))
    assert tuple(read[0]) == QUALITY_COLUMNS
    assert {r["submitter_name"] for r in read} == {"Greater Manchester Police", "Manchester"}
    assert len({(r["submitter_code"], r["period"], r["measure"]) for r in read}) == len(read)


def test_quality_command(warehouse: Path, tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "250"})
    result = runner.invoke(app, ["quality", "--db", str(warehouse), "--out", str(tmp_path / "q.csv")])
    assert result.exit_code == 0, result.output
    assert "Greater Manchester Police" in result.stdout and (tmp_path / "q.csv").is_file()
    # each headline column is explained under the table, for an analyst reading it without the docs
    assert "rows valid: share of the return's rows loaded" in result.output
    assert "A blank cell: the measure does not apply" in result.output
    as_json = runner.invoke(app, ["quality", "--db", str(warehouse), "--json"])
    assert as_json.exit_code == 0
    assert {"measure": "offence.cse_flag.use", "value": 0.5}.items() <= next(
        r for r in json.loads(as_json.stdout) if r["measure"] == "offence.cse_flag.use").items()
    connect(tmp_path / "empty.duckdb").close()
    empty = runner.invoke(app, ["quality", "--db", str(tmp_path / "empty.duckdb")])
    assert empty.exit_code == 1 and "no submissions" in str(empty.exception)
    missing = runner.invoke(app, ["quality", "--db", str(tmp_path / "absent.duckdb")])
    assert missing.exit_code == 1 and "no warehouse" in str(missing.exception)


def test_quarantine_report_is_one_row_per_reason_and_formula_safe(warehouse: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "council.csv"
    result = runner.invoke(app, ["quarantine", "--db", str(warehouse), "--submitter", COUNCIL, "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["submitter_code"] for r in rows} == {COUNCIL}
    hostile = next(r for r in rows if r["rule"] == "CODE-UNKNOWN")
    assert (hostile["file"], hostile["row"], hostile["field"]) == (f"{COUNCIL}/2024/children.csv", "2", "sex")
    assert hostile["value"] == "'" + HOSTILE_SEX and hostile["severity"] == "error"
    book = tmp_path / "all.xlsx"
    assert runner.invoke(app, ["quarantine", "--db", str(warehouse), "--out", str(book)]).exit_code == 0
    sheet = load_workbook(book).active
    cells = [cell for line in sheet.iter_rows() for cell in line]
    assert all(cell.data_type != "f" for cell in cells)
    rules = {line[7].value for line in sheet.iter_rows(min_row=2)}
    assert {"CODE-UNKNOWN", "TYPE-DATE"} <= rules  # the council's hostile sex, the force's bad date
    bad = runner.invoke(app, ["quarantine", "--db", str(warehouse), "--out", str(tmp_path / "x.txt")])
    assert bad.exit_code == 1
    nobody = runner.invoke(app, ["quarantine", "--db", str(warehouse), "--submitter", "E23000001",
                                 "--out", str(tmp_path / "n.csv")])
    assert nobody.exit_code == 1
