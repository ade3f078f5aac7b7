"""What linkage reads from the warehouse and the vault, and the tables it writes back (pseudonymous only).

``person_link`` gives every current person record its ``person_id``; ``link_evidence`` keeps each scored
pair above the evidence floor with its probability, weight and per-comparison levels; ``link_run`` and
``link_refused`` say what each run did and which merges it refused because of a 'not same' judgement.
"""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pyarrow as pa

from clearsight.link.cluster import Clusters
from clearsight.vault import PERSON_FIELDS, Vault

DDL = """
CREATE TABLE IF NOT EXISTS person_link (
    source VARCHAR NOT NULL, submission_id VARCHAR NOT NULL, record_id VARCHAR NOT NULL,
    person_id VARCHAR NOT NULL, match_probability DOUBLE, cluster_size BIGINT NOT NULL,
    run_id VARCHAR NOT NULL, model_version VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS link_run (
    run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP NOT NULL, model_version VARCHAR NOT NULL,
    model_trained BOOLEAN NOT NULL, records BIGINT NOT NULL, pairs_scored BIGINT NOT NULL,
    pairs_kept BIGINT NOT NULL, links BIGINT NOT NULL, persons BIGINT NOT NULL, refused BIGINT NOT NULL,
    threshold DOUBLE NOT NULL, seconds DOUBLE NOT NULL
);
CREATE TABLE IF NOT EXISTS link_refused (
    run_id VARCHAR NOT NULL, record_l VARCHAR NOT NULL, record_r VARCHAR NOT NULL, match_probability DOUBLE,
    judged_not_same_a VARCHAR NOT NULL, judged_not_same_b VARCHAR NOT NULL
);
"""

# The warehouse's non-identifying person columns linkage needs, with each record's reference period
# (an age is an age on some date: the return's period bounds the birth year).
_PERSONS_SQL = """
SELECT p.submission_id, p.source, p.file_name, p.row_number, p.record_id, p.age_years, p.sex,
       s.period_start AS ref_start, s.period_end AS ref_end, s.received_at
FROM current_person p JOIN submission s USING (submission_id)
"""


def read_persons(con: duckdb.DuckDBPyConnection, vault: Vault, into: duckdb.DuckDBPyConnection) -> int:
    """Put current person records, identifiers decrypted from the vault, into ``into`` as ``cs_input``."""
    warehouse = con.sql(_PERSONS_SQL).to_arrow_table()
    identities = _decrypted_persons(vault)
    into.register("cs_w", warehouse)
    into.register("cs_v", identities)
    into.execute(
        "CREATE OR REPLACE TABLE cs_input AS SELECT w.submission_id || '|' || w.record_id AS unique_id, "
        "w.source, w.record_id, w.submission_id, w.received_at, v.forename, v.surname, v.aliases, "
        "v.date_of_birth, w.age_years, w.ref_start, w.ref_end, w.sex, v.postcode, v.address, v.phone_numbers "
        "FROM cs_w w LEFT JOIN cs_v v ON v.submission_id = w.submission_id AND v.file_name = w.file_name "
        "AND v.row_number = w.row_number"
    )
    into.unregister("cs_w")
    into.unregister("cs_v")
    return into.execute("SELECT count(*) FROM cs_input").fetchall()[0][0]


def _decrypted_persons(vault: Vault, batch: int = 50_000) -> pa.Table:
    """The vault's person records, decrypted, as one Arrow table: ``Vault.get_persons`` built batch by batch.

    Why: ``get_persons`` lists every record as a Python dict first, about 3 GB for national x 10 years'
    records; a batch of dicts at a time holds only the Arrow columns (a few hundred MB).
    """
    schema = pa.schema([("submission_id", pa.string()), ("source", pa.string()), ("file_name", pa.string()),
                        ("row_number", pa.int64()), ("record_id", pa.string()),
                        *((name, pa.string()) for name in PERSON_FIELDS)])
    batches: list[pa.RecordBatch] = []
    rows: list[dict[str, object]] = []
    for record in vault.iter_records("person"):
        rows.append(record)
        if len(rows) >= batch:
            batches.append(pa.RecordBatch.from_pylist(rows, schema=schema))
            rows = []
    batches.append(pa.RecordBatch.from_pylist(rows, schema=schema))
    return pa.Table.from_batches(batches, schema=schema).combine_chunks()


