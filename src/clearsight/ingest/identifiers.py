"""Move a batch's raw identifiers into the identity vault; the warehouse gets NULLs or keyed pseudonyms.

Names, aliases, dates of birth, home postcodes and addresses become NULL in the warehouse; contact and
place identifiers that later stages join on (phones, vehicles, places) become keyed pseudonyms
(``clearsight.vault.PSEUDONYMISED``). The records are encrypted before the warehouse commits, so a vault
failure rolls the batch back.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from clearsight.ingest.validate import ident
from clearsight.standard import Table
from clearsight.vault import _MULTI_VALUED, PSEUDONYMISED, RecordRef, Vault, load_key
from clearsight.warehouse import SQL_TYPES


class BatchVault:
    """The identifiers of one batch on their way into the vault."""

    def __init__(self, con: duckdb.DuckDBPyConnection, db_path: str) -> None:
        self._con = con
        self._db_path = db_path
        self._pending: list[tuple[RecordRef, dict[str, Any]]] = []
        self._vault: Vault | None = None
        self._registered: list[str] = []

    def _open(self) -> Vault:
        if self._vault is None:
            self._vault = Vault.open(self._db_path, load_key())
        return self._vault

    def protect(self, table: Table, kept: str) -> str:
        """Stash the identifiers of ``kept`` rows (a relation with lineage); return a relation without them."""
        names = [spec.name for spec in table.fields if spec.identifier]
        if not names:
            return kept
        vault = self._open()
        extra = ["entity_type"] if any(PSEUDONYMISED.get((table.name, n)) == "@entity_type" for n in names) else []
        wanted = list(dict.fromkeys([*names, *extra, *table.primary_key]))
        data = (
            self._con.sql(
                f"SELECT submission_id, source, file_name, row_number, __k, {', '.join(map(ident, wanted))} FROM {kept}"
            )
            .to_arrow_table()
            .to_pylist()
        )
        pseudo: dict[str, list[str | None]] = {n: [] for n in names if (table.name, n) in PSEUDONYMISED}
        for record in data:
            key = "|".join(str(record[n]) for n in table.primary_key)
            fields = {n: None if record[n] is None else str(record[n]) for n in names}
            ref = RecordRef(
                table.name,
                record["submission_id"],
                record["source"],
                record["file_name"],
                int(record["row_number"]),
                key,
            )
            self._pending.append((ref, fields))
            for name in pseudo:
                kind = PSEUDONYMISED[(table.name, name)]
                kind = str(record.get(kind[1:]) or "OTHER").lower() if kind.startswith("@") else kind
                make = vault.pseudonyms if (table.name, name) in _MULTI_VALUED else vault.pseudonym
                pseudo[name].append(make(fields[name], kind))
        replacement = f"vault_safe_{table.name}"
        self._con.register(
            f"{replacement}_p",
            pa.table(
                {
                    "__k": pa.array([r["__k"] for r in data], pa.int32()),
                    "row_number": pa.array([r["row_number"] for r in data], pa.int64()),
                    **{n: pa.array(v, pa.string()) for n, v in pseudo.items()},
                }
            ),
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
        """Encrypt and write every stashed record (one vault transaction), then let go of the vault."""
        try:
            if self._pending:
                self._open().put_records(self._pending)
        finally:
            self.close()

    def close(self) -> None:
        for name in self._registered:
            self._con.unregister(name)
        self._registered.clear()
        self._pending.clear()
        if self._vault is not None:
            self._vault.close()
            self._vault = None
