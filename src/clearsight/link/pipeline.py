"""The linkage pipeline: warehouse (or CSV) in, scored pairs, clusters under judgements, person_ids out.

Both entry points score with the same Splink model definition (``link.model``) and cluster
strongest-link-first under human judgements (``link.cluster``).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from clearsight.errors import ClearsightError
from clearsight.link import judgements, legal_basis, store
from clearsight.link.cluster import Clusters, cluster
from clearsight.link.features import INPUT_COLUMNS
from clearsight.link.incremental import prior_clusters, require_prior, score_new
from clearsight.link.model import MODEL_VERSION, dates_reliable
from clearsight.link.scoring import score, scratch_connection
from clearsight.progress import ProgressCallback, silent
from clearsight.vault import Vault, load_key
from clearsight.warehouse import connect

__all__ = ["LinkSummary", "DEFAULT_THRESHOLD", "link_file", "model_dir_for", "run"]

DEFAULT_THRESHOLD = 0.99
"""Links at or above this probability join clusters: chosen for precision (see docs/linkage.md)."""


@dataclass
class LinkSummary:
    """What a linkage run did; ``--json`` prints it."""

    db: str
    run_id: str
    model_version: str
    model_trained: bool
    model_dir: str
    records: int = 0
    pairs_scored: int = 0
    pairs_kept: int = 0
    links: int = 0
    persons: int = 0
    refused: list[dict[str, object]] = field(default_factory=list)
    judgements_replayed: int = 0
    conflicts_refused: int = 0
    """Merges refused because the clusters' records conflict on sex or date of birth."""
    incremental: bool = False
    new_records: int = 0
    """Records no earlier run had linked (incremental runs score only the pairs these bring)."""
    seconds: float = 0.0

    def lines(self) -> list[str]:
        return [
            f"records: {self.records:,} linked into {self.persons:,} persons ({self.links:,} links)",
            f"pairs scored: {self.pairs_scored:,}; kept as evidence: {self.pairs_kept:,}",
            f"model: {self.model_version} ({'trained now' if self.model_trained else 'reused'}) in {self.model_dir}",
            f"judgements replayed: {self.judgements_replayed}; merges refused: {len(self.refused)}",
            f"merges refused for conflicting sex or date of birth: {self.conflicts_refused:,}",
            *([f"incremental: {self.new_records:,} new records scored against the existing clusters"]
              if self.incremental else []),
            *(f"refused: {r['record_l']} ~ {r['record_r']} (p={r['match_probability']:.4f}) contradicts "
              f"'not same' for {r['judged_not_same']}" for r in self.refused),
            f"seconds: {self.seconds:.1f}",
        ]


def model_dir_for(db: Path) -> Path:
    """Where a warehouse's trained model and its charts are kept."""
    return db.with_name(db.stem + ".link-model")


