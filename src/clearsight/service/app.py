"""The app factory: settings, database, sessions, security headers, pages, API, and the route check.

Why a factory: tests build one app per database (SQLite and PostgreSQL) and ``clearsight serve`` builds one
from the environment; nothing lives at module level, so two apps never share a database or a rate limit.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from clearsight import __version__
from clearsight.service import (
    api,
    pages_account,
    pages_admin,
    pages_flags,
    pages_networks,
    pages_public,
    pages_staff,
)
from clearsight.service.access import check_declarations
from clearsight.service.db import make_engine, migrate, session_factory
from clearsight.service.limits import SlidingWindowLimiter
from clearsight.service.oidc import add_single_sign_on
from clearsight.service.rendering import make_templates, render
from clearsight.service.settings import ServiceSettings
from clearsight.service.tracker import pages as tracker_pages
from clearsight.service.tracker import pages_panel as tracker_panel

HERE = Path(__file__).parent
logger = logging.getLogger("clearsight.service")



def create_app(settings: ServiceSettings | str | None = None) -> FastAPI:
    """Build the service for one database (a URL, or full settings; SQLite in the current folder by default)."""
    if not isinstance(settings, ServiceSettings):
        settings = ServiceSettings(database_url=settings) if settings else ServiceSettings.from_env()
    engine = make_engine(settings.database_url)
    if settings.migrate:
        migrate(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(title="Clearsight service", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json", lifespan=lifespan,
                  description="Mandatory reporting of child sexual abuse, triage queues and oversight statistics.")
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.templates = make_templates()
    app.state.login_limiter = SlidingWindowLimiter(settings.login_attempts, settings.login_window_s)
    app.state.intake_limiter = SlidingWindowLimiter(settings.intake_per_client_per_minute, 60)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        request.state.csp_nonce = secrets.token_urlsafe(16)
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'self' 'nonce-{request.state.csp_nonce}'; img-src 'self' data:; "
            "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if not request.url.path.startswith("/assets"):
            response.headers["Cache-Control"] = "no-store"
        return response

    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie="clearsight_session",
                       max_age=settings.session_max_age_s, same_site="lax", https_only=settings.secure_cookies)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if request.url.path.startswith("/api/") or request.url.path == "/healthz":
            return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)
        return render(request, "error.html", {"status": error.status_code, "message": error.detail},
                      status_code=error.status_code)

    app.mount("/assets", StaticFiles(directory=HERE / "static"), name="assets")
    for module in (pages_public, pages_staff, pages_flags, pages_networks, pages_admin, pages_account, api):
        # Routes are added flat rather than through include_router, so that app.routes lists every APIRoute
        # (newer FastAPI nests included routers), which the deny-by-default check and its test walk.
        app.router.routes.extend(module.router.routes)
    for tracker_router in (tracker_pages.router, tracker_pages.api, tracker_panel.router):
        app.router.routes.extend(tracker_router.routes)
    add_single_sign_on(app, settings)
    check_declarations(app)
    return app
