"""The tracker's team side: the inquiry panel workspace, the national dashboard, and every form that writes.

Roles (deny by default, declared on each route): inquiry panel members and national auditors record statuses,
assessments, evidence, escalations, information requests and inquiry events; admins manage (owners, due
dates) and, with the others, comment and read the workspace and dashboard. Each write goes through
``register`` (a new row and its audit entry in one transaction); a refused write re-shows the page with the
reason and status 400.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from clearsight.service.access import Principal, allow, require_csrf
from clearsight.service.db import transaction
from clearsight.service.rendering import render
from clearsight.service.tracker import charts, register
from clearsight.service.tracker.pages import MANAGERS, TEAM, WRITERS, common, detail
from clearsight.service.tracker.register import Actor, TrackerError

router = APIRouter(include_in_schema=False)
Team = Annotated[Principal, Depends(allow(TEAM))]
Writer = Annotated[Principal, Depends(allow(WRITERS))]
Manager = Annotated[Principal, Depends(allow(MANAGERS))]
Csrf = [Depends(require_csrf)]


def _date(form: dict[str, str], field: str, label: str) -> date | None:
    value = form.get(field, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise TrackerError(f"{label}: enter a date as YYYY-MM-DD, for example 2026-03-31") from error


async def _form(request: Request) -> dict[str, str]:
    return {key: str(value) for key, value in (await request.form()).items() if key != "csrf_token"}


async def _write(request: Request, principal: Principal, code: str,
                 action: Callable[[Session, Actor, dict[str, str]], Any]) -> Response:
    """Run one write for a recommendation's page; on a refusal, show the page again with the reason."""
    form = await _form(request)
    try:
        with transaction(request.app.state.sessions) as session:
            action(session, Actor.from_principal(principal), form)
    except TrackerError as error:
        return detail(request, principal, code, error=str(error), form=form, status_code=400)
    return RedirectResponse(f"/tracker/recommendations/{code.upper()}", status_code=303)


@router.get("/tracker/workspace", response_class=HTMLResponse)
def workspace(request: Request, principal: Team) -> HTMLResponse:
    """The inquiry panel's workspace: every recommendation, what is late and next, requests, inquiries."""
    return _workspace(request, principal)


def _workspace(request: Request, principal: Principal, error: str | None = None, form: dict[str, str] | None = None,
               status_code: int = 200) -> HTMLResponse:
    context = common(request, public=False)
    context.update({"may_write": principal.role in WRITERS, "error": error, "form": form or {},
                    "outcomes": register.REQUEST_OUTCOMES, "event_kinds": register.INQUIRY_EVENT_KINDS})
    return render(request, "tracker_workspace.html", context, status_code=status_code)


