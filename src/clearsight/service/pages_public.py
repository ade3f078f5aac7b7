"""Public pages: the start page, the mandatory report form and its confirmation, decision support, sign-in.

Why POST/redirect/GET with a one-time token: each render of the form carries a fresh random
``submission_token``; the POST stores the report (its reference exists only once the transaction has
committed), remembers the reference in the signed session cookie and answers 303 to ``/report/made``.
Refreshing the confirmation re-sends nothing, and re-sending the same form (back button, double click, a
retry after a lost answer) finds the report already made with that token and shows the same reference.
Nothing here logs what the reporter typed or where they connected from.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from clearsight.audit_log import AuditLog
from clearsight.service.access import EVERYONE, SIGNED_IN, Principal, allow, require_csrf
from clearsight.service.accounts import authenticate
from clearsight.service.intake import (
    CONCERN_TYPES,
    SETTINGS,
    YES_NO_UNKNOWN,
    ReportInput,
    create_report,
    cross_checks,
    find_reference,
    find_submission,
    submission_key,
    validation_messages,
)
from clearsight.service.rendering import render
from clearsight.service.routing import councils

router = APIRouter(include_in_schema=False)  # HTML pages: not part of the JSON API spec
_render = render
logger = logging.getLogger("clearsight.service.intake")
Everyone = Annotated[Principal, Depends(allow(EVERYONE))]
_DATE_FIELDS = ("child_date_of_birth", "became_known_on")
_NOT_REPORT_FIELDS = {"csrf_token", "submission_token"}
_MADE_KEPT = 20
"""How many references the session remembers for the confirmation page (newest last)."""



def _form_choices() -> dict[str, Any]:
    council_items = sorted(((code, name) for code, (name, _force) in councils().items()), key=lambda item: item[1])
    return {"settings": SETTINGS, "concern_types": CONCERN_TYPES, "yes_no_unknown": YES_NO_UNKNOWN,
            "councils": council_items}


def _date_from_parts(form: dict[str, str], field: str) -> str | None:
    parts = [form.get(f"{field}-{part}", "").strip() for part in ("year", "month", "day")]
    if not any(parts):
        return None
    try:
        year, month, day = (int(part) for part in parts)
    except ValueError:
        return "invalid"
    return f"{year:04d}-{month:02d}-{day:02d}"


def form_to_payload(form: dict[str, str]) -> dict[str, Any]:
    """The HTML form's flat fields as the JSON API's payload (dates from day/month/year, yes/no to bools)."""
    payload: dict[str, Any] = {key: value.strip() for key, value in form.items()
                               if key not in _NOT_REPORT_FIELDS and "-" not in key and value.strip() != ""}
    for field in _DATE_FIELDS:
        value = _date_from_parts(form, field)
        if value:
            payload[field] = value
    for field in ("immediate_danger", "perpetrator_known"):
        if field in payload:
            payload[field] = payload[field] == "yes"
    return payload


@router.get("/", response_class=HTMLResponse)
def start(request: Request, principal: Everyone) -> HTMLResponse:
    return _render(request, "start.html")


@router.get("/healthz")
def healthz(principal: Everyone) -> dict[str, str]:
    return {"status": "ok"}


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request, principal: Everyone) -> HTMLResponse:
    return _render(request, "report_form.html", {"values": {}, "errors": {}, **_form_choices(),
                                                 "submission_token": secrets.token_urlsafe(24)})


def _remember_made(request: Request, reference: str) -> None:
    made = [ref for ref in request.session.get("made", []) if ref != reference]
    request.session["made"] = [*made, reference][-_MADE_KEPT:]


def _made(request: Request, row: Any) -> RedirectResponse:
    _remember_made(request, row.reference)
    return RedirectResponse(f"/report/made?reference={row.reference}", status_code=303)


@router.post("/report", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def report_submit(request: Request, principal: Everyone) -> Response:
    form = {key: str(value) for key, value in (await request.form()).items()}
    token = form.get("submission_token", "")[:100]
    already = await run_in_threadpool(find_submission, request.app.state.sessions, submission_key(token))
    if already is not None:  # the same form sent again: the report exists, show its reference again
        return _made(request, already)
    client = request.client.host if request.client else "unknown"
    if not request.app.state.intake_limiter.allow(client):
        return _render(request, "error.html", {"status": 429, "message": "Too many reports have been sent from "
                       "this connection in the last minute. Wait a minute and send it again. Your report has "
                       "not been made yet.", "danger_hint": True}, status_code=429)
    payload = form_to_payload(form)
    try:
        report = ReportInput.model_validate(payload)
        errors = cross_checks(report)
    except ValidationError as error:
        report, errors = None, {**cross_checks(payload), **validation_messages(error)}
    if errors or report is None:
        danger = form.get("immediate_danger") == "yes"
        return _render(request, "report_form.html", {"values": form, "errors": errors, "danger": danger,
                                                     "submission_token": token or secrets.token_urlsafe(24),
                                                     **_form_choices()}, status_code=400)
    try:
        row, _new = await run_in_threadpool(create_report, request.app.state.sessions, report, principal, token)
    except Exception:  # the report is not stored: say so plainly, keep nothing of what was typed in the log
        logger.error("a report could not be stored (database error)")
        return _render(request, "error.html", {"status": 503, "message": "Your report could not be saved, so it "
                       "has NOT been made. Go back and send it again.", "danger_hint": True}, status_code=503)
    logger.info("report stored reference=%s routed_by=%s", row.reference, row.routed_by)
    return _made(request, row)


@router.get("/report/made", response_class=HTMLResponse)
def report_made(request: Request, principal: Everyone, reference: str | None = None) -> HTMLResponse:
    """The confirmation, for references made in this browser session only (the newest when none is named).

    Safe to refresh: it reads, never writes. A reference from another session is not shown, so a guessed
    URL reveals nothing."""
    made = request.session.get("made", [])
    wanted = reference if reference in made else (made[-1] if made and reference is None else None)
    row = find_reference(request.app.state.sessions, wanted) if wanted else None
    if row is None:
        return _render(request, "report_none.html", {})
    council = councils().get(row.council_code or "", ("", ""))[0]
    return _render(request, "report_done.html", {"report": row, "council_name": council})


@router.get("/report/check", response_class=HTMLResponse)
def check_form(request: Request, principal: Everyone) -> HTMLResponse:
    return _render(request, "check.html", {"result": None})


@router.post("/report/check", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def check_answers(request: Request, principal: Everyone) -> HTMLResponse:
    """Decision support: a few questions and plain guidance. It never blocks: the form is always one click away."""
    form = await request.form()
    told, seen, suspect = (form.get(name) == "yes" for name in ("told", "seen", "suspect"))
    if told or seen:
        result = "must"
    elif suspect:
        result = "should"
    else:
        result = "unsure"
    return _render(request, "check.html", {"result": result})


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, principal: Everyone) -> HTMLResponse:
    return _render(request, "login.html", {"error": None})  # the page shows single sign-on when it is on


@router.post("/login", dependencies=[Depends(require_csrf)])
async def login(request: Request, principal: Everyone) -> Response:
    """Sign in, with a rate limit per account and per client; every attempt is audited (without the email)."""
    form = await request.form()
    email, password = str(form.get("email", "")).strip().lower(), str(form.get("password", ""))
    client = request.client.host if request.client else "unknown"
    limiter = request.app.state.login_limiter
    audit = AuditLog(request.app.state.engine)
    if limiter.blocked(f"email:{email}", f"client:{client}"):
        await run_in_threadpool(audit.append, "anonymous", "anonymous", "signin.throttled", "session", {})
        return _render(request, "login.html", {"error": "Too many failed attempts. Wait 15 minutes and try "
                                                        "again."}, status_code=429)

    def check() -> Any:
        with request.app.state.sessions() as session:
            return authenticate(session, email, password)

    user = await run_in_threadpool(check)
    if user is None:
        limiter.hit(f"email:{email}", f"client:{client}")
        await run_in_threadpool(audit.append, "anonymous", "anonymous", "signin.failed", "session", {})
        return _render(request, "login.html", {"error": "The email address or password is wrong."},
                       status_code=400)
    limiter.reset(f"email:{email}")
    request.session.clear()  # a fresh session (and CSRF token) on sign-in: no session fixation
    request.session["user_id"] = user.id
    request.session["session_version"] = user.session_version
    await run_in_threadpool(audit.append, f"user:{user.id}", user.role, "signin", "session", {})
    return RedirectResponse(home_for(user.role), status_code=303)


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request, principal: Annotated[Principal, Depends(allow(SIGNED_IN))]) -> Response:
    AuditLog(request.app.state.engine).append(principal.actor, principal.role, "signout", "session", {})
    request.session.clear()
    return RedirectResponse("/", status_code=303)


def home_for(role: str) -> str:
    """Where an account lands after signing in."""
    return {"force_analyst": "/triage", "council_analyst": "/triage", "national_auditor": "/statistics",
            "inquiry_panel": "/statistics", "admin": "/admin/users", "mandated_reporter": "/my-reports"}.get(role, "/")

