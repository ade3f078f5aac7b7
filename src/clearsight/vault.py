"""The identity vault: raw personal identifiers in their own encrypted store, with their own key.

Why a separate store: the warehouse is read by every stage, by analysts and by the service; names, dates of
birth, addresses and phone numbers are needed only by linkage, in-process. So ingest moves them here, one
AES-GCM ciphertext per record (the record's identifier fields as JSON), bound to its lineage by the
associated data so that a ciphertext cannot be moved onto another record. The vault is a DuckDB file beside
the warehouse (``<db>.vault.duckdb``). Values that later stages must join on (phone numbers, vehicles,
place postcodes) are replaced in the warehouse by keyed pseudonyms (HMAC-SHA256 under a second key derived
from the vault key with HKDF): equal values give equal pseudonyms, and without the key they cannot be
reversed or guessed from a dictionary.

Keys: ``CLEARSIGHT_VAULT_KEY`` (base64 of 32 bytes) or a key file (``--key-file``; else
``CLEARSIGHT_VAULT_KEY_FILE``; else ``~/.config/clearsight/vault.key``) created by ``clearsight vault init``
with mode 0600. A missing key is an error, never a silently new key: a new key would orphan every record.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from clearsight.errors import ClearsightError

KEY_ENV = "CLEARSIGHT_VAULT_KEY"
KEY_FILE_ENV = "CLEARSIGHT_VAULT_KEY_FILE"
DEFAULT_KEY_FILE = "~/.config/clearsight/vault.key"
_CHECK = b"clearsight identity vault v1"

PERSON_FIELDS = ("forename", "surname", "aliases", "date_of_birth", "postcode", "address", "phone_numbers")

SEALED_COLUMNS = (
    "table_name",
    "submission_id",
    "source",
    "file_name",
    "row_number",
    "record_key",
    "nonce",
    "ciphertext",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vault_meta (name VARCHAR PRIMARY KEY, nonce BLOB NOT NULL, ciphertext BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS identity (
    table_name VARCHAR NOT NULL,
    submission_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    row_number BIGINT NOT NULL,
    record_key VARCHAR,
    nonce BLOB NOT NULL USING COMPRESSION uncompressed,
    ciphertext BLOB NOT NULL USING COMPRESSION uncompressed
);
"""
# Why no PRIMARY KEY and no compression on the ciphertext: a record's place (table, submission, file, row) is
# kept unique by ``put_sealed`` (it deletes the places it writes, in the same transaction), which costs a
# fraction of maintaining an index on four text columns; and random bytes never compress, so trying costs
# time for nothing. Vaults made before this keep their primary key and are written with INSERT OR REPLACE.


def default_key_file() -> Path:
    """Where the key file lives unless ``--key-file`` says otherwise."""
    return Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()


def _decode(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ClearsightError(f"the vault key in {where} is not base64") from error
    if len(key) != 32:
        raise ClearsightError(f"the vault key in {where} must be 32 bytes (base64), not {len(key)}")
    return key


def load_key(key_file: Path | None = None) -> bytes:
    """The vault key: the named key file, else the environment, else the default key file; never a new one."""
    if key_file is None and os.environ.get(KEY_ENV):
        return _decode(os.environ[KEY_ENV], f"${KEY_ENV}")
    path = (key_file or default_key_file()).expanduser()
    if not path.exists():
        raise ClearsightError(
            f"no vault key: set {KEY_ENV} or create a key file with `clearsight vault init` (looked for {path}). "
            "Use the key the vault was made with: a new key cannot read existing records."
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ClearsightError(f"the vault key file {path} can be read by others (mode {mode:o}); run chmod 600 on it")
    return _decode(path.read_text(), str(path))


def init_key(path: Path | None = None) -> Path:
    """Create a new random key file with mode 0600; refuse to overwrite one (that would orphan the vault)."""
    path = (path or default_key_file()).expanduser()
    if path.exists():
        raise ClearsightError(f"{path} exists already; a vault key is never overwritten")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as stream:
        stream.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    os.chmod(path, 0o600)
    return path


def vault_path(db_path: Path | str) -> Path:
    """The vault file that belongs to a warehouse file."""
    db = Path(db_path)
    return db.with_name(db.stem + ".vault.duckdb") if db.suffix else db.with_name(db.name + ".vault.duckdb")


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key)


_NOT_DIGIT = re.compile(r"\D")
_NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Z]")
_SPACES = re.compile(r"\s+")


def normalise(value: str, kind: str) -> str:
    """The form in which two spellings of one phone, vehicle or postcode compare equal before hashing."""
    text = value.strip().upper()
    if kind == "phone":
        digits = _NOT_DIGIT.sub("", text)
        return "0" + digits[2:] if digits.startswith("44") and len(digits) > 10 else digits
    if kind in ("vehicle", "postcode"):
        return _NOT_ALPHANUMERIC.sub("", text)
    return _SPACES.sub(" ", text)


