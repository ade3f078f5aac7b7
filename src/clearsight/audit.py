"""The whole audit in one call: ingest, link, networks, flags, then the report (``clearsight audit``).

Each stage is imported lazily and a stage that is not part of this installation is skipped and named, so
the audit runs on any checkout; every stage reads what the one before it wrote to the warehouse.
"""

from __future__ import annotations

import importlib
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
    summaries: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[str]:
        lines = [f"stages run: {', '.join(self.ran)}"]
        if self.skipped:
            lines.append(f"not installed, skipped: {', '.join(self.skipped)}")
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
    progress: ProgressCallback = silent,
) -> AuditSummary:
    """Run every stage on ``submissions`` into the warehouse ``db`` and write the report to ``out``."""
    from clearsight import ingest, report

    summary = AuditSummary()
    summary.summaries["ingest"] = ingest.run(submissions, db, progress=progress)
    summary.ran.append("ingest")
    for name in LATER_STAGES:
        stage = _stage(name)
        if stage is None or not hasattr(stage, "run"):
            summary.skipped.append(name)
            continue
        summary.summaries[name] = stage.run(db, progress=progress)
        summary.ran.append(name)
    summary.summaries["report"] = report.run(db, out, threshold=threshold, progress=progress, pdf=pdf)
    summary.ran.append("report")
    return summary