@router.get("/tracker/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, principal: Team) -> HTMLResponse:
    """The national dashboard: charts of status, overdue by source, and who has not answered; what is late."""
    context = common(request, public=False)
    context["source_chart"] = charts.source_chart(context["summary"])
    context["requests_chart"] = charts.requests_chart(context["by_organisation"])
    return render(request, "tracker_dashboard.html", context)


@router.post("/tracker/recommendations/{code}/status", dependencies=Csrf)
async def post_status(request: Request, code: str, principal: Writer) -> Response:
    def action(session: Session, actor: Actor, form: dict[str, str]) -> None:
        register.record_status(session, actor, code, form.get("kind", ""), form.get("value", ""),
                               form.get("why", ""), _date(form, "as_of", "as of"), form.get("organisation") or None)
    return await _write(request, principal, code, action)


@router.post("/tracker/recommendations/{code}/evidence", dependencies=Csrf)
async def post_evidence(request: Request, code: str, principal: Writer) -> Response:
    def action(session: Session, actor: Actor, form: dict[str, str]) -> None:
        register.add_evidence(session, actor, code, form.get("evidence_kind", ""), form.get("title", ""),
                              form.get("url"), form.get("figure"), _date(form, "dated", "dated"))
    return await _write(request, principal, code, action)


@router.post("/tracker/recommendations/{code}/escalate", dependencies=Csrf)
async def post_escalate(request: Request, code: str, principal: Writer) -> Response:
    def action(session: Session, actor: Actor, form: dict[str, str]) -> None:
        register.escalate(session, actor, code, form.get("organisation", ""), form.get("step", ""),
                          form.get("why", ""), _date(form, "taken_on", "taken on"))
    return await _write(request, principal, code, action)


@router.post("/tracker/recommendations/{code}/comment", dependencies=Csrf)
async def post_comment(request: Request, code: str, principal: Team) -> Response:
    def action(session: Session, actor: Actor, form: dict[str, str]) -> None:
        register.add_comment(session, actor, code, form.get("body", ""))
    return await _write(request, principal, code, action)


@router.post("/tracker/recommendations/{code}/due", dependencies=Csrf)
async def post_due(request: Request, code: str, principal: Manager) -> Response:
    def action(session: Session, actor: Actor, form: dict[str, str]) -> None:
        due = _date(form, "due", "due date")
        if due is None:
            raise TrackerError("due date: enter a date as YYYY-MM-DD")
        register.set_due(session, actor, code, due, form.get("why", ""))
    return await _write(request, principal, code, action)


@router.post("/tracker/recommendations/{code}/owners", dependencies=Csrf)
async def post_owner(request: Request, code: str, principal: Manager) -> Response:
    def action(session: Session, actor: Actor, form: dict[str, str]) -> None:
        register.add_owner(session, actor, code, form.get("organisation", ""), form.get("why", ""))
    return await _write(request, principal, code, action)


async def _workspace_write(request: Request, principal: Principal,
                           action: Callable[[Session, Actor, dict[str, str]], Any]) -> Response:
    form = await _form(request)
    try:
        with transaction(request.app.state.sessions) as session:
            action(session, Actor.from_principal(principal), form)
    except TrackerError as error:
        return _workspace(request, principal, error=str(error), form=form, status_code=400)
    return RedirectResponse("/tracker/workspace", status_code=303)


@router.post("/tracker/requests", dependencies=Csrf)
async def post_request(request: Request, principal: Writer) -> Response:
    """Send an organisation a request for evidence with a deadline."""
    def action(session: Session, actor: Actor, form: dict[str, str]) -> None:
        deadline = _date(form, "deadline", "deadline")
        if deadline is None:
            raise TrackerError("deadline: enter a date as YYYY-MM-DD")
        register.send_request(session, actor, form.get("organisation", ""), form.get("subject", ""), deadline,
                              form.get("recommendation") or None, form.get("inquiry") or None,
                              _date(form, "sent_on", "sent on"))
    return await _workspace_write(request, principal, action)


@router.post("/tracker/requests/{request_id}/outcome", dependencies=Csrf)
async def post_request_outcome(request: Request, request_id: int, principal: Writer) -> Response:
    def action(session: Session, actor: Actor, form: dict[str, str]) -> None:
        register.record_request_outcome(session, actor, request_id, form.get("outcome", ""), form.get("why", ""),
                                        None, _date(form, "new_deadline", "new deadline"))
    return await _workspace_write(request, principal, action)


@router.post("/tracker/inquiries/{inquiry_code}/events", dependencies=Csrf)
async def post_inquiry_event(request: Request, inquiry_code: str, principal: Writer) -> Response:
    """A milestone, a count of survivors engaged (a number only) or a finding."""
    def action(session: Session, actor: Actor, form: dict[str, str]) -> None:
        count = form.get("count", "").strip()
        if count and not count.isdigit():
            raise TrackerError("count: enter a whole number")
        register.add_inquiry_event(session, actor, inquiry_code, form.get("event_kind", ""), form.get("title", ""),
                                   _date(form, "on", "on"), _date(form, "due_on", "due"),
                                   int(count) if count else None, form.get("source", ""))
    return await _workspace_write(request, principal, action)


@router.post("/tracker/inquiries", dependencies=Csrf)
async def post_inquiry(request: Request, principal: Manager) -> Response:
    """Add an inquiry; what is left empty is stored as unknown."""
    def action(session: Session, actor: Actor, form: dict[str, str]) -> None:
        funding = form.get("funding_gbp", "").replace(",", "").replace("£", "").strip()
        if funding and not funding.isdigit():
            raise TrackerError("funding: enter whole pounds, or leave it empty when not known")
        register.add_inquiry(session, actor, form.get("code", ""), form.get("area", ""), form.get("chair", ""),
                             form.get("terms_of_reference", ""), int(funding) if funding else None,
                             form.get("funding_note", ""), form.get("source", ""))
    return await _workspace_write(request, principal, action)


@router.post("/tracker/inquiries/{inquiry_code}/recommendations", dependencies=Csrf)
async def post_inquiry_recommendation(request: Request, inquiry_code: str, principal: Team) -> Response:
    """An inquiry's own recommendation, with its owners (one a line); it starts as proposed."""
    def action(session: Session, actor: Actor, form: dict[str, str]) -> None:
        owners = [line.strip() for line in form.get("owners", "").splitlines() if line.strip()]
        if not owners:
            raise TrackerError("owners: name at least one organisation, one a line")
        register.add_recommendation(session, actor, form.get("code", ""), form.get("title", ""),
                                    form.get("summary", ""), form.get("source", ""), owners, inquiry_code)
    return await _workspace_write(request, principal, action)
