"""The audit report: statistics from the warehouse, disclosure control over the whole release, then outputs.

``run`` is the stage's one entry point. It builds every table (:mod:`.tables`, :mod:`.optional`,
:mod:`.quality`), protects the release as a whole (:mod:`.disclosure`), and writes ``tables/*.csv`` (the
complete publication), ``manifest.json``, ``report.xlsx``, ``report.html`` and ``report.pdf``, all drawn
from the same published rows (:mod:`.publish`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from clearsight.progress import ProgressCallback, silent

__all__ = ["ReportSummary", "run"]


@dataclass
class ReportSummary:
    """What a report run wrote and withheld."""

    out_dir: str
    tables: int
    cells: int
    primary: int
    secondary: int
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    pdf: str = ""

    def lines(self) -> list[str]:
        """Plain lines for the CLI's closing summary."""
        return [f"{self.tables} tables, {self.cells:,} count cells: {self.primary} withheld as small, "
                f"{self.secondary} more withheld so that they cannot be worked out from totals",
                f"written in {self.seconds:.1f} s to {self.out_dir}: {', '.join(self.files)}",
                *([f"PDF {self.pdf}"] if self.pdf.startswith("not written:") else [])]


def run(db: Path | str, out_dir: Path | str, threshold: int = 5, progress: ProgressCallback = silent,
        protection: int | None = None, pdf: bool = True, population: Path | str | None = None,
        engine: str = "duckdb") -> ReportSummary:
    """Write the report for the warehouse at ``db`` into ``out_dir``; see the module docstring.

    ``population`` is a CSV of official population figures (the columns of the packaged
    ``report/data/population.csv``) to use instead of the packaged ones, e.g. child populations by force.
    ``engine`` (``duckdb`` or ``spark``) is where the per-person transforms run (``views.create_views``).
    """
    from clearsight.report.pipeline import build_report

    return build_report(Path(db), Path(out_dir), threshold, protection or threshold, progress, pdf,
                        Path(population) if population else None, engine)
