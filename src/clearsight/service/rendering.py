"""Server-rendered GOV.UK Design System pages: the Jinja environment and the one render helper.

The templates extend ``govuk-frontend-jinja``'s page template and use its component macros; the matching
``govuk-frontend`` CSS, JavaScript, fonts and images are copied into ``static/`` (see
``static/GOVUK_FRONTEND_VERSION.txt``), so an installed wheel needs no Node. Pages work without JavaScript.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape

from clearsight import __version__
from clearsight.service.access import csrf_token

HERE = Path(__file__).parent


def make_templates() -> Jinja2Templates:
    """Our templates first, then the GOV.UK macros under the ``govuk_frontend_jinja/`` prefix."""
    loader = ChoiceLoader([
        FileSystemLoader(HERE / "templates"),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ])
    environment = Environment(loader=loader, autoescape=select_autoescape(["html"]), trim_blocks=True,
                              lstrip_blocks=True)
    return Jinja2Templates(env=environment)


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
           ) -> HTMLResponse:
    """A page with what every page needs: the CSRF token, the signed-in principal, the CSP nonce."""
    base = {"csrf_token": csrf_token(request), "principal": getattr(request.state, "principal", None),
            "cspNonce": getattr(request.state, "csp_nonce", None), "assetPath": "/assets", "version": __version__,
            "single_sign_on": bool(request.app.state.settings.oidc_issuer)}
    return request.app.state.templates.TemplateResponse(request, name, {**base, **(context or {})},
                                                        status_code=status_code)
