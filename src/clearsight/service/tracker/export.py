"""Open data: the register as CSV, JSON and Excel, through ``safe_output`` (no formula runs in a spreadsheet).

Why flat rows for CSV: a register that people can open in any spreadsheet and join on ``code`` is more use
than a nested dump; JSON keeps the nesting (owners, history, escalations, evidence) for programs. The
public export holds exactly what the public page shows: no comments, authors only by role.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from clearsight.safe_output import write_csv, write_xlsx

FORMATS = ("csv", "json", "xlsx")
REGISTER_COLUMNS = ("code", "source_report", "number", "title", "summary", "government_position", "owners",
                    "owner_status", "owner_status_as_of", "assessment", "assessment_as_of", "headline", "due",
                    "overdue", "escalation", "evidence_items", "theme", "inquiry", "reference_status",
                    "reference_note", "sources")
HISTORY_COLUMNS = ("code", "kind", "value", "as_of", "organisation", "why", "recorded_at", "by")
ESCALATION_COLUMNS = ("code", "organisation", "step", "taken_on", "why", "by")
EVIDENCE_COLUMNS = ("code", "kind", "title", "url", "figure", "dated", "by")
REQUEST_COLUMNS = ("id", "organisation", "subject", "recommendation", "inquiry", "sent_on", "deadline", "state",
                   "closed_on", "days_late")


def register_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per recommendation."""
    rows = []
    for item in items:
        owner, assessment = item["owner_status"] or {}, item["assessment"] or {}
        last = item["escalations"][-1] if item["escalations"] else None
        rows.append({**{key: item.get(key) for key in REGISTER_COLUMNS}, "owners": "; ".join(item["owners"]),
                     "owner_status": item["owner_said"], "owner_status_as_of": owner.get("as_of"),
                     "assessment": assessment.get("value", "not assessed"),
                     "assessment_as_of": assessment.get("as_of"), "overdue": "yes" if item["overdue"] else "no",
                     "escalation": f"{last['step']} ({last['organisation']}, {last['taken_on']})" if last else "",
                     "evidence_items": len(item["evidence"]),
                     "sources": " ; ".join(part["text"] for part in item["sources"])})
    return rows


def _children(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [{"code": item["code"], **child} for item in items for child in item[key]]


def _default(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_json(payload: Any, indent: int | None = 2) -> str:
    """JSON with ISO dates, stable key order (``indent=None``: compact, and several times faster to write)."""
    return json.dumps(payload, default=_default, indent=indent, sort_keys=True, ensure_ascii=False)


def export(items: list[dict[str, Any]], requests: list[dict[str, Any]], fmt: str, out: Path) -> dict[str, int]:
    """Write the register as ``fmt`` to ``out`` (CSV: the register's rows only); returns rows per part."""
    if fmt not in FORMATS:
        raise ValueError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt == "csv":
        return {"recommendations": write_csv(out, register_rows(items), REGISTER_COLUMNS)}
    if fmt == "json":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(to_json({"recommendations": items, "information_requests": requests}) + "\n",
                       encoding="utf-8")
        return {"recommendations": len(items), "information_requests": len(requests)}
    return write_xlsx(out, {
        "Recommendations": (REGISTER_COLUMNS, register_rows(items)),
        "History": (HISTORY_COLUMNS, _children(items, "history")),
        "Escalations": (ESCALATION_COLUMNS, _children(items, "escalations")),
        "Evidence": (EVIDENCE_COLUMNS, _children(items, "evidence")),
        "Information requests": (REQUEST_COLUMNS, requests),
    })
