"""Optional single sign-on with OpenID Connect (Authlib), off unless an issuer is configured.

Why it only *authenticates*: accounts, roles and scopes stay the admin's decision in Clearsight. A provider
sign-in is accepted for an existing, active account whose email matches the ID token's ``email`` claim, and
only when the provider says that email is verified; otherwise it is refused (and audited) as a failed sign-in.
The flow is the authorisation-code flow with ``state`` and ``nonce`` (kept in the signed session) and a
signature check of the ID token against the provider's published keys; Authlib does all of that.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from clearsight.audit_log import AuditLog
from clearsight.service.access import EVERYONE, Principal, allow
from clearsight.service.models import User
from clearsight.service.pages_public import home_for
from clearsight.service.rendering import render
from clearsight.service.settings import ServiceSettings

if TYPE_CHECKING:
    from authlib.integrations.starlette_client import OAuth

logger = logging.getLogger("clearsight.service.oidc")
PROVIDER = "provider"
Everyone = Annotated[Principal, Depends(allow(EVERYONE))]


def oidc_client(settings: ServiceSettings) -> OAuth:
    """The Authlib registry with the one configured provider (discovery from ``<issuer>/.well-known/...``)."""
    from authlib.integrations.starlette_client import OAuth  # optional: only needed when single sign-on is on

    oauth = OAuth()
    client_kwargs: dict[str, object] = {"scope": "openid email", "timeout": 10}
    if settings.oidc_transport is not None:
        client_kwargs["transport"] = settings.oidc_transport
    oauth.register(PROVIDER, client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
                   server_metadata_url=f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration",
                   client_kwargs=client_kwargs)
    return oauth


def _refuse(request: Request, message: str) -> Response:
    AuditLog(request.app.state.engine).append("anonymous", "anonymous", "signin.failed", "session",
                                              {"method": "oidc"})
    return render(request, "login.html", {"error": message, "oidc": True}, status_code=403)


def make_router(oauth: OAuth, settings: ServiceSettings) -> APIRouter:
    from authlib.integrations.starlette_client import OAuthError
    from joserfc.errors import JoseError

    router = APIRouter(include_in_schema=False)

    @router.get("/login/oidc")
    async def oidc_start(request: Request, principal: Everyone) -> Response:
        """Send the browser to the provider (state and nonce go into the signed session)."""
        redirect = settings.oidc_redirect_url or str(request.url_for("oidc_callback"))
        try:
            return await oauth.create_client(PROVIDER).authorize_redirect(request, redirect)
        except httpx.HTTPError:  # the provider's discovery document could not be read
            logger.warning("single sign-on provider unreachable")
            return render(request, "login.html", {"error": "Single sign-on is not available just now. Sign in "
                                                           "with your password, or try again later."}, status_code=503)

    @router.get("/login/oidc/callback", name="oidc_callback")
    async def oidc_callback(request: Request, principal: Everyone) -> Response:
        """Exchange the code, check the ID token, and sign in the matching active account."""
        try:
            token = await oauth.create_client(PROVIDER).authorize_access_token(request)
        except (OAuthError, JoseError, ValueError, httpx.HTTPError) as error:  # bad state, code, token; no provider
            logger.warning("single sign-on refused: %s", type(error).__name__)
            return await run_in_threadpool(_refuse, request, "Single sign-on did not complete. Try again.")
        claims = token.get("userinfo") or {}
        email = str(claims.get("email", "")).strip().lower()
        if not email or claims.get("email_verified") is not True:
            return await run_in_threadpool(_refuse, request, "Your organisation's sign-in did not give a verified "
                                                             "email address.")

        def find() -> User | None:
            with request.app.state.sessions() as session:
                return session.scalar(select(User).where(User.email == email, User.active.is_(True)))

        user = await run_in_threadpool(find)
        if user is None:
            return await run_in_threadpool(_refuse, request, "There is no active Clearsight account for you. Ask "
                                                             "your Clearsight administrator.")
        request.session.clear()  # a fresh session (and CSRF token) on sign-in: no session fixation
        request.session["user_id"] = user.id
        request.session["session_version"] = user.session_version
        await run_in_threadpool(AuditLog(request.app.state.engine).append, f"user:{user.id}", user.role, "signin",
                                "session", {"method": "oidc"})
        return RedirectResponse(home_for(user.role), status_code=303)

    return router


def add_single_sign_on(app: FastAPI, settings: ServiceSettings) -> None:
    """Add the two single sign-on routes when an issuer is configured; nothing otherwise."""
    if not settings.oidc_issuer:
        return
    if not settings.oidc_client_id:
        raise RuntimeError("CLEARSIGHT_OIDC_ISSUER is set but CLEARSIGHT_OIDC_CLIENT_ID is not")
    app.router.routes.extend(make_router(oidc_client(settings), settings).routes)
