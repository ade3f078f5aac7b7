"""Optional single sign-on (OpenID Connect, Authlib) against a fake provider running in process.

The fake provider publishes discovery metadata and a key set, and issues RS256-signed ID tokens; the app talks
to it through an ASGI transport, so nothing leaves the process. Off by default: no routes, no button.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from clearsight.audit_log import AuditLog
from clearsight.service import create_app
from clearsight.service.settings import ServiceSettings
from test_service_support import add_account, two_areas

pytest.importorskip("authlib", reason="Authlib is not installed (pip install authlib): single sign-on is optional")
from joserfc import jwt  # noqa: E402 - Authlib's JOSE library
from joserfc.jwk import KeySet, RSAKey  # noqa: E402

ISSUER = "https://sso.example.test"
CLIENT_ID = "clearsight"
AREA_A, _ = two_areas()


class FakeProvider:
    """Just enough of an OpenID provider: discovery, keys, and a token endpoint that signs what it is told."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
        self.codes: dict[str, dict[str, object]] = {}
        self.signing_key = self.key
        self.app = Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks), Route("/token", self.token, methods=["POST"])])

    async def discovery(self, request: Request) -> JSONResponse:
        return JSONResponse({"issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/authorize",
                             "token_endpoint": f"{ISSUER}/token", "jwks_uri": f"{ISSUER}/jwks",
                             "id_token_signing_alg_values_supported": ["RS256"]})

    async def jwks(self, request: Request) -> JSONResponse:
        return JSONResponse(KeySet([self.key]).as_dict(private=False))

    async def token(self, request: Request) -> JSONResponse:
        claims = self.codes.pop(str((await request.form()).get("code")), None)
        if claims is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"},
                              {"iss": ISSUER, "aud": CLIENT_ID, "iat": now, "exp": now + 300, **claims},
                              self.signing_key)
        return JSONResponse({"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token})

    def authorise(self, client: TestClient, **claims: object) -> httpx.Response:
        """What a browser does: start at /login/oidc, 'sign in' at the provider, come back with a code."""
        start = client.get("/login/oidc", follow_redirects=False)
        assert start.status_code == 302 and start.headers["location"].startswith(f"{ISSUER}/authorize")
        query = {key: values[0] for key, values in parse_qs(urlparse(start.headers["location"]).query).items()}
        assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
        code = f"code-{len(self.codes)}-{time.monotonic_ns()}"
        self.codes[code] = {"nonce": query["nonce"], "sub": "subject-1", **claims}
        return client.get("/login/oidc/callback", params={"code": code, "state": query["state"]},
                          follow_redirects=False)


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def app(tmp_path, provider: FakeProvider) -> Iterator[object]:  # noqa: ANN001
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path / 'service.db'}", oidc_issuer=ISSUER,
                               oidc_client_id=CLIENT_ID, oidc_client_secret="secret",
                               oidc_transport=httpx.ASGITransport(app=provider.app))
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


def _actions(app) -> list[tuple[str, dict]]:  # noqa: ANN001
    return [(entry.action, entry.details) for entry in AuditLog(app.state.engine).entries()]


def test_single_sign_on_signs_in_the_matching_active_account(app, provider: FakeProvider) -> None:  # noqa: ANN001
    user_id = add_account(app, "fa@police.example", "force_analyst", AREA_A[2])
    with TestClient(app) as client:
        assert "Sign in with your organisation" in client.get("/login").text
        done = provider.authorise(client, email="FA@police.example", email_verified=True)
        assert done.status_code == 303 and done.headers["location"] == "/triage"
        assert client.get("/api/me").json() == {"user_id": user_id, "role": "force_analyst", "scope": AREA_A[2]}
    assert ("signin", {"method": "oidc"}) in _actions(app)


@pytest.mark.parametrize("claims", [
    {"email": "nobody@police.example", "email_verified": True},  # no such account
    {"email": "fa@police.example", "email_verified": False},  # the provider did not verify the email
    {"email": "fa@police.example"},  # nor say that it did
])
def test_single_sign_on_refuses_unknown_or_unverified_emails(app, provider: FakeProvider, claims: dict) -> None:  # noqa: ANN001
    add_account(app, "fa@police.example", "force_analyst", AREA_A[2])
    with TestClient(app) as client:
        refused = provider.authorise(client, **claims)
        assert refused.status_code == 403 and client.get("/api/me").status_code == 401
    assert ("signin.failed", {"method": "oidc"}) in _actions(app)


def test_single_sign_on_refuses_a_forged_token_or_a_replayed_state(app, provider: FakeProvider) -> None:  # noqa: ANN001
    add_account(app, "fa@police.example", "force_analyst", AREA_A[2])
    provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})  # not the published key
    with TestClient(app) as client:
        assert provider.authorise(client, email="fa@police.example", email_verified=True).status_code == 403
        assert client.get("/api/me").status_code == 401
        forged_state = client.get("/login/oidc/callback", params={"code": "x", "state": "made-up"},
                                  follow_redirects=False)
        assert forged_state.status_code == 403


def test_single_sign_on_is_off_by_default(tmp_path) -> None:  # noqa: ANN001
    app = create_app(ServiceSettings(database_url=f"sqlite:///{tmp_path / 'service.db'}"))
    with TestClient(app) as client:
        assert client.get("/login/oidc").status_code == 404
        assert "Sign in with your organisation" not in client.get("/login").text
    app.state.engine.dispose()


def test_an_unreachable_provider_is_a_plain_error_not_a_crash(tmp_path) -> None:  # noqa: ANN001
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("provider down", request=request)

    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path / 'service.db'}", oidc_issuer=ISSUER,
                               oidc_client_id=CLIENT_ID, oidc_transport=httpx.MockTransport(down))
    app = create_app(settings)
    with TestClient(app) as client:
        answer = client.get("/login/oidc", follow_redirects=False)
        assert answer.status_code == 503 and "not available just now" in answer.text
    app.state.engine.dispose()