def run(
    db: Path,
    engine: str = "duckdb",
    retrain: bool = False,
    progress: ProgressCallback = silent,
    key_file: Path | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    require_legal_basis: bool = False,
    incremental: bool = False,
) -> LinkSummary:
    """Link every current person record of the warehouse at ``db`` and write ``person_link``.

    With ``require_legal_basis`` (what `clearsight link` passes) a source without a recorded legal basis
    (``link.legal_basis``) is refused before any identifier is decrypted. With ``incremental`` only the
    records the last run did not link are scored, against the others and among themselves, with the saved
    model; the last run's clusters stand (``link.incremental``).
    """
    if not Path(db).exists():
        raise ClearsightError(f"{db}: no such warehouse; run `clearsight ingest` first")
    started = time.perf_counter()
    key = load_key(key_file)
    summary = LinkSummary(str(db), uuid.uuid4().hex[:12], MODEL_VERSION, False, str(model_dir_for(Path(db))))
    con = connect(db)
    try:
        with scratch_connection() as mem:
            if require_legal_basis:
                sources = {r[0] for r in con.execute("SELECT DISTINCT source FROM current_person").fetchall()}
                legal_basis.check(con, sources)
            with Vault.open(db, key, read_only=True) as vault:
                progress("link: read records", 0, 4)
                summary.records = store.read_persons(con, vault, mem)
                if summary.records == 0:
                    raise ClearsightError("the warehouse holds no person records to link")
                progress("link: score pairs", 1, 4)
                prior: dict[str, str] | None = None
                if incremental:
                    if retrain:
                        raise ClearsightError(
                            "--incremental reuses the saved model: it cannot be combined with --retrain")
                    if engine != "duckdb":
                        raise ClearsightError("--incremental runs on DuckDB (it scores only the new records' pairs); "
                                              "leave out --engine spark")
                    prior = prior_clusters(con)
                    require_prior(model_dir_for(Path(db)), prior)
                    current = {uid for (uid,) in mem.execute("SELECT unique_id FROM cs_input").fetchall()}
                    prior = {uid: pid for uid, pid in prior.items() if uid in current}
                    new = score_new(mem, "cs_input", set(INPUT_COLUMNS), model_dir_for(Path(db)) / "model.json",
                                    set(prior))
                    model, summary.incremental, summary.new_records = new.model, True, new.new_records
                    summary.pairs_scored, summary.pairs_kept = new.pairs_scored, new.pairs_kept
                else:
                    scored = score(mem, "cs_input", set(INPUT_COLUMNS), model_dir_for(Path(db)), retrain,
                                   engine=engine)
                    summary.model_trained, summary.pairs_scored, summary.pairs_kept = (
                        scored.trained, scored.pairs_scored, scored.pairs_kept)
                    model = scored.model
                progress("link: cluster", 2, 4)
                links, refused = _cluster_warehouse(con, mem, vault, threshold, summary, dates_reliable(model), prior)
            progress("link: write", 3, 4)
            summary.seconds = time.perf_counter() - started
            run_row: dict[str, object] = {
                "run_id": summary.run_id, "started_at": datetime.now(UTC).replace(tzinfo=None),
                "model_version": MODEL_VERSION, "model_trained": summary.model_trained, "records": summary.records,
                "pairs_scored": summary.pairs_scored, "pairs_kept": summary.pairs_kept, "links": summary.links,
                "persons": summary.persons, "refused": len(refused), "threshold": threshold, "seconds": summary.seconds,
            }
            store.write(con, mem, links, run_row, refused, append_evidence=incremental)
            progress("link: write", 4, 4)
    finally:
        con.close()
    return summary


def _cluster_warehouse(
    con: duckdb.DuckDBPyConnection, mem: duckdb.DuckDBPyConnection, vault: Vault, threshold: float,
    summary: LinkSummary, dates: bool = True, prior: dict[str, str] | None = None,
) -> tuple[pa.Table, list[tuple[str, str, float, str, str]]]:
    """Cluster the scored pairs under judgements; ``prior`` (an incremental run) keeps the last run's
    clusters as trusted links. Either way, the last run's ids are kept (``store.person_ids``)."""
    rows = mem.execute(
        "SELECT unique_id, source, submission_id, record_id, CAST(received_at AS VARCHAR) FROM cs_input"
    ).fetchall()
    key_of = {uid: judgements.record_key(source, rid) for uid, source, _, rid, _ in rows}
    by_key: dict[str, list[str]] = {}
    for uid, key in key_of.items():
        by_key.setdefault(key, []).append(uid)
    earlier = prior if prior is not None else prior_clusters(con)
    first_seen: dict[str, tuple[str, str]] = {}
    for uid, _, _, _, received in rows:
        first_seen[uid] = (received, key_of[uid])
    for uids in by_key.values():  # one record in several current returns: first seen at its earliest
        earliest = min(first_seen[u] for u in uids)
        for u in uids:
            first_seen[u] = earliest
    pairs = mem.execute(
        "SELECT unique_id_l, unique_id_r, match_probability FROM cs_pairs WHERE match_probability >= ?", [threshold]
    ).fetchall()
    links = [(a, b, float(p)) for a, b, p in pairs]
    # the same source record in two current returns is one record; 'same' judgements are links too: both
    # are trusted (merged first, even where the record's date of birth was corrected between returns)
    trusted = [(uids[0], other) for uids in by_key.values() for other in uids[1:]]
    if prior:  # an incremental run: the last run's clusters stand, as trusted links
        members: dict[str, list[str]] = {}
        for uid in sorted(prior):
            members.setdefault(prior[uid], []).append(uid)
        trusted += [(group[0], other) for group in members.values() for other in group[1:]]
    live = judgements.live(con)
    summary.judgements_replayed = len(live)
    for j in live:
        if j.judgement == judgements.Judgement.same and j.record_a in by_key and j.record_b in by_key:
            trusted.append((by_key[j.record_a][0], by_key[j.record_b][0]))
    cannot = [(a, b) for j in live if j.judgement == judgements.Judgement.not_same
              for a in by_key.get(j.record_a, []) for b in by_key.get(j.record_b, [])]
    clusters = cluster(key_of, links, cannot, identity=_identity(mem, dates), trusted=trusted)
    summary.conflicts_refused = len(clusters.conflicts)
    ids = store.person_ids(clusters, first_seen, vault, earlier)
    sizes: dict[str, int] = {}
    for root in clusters.root.values():
        sizes[root] = sizes.get(root, 0) + 1
    summary.links = len(clusters.joined_at)
    summary.persons = len(sizes)
    refused = [(key_of[r.left], key_of[r.right], r.match_probability, key_of[r.blocked_by[0]],
                key_of[r.blocked_by[1]]) for r in clusters.refused]
    summary.refused = [
        {"record_l": a, "record_r": b, "match_probability": p, "judged_not_same": f"{x} / {y}"}
        for a, b, p, x, y in refused
    ]
    table = pa.table({
        "source": [r[1] for r in rows], "submission_id": [r[2] for r in rows], "record_id": [r[3] for r in rows],
        "person_id": [ids[r[0]] for r in rows],
        "match_probability": pa.array([clusters.joined_at.get(r[0]) for r in rows], pa.float64()),
        "cluster_size": pa.array([sizes[clusters.root[r[0]]] for r in rows], pa.int64()),
        "run_id": [summary.run_id] * len(rows), "model_version": [MODEL_VERSION] * len(rows),
    })
    return table, refused


