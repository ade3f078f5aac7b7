"""Deny by default: every route, with every role and anonymously, answers as its declaration says.

The expected answer comes from each route's one declaration (``allow(...)``); a route without one cannot
even be built into an app (``check_declarations``), and a short policy table below pins the sensitive routes
so that widening one by mistake also fails.
"""

from __future__ import annotations

import re

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient

from clearsight.service import create_app
from clearsight.service.access import EVERYONE, allow, check_declarations, declared_roles
from clearsight.service.accounts import ANONYMOUS, Role
from clearsight.service.settings import ServiceSettings
from test_service_support import PASSWORD, add_account, csrf_of, report_json, two_areas

AREA_A, _ = two_areas()
ROLES = [ANONYMOUS, *Role]
SCOPES = {Role.force_analyst: AREA_A[2], Role.council_analyst: AREA_A[1]}
POLICY = {  # sensitive routes pinned by hand: (method, path) -> roles allowed
    ("GET", "/triage/{reference}"): {"force_analyst", "council_analyst", "national_auditor"},
    ("GET", "/api/reports/{reference}"): {"force_analyst", "council_analyst", "national_auditor"},
    ("GET", "/triage/export.csv"): {"force_analyst", "council_analyst"},
    ("POST", "/triage/{reference}/decision"): {"force_analyst", "council_analyst"},
    ("GET", "/admin/users"): {"admin"}, ("POST", "/admin/users"): {"admin"}, ("GET", "/admin/audit-log"): {"admin"},
    ("POST", "/admin/users/{user_id}/active"): {"admin"}, ("POST", "/admin/users/{user_id}/password"): {"admin"},
    ("GET", "/admin/reporter-identity"): {"admin"}, ("POST", "/admin/reporter-identity"): {"admin"},
    ("POST", "/admin/reporter-identity/{approval_id}/revoke"): {"admin"},
    ("GET", "/account/password"): set(Role), ("POST", "/account/password"): set(Role),
    ("GET", "/report/made"): set(EVERYONE), ("POST", "/admin/users/{user_id}/reset-link"): {"admin"},
    ("GET", "/account/reset/{token}"): set(EVERYONE), ("POST", "/account/reset/{token}"): set(EVERYONE),
    ("GET", "/statistics"): {"admin", "national_auditor", "inquiry_panel"},
    ("POST", "/report"): set(EVERYONE), ("POST", "/api/reports"): set(EVERYONE),
    ("GET", "/flags"): {"council_analyst", "national_auditor", "admin"},
    ("GET", "/flags/{flag_id}"): {"council_analyst", "national_auditor", "admin"},
    ("POST", "/flags/{flag_id}/decision"): {"council_analyst", "national_auditor"},
    ("GET", "/networks"): {"force_analyst", "council_analyst", "national_auditor"},
    ("GET", "/networks/{group_id}"): {"force_analyst", "council_analyst", "national_auditor"},
    ("GET", "/linkage/explain"): {"force_analyst", "council_analyst", "national_auditor"},
    ("POST", "/linkage/judgement"): {"force_analyst", "council_analyst", "national_auditor"},
    ("GET", "/tracker"): set(EVERYONE), ("GET", "/api/tracker/recommendations"): set(EVERYONE),
    ("GET", "/tracker/workspace"): {"inquiry_panel", "national_auditor", "admin"},
    ("GET", "/tracker/dashboard"): {"inquiry_panel", "national_auditor", "admin"},
    ("POST", "/tracker/recommendations/{code}/status"): {"inquiry_panel", "national_auditor"},
    ("POST", "/tracker/recommendations/{code}/escalate"): {"inquiry_panel", "national_auditor"},
    ("POST", "/tracker/requests"): {"inquiry_panel", "national_auditor"},
    ("POST", "/tracker/recommendations/{code}/due"): {"admin"},
    ("POST", "/tracker/recommendations/{code}/owners"): {"admin"},
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """One app, one routed and one unrouted report, and a signed-in session cookie per role."""
    url = f"sqlite:///{tmp_path_factory.mktemp('access') / 'service.db'}"
    app = create_app(ServiceSettings(database_url=url, intake_per_client_per_minute=1000))
    cookies: dict[str, dict[str, str]] = {ANONYMOUS: {}}
    from clearsight.service.db import transaction
    from clearsight.service.tracker.seed import seed

    with transaction(app.state.sessions) as session:
        seed(session)  # so that the tracker's pages have a recommendation and an inquiry to show
    with TestClient(app) as client:
        routed = client.post("/api/reports", json=report_json(AREA_A[0])).json()["reference"]
        unrouted = client.post("/api/reports", json=report_json("ZZ99 9ZZ")).json()["reference"]
        for role in Role:
            email = f"{role}@example.org"
            add_account(app, email, role, SCOPES.get(role))
            client.cookies.clear()
            token = csrf_of(client.get("/login").text)
            assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                               follow_redirects=False).status_code == 303
            cookies[role] = dict(client.cookies)
        from clearsight.service.accounts import reset_token

        reset = reset_token(app.state.sessions, app.state.settings.secret_key, 1, actor="test", actor_role="admin")
    yield app, cookies, routed, unrouted, reset
    app.state.engine.dispose()


