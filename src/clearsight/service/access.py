"""Deny by default: every route names the roles that may use it, in one dependency, and CSRF on form POSTs.

Why here and not in each handler: a route is allowed only through ``allow(...)``; ``check_declarations``
refuses to build an app with a route that has none (or an HTML form POST without ``require_csrf``), and
``tests/test_service_access.py`` walks every route with every role. Forgetting is therefore a failing
start, not a hole. Anonymous requests to a closed route get 401, signed-in users without the role 403.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from clearsight.audit_log import AuditLog
from clearsight.service.accounts import ANONYMOUS, Role
from clearsight.service.models import User

EVERYONE = frozenset({ANONYMOUS, *Role})
SIGNED_IN = frozenset(Role)
ANALYSTS = frozenset({Role.force_analyst, Role.council_analyst})
OVERSIGHT = frozenset({Role.admin, Role.national_auditor, Role.inquiry_panel})
FRAMEWORK_PUBLIC = {"/openapi.json": EVERYONE, "/assets": EVERYONE}
"""Routes the framework adds (the OpenAPI spec, GOV.UK Frontend assets): public, declared here."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: an account (id, role, scope) or anonymous."""

    user_id: int | None
    role: str
    scope: str | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this principal (an account id, never an email)."""
        return f"user:{self.user_id}" if self.user_id is not None else ANONYMOUS


def audit(session: Any, principal: Principal, action: str, obj: str, **details: Any) -> None:
    """Append an entry for what ``principal`` did, inside the caller's transaction (ids and counts only)."""
    AuditLog(session.get_bind()).append(principal.actor, principal.role, action, obj, details,
                                        connection=session.connection())


def current_principal(request: Request) -> Principal:
    """The signed-in account from the session cookie, re-read from the database.

    Deactivation and password changes are immediate: the account's ``session_version`` moves on and sessions
    signed with the old one are cleared."""
    user_id = request.session.get("user_id")
    if user_id is None:
        return Principal(None, ANONYMOUS)
    with request.app.state.sessions() as session:
        user = session.get(User, user_id)
    if user is None or not user.active or request.session.get("session_version", 0) != user.session_version:
        request.session.clear()  # deactivated, or the password changed since this session signed in
        return Principal(None, ANONYMOUS)
    return Principal(user.id, user.role, user.scope)


def allow(*roles: str | Iterable[str]) -> Callable[[Request], Principal]:
    """A dependency admitting only ``roles`` (strings or sets of them); returns the Principal."""
    allowed: set[str] = set()
    for role in roles:
        allowed.update([role] if isinstance(role, str) else role)
    frozen = frozenset(str(role) for role in allowed)

    def check(request: Request) -> Principal:
        principal = current_principal(request)
        if principal.role not in frozen:
            if principal.role == ANONYMOUS:
                raise HTTPException(401, "Sign in to use this page.")
            raise HTTPException(403, "Your account may not use this page.")
        request.state.principal = principal
        return principal

    check.allowed_roles = frozen  # type: ignore[attr-defined]
    return check


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use; forms carry it in a hidden field."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def require_csrf(request: Request) -> None:
    """Refuse a form POST whose hidden ``csrf_token`` does not match the session's (403)."""
    form = await request.form()
    sent = str(form.get("csrf_token", ""))
    expected = request.session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "This form has expired or was not sent from this service. Go back and try again.")


def declared_roles(route: object) -> frozenset[str] | None:
    """The roles a route admits, or None when it declares none."""
    if isinstance(route, APIRoute):
        for dependency in route.dependant.dependencies:
            roles = getattr(dependency.call, "allowed_roles", None)
            if roles is not None:
                return roles
        return None
    if isinstance(route, Route | Mount):
        return FRAMEWORK_PUBLIC.get(route.path)
    return None


def check_declarations(app: FastAPI) -> None:
    """Refuse to start with a route that declares no roles, or an HTML form POST without CSRF protection."""
    for route in app.routes:
        path = getattr(route, "path", repr(route))
        roles = declared_roles(route)
        if roles is None:
            raise RuntimeError(f"route {path} declares no allowed roles: add dependencies=[Depends(allow(...))]")
        route.allowed_roles = roles  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and "POST" in route.methods and not path.startswith("/api/"):
            if not any(dep.call is require_csrf for dep in route.dependant.dependencies):
                raise RuntimeError(f"form route POST {path} lacks require_csrf")
