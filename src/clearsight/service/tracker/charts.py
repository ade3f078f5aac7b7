"""Charts for the tracker's pages: server-rendered, accessible SVG, reusing the audit report's bar chart.

Why the report's chart: it already gives each chart a title and a description for screen readers and labels
each bar with its value; the pages show the data as a table beside it, so nothing is only in a picture.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from clearsight.report.html import bar_chart


def status_chart(summary: dict[str, Any]) -> Markup:
    """Recommendations by headline status."""
    return Markup(bar_chart("tracker-status", "Recommendations by status", summary["by_status"], "status",  # noqa: S704
                            "recommendations"))


def source_chart(summary: dict[str, Any], measure: str = "overdue") -> Markup:
    """Recommendations overdue (or any count) by source report."""
    rows = [{"source report": row["source_report"], measure: row.get(measure, 0)} for row in summary["by_source"]]
    return Markup(bar_chart(f"tracker-source-{measure}", f"Recommendations {measure} by source", rows,  # noqa: S704
                            "source report", measure))


def requests_chart(by_organisation: list[dict[str, Any]]) -> Markup:
    """Information requests overdue or refused, by organisation: who has not answered."""
    rows = [{"organisation": row["organisation"], "not answered": row["overdue"] + row["refused"]}
            for row in by_organisation if row["overdue"] + row["refused"]]
    return Markup(bar_chart("tracker-requests", "Requests overdue or refused by organisation", rows,  # noqa: S704
                            "organisation", "not answered"))
