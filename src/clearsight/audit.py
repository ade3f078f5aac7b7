"""The whole audit in one call: ingest, link, networks, flags, then the report (``clearsight audit``).

Each stage is imported lazily and a stage that is not part of this installation is skipped and named, so
the audit runs on any checkout; every stage reads what the one before it wrote to the warehouse.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from clearsight.progress import ProgressCallback, silent

LATER_STAGES = ("link", "networks", "flags")


@dataclass
class AuditSummary:
    """Which stages ran, and each stage's own summary."""

    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    on_duckdb: list[str] = field(default_factory=list)  # stages asked for another engine that have only DuckDB
    summaries: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[str]:
        lines = [f"stages run: {', '.join(self.ran)}"]
        if self.skipped:
            lines.append(f"not installed, skipped: {', '.join(self.skipped)}")
        if self.on_duckdb:
            lines.append(f"ran on DuckDB (no other engine yet): {', '.join(self.on_duckdb)}")
        for name in ("ingest", "report"):
            summary = self.summaries.get(name)
            if summary is not None and hasattr(summary, "lines"):
                lines.extend(summary.lines())
        return lines


def _stage(name: str) -> ModuleType | None:
    """The stage's package, or None when it is not part of this installation."""
    try:
        return importlib.import_module(f"clearsight.{name}")
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith(f"clearsight.{name}"):
            return None
        raise


def run(
    submissions: Path, db: Path, out: Path, threshold: int = 5, pdf: bool = True,
    progress: ProgressCallback = silent, engine: str = "duckdb",
) -> AuditSummary:
    """Run every stage on ``submissions`` into the warehouse ``db`` and write the report to ``out``.

    ``engine`` is passed to every stage whose ``run`` takes one (linkage, networks, flags, the report:
    ``spark`` runs their heavy transforms on Apache Spark); ingest runs on DuckDB.
    """
    from clearsight import ingest, report

    summary = AuditSummary()
    summary.summaries["ingest"] = ingest.run(submissions, db, progress=progress)
    summary.ran.append("ingest")
    for name in LATER_STAGES:
        stage = _stage(name)
        if stage is None or not hasattr(stage, "run"):
            summary.skipped.append(name)
            continue
        options: dict[str, Any] = {"progress": progress}
        if "engine" in inspect.signature(stage.run).parameters:
            options["engine"] = engine
        elif engine != "duckdb":
            summary.on_duckdb.append(name)
        summary.summaries[name] = stage.run(db, **options)
        summary.ran.append(name)
    summary.summaries["report"] = report.run(db, out, threshold=threshold, progress=progress, pdf=pdf,
                                             engine=engine)
    summary.ran.append("report")
    return summary
