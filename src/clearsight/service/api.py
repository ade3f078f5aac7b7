"""The JSON API under /api, described by the OpenAPI spec at /openapi.json.

The intake endpoint takes the same :class:`ReportInput` as the form and answers 201 with the reference only
after the commit; ``call_999`` is true when the reporter said the child is in immediate danger, and clients
must show that first. Reads are scoped and audited exactly as the pages are (same ``triage`` functions).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from clearsight.service import triage
from clearsight.service.access import ANALYSTS, EVERYONE, OVERSIGHT, SIGNED_IN, Principal, allow
from clearsight.service.accounts import Role
from clearsight.service.db import transaction
from clearsight.service.intake import ReportInput, create_report, cross_checks

router = APIRouter(tags=["api"])
TRIAGE_READERS = ANALYSTS | {Role.national_auditor}


class ReportReceipt(BaseModel):
    """What a reporter gets back: keep the reference; without it the report was not made."""

    reference: str
    received_at: datetime
    council_code: str | None
    force_code: str | None
    routed_by: str
    call_999: bool
    message: str


class QueueEntry(BaseModel):
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


@router.post("/api/reports", status_code=201, response_model=ReportReceipt)
async def submit_report(request: Request, report: ReportInput,
                        principal: Annotated[Principal, Depends(allow(EVERYONE))]) -> ReportReceipt:
    client = request.client.host if request.client else "unknown"
    if not request.app.state.intake_limiter.allow(client):
        raise HTTPException(429, "Too many reports from this client in the last minute; the report was NOT made.")
    errors = cross_checks(report)
    if errors:
        raise HTTPException(422, [{"loc": ["body", field], "msg": message} for field, message in errors.items()])
    row = await run_in_threadpool(create_report, request.app.state.sessions, report, principal)
    danger = "The child is in immediate danger: call 999 now. " if row.immediate_danger else ""
    return ReportReceipt(reference=row.reference, received_at=row.received_at, council_code=row.council_code,
                         force_code=row.force_code, routed_by=row.routed_by, call_999=row.immediate_danger,
                         message=f"{danger}Your report has been made. Keep this reference: {row.reference}.")


@router.get("/api/reports", response_model=list[QueueEntry])
def list_reports(request: Request, principal: Annotated[Principal, Depends(allow(TRIAGE_READERS))]
                 ) -> list[QueueEntry]:
    with transaction(request.app.state.sessions) as session:
        items = triage.queue(session, principal, request.app.state.settings.triage_deadline_hours)
    return [QueueEntry(**vars(item)) for item in items]


@router.get("/api/reports/{reference}")
def get_report(request: Request, reference: str, principal: Annotated[Principal, Depends(allow(TRIAGE_READERS))]
               ) -> dict[str, Any]:
    """One report (audited). The reporter's identity is included for the triage team (analysts) only."""
    with transaction(request.app.state.sessions) as session:
        row = triage.read_report(session, principal, reference)
        if row is None:
            raise HTTPException(404, "There is no report with that reference in your area.")
        linked, elsewhere = triage.linked_reports(session, principal, row)
    hidden = {"id", "child_key", "reporter_user_id"}
    if principal.role not in ANALYSTS:
        hidden |= {"reporter_name", "reporter_email", "reporter_phone", "reporter_role"}
    body = {column.name: getattr(row, column.name) for column in row.__table__.columns if column.name not in hidden}
    return {**body, "linked_reports": linked, "linked_reports_elsewhere": elsewhere}


@router.get("/api/statistics")
def get_statistics(request: Request, principal: Annotated[Principal, Depends(allow(OVERSIGHT))]) -> dict[str, Any]:
    settings = request.app.state.settings
    with transaction(request.app.state.sessions) as session:
        return triage.report_statistics(session, settings.triage_deadline_hours, settings.report_deadline_hours)


@router.get("/api/me")
def me(principal: Annotated[Principal, Depends(allow(SIGNED_IN))]) -> dict[str, Any]:
    return {"user_id": principal.user_id, "role": principal.role, "scope": principal.scope}
