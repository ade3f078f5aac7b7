"""Move a batch's raw identifiers into the identity vault; the warehouse gets NULLs or keyed pseudonyms.

Names, aliases, dates of birth, home postcodes and addresses become NULL in the warehouse; contact and
place identifiers that later stages join on (phones, vehicles, places) become keyed pseudonyms
(``clearsight.vault.PSEUDONYMISED``). The records are encrypted before the warehouse commits, so a vault
failure rolls the batch back.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from clearsight.ingest.validate import ident
from clearsight.standard import Table
from clearsight.vault import _MULTI_VALUED, PSEUDONYMISED, SEALED_COLUMNS, Vault, load_key
from clearsight.warehouse import SQL_TYPES


class BatchVault:
    """The identifiers of one batch on their way into the vault."""

    def __init__(self, con: duckdb.DuckDBPyConnection, db_path: str) -> None:
        self._con = con
        self._db_path = db_path
        self._sealed: list[pa.Table] = []
        self._vault: Vault | None = None
        self._registered: list[str] = []

    def _open(self) -> Vault:
        if self._vault is None:
            self._vault = Vault.open(self._db_path, load_key())
        return self._vault

    def protect(self, table: Table, kept: str) -> str:
        """Seal the identifiers of ``kept`` rows (a relation with lineage); return a relation without them."""
        names = [spec.name for spec in table.fields if spec.identifier]
        if not names:
            return kept
        vault = self._open()
        extra = ["entity_type"] if any(PSEUDONYMISED.get((table.name, n)) == "@entity_type" for n in names) else []
        wanted = list(dict.fromkeys([*names, *extra, *table.primary_key]))
        data = self._con.sql(
            f"SELECT submission_id, source, file_name, row_number, __k, {', '.join(map(ident, wanted))} FROM {kept}"
        ).to_arrow_table()
        columns = {name: data[name].to_pylist() for name in data.schema.names}
        count = data.num_rows
        keys = [
            "|".join(str(v) for v in values) for values in zip(*(columns[n] for n in table.primary_key), strict=True)
        ]
        nonces, ciphers = [], []
        identifiers = [[None if v is None else str(v) for v in columns[n]] for n in names]
        for i in range(count):
            fields = {n: identifiers[j][i] for j, n in enumerate(names)}
            nonce, cipher = vault.seal(
                table.name, columns["submission_id"][i], columns["file_name"][i], columns["row_number"][i], fields
            )
            nonces.append(nonce)
            ciphers.append(cipher)
        self._sealed.append(
            pa.table(
                {
                    "table_name": pa.array([table.name] * count, pa.string()),
                    "submission_id": data["submission_id"],
                    "source": data["source"],
                    "file_name": data["file_name"],
                    "row_number": data["row_number"],
                    "record_key": pa.array(keys, pa.string()),
                    "nonce": pa.array(nonces, pa.binary()),
                    "ciphertext": pa.array(ciphers, pa.binary()),
                }
            )
        )
        pseudo: dict[str, pa.Array] = {}
        for j, name in enumerate(names):
            kind = PSEUDONYMISED.get((table.name, name))
            if kind is None:
                continue
            kinds = [str(v or "OTHER").lower() for v in columns[kind[1:]]] if kind.startswith("@") else [kind] * count
            make = vault.pseudonyms if (table.name, name) in _MULTI_VALUED else vault.pseudonym
            pseudo[name] = pa.array([make(v, k) for v, k in zip(identifiers[j], kinds, strict=True)], pa.string())
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
        """Write every sealed record (one vault transaction), then let go of the vault."""
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
        if self._vault is not None:
            self._vault.close()
            self._vault = None
