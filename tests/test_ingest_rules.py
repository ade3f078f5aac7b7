"""Every rule in the ingest catalogue has its own test: a minimal return that breaks it, and only it."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
import yaml

from clearsight import ingest
from clearsight.ingest.profile import FileMapping
from clearsight.ingest.readers import FileRejected, read_file
from clearsight.ingest.rules import catalogue
from clearsight.standard import FieldType, Table, load_standard

STANDARD = load_standard()
FORCE, COUNCIL = "E23000005", "E08000025"
TABLE_FILES = {
    "force": ["person", "offence", "offence_person", "missing_episode"],
    "council": ["person", "referral", "placement"],
}


def valid_row(table: Table, record_id: str = "R1") -> dict[str, str]:
    """A row of standard values that breaks no rule (dates ISO; codes the list's first code)."""
    row: dict[str, str] = {}
    for spec in table.fields:
        if spec.type in (FieldType.code, FieldType.codes):
            row[spec.name] = STANDARD.codelist(spec.codelist).codes[0].code if spec.required else ""
        elif spec.type == FieldType.boolean:
            row[spec.name] = "true" if spec.required else ""
        elif spec.type == FieldType.date:
            row[spec.name] = "2024-03-01" if spec.required else ""
        elif spec.type == FieldType.datetime:
            row[spec.name] = "2024-03-01 10:00:00" if spec.required else ""
        else:
            row[spec.name] = "x" if spec.required else ""
    for key in ("record_id", "person_record_id"):
        if key in row:
            row[key] = record_id if key == "record_id" else "P1"
    if table.name == "person":
        row.update(record_id="P1", forename="Amy", date_of_birth="2010-01-01")
    if table.name == "offence":
        row.update(record_id="C1", csa_flag="true", cse_flag="false", outcome_type="PENDING")
    if table.name == "offence_person":
        row.update(offence_record_id="C1", person_record_id="P1", role="VICTIM", age_at_offence="14")
    return row


def write_return(root: Path, kind: str, tables: dict[str, list[dict[str, str]]], **mapping_options: object) -> Path:
    """A submitter whose profile maps standard names to themselves, with one CSV per table."""
    code = FORCE if kind == "force" else COUNCIL
    files = []
    for name in TABLE_FILES[kind]:
        table = STANDARD.table(name)
        entry = {
            "pattern": f"{name}.csv" if name != "person" else "person*.csv",
            "table": name,
            "format": "csv",
            "columns": {f: f for f in table.field_names()},
            **mapping_options,
        }
        files.append(entry)
    profile = {"submitter_code": code, "submitter_type": kind.upper(), "submitter_name": "Test", "files": files}
    (root / code).mkdir(parents=True, exist_ok=True)
    (root / code / "profile.yaml").write_text(yaml.safe_dump(profile))
    folder = root / code / "2024"
    folder.mkdir(exist_ok=True)
    info = {"period_start": "2024-01-01", "period_end": "2024-12-31", "received_at": "2025-01-20T09:00:00"}
    (folder / "return.yaml").write_text(yaml.safe_dump(info))
    for name, rows in tables.items():
        columns = STANDARD.table(name).field_names()
        with (folder / f"{name}.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    return folder


def base(kind: str = "force", **changes: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    """One valid row per table of a force's (or council's) return, with changes applied per table."""
    tables = {name: [valid_row(STANDARD.table(name))] for name in TABLE_FILES[kind]}
    for name, change in changes.items():
        tables[name][0].update(change)
    return tables


# rule code -> (kind, tables, expected file-name fragment) for field, row and reference rules
ROW_CASES: dict[str, tuple[str, dict[str, list[dict[str, str]]]]] = {
    "FIELD-REQUIRED": ("force", base(offence={"ho_code": ""})),
    "TYPE-INTEGER": ("force", base(offence_person={"age_at_offence": "fourteen"})),
    "TYPE-NUMBER": ("force", base(offence={"sentence_months": "ten"})),
    "TYPE-DATE": ("force", base(offence={"committed_from": "2024-02-30"})),
    "TYPE-DATETIME": ("force", base(missing_episode={"start_datetime": "last night"})),
    "TYPE-BOOLEAN": ("force", base(offence={"cse_flag": "maybe"})),
    "CODE-UNKNOWN": ("force", base(offence={"ho_code": "ZZZ"})),
    "VALUE-BELOW-MINIMUM": ("force", base(person={"age_years": "-1"})),
    "VALUE-ABOVE-MAXIMUM": ("force", base(person={"age_years": "130"})),
    "TEXT-TOO-LONG": ("force", base(person={"forename": "A" * 101})),
    "TEXT-PATTERN": ("force", base(offence={"record_id": "C\x011"}, offence_person={"offence_record_id": "C\x011"})),
    "DATE-IN-FUTURE": ("force", base(offence={"recorded_date": "2025-06-01"})),
    "REF-MISSING": ("force", base(offence_person={"offence_record_id": "C404"})),
    "PER-DOB-OR-AGE": ("force", base(person={"date_of_birth": "", "age_years": ""})),
    "PER-NAME-MISSING": ("force", base(person={"forename": "", "surname": ""})),
    "OFF-DATE-ORDER": ("force", base(offence={"committed_to": "2024-01-01"})),
    "OFF-RECORDED-BEFORE-COMMITTED": ("force", base(offence={"recorded_date": "2024-02-01"})),
    "OFF-OUTCOME-BEFORE-RECORDED": ("force", base(offence={"outcome_date": "2024-02-01"})),
    "OFF-CSE-NOT-CSA": ("force", base(offence={"cse_flag": "true", "csa_flag": "false"})),
    "OFF-SENTENCE-WITHOUT-CHARGE": ("force", base(offence={"sentence_type": "FINE"})),
    "OFF-GROOMING-WITHOUT-SENTENCE": ("force", base(offence={"grooming_aggravating_factor": "Y"})),
    "OFP-VICTIM-NOT-CHILD": ("force", base(offence_person={"age_at_offence": "45"})),
    "OFP-ROLE": ("force", base(offence_person={"role": "OTHER"})),
    "MIS-END-BEFORE-START": ("force", base(missing_episode={"end_datetime": "2024-02-01 10:00:00"})),
    "REF-ASSESSMENT-BEFORE-REFERRAL": ("council", base("council", referral={"assessment_date": "2024-01-01"})),
    "PLC-END-BEFORE-START": ("council", base("council", placement={"end_date": "2024-01-01"})),
}


def _issues(root: Path, db: Path) -> tuple[ingest.IngestSummary, duckdb.DuckDBPyConnection]:
    summary = ingest.run(root, db)
    return summary, duckdb.connect(str(db))


def test_valid_returns_break_no_rule(tmp_path: Path) -> None:
    for kind in ("force", "council"):
        write_return(tmp_path / "subs", kind, base(kind))
    summary, con = _issues(tmp_path / "subs", tmp_path / "w.duckdb")
    assert con.execute("SELECT rule_code FROM validation_issue").fetchall() == []
    assert summary.rows_quarantined == 0 and summary.rows_loaded == summary.rows_in == 7


@pytest.mark.parametrize("code", sorted(ROW_CASES))
def test_each_row_rule_fires_on_its_case(tmp_path: Path, code: str) -> None:
    kind, tables = ROW_CASES[code]
    write_return(tmp_path / "subs", kind, tables)
    summary, con = _issues(tmp_path / "subs", tmp_path / "w.duckdb")
    fired = {r[0] for r in con.execute("SELECT rule_code FROM validation_issue").fetchall()}
    assert code in fired
    severity = next(rule.severity for rule in catalogue() if rule.code == code)
    if severity == "warning":
        assert summary.rows_quarantined == 0, "a warning loads the row"
    else:
        assert summary.rows_quarantined >= 1
    assert summary.rows_in == summary.rows_loaded + summary.rows_quarantined


def _zip_bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 * 1024 * 1024))


def _mapping(fmt: str, **options: object) -> FileMapping:
    return FileMapping(pattern="*", table="person", format=fmt, columns={"record_id": "record_id"}, **options)


FILE_CASES: dict[str, Callable[[Path], tuple[Path, FileMapping]]] = {
    "FILE-MISSING": lambda d: (d / "absent.csv", _mapping("csv")),
    "FILE-EMPTY": lambda d: (_write(d / "e.csv", b""), _mapping("csv")),
    "FILE-NOT-TEXT": lambda d: (_write(d / "b.csv", b"\x00\xff" * 100), _mapping("csv")),
    "FILE-ENCODING": lambda d: (_write(d / "a.csv", b"record_id\nP1\n"), _mapping("csv", encoding="klingon")),
    "FILE-NO-HEADER": lambda d: (_write(d / "a.csv", b"record_id\nP1\n"), _mapping("csv", header_row=9)),
    "FILE-UNREADABLE": lambda d: (
        _write(d / "a.csv", "record_id\nZoë\n".encode("cp1252")),
        _mapping("csv", encoding="utf-8"),
    ),
    "FILE-NOT-XLSX": lambda d: (_write(d / "a.xlsx", b"record_id\nP1\n"), _mapping("xlsx", sheet="Data")),
    "FILE-ZIP-BOMB": lambda d: (_bomb(d / "bomb.xlsx"), _mapping("xlsx", sheet="Data")),
    "FILE-NO-SHEET": lambda d: (_workbook(d / "w.xlsx"), _mapping("xlsx", sheet="Missing")),
    "FILE-NOT-JSON": lambda d: (_write(d / "a.json", b"{not json"), _mapping("json")),
    "FILE-NOT-PARQUET": lambda d: (_write(d / "a.parquet", b"PAR1 not really"), _mapping("parquet")),
}


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _bomb(path: Path) -> Path:
    _zip_bomb(path)
    return path


def _workbook(path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Data"
    book.active.append(["record_id"])
    book.save(path)
    return path


@pytest.mark.parametrize("code", sorted(FILE_CASES))
def test_each_file_rule_rejects_its_case_with_a_reason(tmp_path: Path, code: str) -> None:
    path, mapping = FILE_CASES[code](tmp_path)
    with pytest.raises(FileRejected) as caught:
        read_file(path, mapping)
    assert caught.value.code == code and caught.value.message


def test_return_level_rules(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    folder = write_return(root, "force", base())
    (folder / "notes.txt").write_text("not data")  # FILE-UNMAPPED
    (folder / "person_copy.csv").write_bytes((folder / "person.csv").read_bytes())  # FILE-DUPLICATE, KEY-DUPLICATE
    text = (folder / "offence.csv").read_text().splitlines()
    text[0] += ",Officer notes"  # COLUMN-UNKNOWN
    text[1] += ",n/a"
    text.append(text[1] + ",one too many")  # ROW-MALFORMED
    (folder / "offence.csv").write_text("\n".join(text) + "\n")
    lines = (folder / "offence_person.csv").read_text().splitlines()
    header = lines[0].split(",")
    keep = [i for i, name in enumerate(header) if name != "role"]  # COLUMN-MISSING (role is required)
    (folder / "offence_person.csv").write_text(
        "\n".join(",".join(line.split(",")[i] for i in keep) for line in lines) + "\n"
    )
    text = (folder / "missing_episode.csv").read_text().splitlines()
    # CODE-UNMAPPED: a local code no profile maps
    text[1] = text[1].replace(",Y,", ",Yes please,", 1) if ",Y," in text[1] else text[1]
    (folder / "missing_episode.csv").write_text("\n".join(text) + "\n")
    (root / FORCE / "2023").mkdir()
    (root / FORCE / "2023" / "return.yaml").write_text(
        "period_start: 2023-12-31\nperiod_end: 2023-01-01\nreceived_at: 2024-01-20T09:00:00\n"
    )
    summary, con = _issues(root, tmp_path / "w.duckdb")
    file_codes = {r[0] for r in con.execute("SELECT issue_code FROM file_issue").fetchall()}
    row_codes = {r[0] for r in con.execute("SELECT rule_code FROM validation_issue").fetchall()}
    assert {"FILE-UNMAPPED", "FILE-DUPLICATE", "COLUMN-UNKNOWN", "COLUMN-MISSING"} <= file_codes
    assert {"KEY-DUPLICATE", "ROW-MALFORMED", "FIELD-REQUIRED"} <= row_codes
    assert any("SUB-PERIOD-ORDER" in problem for problem in summary.problems)
    for ret in summary.returns:
        for item in ret["files"]:
            assert item["rows_in"] == item["rows_loaded"] + item["rows_quarantined"]


def test_code_unmapped_is_reported_per_code_with_its_count(tmp_path: Path) -> None:
    tables = base(person={"sex": "Femme"})
    tables["person"].append({**tables["person"][0], "record_id": "P2"})
    write_return(tmp_path / "subs", "force", tables)
    _, con = _issues(tmp_path / "subs", tmp_path / "w.duckdb")
    assert con.execute("SELECT subject, occurrences FROM file_issue WHERE issue_code = 'CODE-UNMAPPED'").fetchall() == [
        ("sex: Femme", 2)
    ]


def test_every_catalogue_rule_has_a_test() -> None:
    tested = (
        set(ROW_CASES)
        | set(FILE_CASES)
        | {
            "FILE-UNMAPPED",
            "FILE-DUPLICATE",
            "COLUMN-UNKNOWN",
            "COLUMN-MISSING",
            "CODE-UNMAPPED",
            "KEY-DUPLICATE",
            "ROW-MALFORMED",
            "SUB-PERIOD-ORDER",
        }
    )
    assert {rule.code for rule in catalogue()} == tested


def test_catalogue_codes_are_unique_and_messages_plain() -> None:
    rules = catalogue()
    assert len({r.code for r in rules}) == len(rules)
    assert all(r.message and r.message[0].isupper() and r.message.endswith(".") for r in rules)


def test_excel_with_title_rows_and_several_sheets_json_and_parquet_all_load(tmp_path: Path) -> None:
    import json

    import openpyxl
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path / "subs"
    folder = write_return(root, "force", {})
    person_fields = STANDARD.table("person").field_names()
    offence_fields = STANDARD.table("offence").field_names()
    book = openpyxl.Workbook()
    people = book.active
    people.title = "Persons"
    people.append(["Test Police: persons return"])
    people.append(["Period 2024"])
    people.append(person_fields)
    people.append([valid_row(STANDARD.table("person")).get(f) or None for f in person_fields])
    offences = book.create_sheet("Crimes")
    offences.append(["Crimes, 2024"])
    offences.append(offence_fields)
    row = valid_row(STANDARD.table("offence"))
    offences.append(
        [
            __import__("datetime").date(2024, 3, 1)
            if f in ("committed_from", "recorded_date")
            else (True if row[f] == "true" else False if row[f] == "false" else row[f] or None)
            for f in offence_fields
        ]
    )
    book.save(folder / "return.xlsx")
    link = valid_row(STANDARD.table("offence_person"))
    (folder / "links.json").write_text(json.dumps([link]))
    episode = valid_row(STANDARD.table("missing_episode"), "M1")
    pq.write_table(pa.table({k: [v] for k, v in episode.items()}), folder / "missing.parquet")
    profile_path = root / FORCE / "profile.yaml"
    profile = yaml.safe_load(profile_path.read_text())
    same = {name: {f: f for f in STANDARD.table(name).field_names()} for name in TABLE_FILES["force"]}
    profile["files"] = [
        {
            "pattern": "*.xlsx",
            "table": "person",
            "format": "xlsx",
            "sheet": "Persons",
            "header_row": 3,
            "columns": same["person"],
        },
        {
            "pattern": "*.xlsx",
            "table": "offence",
            "format": "xlsx",
            "sheet": "Crimes",
            "header_row": 2,
            "columns": same["offence"],
        },
        {"pattern": "*.json", "table": "offence_person", "format": "json", "columns": same["offence_person"]},
        {"pattern": "*.parquet", "table": "missing_episode", "format": "parquet", "columns": same["missing_episode"]},
    ]
    profile_path.write_text(yaml.safe_dump(profile))
    summary, con = _issues(root, tmp_path / "w.duckdb")
    files = {f["file"]: f for f in summary.returns[0]["files"]}
    assert files[f"{FORCE}/2024/return.xlsx#Persons"]["rows_loaded"] == 1
    assert files[f"{FORCE}/2024/return.xlsx#Crimes"]["rows_loaded"] == 1
    assert summary.rows_quarantined == 0 and summary.rows_loaded == 4
    assert con.execute("SELECT committed_from, cse_flag FROM offence").fetchone() == (
        __import__("datetime").date(2024, 3, 1),
        False,
    )


def test_parquet_booleans_and_timestamps_read_as_the_profile_words(tmp_path: Path) -> None:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    from clearsight.ingest.readers import read_file

    path = tmp_path / "m.parquet"
    stamp = pa.array([dt.datetime(2025, 1, 5, 15, 45)], pa.timestamp("ms"))
    pq.write_table(pa.table({"flag": [True], "at": stamp}), path)
    mapping = FileMapping(pattern="*", table="missing_episode", format="parquet", columns={},
                          true_values=["Yes"], false_values=["No"])
    raw = read_file(path, mapping)
    assert raw.data["c0"].to_pylist() == ["Yes"]
    assert raw.data["c1"].to_pylist() == ["2025-01-05 15:45:00"]
