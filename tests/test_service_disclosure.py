"""The reporter's identity beyond the triage team: only under a recorded approval (who, why, when), audited.

Per role: analysts of the report's area always see the reporter; the national team (the only other role that
reads reports) sees them only under a current approval; an expired or revoked approval shows nothing; only an
admin can record or revoke one, with a reason; each approval, revocation and read under it is in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from clearsight.audit_log import AuditLog
from clearsight.service import create_app
from clearsight.service.accounts import ANONYMOUS, Role
from clearsight.service.models import ReporterIdentityApproval, utcnow
from clearsight.service.settings import ServiceSettings
from test_service_support import (  # noqa: F401 - database_url and pg_database are fixtures
    add_account,
    csrf_of,
    database_url,
    pg_database,
    report_json,
    sign_in,
    two_areas,
)

AREA_A, _ = two_areas()
REASON = "Section 47 enquiry needs the reporter as a witness (case 2026/114)"
REPORTER = "Bob Nurse"


@pytest.fixture
def world(database_url: str) -> Iterator[tuple]:  # noqa: F811
    """An unrouted report (the national team reads it), accounts for every role, a client per account."""
    app = create_app(ServiceSettings(database_url=database_url, intake_per_client_per_minute=1000))
    with TestClient(app) as client:
        reference = client.post("/api/reports", json=report_json("ZZ99 9ZZ")).json()["reference"]
        emails = {role: f"{role}@example.org" for role in Role}
        for role, email in emails.items():
            add_account(app, email, role, {Role.force_analyst: AREA_A[2], Role.council_analyst: AREA_A[1]}.get(role))
        yield app, reference, emails
    app.state.engine.dispose()


def _client(app, email: str | None) -> TestClient:  # noqa: ANN001
    client = TestClient(app)
    if email:
        assert sign_in(client, email).status_code == 303
    return client


def _approve(app, admin: TestClient, reference: str, email: str, reason: str = REASON, days: str = "7"):  # noqa: ANN001, ANN201
    token = csrf_of(admin.get("/report").text)  # every page with a form carries the session's token
    return admin.post("/admin/reporter-identity", data={"reference": reference, "email": email, "reason": reason,
                                                        "days": days, "csrf_token": token}, follow_redirects=False)


def _sees_reporter(client: TestClient, reference: str) -> bool:
    api = client.get(f"/api/reports/{reference}")
    page = client.get(f"/triage/{reference}")
    assert api.status_code == page.status_code == 200
    assert ("reporter_name" in api.json()) == (REPORTER in page.text)
    return "reporter_name" in api.json()


def test_national_team_sees_the_reporter_only_under_a_current_approval(world) -> None:  # noqa: ANN001
    app, reference, emails = world
    auditor = _client(app, emails[Role.national_auditor])
    assert not _sees_reporter(auditor, reference)
    admin = _client(app, emails[Role.admin])
    assert _approve(app, admin, reference, emails[Role.national_auditor]).status_code == 303
    assert _sees_reporter(auditor, reference)
    page = auditor.get(f"/triage/{reference}").text
    assert "shown under recorded approval" in page and "Section 47 enquiry" in page
    listing = admin.get("/admin/reporter-identity").text
    assert reference in listing and emails[Role.admin] in listing and "case 2026/114" in listing

    with app.state.sessions() as session, session.begin():  # the approval lapses
        session.execute(update(ReporterIdentityApproval).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert not _sees_reporter(auditor, reference)


def test_revoking_ends_the_approval_and_everything_is_audited(world) -> None:  # noqa: ANN001
    app, reference, emails = world
    admin, auditor = _client(app, emails[Role.admin]), _client(app, emails[Role.national_auditor])
    _approve(app, admin, reference, emails[Role.national_auditor])
    assert _sees_reporter(auditor, reference)
    with app.state.sessions() as session:
        [approval] = session.query(ReporterIdentityApproval).all()
    token = csrf_of(admin.get("/admin/reporter-identity").text)
    assert admin.post(f"/admin/reporter-identity/{approval.id}/revoke", data={"csrf_token": token},
                      follow_redirects=False).status_code == 303
    assert not _sees_reporter(auditor, reference)
    with app.state.sessions() as session:
        [approval] = session.query(ReporterIdentityApproval).all()
    assert approval.revoked_at is not None and approval.reason == REASON  # kept, not deleted
    log = AuditLog(app.state.engine)
    entries = {entry.action: entry for entry in log.entries()}
    assert entries["reporter_identity.approve"].details["approval"] == approval.id
    assert entries["reporter_identity.approve"].actor.startswith("user:")
    assert entries["reporter_identity.read"].object == f"report:{reference}"
    assert "reporter_identity.revoke" in entries and log.verify().ok
    assert all(REASON not in str(entry) and REPORTER not in str(entry) for entry in log.entries())


@pytest.mark.parametrize("role", [ANONYMOUS, *Role])
def test_only_an_admin_may_record_an_approval(world, role: str) -> None:  # noqa: ANN001
    app, reference, emails = world
    client = _client(app, emails.get(role))
    answer = _approve(app, client, reference, emails[Role.national_auditor])
    if role == Role.admin:
        assert answer.status_code == 303
    else:
        assert answer.status_code == (401 if role == ANONYMOUS else 403)
        with app.state.sessions() as session:
            assert session.query(ReporterIdentityApproval).count() == 0


@pytest.mark.parametrize("role", [Role.force_analyst, Role.council_analyst, Role.inquiry_panel, Role.admin,
                                  Role.mandated_reporter, Role.public])
def test_approvals_are_refused_for_roles_other_than_the_national_team(world, role: str) -> None:  # noqa: ANN001
    app, reference, emails = world
    admin = _client(app, emails[Role.admin])
    answer = _approve(app, admin, reference, emails[role])
    assert answer.status_code == 400 and "cannot be approved" in answer.text


@pytest.mark.parametrize(("reason", "days", "message"), [
    ("because", "7", "give the reason"), (REASON, "90", "from 1 to 30 days"), (REASON, "x", "number of days")])
def test_an_approval_needs_a_reason_and_a_bounded_expiry(world, reason: str, days: str, message: str) -> None:  # noqa: ANN001
    app, reference, emails = world
    answer = _approve(app, _client(app, emails[Role.admin]), reference, emails[Role.national_auditor], reason, days)
    assert answer.status_code == 400 and message in answer.text


def test_triage_team_sees_the_reporter_without_an_approval(world) -> None:  # noqa: ANN001
    app, _unrouted, emails = world
    with TestClient(app) as anonymous:
        routed = anonymous.post("/api/reports", json=report_json(AREA_A[0])).json()["reference"]
    for role in (Role.force_analyst, Role.council_analyst):
        assert _sees_reporter(_client(app, emails[role]), routed)
    assert not any(entry.action == "reporter_identity.read" for entry in AuditLog(app.state.engine).entries())
