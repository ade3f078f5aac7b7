"""Admin pages: accounts (add, deactivate, reactivate, reset a password or make a reset link), approvals to
reveal a reporter's identity beyond the triage team, and the audit log.

Every change here goes through a library function that audits it in the same transaction
(``accounts.add_user``/``set_active``/``set_password``, ``disclosure.approve``/``revoke``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from clearsight.audit_log import AuditLog
from clearsight.service import disclosure
from clearsight.service.access import Principal, allow, require_csrf
from clearsight.service.accounts import (
    RESET_LINK_MAX_AGE_S,
    AccountError,
    Role,
    add_user,
    reset_token,
    set_active,
    set_password,
)
from clearsight.service.db import transaction
from clearsight.service.models import User
from clearsight.service.rendering import render

router = APIRouter(include_in_schema=False)  # HTML pages: not part of the JSON API spec
Admin = Annotated[Principal, Depends(allow(Role.admin))]


def _users_page(request: Request, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    with request.app.state.sessions() as session:
        users = session.scalars(select(User).order_by(User.email)).all()
    return render(request, "admin_users.html", {"users": users, "roles": list(Role), "error": error},
                  status_code=status_code)


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users(request: Request, principal: Admin) -> HTMLResponse:
    return _users_page(request)


@router.post("/admin/users", dependencies=[Depends(require_csrf)])
async def admin_add_user(request: Request, principal: Admin) -> Response:
    form = await request.form()
    try:
        add_user(request.app.state.sessions, str(form.get("email", "")), str(form.get("password", "")),
                 str(form.get("role", "")), str(form.get("scope", "")).strip() or None, actor=principal.actor,
                 actor_role=principal.role)
    except AccountError as error:
        return _users_page(request, str(error), 400)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/active", dependencies=[Depends(require_csrf)])
async def admin_set_active(request: Request, user_id: int, principal: Admin) -> Response:
    """Deactivate (``active=no``) or reactivate (``active=yes``) an account; its sessions end at once."""
    form = await request.form()
    try:
        set_active(request.app.state.sessions, user_id, str(form.get("active", "")) == "yes",
                   actor=principal.actor, actor_role=principal.role)
    except AccountError as error:
        return _users_page(request, str(error), 400)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/password", dependencies=[Depends(require_csrf)])
async def admin_reset_password(request: Request, user_id: int, principal: Admin) -> Response:
    """Set a new password for an account (given to its holder out of band); their sessions end at once."""
    form = await request.form()
    try:
        set_password(request.app.state.sessions, user_id, str(form.get("password", "")), current_password=None,
                     actor=principal.actor, actor_role=principal.role)
    except AccountError as error:
        return _users_page(request, str(error), 400)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/reset-link", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def admin_reset_link(request: Request, user_id: int, principal: Admin) -> HTMLResponse:
    """A one-time link (valid for a day) with which the account's holder sets a new password themselves."""
    try:
        token = reset_token(request.app.state.sessions, request.app.state.settings.secret_key, user_id,
                            actor=principal.actor, actor_role=principal.role)
    except AccountError as error:
        return _users_page(request, str(error), 400)
    link = str(request.url_for("reset_form", token=token))
    return render(request, "admin_reset_link.html", {"link": link, "hours": RESET_LINK_MAX_AGE_S // 3600})


def _approvals_page(request: Request, error: str | None = None, values: dict[str, str] | None = None,
                    status_code: int = 200) -> HTMLResponse:
    with request.app.state.sessions() as session:
        rows = disclosure.approvals(session)
    return render(request, "admin_identity.html", {"approvals": rows, "error": error, "values": values or {},
                                                   "max_days": disclosure.MAX_DAYS}, status_code=status_code)


@router.get("/admin/reporter-identity", response_class=HTMLResponse)
def admin_identity_approvals(request: Request, principal: Admin) -> HTMLResponse:
    return _approvals_page(request)


@router.post("/admin/reporter-identity", dependencies=[Depends(require_csrf)])
async def admin_approve_identity(request: Request, principal: Admin) -> Response:
    """Record who may see which report's reporter, why, and for how many days."""
    form = {key: str(value) for key, value in (await request.form()).items() if key != "csrf_token"}
    try:
        days = int(form.get("days", "7") or "7")
        with transaction(request.app.state.sessions) as session:
            disclosure.approve(session, principal, form.get("reference", ""), form.get("email", ""),
                               form.get("reason", ""), days)
    except ValueError as error:  # DisclosureError, or days not a number
        message = str(error) if isinstance(error, disclosure.DisclosureError) else "Enter the number of days"
        return _approvals_page(request, message, form, 400)
    return RedirectResponse("/admin/reporter-identity", status_code=303)


@router.post("/admin/reporter-identity/{approval_id}/revoke", dependencies=[Depends(require_csrf)])
async def admin_revoke_identity(request: Request, approval_id: int, principal: Admin) -> Response:
    try:
        with transaction(request.app.state.sessions) as session:
            disclosure.revoke(session, principal, approval_id)
    except disclosure.DisclosureError as error:
        return _approvals_page(request, str(error), None, 404)
    return RedirectResponse("/admin/reporter-identity", status_code=303)


@router.get("/admin/audit-log", response_class=HTMLResponse)
def admin_audit_log(request: Request, principal: Admin) -> HTMLResponse:
    log = AuditLog(request.app.state.engine)
    return render(request, "admin_audit.html", {"result": log.verify(),
                                                "entries": log.entries(limit=50, newest_first=True)})
