"""Pages for signed-in staff: triage queues and reports, decisions, statistics (accounts: ``pages_admin``).

Each handler opens one transaction, so a read of a report and its audit entry commit together: a report
cannot be shown without the read being recorded.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from clearsight.audit_log import AuditLog
from clearsight.service import triage
from clearsight.service.access import ANALYSTS, OVERSIGHT, Principal, allow, require_csrf
from clearsight.service.accounts import Role
from clearsight.service.db import transaction
from clearsight.service.disclosure import reporter_visible
from clearsight.service.intake import CONCERN_TYPES, SETTINGS, YES_NO_UNKNOWN
from clearsight.service.models import MandatoryReport
from clearsight.service.rendering import render
from clearsight.service.routing import councils

router = APIRouter(include_in_schema=False)  # HTML pages: not part of the JSON API spec
_render = render
TRIAGE_READERS = ANALYSTS | {Role.national_auditor}
Triager = Annotated[Principal, Depends(allow(TRIAGE_READERS))]
Analyst = Annotated[Principal, Depends(allow(ANALYSTS))]
Oversight = Annotated[Principal, Depends(allow(OVERSIGHT))]



def _deadline(request: Request) -> int:
    return request.app.state.settings.triage_deadline_hours


@router.get("/triage", response_class=HTMLResponse)
def triage_queue(request: Request, principal: Triager) -> HTMLResponse:
    with transaction(request.app.state.sessions) as session:
        items = triage.queue(session, principal, _deadline(request))
    return _render(request, "triage_queue.html", {"items": items, "overdue_only": False, "councils": councils(),
                                                  "settings_labels": SETTINGS, "deadline": _deadline(request)})


@router.get("/triage/overdue", response_class=HTMLResponse)
def triage_overdue(request: Request, principal: Triager) -> HTMLResponse:
    with transaction(request.app.state.sessions) as session:
        items = triage.queue(session, principal, _deadline(request), overdue_only=True)
    return _render(request, "triage_queue.html", {"items": items, "overdue_only": True, "councils": councils(),
                                                  "settings_labels": SETTINGS, "deadline": _deadline(request)})


@router.get("/triage/export.csv")
def triage_export(request: Request, principal: Analyst) -> Response:
    """The analyst's queue as CSV (no names): an export, so it is audited."""
    with transaction(request.app.state.sessions) as session:
        items = triage.queue(session, principal, _deadline(request))
        AuditLog(session.get_bind()).append(principal.actor, principal.role, "export", "queue:csv",
                                            {"rows": len(items)}, connection=session.connection())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["reference", "received_at", "hours_known_to_report", "hours_report_to_triage", "overdue",
                     "immediate_danger", "setting", "council_code", "linked_reports"])
    for item in items:
        writer.writerow([item.reference, item.received_at.isoformat(), item.hours_known_to_report,
                         "" if item.hours_report_to_triage is None else item.hours_report_to_triage,
                         item.overdue, item.immediate_danger, item.setting, item.council_code or "", item.linked])
    return Response(buffer.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="triage-queue.csv"'})


def _report_page(request: Request, principal: Principal, reference: str, error: str | None = None,
                 status_code: int = 200) -> HTMLResponse:
    with transaction(request.app.state.sessions) as session:
        row = triage.read_report(session, principal, reference)
        if row is None:
            raise HTTPException(404, "There is no report with that reference in your area.")
        linked, elsewhere = triage.linked_reports(session, principal, row)
        history = triage.decisions(session, row)
        show_reporter, approval = reporter_visible(session, principal, row)
    return _render(request, "triage_report.html", {
        "report": row, "linked": linked, "linked_elsewhere": elsewhere, "decisions": history,
        "outcomes": triage.OUTCOMES, "councils": councils(), "settings_labels": SETTINGS,
        "concern_types": CONCERN_TYPES, "yes_no_unknown": YES_NO_UNKNOWN, "error": error,
        "show_reporter": show_reporter, "identity_approval": approval,
        "dbs_prompt": row.perpetrator_works_with_children == "yes" or row.perpetrator_position_of_trust == "yes",
    }, status_code=status_code)


@router.get("/triage/{reference}", response_class=HTMLResponse)
def triage_report(request: Request, reference: str, principal: Triager) -> HTMLResponse:
    return _report_page(request, principal, reference)


@router.post("/triage/{reference}/decision", dependencies=[Depends(require_csrf)])
async def triage_decision(request: Request, reference: str, principal: Analyst) -> Response:
    form = await request.form()
    outcome, note = str(form.get("outcome", "")), str(form.get("note", ""))
    if outcome not in triage.OUTCOMES:
        return _report_page(request, principal, reference, "Select a triage outcome", 400)
    with transaction(request.app.state.sessions) as session:
        row = session.scalar(select(MandatoryReport).where(MandatoryReport.reference == reference,
                                                            triage.visible(principal)))
        if row is None:
            raise HTTPException(404, "There is no report with that reference in your area.")
        triage.record_decision(session, principal, row, outcome, note)
    return RedirectResponse(f"/triage/{reference}", status_code=303)


@router.post("/triage/{reference}/route", dependencies=[Depends(require_csrf)])
async def triage_route(request: Request, reference: str,
                       principal: Annotated[Principal, Depends(allow(Role.national_auditor))]) -> Response:
    """Route an unrouted report to a council; it then leaves the national queue for the council's and force's."""
    form = await request.form()
    council_code = str(form.get("council_code", ""))
    if council_code not in councils():
        return _report_page(request, principal, reference, "Choose a council from the list", 400)
    with transaction(request.app.state.sessions) as session:
        row = session.scalar(select(MandatoryReport).where(MandatoryReport.reference == reference,
                                                            triage.visible(principal)))
        if row is None:
            raise HTTPException(404, "There is no unrouted report with that reference.")
        triage.assign_council(session, principal, row, council_code)
    return RedirectResponse("/triage", status_code=303)


@router.get("/statistics", response_class=HTMLResponse)
def statistics_page(request: Request, principal: Oversight) -> HTMLResponse:
    settings = request.app.state.settings
    with transaction(request.app.state.sessions) as session:
        numbers = triage.report_statistics(session, settings.triage_deadline_hours, settings.report_deadline_hours)
    return _render(request, "statistics.html", {"stats": numbers, "settings_labels": SETTINGS,
                                                "settings": settings})


@router.get("/my-reports", response_class=HTMLResponse)
def my_reports(request: Request, principal: Annotated[Principal, Depends(allow(Role.mandated_reporter))]
               ) -> HTMLResponse:
    """A signed-in mandated reporter's own references and whether each has been triaged (no other detail)."""
    with request.app.state.sessions() as session:
        rows = session.execute(select(MandatoryReport.reference, MandatoryReport.received_at,
                                      MandatoryReport.first_triaged_at)
                               .where(MandatoryReport.reporter_user_id == principal.user_id)
                               .order_by(MandatoryReport.received_at.desc())).all()
    return _render(request, "my_reports.html", {"rows": rows})
