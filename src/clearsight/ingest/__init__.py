"""Ingest: read each submitter's returns, map them to the core data set, validate, load or quarantine.

``run`` is the stage's one entry point (``clearsight ingest`` calls it). Each return is loaded in its own
transaction; a return already loaded is recognised by its files' checksums and skipped; a later return for
the same submitter and period supersedes the earlier one (see ``warehouse.submission_current``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from clearsight.errors import ClearsightError
from clearsight.ingest.load import FileResult, ReturnResult, load_returns
from clearsight.ingest.profile import ProfileError
from clearsight.ingest.returns import discover
from clearsight.progress import ProgressCallback, silent
from clearsight.standard import load_standard
from clearsight.warehouse import connect

__all__ = ["IngestSummary", "run"]


@dataclass
class IngestSummary:
    """Counts for the whole run and per file; ``--json`` prints it."""

    db: str
    returns_found: int = 0
    returns_loaded: int = 0
    returns_already_loaded: int = 0
    returns_refused_locked: int = 0
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    files_rejected: int = 0
    problems: list[str] = field(default_factory=list)
    returns: list[dict] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"returns: {self.returns_found} found, {self.returns_loaded} loaded, "
            f"{self.returns_already_loaded} already loaded before, {self.returns_refused_locked} refused (locked)",
            f"rows: {self.rows_in:,} in = {self.rows_loaded:,} loaded + {self.rows_quarantined:,} quarantined",
            f"files rejected whole: {self.files_rejected}",
            *(f"problem: {p}" for p in self.problems),
            f"warehouse: {self.db}",
        ]


def _add(summary: IngestSummary, result: ReturnResult) -> None:
    if result.status == "already loaded":
        summary.returns_already_loaded += 1
    elif result.status == "locked":
        summary.returns_refused_locked += 1
        summary.problems.append(
            f"{result.submitter_code}/{result.label}: the period's return is signed off and locked; "
            "ask for it to be unlocked before resubmitting"
        )
    else:
        summary.returns_loaded += 1
    files: list[FileResult] = result.files
    summary.rows_in += sum(f.rows_in for f in files)
    summary.rows_loaded += sum(f.rows_loaded for f in files)
    summary.rows_quarantined += sum(f.rows_quarantined for f in files)
    summary.files_rejected += sum(1 for f in files if f.rejected)
    summary.returns.append(
        {
            "submission_id": result.submission_id,
            "submitter_code": result.submitter_code,
            "label": result.label,
            "status": result.status,
            "files": [asdict(f) for f in files],
        }
    )


def run(submissions: Path, db: Path, progress: ProgressCallback = silent) -> IngestSummary:
    """Ingest every return under ``submissions`` into the warehouse at ``db``."""
    standard = load_standard()
    try:
        returns, problems = discover(submissions)
    except ProfileError as error:
        raise ClearsightError(str(error)) from error
    summary = IngestSummary(db=str(db), returns_found=len(returns), problems=problems)
    con = connect(db)
    con.execute("SET enable_progress_bar = false")  # DuckDB's own bars would break into the summary
    try:
        for result in load_returns(con, returns, standard, str(db), progress):
            _add(summary, result)
    finally:
        con.close()
    return summary
