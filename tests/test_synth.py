"""Tests of the synthetic generator: volumes and shapes, truth consistency, profiles, codes, determinism.

The files are read back through each submitter's profile by a small reader here (not the ingest stage),
so these tests check the contract the ingest stage relies on.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import io
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from clearsight.ingest.profile import read_profile, read_return
from clearsight.standard import FieldType, load_standard
from clearsight.synth import run

SEED = 11


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "tiny"
    run(out, "tiny", 2, SEED)
    return out


def _read_table(folder: Path, mapping) -> list[tuple[str, list[dict[str, str | None]]]]:
    """Rows of every file in ``folder`` matching the mapping, as {standard field: value as text}."""
    results = []
    for path in sorted(folder.iterdir()):
        if not fnmatch.fnmatch(path.name, mapping.pattern):
            continue
        if mapping.format == "csv":
            text = path.read_bytes().decode(mapping.encoding or "utf-8")
            rows = list(csv.DictReader(io.StringIO(text), delimiter=mapping.delimiter or ","))
        elif mapping.format == "json":
            rows = json.loads(path.read_text(encoding="utf-8"))
        elif mapping.format == "parquet":
            table = pq.read_table(path).to_pylist()
            rows = [{k: (None if v is None else v) for k, v in row.items()} for row in table]
        else:
            import openpyxl

            workbook = openpyxl.load_workbook(path, read_only=True)
            sheet = workbook[mapping.sheet]
            values = list(sheet.iter_rows(values_only=True))
            header = values[mapping.header_row - 1]
            rows = [dict(zip(header, row, strict=False)) for row in values[mapping.header_row :]]
            workbook.close()
        mapped = []
        for row in rows:
            assert set(row) <= set(mapping.columns) | set(mapping.ignore_columns), path
            out = {}
            for local, value in row.items():
                if local in mapping.ignore_columns:
                    continue
                field = mapping.columns[local]
                if value is not None and not isinstance(value, str):
                    value = value.isoformat() if hasattr(value, "isoformat") else str(value)
                value = None if value in ("", None) else value
                if value is not None and field in mapping.codes:
                    value = mapping.codes[field].get(value, value)
                out[field] = value
            mapped.append(out)
        label = path.name + (f"#{mapping.sheet}" if mapping.format == "xlsx" else "")
        results.append((label, mapped))
    return results


def _all_rows(out: Path):
    """Yield (submitter, return folder, table, file label, rows, mapping)."""
    for profile_path in sorted((out / "submissions").glob("*/profile.yaml")):
        profile = read_profile(profile_path)
        for folder in sorted(p for p in profile_path.parent.iterdir() if p.is_dir()):
            for mapping in profile.files:
                for label, rows in _read_table(folder, mapping):
                    yield profile.submitter_code, folder.name, mapping.table, label, rows, mapping


@pytest.fixture(scope="session")
def rows(tiny: Path) -> list:
    return list(_all_rows(tiny))


@pytest.fixture(scope="session")
def bad(tiny: Path) -> set[tuple[str, int]]:
    with (tiny / "truth" / "bad_rows.csv").open(encoding="utf-8") as handle:
        return {(r["file"], int(r["row"])) for r in csv.DictReader(handle)}


def _truth(tiny: Path, name: str) -> list[dict[str, str]]:
    with (tiny / "truth" / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_profiles_and_returns_validate(tiny: Path) -> None:
    profiles = sorted((tiny / "submissions").glob("*/profile.yaml"))
    assert len(profiles) >= 4
    for path in profiles:
        read_profile(path)
        for ret in path.parent.glob("*/return.yaml"):
            info = read_return(ret)
            assert info.period_start <= info.period_end


def test_formats_vary(rows: list) -> None:
    formats = {(m.format, m.encoding) for *_, m in rows}
    assert ("csv", "cp1252") in {(f, e) for f, e in formats}
    assert "xlsx" in {f for f, _ in formats}


def test_victims_mostly_girls_aged_11_to_17(rows: list) -> None:
    persons = {}
    ages, victims = [], set()
    for code, folder, table, _, data, _ in rows:
        if table == "person":
            for r in data:
                persons[(code, folder, r["record_id"])] = r
        if table == "offence_person":
            for r in data:
                if r["role"] == "VICTIM" and r["age_at_offence"] and int(r["age_at_offence"]) < 18:
                    ages.append(int(r["age_at_offence"]))
                    victims.add((code, folder, r["person_record_id"]))
    sexes = [persons[v]["sex"] for v in victims if v in persons]
    assert len(sexes) > 100
    female = sum(s == "F" for s in sexes) / len(sexes)
    assert 0.65 <= female <= 0.92
    in_band = np.mean([(11 <= a <= 17) for a in ages])
    assert 0.55 <= in_band <= 0.95


def test_group_sizes(tiny: Path) -> None:
    groups: dict[str, set[str]] = {}
    for r in _truth(tiny, "groups.csv"):
        if r["person_role"] == "suspect":
            groups.setdefault(r["true_group_id"], set()).add((r["source"], r["record_id"]))
    persons = {(r["source"], r["record_id"]): r["true_person_id"] for r in _truth(tiny, "persons.csv")}
    sizes = [len({persons[m] for m in members}) for members in groups.values()]
    assert sizes and min(sizes) >= 1 and max(sizes) >= 2


def test_suspect_ethnicity_missingness_follows_profile(tiny: Path, rows: list) -> None:
    knobs = {r["source"]: float(r["suspect_ethnicity_missing"]) for r in _truth(tiny, "recording_quality.csv")}
    seen: dict[str, list[bool]] = {}
    for code, _, table, _, data, _ in rows:
        if table == "person" and code.startswith(("E23", "W15")):
            for r in data:
                if r["role"] == "SUSPECT":
                    seen.setdefault(code, []).append(r["ethnicity_self_defined"] in (None, "NR"))
    assert len(seen) == 2
    for code, flags in seen.items():
        assert abs(np.mean(flags) - knobs[code]) < 0.12, code
    codes = sorted(seen)
    if abs(knobs[codes[0]] - knobs[codes[1]]) > 0.2:
        assert (np.mean(seen[codes[0]]) > np.mean(seen[codes[1]])) == (knobs[codes[0]] > knobs[codes[1]])


def test_truth_persons_match_submissions(tiny: Path, rows: list) -> None:
    truth = {(r["source"], r["record_id"]): r for r in _truth(tiny, "persons.csv")}
    seen = set()
    for code, _, table, _, data, _ in rows:
        if table != "person":
            continue
        for r in data:
            key = (code, r["record_id"])
            assert key in truth, key
            seen.add(key)
            t = truth[key]
            assert (r["forename"] or "") == t["forename"]
            assert (r["surname"] or "") == t["surname"]
            assert (r["postcode"] or "") == t["postcode"]
            assert (r["sex"] or "NR") == t["sex"]
    assert seen == set(truth)


def test_bad_rows_exist(tiny: Path, bad: set) -> None:
    assert len(bad) >= 10
    for file, row in bad:
        name, _, sheet = file.partition("#")
        path = tiny / "submissions" / name
        assert path.exists(), file
        assert row >= 1


def _parse_date(value: str, fmt: str) -> None:
    if "T" in value and value[:4].isdigit():
        datetime.fromisoformat(value)
    else:
        datetime.strptime(value, fmt)


def test_codes_and_types_valid_outside_bad_rows(rows: list, bad: set) -> None:
    standard = load_standard()
    checked = 0
    for code, folder, table_name, label, data, mapping in rows:
        table = standard.table(table_name)
        for number, r in enumerate(data, start=1):
            if (f"{code}/{folder}/{label}", number) in bad:
                continue
            for spec in table.fields:
                value = r.get(spec.name)
                if value is None:
                    assert not spec.required or spec.blank_code, (label, number, spec.name)
                    continue
                if spec.type == FieldType.code:
                    assert value in standard.codelist(spec.codelist).code_values(), (label, number, spec.name, value)
                elif spec.type == FieldType.codes:
                    allowed = standard.codelist(spec.codelist).code_values()
                    assert all(v in allowed for v in value.split(";")), (label, spec.name, value)
                elif spec.type == FieldType.date:
                    _parse_date(value, mapping.date_format)
                elif spec.type == FieldType.datetime:
                    _parse_date(value, mapping.datetime_format)
                elif spec.type == FieldType.boolean:
                    assert value in mapping.true_values + mapping.false_values or value in ("True", "False")
            if table_name == "offence_person" and r["role"] == "VICTIM" and r.get("age_at_offence"):
                assert int(r["age_at_offence"]) < 18
            checked += 1
    assert checked > 1000


def test_foreign_keys_within_return(rows: list, bad: set) -> None:
    persons: dict[tuple[str, str], set[str]] = {}
    offences: dict[tuple[str, str], set[str]] = {}
    for code, folder, table, _, data, _ in rows:
        if table == "person":
            persons.setdefault((code, folder), set()).update(r["record_id"] for r in data)
        if table == "offence":
            offences.setdefault((code, folder), set()).update(r["record_id"] for r in data)
    for code, folder, table, label, data, _ in rows:
        for number, r in enumerate(data, start=1):
            if (f"{code}/{folder}/{label}", number) in bad or "person_record_id" not in r:
                continue
            assert r["person_record_id"] in persons.get((code, folder), set()), (label, number)
            if table == "offence_person":
                assert r["offence_record_id"] in offences[(code, folder)]


def test_harm_truth_covers_referrals(tiny: Path, rows: list) -> None:
    harm = {(r["source"], r["record_id"]) for r in _truth(tiny, "harm.csv")}
    referrals = {
        (code, r["record_id"])
        for code, _, table, _, data, _ in rows
        if table == "referral"
        for r in data
        if r["record_id"]
    }
    assert referrals == harm
    harmed = [r["harmed"] == "true" for r in _truth(tiny, "harm.csv")]
    assert 0.2 < np.mean(harmed) < 0.9


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_deterministic(tiny: Path, tmp_path: Path) -> None:
    run(tmp_path / "again", "tiny", 2, SEED)
    assert _digest(tmp_path / "again") == _digest(tiny)
    run(tmp_path / "other", "tiny", 2, SEED + 1)
    assert _digest(tmp_path / "other") != _digest(tiny)
