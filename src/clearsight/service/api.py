"""The JSON API under /api, described by the OpenAPI spec at /openapi.json.

The intake endpoint takes the same :class:`ReportInput` as the form and answers 201 with the reference only
after the commit; ``call_999`` is true when the reporter said the child is in immediate danger, and clients
must show that first. Reads are scoped and audited exactly as the pages are (same ``triage`` functions).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from pydantic import AfterValidator, BaseModel
from starlette.concurrency import run_in_threadpool

from clearsight.service import triage
from clearsight.service.access import ANALYSTS, EVERYONE, OVERSIGHT, SIGNED_IN, Principal, allow
from clearsight.service.accounts import Role
from clearsight.service.db import transaction
from clearsight.service.disclosure import reporter_visible
from clearsight.service.intake import ReportInput, create_report, cross_checks, find_submission, submission_key
from clearsight.service.models import MandatoryReport

router = APIRouter(tags=["api"])


def _as_utc(value: datetime) -> datetime:
    """Stored times are naive UTC; the API says so (RFC 3339 wants an offset: found by schemathesis)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
TRIAGE_READERS = ANALYSTS | {Role.national_auditor}
REPORTER_IDENTITY = {"reporter_name", "reporter_email", "reporter_phone", "reporter_role", "reporter_organisation"}


class ReportReceipt(BaseModel):
    """What a reporter gets back: keep the reference; without it the report was not made."""

    reference: str
    received_at: UtcDateTime
    council_code: str | None
    force_code: str | None
    routed_by: str
    call_999: bool
    message: str


class ErrorDetail(BaseModel):
    """Why a request was refused: a sentence, or (422) one entry per field."""

    detail: str | list[dict[str, Any]]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    words = {400: "The body could not be read as JSON", 401: "Not signed in",
             403: "This account's role may not use this", 404: "No such report in your area",
             422: "The request is not a valid report", 429: "Too many requests; nothing was made"}
    return {code: {"model": ErrorDetail, "description": words[code]} for code in codes}


class QueueEntry(BaseModel):
    reference: str
    received_at: UtcDateTime
    hours_known_to_report: float
    hours_report_to_triage: float | None
    hours_waiting: float
    overdue: bool
    immediate_danger: bool
    setting: str
    council_code: str | None
    routed_by: str
    linked: int


@router.post("/api/reports", status_code=201, response_model=ReportReceipt, responses=_errors(400, 422, 429))
async def submit_report(
    request: Request, report: ReportInput, principal: Annotated[Principal, Depends(allow(EVERYONE))],
    idempotency_key: Annotated[str | None, Header(max_length=100, description="A random value per report: "
                               "sending it again returns the report already made, never a second one.")] = None,
) -> ReportReceipt:
    already = await run_in_threadpool(find_submission, request.app.state.sessions,
                                      submission_key(f"api|{idempotency_key}" if idempotency_key else None))
    if already is not None:
        return _receipt(already)
    client = request.client.host if request.client else "unknown"
    if not request.app.state.intake_limiter.allow(client):
        raise HTTPException(429, "Too many reports from this client in the last minute; the report was NOT made.")
    errors = cross_checks(report)
    if errors:
        raise HTTPException(422, [{"loc": ["body", field], "msg": message} for field, message in errors.items()])
    row, _new = await run_in_threadpool(create_report, request.app.state.sessions, report, principal,
                                        f"api|{idempotency_key}" if idempotency_key else None)
    return _receipt(row)


def _receipt(row: MandatoryReport) -> ReportReceipt:
    danger = "The child is in immediate danger: call 999 now. " if row.immediate_danger else ""
    return ReportReceipt(reference=row.reference, received_at=row.received_at, council_code=row.council_code,
                         force_code=row.force_code, routed_by=row.routed_by, call_999=row.immediate_danger,
                         message=f"{danger}Your report has been made. Keep this reference: {row.reference}.")


@router.get("/api/reports", response_model=list[QueueEntry], responses=_errors(401, 403))
def list_reports(request: Request, principal: Annotated[Principal, Depends(allow(TRIAGE_READERS))]
                 ) -> list[QueueEntry]:
    with transaction(request.app.state.sessions) as session:
        items = triage.queue(session, principal, request.app.state.settings.triage_deadline_hours)
    return [QueueEntry(**vars(item)) for item in items]


@router.get("/api/reports/{reference}", responses=_errors(401, 403, 404))
def get_report(request: Request, reference: str, principal: Annotated[Principal, Depends(allow(TRIAGE_READERS))]
               ) -> dict[str, Any]:
    """One report (audited). The reporter's identity is included for the triage team (analysts), and for
    anyone else only under a recorded approval (``reporter_identity_approval`` names it; the read is audited)."""
    with transaction(request.app.state.sessions) as session:
        row = triage.read_report(session, principal, reference)
        if row is None:
            raise HTTPException(404, "There is no report with that reference in your area.")
        linked, elsewhere = triage.linked_reports(session, principal, row)
        show_reporter, approval = reporter_visible(session, principal, row)
    hidden = {"id", "child_key", "reporter_user_id", "submission_key"}
    if not show_reporter:
        hidden |= REPORTER_IDENTITY
    body = {column.name: getattr(row, column.name) for column in row.__table__.columns if column.name not in hidden}
    body = {key: _as_utc(value) if isinstance(value, datetime) else value for key, value in body.items()}
    return {**body, "linked_reports": linked, "linked_reports_elsewhere": elsewhere,
            "reporter_identity_approval": approval.id if approval else None}


@router.get("/api/statistics", responses=_errors(401, 403))
def get_statistics(request: Request, principal: Annotated[Principal, Depends(allow(OVERSIGHT))]) -> dict[str, Any]:
    settings = request.app.state.settings
    with transaction(request.app.state.sessions) as session:
        return triage.report_statistics(session, settings.triage_deadline_hours, settings.report_deadline_hours)


@router.get("/api/me", responses=_errors(401))
def me(principal: Annotated[Principal, Depends(allow(SIGNED_IN))]) -> dict[str, Any]:
    return {"user_id": principal.user_id, "role": principal.role, "scope": principal.scope}