def _identity(mem: duckdb.DuckDBPyConnection, dates: bool = True,
              only: str | None = None) -> dict[str, tuple[str | None, str | None]]:
    """Each scored record's normalised date of birth and sex, which clustering keeps from conflicting; the
    dates only where ``dates`` (the model finds them reliable: ``model.dates_reliable``); with ``only`` (a
    relation of ``unique_id``), only those records'."""
    dob = "dob" if dates else "CAST(NULL AS VARCHAR)"
    join = f" JOIN {only} USING (unique_id)" if only else ""
    return {uid: (d, sex) for uid, d, sex in mem.execute(
        f"SELECT unique_id, {dob}, sex FROM cs_features{join} WHERE {dob} IS NOT NULL OR sex IS NOT NULL").fetchall()}


_FILE_COLUMNS = ("record_id", "source", "forename", "surname", "aliases", "date_of_birth", "age_years", "sex",
                 "postcode", "address", "phone_numbers")


def link_file(
    persons_csv: Path,
    out_csv: Path,
    threshold: float = DEFAULT_THRESHOLD,
    model_path: Path | None = None,
    pairs_out: Path | None = None,
    sweep: tuple[float, ...] = (),
    floor: float | None = None,
    engine: str = "duckdb",
) -> dict[str, object]:
    """Link a standalone CSV of person records; write ``record_id,cluster_id,match_probability``.

    Unknown columns are ignored and missing ones read as empty. The model is trained on the file itself
    (each extract has its own error rates) unless ``model_path`` names a saved model's folder. ``pairs_out``
    also writes every pair kept as evidence (``record_id_l,record_id_r,match_probability,match_weight``),
    which is what a precision-recall curve needs. ``sweep`` also clusters at each of those thresholds and
    returns each clustering (record_id -> cluster_id) under ``summary["sweep"]``: the curve of clusters.
    ``floor`` (default ``scoring.EVIDENCE_FLOOR``) is the lowest probability kept; 0 keeps every scored pair,
    which is what measuring the blocking needs.
    """
    if not Path(persons_csv).is_file():
        raise ClearsightError(f"{persons_csv}: no such file")
    started = time.perf_counter()
    with scratch_connection() as mem:
        # read once, straight into the columns linkage uses (the header from DuckDB's sniffing of the file)
        raw = "read_csv(?, all_varchar = true, header = true)"
        header = [row[0] for row in mem.execute(f"DESCRIBE SELECT * FROM {raw}", [str(persons_csv)]).fetchall()]
        lower = {name.lower().strip(): name for name in header}
        if "record_id" not in lower:
            raise ClearsightError(f"{persons_csv}: no record_id column (columns: {', '.join(header)})")
        present = {name for name in _FILE_COLUMNS if name in lower}
        select = ", ".join(f'"{lower[name]}" AS {name}' for name in sorted(present))
        mem.execute(
            f"CREATE TABLE cs_input AS SELECT {select}{', ' if select else ''}"
            f"CAST(row_number() OVER () AS VARCHAR) AS unique_id FROM {raw}", [str(persons_csv)]
        )
        if "source" not in present:
            mem.execute("ALTER TABLE cs_input ADD COLUMN source VARCHAR DEFAULT ''")
        present |= {"unique_id", "source"}
        scored = score(mem, "cs_input", present, model_path, retrain=False, engine=engine,
                       **({} if floor is None else {"floor": floor}))
        pairs = [(a, b, float(p)) for a, b, p in mem.execute(
            "SELECT unique_id_l, unique_id_r, match_probability FROM cs_pairs WHERE match_probability >= ?",
            [min((threshold, *sweep))],
        ).fetchall()]
        # Only records in some link take part in clustering; every other record is a cluster of its own, and
        # gets its id in SQL below. (Until 1 December 2026 every record went through Python: at 1.2M records
        # fetching, clustering and writing them took about 11 s, where 420,476 records have a link.)
        involved = sorted({uid for a, b, _ in pairs for uid in (a, b)}, key=int)
        mem.register("cs_involved_in", pa.table({"unique_id": pa.array(involved, pa.string())}))
        identity = _identity(mem, dates_reliable(scored.model), "cs_involved_in")

        def clusters_at(t: float) -> tuple[Clusters, dict[str, int]]:
            found = cluster(involved, [x for x in pairs if x[2] >= t], identity=identity)
            first: dict[str, int] = {}
            for uid in involved:  # in input order: a cluster's id is its first record's
                first.setdefault(found.root[uid], int(uid))
            return found, first

        clusters, first = clusters_at(threshold)
        swept: dict[str, dict[str, str]] = {}
        if sweep:
            rows = mem.execute(
                "SELECT unique_id, record_id FROM cs_input ORDER BY CAST(unique_id AS BIGINT)").fetchall()
            for t in sweep:
                found, firsts = clusters_at(t)
                swept[repr(t)] = {rid: f"C{firsts[found.root[uid]] if uid in found.root else int(uid):08d}"
                                  for uid, rid in rows}
        seconds_pairs_out = 0.0
        if pairs_out is not None:
            pairs_started = time.perf_counter()
            mem.execute(
                "COPY (SELECT l.record_id AS record_id_l, r.record_id AS record_id_r, p.match_probability, "
                "p.match_weight FROM cs_pairs p JOIN cs_input l ON l.unique_id = p.unique_id_l JOIN cs_input r "
                f"ON r.unique_id = p.unique_id_r ORDER BY 3 DESC, 1, 2) TO '{_sql_path(pairs_out)}' (HEADER)"
            )
            seconds_pairs_out = time.perf_counter() - pairs_started
        mem.register("cs_clustered", pa.table({
            "unique_id": pa.array(involved, pa.string()),
            "first": pa.array([first[clusters.root[uid]] for uid in involved], pa.int64()),
            "match_probability": pa.array([clusters.joined_at.get(uid) for uid in involved], pa.float64()),
        }))
        out_csv.parent.mkdir(parents=True, exist_ok=True)
        mem.execute(
            "COPY (SELECT i.record_id, printf('C%08d', coalesce(c.first, CAST(i.unique_id AS BIGINT))) AS cluster_id, "
            "c.match_probability FROM cs_input i LEFT JOIN cs_clustered c USING (unique_id) "
            f"ORDER BY CAST(i.unique_id AS BIGINT)) TO '{_sql_path(out_csv)}' (HEADER, DELIMITER ',')"
        )
        clusters_count = scored.records - len(involved) + len(first)  # singletons + clusters with links
        summary = {"records": scored.records, "pairs_scored": scored.pairs_scored, "pairs_kept": scored.pairs_kept,
                   "clusters": clusters_count, "links": len(clusters.joined_at),
                   "conflicts_refused": len(clusters.conflicts), "dates_reliable": dates_reliable(scored.model),
                   "seconds_features": scored.seconds_features, "seconds_train": scored.seconds_train,
                   "seconds_predict": scored.seconds_predict,
                   "seconds": time.perf_counter() - started, "seconds_pairs_out": seconds_pairs_out,
                   "out": str(out_csv), "comparisons": scored.comparisons}
        if sweep:
            summary["sweep"] = swept
    return summary


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def summary_dict(summary: LinkSummary) -> dict[str, object]:
    return asdict(summary)
