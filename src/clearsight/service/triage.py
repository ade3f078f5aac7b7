"""Triage: who may see which reports, the queue with its clocks, decisions, overdue lists and statistics.

Why scoping is one function: every read goes through :func:`visible`, so a force analyst can never reach
another force's report by any route (pages, API, export); a report outside your scope is "not found", not
"forbidden", so its existence is not confirmed either. Every read of a report is audited.
"""

from __future__ import annotations

import statistics as stats
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.orm import Session

from clearsight.service.access import Principal, audit
from clearsight.service.accounts import Role
from clearsight.service.models import MandatoryReport, TriageDecision, utcnow
from clearsight.service.routing import councils

OUTCOMES = {"strategy_discussion": "Strategy discussion or section 47 enquiry", "police_investigation":
            "Passed for police investigation", "early_help": "Early help or child in need assessment",
            "already_known": "Already known and being acted on", "no_further_action": "No further action",
            "forwarded": "Forwarded to another area"}


def visible(principal: Principal) -> ColumnElement[bool]:
    """The reports this principal may read: their force's or council's; unrouted ones for the national team."""
    if principal.role == Role.force_analyst:
        return MandatoryReport.force_code == principal.scope
    if principal.role == Role.council_analyst:
        return MandatoryReport.council_code == principal.scope
    if principal.role == Role.national_auditor:
        return MandatoryReport.council_code.is_(None)
    return false()



@dataclass(frozen=True)
class QueueItem:
    """One row of a triage queue: no names, only what ordering and clocks need."""

    reference: str
    received_at: datetime
    hours_known_to_report: float
    hours_report_to_triage: float | None
    hours_waiting: float
    overdue: bool
    immediate_danger: bool
    setting: str
    council_code: str | None
    routed_by: str
    linked: int


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def queue(session: Session, principal: Principal, deadline_hours: int, *, overdue_only: bool = False
          ) -> list[QueueItem]:
    """The principal's reports, untriaged and in danger first, with the clocks from knowledge to triage."""
    now = utcnow()
    rows = session.scalars(select(MandatoryReport).where(visible(principal)).order_by(
        MandatoryReport.first_triaged_at.is_not(None), MandatoryReport.immediate_danger.desc(),
        MandatoryReport.received_at)).all()
    keys = [row.child_key for row in rows]
    counts = dict(session.execute(select(MandatoryReport.child_key, func.count()).where(
        MandatoryReport.child_key.in_(keys)).group_by(MandatoryReport.child_key)).all()) if keys else {}
    items = []
    for row in rows:
        waited = (row.first_triaged_at or now) - row.received_at
        item = QueueItem(
            row.reference, row.received_at, _hours(row.received_at - row.became_known_at),
            _hours(row.first_triaged_at - row.received_at) if row.first_triaged_at else None, _hours(waited),
            row.first_triaged_at is None and waited > timedelta(hours=deadline_hours), row.immediate_danger,
            row.reporter_setting, row.council_code, row.routed_by, counts.get(row.child_key, 1) - 1)
        if item.overdue or not overdue_only:
            items.append(item)
    audit(session, principal, "queue.read", "queue:overdue" if overdue_only else "queue:all", rows=len(items))
    return items


def read_report(session: Session, principal: Principal, reference: str) -> MandatoryReport | None:
    """One report if the principal may see it (audited as a read of personal data), else None."""
    row = session.scalar(select(MandatoryReport).where(MandatoryReport.reference == reference, visible(principal)))
    if row is not None:
        audit(session, principal, "report.read", f"report:{reference}")
    return row


def linked_reports(session: Session, principal: Principal, row: MandatoryReport) -> tuple[list[str], int]:
    """References of other reports about the same child this principal may see, and how many more exist."""
    others = session.scalars(select(MandatoryReport.reference).where(
        MandatoryReport.child_key == row.child_key, MandatoryReport.id != row.id, visible(principal))).all()
    total = session.scalar(select(func.count()).where(MandatoryReport.child_key == row.child_key,
                                                      MandatoryReport.id != row.id)) or 0
    return list(others), total - len(others)


def decisions(session: Session, row: MandatoryReport) -> list[TriageDecision]:
    return list(session.scalars(select(TriageDecision).where(TriageDecision.report_id == row.id)
                                .order_by(TriageDecision.decided_at)).all())


def record_decision(session: Session, principal: Principal, row: MandatoryReport, outcome: str, note: str
                    ) -> TriageDecision:
    """Add a triage judgement (a row, never an overwrite); the first one stops the triage clock."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    agency = "police" if principal.role == Role.force_analyst else "council"
    decision = TriageDecision(report_id=row.id, decided_at=utcnow(), decided_by=principal.user_id, agency=agency,
                              outcome=outcome, note=note[:5000])
    session.add(decision)
    if row.first_triaged_at is None:
        row.first_triaged_at = decision.decided_at
    audit(session, principal, "report.triage", f"report:{row.reference}", outcome=outcome, agency=agency)
    return decision


def assign_council(session: Session, principal: Principal, row: MandatoryReport, council_code: str) -> None:
    """Route an unrouted report to a council (and its force): the national team's job."""
    council = councils().get(council_code)
    if council is None:
        raise ValueError(f"unknown council {council_code!r}")
    row.council_code, row.force_code, row.routed_by = council_code, council[1], "national_team"
    audit(session, principal, "report.route", f"report:{row.reference}", council=council_code, force=council[1])


def report_statistics(session: Session, deadline_hours: int, late_hours: int) -> dict[str, Any]:
    """Volume, timeliness and sector of reports: aggregates only, for oversight and the audit report.

    Counts here are unsuppressed management information; anything published goes through the report
    stage's disclosure control first."""
    rows = session.execute(select(MandatoryReport.received_at, MandatoryReport.became_known_at,
                                  MandatoryReport.first_triaged_at, MandatoryReport.reporter_setting,
                                  MandatoryReport.force_code).where(true())).all()
    to_report = [_hours(r.received_at - r.became_known_at) for r in rows]
    to_triage = [_hours(r.first_triaged_at - r.received_at) for r in rows if r.first_triaged_at]
    by_month: dict[str, int] = {}
    by_setting: dict[str, int] = {}
    by_force: dict[str, int] = {}
    for r in rows:
        by_month[r.received_at.strftime("%Y-%m")] = by_month.get(r.received_at.strftime("%Y-%m"), 0) + 1
        by_setting[r.reporter_setting] = by_setting.get(r.reporter_setting, 0) + 1
        by_force[r.force_code or "unrouted"] = by_force.get(r.force_code or "unrouted", 0) + 1
    return {
        "reports": len(rows), "triaged": len(to_triage),
        "median_hours_known_to_report": stats.median(to_report) if to_report else None,
        "reported_late": sum(hours > late_hours for hours in to_report),
        "median_hours_report_to_triage": stats.median(to_triage) if to_triage else None,
        "triaged_late": sum(hours > deadline_hours for hours in to_triage),
        "by_month": dict(sorted(by_month.items())), "by_setting": dict(sorted(by_setting.items())),
        "by_force": dict(sorted(by_force.items())),
    }
