"""Move a batch's raw identifiers into the identity vault; the warehouse gets NULLs or keyed pseudonyms.

Names, aliases, dates of birth, home postcodes and addresses become NULL in the warehouse; contact and
place identifiers that later stages join on (phones, vehicles, places) become keyed pseudonyms
(``clearsight.vault.PSEUDONYMISED``). The records are encrypted before the warehouse commits, so a vault
failure rolls the batch back.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from clearsight.ingest.validate import ident, quote
from clearsight.standard import Table
from clearsight.vault import _MULTI_VALUED, PSEUDONYMISED, SEALED_COLUMNS, Vault, load_key
from clearsight.warehouse import SQL_TYPES


class SharedVault:
    """The vault, opened on first use and kept open for every batch of one ingest run; ``close`` at the end.

    Why: opening the vault checks its key, and closing it checkpoints the whole file; once per batch that was
    2.5 of 14 seconds of ingest on national x 1 (1 December 2026). Each batch's records are still committed
    in their own vault transaction (written to the vault's log before the warehouse commits), so an ingest
    killed between batches leaves the vault as a run stopped after that batch would.
    """

    def __init__(self, db_path: str) -> None:
        self._db_path = db_path
        self._vault: Vault | None = None

    def get(self) -> Vault:
        if self._vault is None:
            self._vault = Vault.open(self._db_path, load_key())
        return self._vault

    def close(self) -> None:
        if self._vault is not None:
            self._vault.close()
            self._vault = None


class BatchVault:
    """The identifiers of one batch on their way into the vault."""

    def __init__(self, con: duckdb.DuckDBPyConnection, vault: SharedVault) -> None:
        self._con = con
        self._vault = vault
        self._sealed: list[pa.Table] = []
        self._registered: list[str] = []

    def _open(self) -> Vault:
        return self._vault.get()

    def protect(self, table: Table, kept: str) -> str:
        """Seal the identifiers of ``kept`` rows (a relation with lineage); return a relation without them."""
        names = [spec.name for spec in table.fields if spec.identifier]
        if not names:
            return kept
        vault = self._open()
        pseudonymised = {n: PSEUDONYMISED[(table.name, n)] for n in names if (table.name, n) in PSEUDONYMISED}
        # The JSON of each record's identifiers, its associated data and its key are built in SQL for the
        # whole batch; Python only encrypts (one AES-GCM call per record) and makes the keyed pseudonyms.
        plain = ", ".join(f"{quote(n)}, CAST({ident(n)} AS VARCHAR)" for n in names)
        record_key = " || '|' || ".join(f"COALESCE(CAST({ident(n)} AS VARCHAR), 'None')" for n in table.primary_key)
        kinds = [
            f"lower(COALESCE(NULLIF(CAST({ident(kind[1:])} AS VARCHAR), ''), 'OTHER')) AS {ident('__kind_' + n)}"
            for n, kind in pseudonymised.items()
            if kind.startswith("@")
        ]
        values = [f"CAST({ident(n)} AS VARCHAR) AS {ident('__value_' + n)}" for n in pseudonymised]
        data = self._con.sql(
            f"SELECT submission_id, source, file_name, row_number, __k, {record_key} AS record_key, "
            f"encode(CAST(json_object({plain}) AS VARCHAR)) AS plain, "
            f"encode({quote(table.name + '|')} || submission_id || '|' || file_name || '|' "
            "|| CAST(row_number AS VARCHAR)) AS aad"
            f"{''.join(', ' + e for e in [*kinds, *values])} FROM {kept}"
        ).to_arrow_table()
        count = data.num_rows
        nonces, ciphers = vault.seal_many(data["aad"].to_pylist(), data["plain"].to_pylist())
        self._sealed.append(
            pa.table(
                {
                    "table_name": pa.array([table.name] * count, pa.string()),
                    "submission_id": data["submission_id"],
                    "source": data["source"],
                    "file_name": data["file_name"],
                    "row_number": data["row_number"],
                    "record_key": data["record_key"],
                    "nonce": pa.array(nonces, pa.binary()),
                    "ciphertext": pa.array(ciphers, pa.binary()),
                }
            )
        )
        pseudo: dict[str, pa.Array] = {}
        for name, kind in pseudonymised.items():
            kinds_of = data[f"__kind_{name}"].to_pylist() if kind.startswith("@") else [kind] * count
            made = vault.pseudonym_column(
                data[f"__value_{name}"].to_pylist(), kinds_of, multi=(table.name, name) in _MULTI_VALUED
            )
            pseudo[name] = pa.array(made, pa.string())
        replacement = f"vault_safe_{table.name}"
        self._con.register(
            f"{replacement}_p", pa.table({"__k": data["__k"], "row_number": data["row_number"], **pseudo})
        )
        self._registered.append(f"{replacement}_p")
        select = []
        for spec in table.fields:
            if not spec.identifier:
                select.append(f"t.{ident(spec.name)}")
            elif spec.name in pseudo:
                select.append(f"p.{ident(spec.name)} AS {ident(spec.name)}")
            else:
                select.append(f"CAST(NULL AS {SQL_TYPES[spec.type]}) AS {ident(spec.name)}")
        self._con.execute(
            f"CREATE OR REPLACE TEMP VIEW {replacement} AS SELECT t.submission_id, t.source, t.file_name, "
            f"t.row_number, {', '.join(select)} FROM {kept} t LEFT JOIN {replacement}_p p "
            "ON p.__k = t.__k AND p.row_number = t.row_number"
        )
        return replacement

    def commit(self) -> None:
        """Write every sealed record (one vault transaction), then let go of the batch's tables; the vault
        itself stays open for the next batch (``SharedVault``)."""
        try:
            if self._sealed:
                batch = pa.concat_tables(self._sealed).select(list(SEALED_COLUMNS))
                self._open().put_sealed(batch)
        finally:
            self.close()

    def close(self) -> None:
        for name in self._registered:
            self._con.unregister(name)
        self._registered.clear()
        self._sealed.clear()