def _cases(app) -> list[tuple[str, str, object]]:  # noqa: ANN001
    cases = []
    for route in app.routes:
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method != "HEAD":
                cases.append((method, route.path, route))
    return cases


def test_every_route_declares_its_roles(world) -> None:  # noqa: ANN001
    app = world[0]
    for method, path, route in _cases(app):
        roles = declared_roles(route)
        assert roles is not None, f"{method} {path} declares no roles"
        assert roles <= set(EVERYONE)
        if (method, path) in POLICY:
            assert set(roles) == POLICY[(method, path)], f"{method} {path} allows {sorted(roles)}"


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_every_role_as_declared(world, role: str) -> None:  # noqa: ANN001
    app, cookies, routed, unrouted, reset = world
    client = TestClient(app)
    for method, path, route in _cases(app):
        url = path.replace("{reference}", unrouted if role == Role.national_auditor else routed)
        url = url.replace("{code}", "IICSA-FR-13").replace("{inquiry_code}", "OLDHAM").replace("{request_id}", "1")
        url = url.replace("{token}", reset)  # a live reset link (the POST below sends no password: not used up)
        if path == "/assets":
            url = "/assets/govuk-frontend.min.css"
        client.cookies.clear()
        client.cookies.update(cookies[role])
        if method == "POST":
            token = re.search(r'csrf_token" value="([^"]+)', client.get("/report").text).group(1)
            response = client.post(url, data={"csrf_token": token}, follow_redirects=False)
        else:
            response = client.get(url, follow_redirects=False)
        allowed = role in route.allowed_roles
        if not allowed:
            expected = 401 if role == ANONYMOUS else 403
            assert response.status_code == expected, f"{role} {method} {path}: {response.status_code}"
        elif method == "GET":
            assert response.status_code == 200, f"{role} {method} {path}: {response.status_code}"
        else:
            assert response.status_code not in (401, 403), f"{role} {method} {path}: {response.status_code}"


def test_anonymous_is_refused_everywhere_but_public_routes(world) -> None:  # noqa: ANN001
    public = {path for _, path, route in _cases(world[0]) if ANONYMOUS in route.allowed_roles}
    assert public == {"/openapi.json", "/assets", "/", "/healthz", "/report", "/report/made", "/report/check", "/login",
                      "/account/reset/{token}", "/api/reports", "/tracker", "/tracker/inquiries",
                      "/tracker/recommendations/{code}", "/tracker/register.csv", "/tracker/register.json",
                      "/tracker/register.xlsx", "/api/tracker/recommendations", "/api/tracker/recommendations/{code}",
                      "/api/tracker/summary", "/api/tracker/requests", "/api/tracker/inquiries"}


def test_a_route_without_a_declaration_stops_the_app(world) -> None:  # noqa: ANN001
    app = world[0]
    app.router.add_api_route("/undeclared", lambda: {"secret": 1})
    try:
        with pytest.raises(RuntimeError, match="declares no allowed roles"):
            check_declarations(app)
    finally:
        app.router.routes.pop()
    app.router.add_api_route("/form", lambda: {}, methods=["POST"], dependencies=[Depends(allow(EVERYONE))])
    try:
        with pytest.raises(RuntimeError, match="lacks require_csrf"):
            check_declarations(app)
    finally:
        app.router.routes.pop()
    check_declarations(app)