@dataclass(frozen=True)
class RecordRef:
    """Where a record sits in the warehouse: the vault's key for it."""

    table_name: str
    submission_id: str
    source: str
    file_name: str
    row_number: int
    record_key: str | None = None

    def aad(self) -> bytes:
        return "|".join((self.table_name, self.submission_id, self.file_name, str(self.row_number))).encode()


class Vault:
    """An open identity vault: encrypt records in, decrypt them out (in-process), make pseudonyms."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None, key: bytes) -> None:
        self.con, self.path = con, path
        self._aead = AESGCM(_derive(key, b"clearsight vault encryption"))
        self._hmac_key = _derive(key, b"clearsight vault pseudonyms")
        self._check_key()

    @classmethod
    def open(cls, db_path: Path | str, key: bytes | None = None, read_only: bool = False) -> Vault:
        """Open (or create) the vault beside the warehouse ``db_path``; the key defaults to ``load_key()``."""
        key = key if key is not None else load_key()
        path = vault_path(db_path)
        if read_only and not path.exists():
            raise ClearsightError(f"no identity vault at {path}: ingest writes it")
        con = duckdb.connect(str(path), read_only=read_only)
        if not read_only:
            con.execute(_SCHEMA)
        return cls(con, path, key)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_key(self) -> None:
        """Prove the key is the vault's own at open time, so a wrong key fails clearly, not record by record."""
        row = self.con.execute("SELECT nonce, ciphertext FROM vault_meta WHERE name = 'check'").fetchone()
        if row is None:
            nonce = os.urandom(12)
            self.con.execute(
                "INSERT INTO vault_meta VALUES ('check', ?, ?)", [nonce, self._aead.encrypt(nonce, _CHECK, b"check")]
            )
            return
        try:
            self._aead.decrypt(bytes(row[0]), bytes(row[1]), b"check")
        except InvalidTag as error:
            raise ClearsightError(f"the vault key does not open the vault {self.path}: wrong key") from error

    # writing ------------------------------------------------------------------------------------------

    def seal(
        self, table_name: str, submission_id: str, file_name: str, row_number: int, fields: dict[str, Any]
    ) -> tuple[bytes, bytes]:
        """Encrypt one record's fields, bound to where it sits (as ``RecordRef.aad``): (nonce, ciphertext)."""
        nonce = os.urandom(12)
        plain = json.dumps(fields, default=str, separators=(",", ":"), ensure_ascii=False).encode()
        aad = "|".join((table_name, submission_id, file_name, str(row_number))).encode()
        return nonce, self._aead.encrypt(nonce, plain, aad)

    def seal_many(self, aads: Sequence[bytes], plains: Sequence[bytes]) -> tuple[list[bytes], list[bytes]]:
        """Encrypt many records at once: ``plains[i]`` (their fields as JSON) bound to ``aads[i]``.

        The same AES-GCM sealing as ``seal``, one fresh random nonce per record, for callers that build the
        JSON and the associated data (``RecordRef.aad``) for a whole batch in SQL: no per-record Python
        beyond the encryption call itself.
        """
        count = len(plains)
        random = os.urandom(12 * count)
        nonces = [random[i : i + 12] for i in range(0, 12 * count, 12)]
        encrypt = self._aead.encrypt
        return nonces, [encrypt(n, p, a) for n, p, a in zip(nonces, plains, aads, strict=True)]

    def put_sealed(self, batch: pa.Table) -> int:
        """Store records sealed by ``seal`` (columns as the identity table) in one transaction.

        A record stored again at the same place (a re-run after a crash) replaces the earlier one.
        """
        if batch.num_rows == 0:
            return 0
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.register("vault_batch", batch)
            if self._has_primary_key():
                self.con.execute("INSERT OR REPLACE INTO identity SELECT * FROM vault_batch")
            else:
                self.con.execute(
                    "DELETE FROM identity i WHERE i.submission_id IN (SELECT DISTINCT submission_id FROM vault_batch) "
                    "AND EXISTS (SELECT 1 FROM vault_batch b WHERE b.table_name = i.table_name AND "
                    "b.submission_id = i.submission_id AND b.file_name = i.file_name AND b.row_number = i.row_number)"
                )
                self.con.execute("INSERT INTO identity SELECT * FROM vault_batch")
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        finally:
            self.con.unregister("vault_batch")
        return batch.num_rows

    def _has_primary_key(self) -> bool:
        """Vaults made by earlier versions keep a primary key on the record's place."""
        return bool(
            self.con.execute(
                "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'identity' "
                "AND constraint_type = 'PRIMARY KEY'"
            ).fetchone()[0]
        )

    def put_records(self, rows: Iterable[tuple[RecordRef, dict[str, Any]]]) -> int:
        """Encrypt and store records in one transaction; a record stored again (a re-run) is replaced."""
        columns: dict[str, list[Any]] = {name: [] for name in SEALED_COLUMNS}
        for ref, fields in rows:
            nonce, ciphertext = self.seal(ref.table_name, ref.submission_id, ref.file_name, ref.row_number, fields)
            values = (
                ref.table_name,
                ref.submission_id,
                ref.source,
                ref.file_name,
                ref.row_number,
                ref.record_key,
                nonce,
                ciphertext,
            )
            for name, value in zip(SEALED_COLUMNS, values, strict=True):
                columns[name].append(value)
        types = {"row_number": pa.int64(), "nonce": pa.binary(), "ciphertext": pa.binary()}
        return self.put_sealed(
            pa.table({name: pa.array(values, types.get(name, pa.string())) for name, values in columns.items()})
        )

    def put_persons(self, rows: Sequence[dict[str, Any]]) -> int:
        """Store person records given as dicts with lineage (submission_id, source, file_name, row_number)."""
        return self.put_records(
            (
                RecordRef(
                    "person", r["submission_id"], r["source"], r["file_name"], int(r["row_number"]), r.get("record_id")
                ),
                {name: r.get(name) for name in PERSON_FIELDS},
            )
            for r in rows
        )

    # reading ------------------------------------------------------------------------------------------

    def iter_records(self, table_name: str, submission_ids: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
        """Decrypt a table's records; each comes back with its lineage and its identifier fields."""
        sql = (
            "SELECT submission_id, source, file_name, row_number, record_key, nonce, ciphertext FROM identity "
            "WHERE table_name = ?"
        )
        params: list[Any] = [table_name]
        if submission_ids is not None:
            sql += " AND submission_id IN (SELECT unnest(?))"
            params.append(list(submission_ids))
        cursor = self.con.execute(sql + " ORDER BY submission_id, file_name, row_number", params)
        while chunk := cursor.fetchmany(10_000):
            for sid, source, file_name, row_number, record_key, nonce, ciphertext in chunk:
                ref = RecordRef(table_name, sid, source, file_name, row_number, record_key)
                try:
                    fields = json.loads(self._aead.decrypt(bytes(nonce), bytes(ciphertext), ref.aad()))
                except InvalidTag as error:
                    raise ClearsightError(f"vault record {ref} does not decrypt: tampered or wrong key") from error
                yield {
                    "submission_id": sid,
                    "source": source,
                    "file_name": file_name,
                    "row_number": row_number,
                    "record_id": record_key,
                    **fields,
                }

    def get_persons(self, submission_ids: Sequence[str] | None = None) -> pa.Table:
        """Every person record's identifiers, decrypted in memory, as an Arrow table (for linkage only)."""
        rows = list(self.iter_records("person", submission_ids))
        schema = pa.schema(
            [
                ("submission_id", pa.string()),
                ("source", pa.string()),
                ("file_name", pa.string()),
                ("row_number", pa.int64()),
                ("record_id", pa.string()),
                *((name, pa.string()) for name in PERSON_FIELDS),
            ]
        )
        return pa.Table.from_pylist(rows, schema=schema)

    # pseudonyms ---------------------------------------------------------------------------------------

    def pseudonym(self, value: str | None, kind: str) -> str | None:
        """A keyed, irreversible stand-in for a value, equal for equal (normalised) values of one kind."""
        if value is None or not str(value).strip():
            return None
        norm = normalise(str(value), kind)
        digest = hmac.digest(self._hmac_key, f"{kind}\x00{norm}".encode(), "sha256").hex()
        return f"{kind}:{digest[:32]}"

    def pseudonym_column(self, values: Sequence[str | None], kinds: Sequence[str], multi: bool = False) -> list:
        """``pseudonym`` (or ``pseudonyms`` when ``multi``) of each value, computed once per distinct pair."""
        make = self.pseudonyms if multi else self.pseudonym
        done: dict[tuple[str | None, str], str | None] = {}
        out = []
        for value, kind in zip(values, kinds, strict=True):
            pair = (value, kind)
            if pair not in done:
                done[pair] = make(value, kind)
            out.append(done[pair])
        return out

    def pseudonyms(self, values: str | None, kind: str, separator: str = ";") -> str | None:
        """Pseudonymise each item of a separated list (phone numbers), keeping the separator."""
        if values is None:
            return None
        items = [self.pseudonym(item, kind) for item in str(values).split(separator) if item.strip()]
        return separator.join(item for item in items if item) or None


# ingest ---------------------------------------------------------------------------------------------------

# Contact and place identifiers that later stages join on become keyed pseudonyms in the warehouse; a value
# naming its kind in another column (``@entity_type``) takes it from there. Every other identifier field
# (a person's names, aliases, date of birth, home postcode and address) becomes NULL in the warehouse.
PSEUDONYMISED: dict[tuple[str, str], str] = {
    ("person", "phone_numbers"): "phone",
    ("intelligence_entity", "entity_value"): "@entity_type",
    ("offence", "location_postcode"): "postcode",
    ("placement", "postcode"): "postcode",
    ("missing_episode", "found_postcode"): "postcode",
}
_MULTI_VALUED = {("person", "phone_numbers")}
