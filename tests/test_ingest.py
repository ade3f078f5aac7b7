"""Ingest: counts add up, bad rows are quarantined with reasons, resubmissions and re-runs behave."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from clearsight import ingest
from clearsight.ingest.returns import file_order
from submission_builder import FORCE, force_profile, link, offence, person, write_return


def _ingest(root: Path, db: Path) -> ingest.IngestSummary:
    return ingest.run(root, db)


def _good_return(root: Path, label: str = "2024", received: str = "2025-01-20T09:00:00") -> None:
    write_return(
        root,
        label,
        [person("P1"), person("P2", role="SUSPECT", sex="Male", dob="05/05/1990")],
        [offence("C1")],
        [link("C1", "P1"), link("C1", "P2", "SUSPECT", "33")],
        received=received,
    )


def test_counts_add_up_per_file_and_in_warehouse(tmp_path: Path) -> None:
    force_profile(tmp_path / "subs")
    write_return(
        tmp_path / "subs",
        "2024",
        [person("P1"), person("P2", DOB="31/02/2009"), person("P3", Sex="Alien")],
        [offence("C1"), offence("C2", From="2024-13-01")],
        [link("C1", "P1"), link("C1", "P2"), link("C9", "P1"), link("C1", "P1", age="45")],
    )
    summary = _ingest(tmp_path / "subs", tmp_path / "w.duckdb")
    files = summary.returns[0]["files"]
    assert {f["table"] for f in files} == {"person", "offence", "offence_person"}
    for item in files:
        assert item["rows_in"] == item["rows_loaded"] + item["rows_quarantined"]
    by_table = {f["table"]: f for f in files}
    assert (by_table["person"]["rows_loaded"], by_table["person"]["rows_quarantined"]) == (1, 2)
    assert (by_table["offence"]["rows_loaded"], by_table["offence"]["rows_quarantined"]) == (1, 1)
    # C1/P1 loads; C1/P2 refers to a quarantined person; C9 does not exist; the 4th row repeats the key.
    assert (by_table["offence_person"]["rows_loaded"], by_table["offence_person"]["rows_quarantined"]) == (1, 3)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert con.execute("SELECT count(*) FROM person").fetchone()[0] == 1
    assert con.execute("SELECT count(DISTINCT (file_name, row_number)) FROM quarantine_row").fetchone()[0] == 6
    loaded, quarantined, rows_in = con.execute(
        "SELECT rows_loaded, rows_quarantined, rows_in FROM submission"
    ).fetchone()
    assert rows_in == loaded + quarantined == 9


def test_quarantine_names_file_row_field_value_and_rule(tmp_path: Path) -> None:
    force_profile(tmp_path / "subs")
    write_return(tmp_path / "subs", "2024", [person("P1"), person("P2", DOB="31/02/2009")], [offence("C1")], [])
    _ingest(tmp_path / "subs", tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    row = con.execute(
        "SELECT file_name, row_number, field, value, rule_code, message FROM validation_issue "
        "WHERE rule_code = 'TYPE-DATE'"
    ).fetchone()
    assert row[:5] == (f"{FORCE}/2024/persons.csv", 2, "date_of_birth", "31/02/2009", "TYPE-DATE")
    assert "31/02/2009" not in row[5], "the message is for logs: the value stays in its own column"
    raw = con.execute("SELECT raw_row FROM quarantine_row").fetchone()[0]
    assert '"Nominal ID":"P2"' in raw


def test_ingesting_the_same_files_twice_loads_nothing_twice(tmp_path: Path) -> None:
    force_profile(tmp_path / "subs")
    _good_return(tmp_path / "subs")
    first = _ingest(tmp_path / "subs", tmp_path / "w.duckdb")
    second = _ingest(tmp_path / "subs", tmp_path / "w.duckdb")
    assert (first.returns_loaded, second.returns_loaded, second.returns_already_loaded) == (1, 0, 1)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert con.execute("SELECT count(*) FROM person").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM submission").fetchone()[0] == 1


def test_corrected_resubmission_supersedes_and_history_is_kept(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    force_profile(root)
    write_return(root, "2024", [person("P1"), person("P2", DOB="31/02/2009")], [offence("C1")], [link("C1", "P1")])
    write_return(
        root,
        "2024-resubmitted",
        [person("P1"), person("P2", DOB="28/02/2009")],
        [offence("C1")],
        [link("C1", "P1"), link("C1", "P2")],
        received="2025-02-10T12:00:00",
    )
    _ingest(root, tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert con.execute("SELECT count(*) FROM person").fetchone()[0] == 3, "history: both versions are kept"
    current = con.execute("SELECT record_id FROM current_person ORDER BY 1").fetchall()
    assert current == [("P1",), ("P2",)]
    label, superseded_by = con.execute(
        "SELECT return_label, superseded_by FROM submission_current WHERE NOT is_current"
    ).fetchone()
    assert label == "2024" and superseded_by.startswith(f"{FORCE}-2024-resubmitted")


def test_encodings_and_delimiters_are_detected(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    force_profile(root)
    write_return(
        root,
        "2024",
        [person("P1", **{"First Name": "Zoë"}), person("P2", **{"Last Name": "O’Brien"})],
        [offence("C1")],
        [link("C1", "P1")],
        encoding="cp1252",
        delimiter=";",
    )
    summary = _ingest(root, tmp_path / "w.duckdb")
    persons = next(f for f in summary.returns[0]["files"] if f["table"] == "person")
    assert (persons["encoding"], persons["delimiter"]) == ("cp1252", ";")
    from clearsight.vault import Vault

    with Vault.open(tmp_path / "w.duckdb", read_only=True) as vault:
        names = {f"{r['forename']} {r['surname']}" for r in vault.get_persons().to_pylist()}
    assert names == {"Zoë Smith", "Amy O’Brien"}


def test_blank_protected_characteristics_are_recorded_as_not_recorded(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    force_profile(root)
    write_return(root, "2024", [person("P1", SDE="", Disabled="NS")], [offence("C1")], [])
    _ingest(root, tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert con.execute("SELECT ethnicity_self_defined, disability, religion FROM person").fetchone() == (
        "NR",
        "NS",
        "NR",
    )


def test_a_kill_mid_return_leaves_the_warehouse_as_it_was_and_the_next_run_completes(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    force_profile(root)
    _good_return(root)
    db = tmp_path / "w.duckdb"
    script = (
        f"from clearsight import ingest; from pathlib import Path; ingest.run(Path({str(root)!r}), Path({str(db)!r}))"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script], env={**_env(), "CLEARSIGHT_FAULT": "after-first-insert"}, capture_output=True
    )
    assert killed.returncode == -9
    con = duckdb.connect(str(db))
    assert con.execute("SELECT count(*) FROM submission").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM person").fetchone()[0] == 0
    con.close()
    summary = _ingest(root, db)
    assert summary.returns_loaded == 1 and summary.rows_loaded == 5


def _env() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if key != "CLEARSIGHT_FAULT"}


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("persons.csv", b"", "FILE-EMPTY"),
        ("persons.csv", b"\x00\x01\x02\x03binary\x00junk" * 50, "FILE-NOT-TEXT"),
    ],
)
def test_hostile_files_are_rejected_with_a_reason_and_the_rest_still_loads(
    tmp_path: Path, name: str, content: bytes, code: str
) -> None:
    root = tmp_path / "subs"
    force_profile(root)
    folder = write_return(root, "2024", [person("P1")], [offence("C1")], [])
    (folder / name).write_bytes(content)
    summary = _ingest(root, tmp_path / "w.duckdb")
    files = {f["table"]: f for f in summary.returns[0]["files"]}
    assert files["person"]["rejected"].startswith(code)
    assert files["offence"]["rows_loaded"] == 1


def test_unknown_columns_and_unmapped_codes_are_reported_by_name_and_count(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    force_profile(root)
    write_return(
        root, "2024", [person("P1"), person("P2", Sex="Femme"), person("P3", Sex="Femme")], [offence("C1")], []
    )
    folder = root / FORCE / "2024"
    text = (folder / "offences.csv").read_text().splitlines()
    text[0] += ",Officer Notes"
    text[1] += ",see file"
    (folder / "offences.csv").write_text("\n".join(text) + "\n")
    summary = _ingest(root, tmp_path / "w.duckdb")
    files = {f["table"]: f for f in summary.returns[0]["files"]}
    assert files["person"]["unmapped_codes"] == {"sex: Femme": 2}
    assert files["offence"]["unknown_columns"] == ["Officer Notes"]
    assert files["offence"]["rows_loaded"] == 1


def test_a_huge_field_quarantines_its_row_without_crashing(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    force_profile(root)
    write_return(root, "2024", [person("P1"), person("P2", **{"First Name": "A" * 5_000_000})], [offence("C1")], [])
    summary = _ingest(root, tmp_path / "w.duckdb")
    persons = next(f for f in summary.returns[0]["files"] if f["table"] == "person")
    assert (persons["rows_loaded"], persons["rows_quarantined"]) == (1, 1)
    assert persons["rules"] == {"TEXT-TOO-LONG": 1}


def test_a_locked_return_is_not_superseded_until_unlocked(tmp_path: Path) -> None:
    from clearsight.ingest import register

    root = tmp_path / "subs"
    force_profile(root)
    _good_return(root)
    db = tmp_path / "w.duckdb"
    _ingest(root, db)
    con = duckdb.connect(str(db))
    register.sign_off(con, FORCE, "2024-01-01", "2024-12-31", by="analyst")
    register.lock(con, FORCE, "2024-01-01", "2024-12-31", by="auditor")
    con.close()
    write_return(root, "2024-corrected", [person("P1")], [offence("C1")], [], received="2025-03-01T09:00:00")
    refused = _ingest(root, db)
    assert refused.returns_refused_locked == 1 and refused.rows_loaded == 0
    assert any("locked" in problem for problem in refused.problems)


def test_a_file_sent_twice_loads_the_original_and_quarantines_the_copy(tmp_path: Path) -> None:
    force_profile(tmp_path / "subs")
    folder = write_return(tmp_path / "subs", "2024", [person("P1")], [offence("C1"), offence("C2")], [link("C1", "P1")])
    # "offences (copy).csv" sorts before "offences.csv" as plain text (a space before a dot)
    (folder / "offences (copy).csv").write_bytes((folder / "offences.csv").read_bytes())
    summary = _ingest(tmp_path / "subs", tmp_path / "w.duckdb")
    by_file = {f["file"]: f for f in summary.returns[0]["files"]}
    original, copy = by_file[f"{FORCE}/2024/offences.csv"], by_file[f"{FORCE}/2024/offences (copy).csv"]
    assert (original["rows_loaded"], original["rows_quarantined"]) == (2, 0)
    assert (copy["rows_loaded"], copy["rows_quarantined"]) == (0, 2)
    assert copy["rules"] == {"KEY-DUPLICATE": 2}
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert con.execute("SELECT list(DISTINCT file_name) FROM offence").fetchone()[0] == [f"{FORCE}/2024/offences.csv"]
    messages = con.execute(
        "SELECT message FROM validation_issue WHERE rule_code = 'KEY-DUPLICATE' ORDER BY row_number"
    ).fetchall()
    assert messages == [(f"the same record as row {n} of {FORCE}/2024/offences.csv",) for n in (1, 2)]
    assert con.execute("SELECT file_name, message FROM file_issue WHERE issue_code = 'FILE-DUPLICATE'").fetchall() == [
        (
            f"{FORCE}/2024/offences (copy).csv",
            f"a copy of {FORCE}/2024/offences.csv (the same bytes), sent twice: the rows of "
            f"{FORCE}/2024/offences.csv are loaded and each row of this copy is quarantined as KEY-DUPLICATE",
        )
    ]


def test_files_of_a_return_are_read_in_natural_order_with_each_copy_after_its_original() -> None:
    names = ["offences_10.csv", "offences_2 (copy).csv", "Copy of offences_2.csv", "offences_2.csv", "links.csv"]
    ordered = sorted(names, key=file_order)
    assert ordered[:2] == ["links.csv", "offences_2.csv"]
    assert set(ordered[2:4]) == {"offences_2 (copy).csv", "Copy of offences_2.csv"}
    assert ordered[4] == "offences_10.csv"


def test_the_ingest_command_lists_only_files_that_need_attention_and_says_why(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from clearsight.cli import app

    force_profile(tmp_path / "subs")
    folder = write_return(tmp_path / "subs", "2024", [person("P1")], [offence("C1")], [link("C1", "P1")])
    (folder / "offences (copy).csv").write_bytes((folder / "offences.csv").read_bytes())
    done = CliRunner().invoke(
        app, ["ingest", str(tmp_path / "subs"), "--db", str(tmp_path / "w.duckdb")], env={"COLUMNS": "400"}
    )
    assert done.exit_code == 0, done.output
    assert "Files that need attention: 1 of 4 files and sheets" in done.output
    assert f"a copy of {FORCE}/2024/offences.csv, sent twice" in done.output
    assert "KEY-DUPLICATE: 1" in done.output
    assert "persons.csv" not in done.output, "a file that loaded in full is not listed"
    assert "clearsight quarantine --db" in done.output
    assert "rows: 4 in = 3 loaded + 1 quarantined" in done.output
