"""The identity vault: encryption round trip, keys, pseudonyms, and a warehouse without raw identifiers."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import duckdb
import pytest

from clearsight import ingest
from clearsight.errors import ClearsightError
from clearsight.synth import run as synth_run
from clearsight.vault import KEY_ENV, KEY_FILE_ENV, Vault, init_key, load_key, vault_path

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))

PERSON = {"submission_id": "S1", "source": "E23000002", "file_name": "persons.csv", "row_number": 2,
          "record_id": "N-1", "forename": "Zoë", "surname": "O’Brien", "aliases": "Zo", "date_of_birth": "2010-05-04",
          "postcode": "LA1 1AA", "address": "1 High St", "phone_numbers": "07700 900123"}


def test_persons_round_trip_and_nothing_readable_on_disk(tmp_path: Path) -> None:
    with Vault.open(tmp_path / "w.duckdb", KEY) as vault:
        assert vault.put_persons([PERSON]) == 1
        assert vault.put_persons([PERSON]) == 1  # a re-run replaces, never duplicates
        rows = vault.get_persons().to_pylist()
    assert rows == [PERSON]
    raw = vault_path(tmp_path / "w.duckdb").read_bytes()
    assert b"Brien" not in raw and "O’Brien".encode() not in raw and b"2010-05-04" not in raw


def test_a_wrong_key_is_refused_when_the_vault_opens(tmp_path: Path) -> None:
    Vault.open(tmp_path / "w.duckdb", KEY).close()
    with pytest.raises(ClearsightError, match="wrong key"):
        Vault.open(tmp_path / "w.duckdb", OTHER_KEY)


def test_a_missing_key_is_a_clear_error_never_a_new_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "absent.key"))
    with pytest.raises(ClearsightError, match="no vault key"):
        load_key()
    assert not (tmp_path / "absent.key").exists()


def test_key_file_is_created_0600_never_overwritten_and_must_stay_private(tmp_path: Path) -> None:
    path = init_key(tmp_path / "conf" / "vault.key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(load_key(path)) == 32
    with pytest.raises(ClearsightError, match="never overwritten"):
        init_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(ClearsightError, match="read by others"):
        load_key(path)


def test_a_malformed_key_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, base64.b64encode(b"short").decode())
    with pytest.raises(ClearsightError, match="32 bytes"):
        load_key()


def test_pseudonyms_are_equal_for_one_value_and_keyed(tmp_path: Path) -> None:
    with Vault.open(tmp_path / "a.duckdb", KEY) as a, Vault.open(tmp_path / "b.duckdb", OTHER_KEY) as b:
        assert a.pseudonym("07700 900123", "phone") == a.pseudonym("+44 7700 900123", "phone")
        assert a.pseudonym("AB12 CDE", "vehicle") == a.pseudonym("ab12cde", "vehicle")
        assert a.pseudonym("07700 900123", "phone") != b.pseudonym("07700 900123", "phone")
        assert a.pseudonym("07700 900123", "phone") != a.pseudonym("07700 900124", "phone")
        assert a.pseudonyms("07700 900123; 07700 900124", "phone").count(";") == 1


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("vault-synth")
    synth_run(root / "synth", scale="tiny", years=1, seed=3)
    db = root / "w.duckdb"
    ingest.run(root / "synth" / "submissions", db)
    return db


def test_the_warehouse_holds_no_raw_identifiers_after_ingest(ingested: Path) -> None:
    con = duckdb.connect(str(ingested), read_only=True)
    assert con.execute(
        "SELECT count(*) FROM person WHERE coalesce(forename, surname, aliases, CAST(date_of_birth AS VARCHAR), "
        "postcode, address) IS NOT NULL"
    ).fetchall() == [(0,)]
    phones = [r[0] for r in con.execute("SELECT phone_numbers FROM person WHERE phone_numbers IS NOT NULL").fetchall()]
    assert all(item.startswith("phone:") for value in phones for item in value.split(";"))
    values = con.execute("SELECT entity_type, entity_value FROM intelligence_entity").fetchall()
    assert values and all(value.startswith(kind.lower() + ":") for kind, value in values)
    persons = con.execute("SELECT count(*) FROM person").fetchall()[0][0]
    con.close()
    with Vault.open(ingested, read_only=True) as vault:
        stored = vault.get_persons().to_pylist()
    assert len(stored) == persons
    assert sum(1 for r in stored if r["surname"]) > persons * 0.9


def test_a_failed_vault_write_rolls_the_return_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synth_run(tmp_path / "synth", scale="tiny", years=1, seed=4)

    def broken(self: Vault, rows: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(Vault, "put_sealed", broken)
    with pytest.raises(OSError, match="disk full"):
        ingest.run(tmp_path / "synth" / "submissions", tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM submission").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM person").fetchall() == [(0,)]


def test_a_vault_made_with_a_primary_key_still_replaces_a_record_stored_again(tmp_path: Path) -> None:
    path = vault_path(tmp_path / "w.duckdb")
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE identity (table_name VARCHAR NOT NULL, submission_id VARCHAR NOT NULL, source VARCHAR NOT NULL,"
        " file_name VARCHAR NOT NULL, row_number BIGINT NOT NULL, record_key VARCHAR, nonce BLOB NOT NULL,"
        " ciphertext BLOB NOT NULL, PRIMARY KEY (table_name, submission_id, file_name, row_number))"
    )
    con.close()
    with Vault.open(tmp_path / "w.duckdb", KEY) as vault:
        vault.put_persons([PERSON])
        vault.put_persons([{**PERSON, "surname": "Byrne"}])
        rows = vault.get_persons().to_pylist()
    assert [row["surname"] for row in rows] == ["Byrne"]


def test_pseudonyms_of_a_column_equal_those_made_one_by_one(tmp_path: Path) -> None:
    values = ["07700 900123", "+44 7700 900123", None, "", "07700 900124; 07700 900125", "07700 900123"]
    with Vault.open(tmp_path / "w.duckdb", KEY) as vault:
        assert vault.pseudonym_column(values, ["phone"] * 6) == [vault.pseudonym(v, "phone") for v in values]
        assert vault.pseudonym_column(values, ["phone"] * 6, multi=True) == [
            vault.pseudonyms(v, "phone") for v in values
        ]


def test_a_kill_after_the_vault_wrote_leaves_no_duplicate_records_after_the_rerun(tmp_path: Path) -> None:
    import subprocess
    import sys

    synth_run(tmp_path / "synth", scale="tiny", years=1, seed=5)
    db = tmp_path / "w.duckdb"
    script = (
        "from clearsight import ingest; from pathlib import Path; "
        f"ingest.run(Path({str(tmp_path / 'synth' / 'submissions')!r}), Path({str(db)!r}))"
    )
    env = {**os.environ, "CLEARSIGHT_FAULT": "before-commit"}
    assert subprocess.run([sys.executable, "-c", script], env=env, capture_output=True).returncode == -9
    with Vault.open(db, read_only=True) as vault:
        assert vault.get_persons().num_rows > 0  # the vault committed; the warehouse did not
    ingest.run(tmp_path / "synth" / "submissions", db)
    con = duckdb.connect(str(db), read_only=True)
    persons = con.execute("SELECT count(*) FROM person").fetchall()[0][0]
    con.close()
    with Vault.open(db, read_only=True) as vault:
        stored = vault.get_persons()
        places = vault.con.execute(
            "SELECT count(*), count(DISTINCT (table_name, submission_id, file_name, row_number)) FROM identity"
        ).fetchone()
    assert stored.num_rows == persons
    assert places[0] == places[1]