def person_ids(
    clusters: Clusters, first_seen: dict[str, tuple[str, str]], vault: Vault, prior: dict[str, str] | None = None
) -> dict[str, str]:
    """A stable, pseudonymous id per cluster: the id an earlier run gave its records, else one derived from
    its earliest record.

    Why: a new submission must not renumber anyone. A cluster holding records an earlier run linked keeps
    that run's id (when it joins two earlier clusters, the id of the one with the earliest record survives;
    when a judgement splits one, the part with its earliest record keeps it). A cluster of records never
    linked before gets a keyed hash of its earliest record's SOURCE:RECORD_ID, which reveals nothing; a
    return received late (a backlog) cannot take over an existing person's id, as "earliest record" alone
    would let it.
    """
    prior = prior or {}
    out: dict[str, str] = {}
    taken: set[str] = set()
    groups = sorted(clusters.members().values(), key=lambda ms: min(first_seen[m] for m in ms))
    for members in groups:
        known = sorted((first_seen[m], prior[m]) for m in members if m in prior)
        pid = next((p for _, p in known if p not in taken), None)
        if pid is None:
            earliest = min(first_seen[m] for m in members)
            token = vault.pseudonym(earliest[1], "person") or earliest[1]
            pid = "P" + hmac.new(b"clearsight person_id", token.encode(), hashlib.sha256).hexdigest()[:16].upper()
        taken.add(pid)
        for member in members:
            out[member] = pid
    return out


def write(
    con: duckdb.DuckDBPyConnection,
    mem: duckdb.DuckDBPyConnection,
    links: pa.Table,
    run: dict[str, object],
    refused: list[tuple[str, str, float, str, str]],
    append_evidence: bool = False,
) -> None:
    """Replace ``person_link`` and ``link_evidence`` and log the run, in one warehouse transaction.

    With ``append_evidence`` (an incremental run, whose pairs all involve a new record) the new pairs are
    added to the evidence already kept instead of replacing it."""
    evidence = mem.sql(
        "SELECT i_l.source AS source_l, i_l.submission_id AS submission_id_l, i_l.record_id AS record_id_l, "
        "i_r.source AS source_r, i_r.submission_id AS submission_id_r, i_r.record_id AS record_id_r, "
        "p.* EXCLUDE (unique_id_l, unique_id_r) FROM cs_pairs p JOIN cs_input i_l ON i_l.unique_id = p.unique_id_l "
        "JOIN cs_input i_r ON i_r.unique_id = p.unique_id_r ORDER BY 1, 2, 3, 4, 5, 6"
    ).to_arrow_table()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(DDL)
        con.register("cs_links", links)
        con.register("cs_evidence", evidence)
        con.execute("DELETE FROM person_link")
        con.execute("INSERT INTO person_link SELECT * FROM cs_links ORDER BY source, submission_id, record_id")
        select = "SELECT ? AS run_id, ? AS model_version, * FROM cs_evidence"
        if append_evidence:
            con.execute(f"CREATE TABLE IF NOT EXISTS link_evidence AS {select} LIMIT 0",
                        [run["run_id"], run["model_version"]])
            con.execute(f"INSERT INTO link_evidence BY NAME {select}", [run["run_id"], run["model_version"]])
        else:
            con.execute(f"CREATE OR REPLACE TABLE link_evidence AS {select}", [run["run_id"], run["model_version"]])
        columns = ", ".join(run)
        con.execute(f"INSERT INTO link_run ({columns}) VALUES ({', '.join('?' for _ in run)})", list(run.values()))
        for row in refused:
            con.execute("INSERT INTO link_refused VALUES (?, ?, ?, ?, ?, ?)", [run["run_id"], *row])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in ("cs_links", "cs_evidence"):
            con.unregister(name)
