"""An account's own pages: changing its password (signed in), and setting one from an admin's reset link.

Why the session is re-signed here: a password change bumps the account's session version, which ends every
other session (a stolen cookie stops working); the session that made the change carries on with the new one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from clearsight.service.access import EVERYONE, SIGNED_IN, Principal, allow, require_csrf
from clearsight.service.accounts import AccountError, account_for_reset, set_password
from clearsight.service.rendering import render

router = APIRouter(include_in_schema=False)  # HTML pages: not part of the JSON API spec
SignedIn = Annotated[Principal, Depends(allow(SIGNED_IN))]
Everyone = Annotated[Principal, Depends(allow(EVERYONE))]


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, principal: SignedIn) -> HTMLResponse:
    return render(request, "account_password.html", {"error": None, "done": False})


@router.post("/account/password", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def change_password(request: Request, principal: SignedIn) -> HTMLResponse:
    form = await request.form()
    new, again = str(form.get("new_password", "")), str(form.get("confirm_password", ""))
    if new != again:
        return render(request, "account_password.html", {"error": "The new passwords do not match", "done": False},
                      status_code=400)
    try:
        user = await run_in_threadpool(set_password, request.app.state.sessions, principal.user_id, new,
                                       current_password=str(form.get("current_password", "")),
                                       actor=principal.actor, actor_role=principal.role)
    except AccountError as error:
        return render(request, "account_password.html", {"error": str(error), "done": False}, status_code=400)
    request.session["session_version"] = user.session_version
    return render(request, "account_password.html", {"error": None, "done": True})


def _reset_page(request: Request, token: str, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "account_reset.html", {"token": token, "error": error, "done": False},
                  status_code=status_code)


@router.get("/account/reset/{token}", response_class=HTMLResponse)
def reset_form(request: Request, token: str, principal: Everyone) -> HTMLResponse:
    """The page a reset link opens: set a new password (the link works once, for a day)."""
    if account_for_reset(request.app.state.sessions, request.app.state.settings.secret_key, token) is None:
        raise HTTPException(404, "This link has expired or has already been used. Ask your administrator for a "
                                 "new one.")
    return _reset_page(request, token)


@router.post("/account/reset/{token}", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def reset_password(request: Request, token: str, principal: Everyone) -> HTMLResponse:
    form = await request.form()
    new, again = str(form.get("new_password", "")), str(form.get("confirm_password", ""))
    user = await run_in_threadpool(account_for_reset, request.app.state.sessions,
                                   request.app.state.settings.secret_key, token)
    if user is None:
        raise HTTPException(404, "This link has expired or has already been used. Ask your administrator for a "
                                 "new one.")
    if new != again:
        return _reset_page(request, token, "The new passwords do not match", 400)
    try:
        await run_in_threadpool(set_password, request.app.state.sessions, user.id, new, current_password=None,
                                actor=f"user:{user.id}", actor_role=user.role)
    except AccountError as error:
        return _reset_page(request, token, str(error), 400)
    request.session.clear()
    return render(request, "account_reset.html", {"token": None, "error": None, "done": True})
