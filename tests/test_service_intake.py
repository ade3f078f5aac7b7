"""Mandatory report intake end to end, on SQLite and PostgreSQL: reference, storage, routing, audit, triage."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from clearsight.audit_log import AuditLog
from clearsight.service import create_app
from clearsight.service.models import MandatoryReport
from clearsight.service.settings import ServiceSettings
from test_service_support import (  # noqa: F401 - database_url and pg_database are fixtures
    add_account,
    csrf_of,
    database_url,
    pg_database,
    reference_in,
    report_form,
    report_json,
    sign_in,
    submit_form,
    two_areas,
)

AREA_A, AREA_B = two_areas()


@pytest.fixture
def app(database_url: str):  # noqa: F811, ANN201
    application = create_app(ServiceSettings(database_url=database_url, triage_deadline_hours=24))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # noqa: ANN001
    with TestClient(app) as test_client:
        yield test_client


def _rows(app) -> list[MandatoryReport]:  # noqa: ANN001
    with app.state.sessions() as session:
        return list(session.scalars(select(MandatoryReport).order_by(MandatoryReport.id)).all())


def _audit(app) -> list:  # noqa: ANN001
    return AuditLog(app.state.engine).entries()


def test_report_gets_a_reference_only_once_stored_and_is_routed_and_audited(app, client: TestClient) -> None:
    postcode, council, force = AREA_A
    response = submit_form(client, report_form(postcode.lower().replace(" ", "")))
    assert response.status_code == 200, response.text
    reference = reference_in(response.text)
    assert "Without a reference number, a report has not been made" in response.text
    assert "Disclosure and Barring Service" in response.text  # the DBS prompt: abuser works with children
    [row] = _rows(app)
    assert (row.reference, row.council_code, row.force_code, row.routed_by) == (reference, council, force, "postcode")
    assert row.child_postcode == postcode and row.child_age == 10  # age when known, from the date of birth
    entries = [entry for entry in _audit(app) if entry.action == "report.create"]
    assert [entry.object for entry in entries] == [f"report:{reference}"]
    assert entries[0].details["council"] == council
    assert AuditLog(app.state.engine).verify().ok


def test_form_post_without_or_with_a_wrong_csrf_token_is_refused(app, client: TestClient) -> None:
    form = report_form(AREA_A[0])
    client.get("/report")
    assert client.post("/report", data=form).status_code == 403
    assert client.post("/report", data={**form, "csrf_token": "forged"}).status_code == 403
    fresh = TestClient(app)  # a token from another session is no good either
    assert fresh.post("/report", data={**form, "csrf_token": csrf_of(client.get("/report").text)}).status_code == 403
    assert _rows(app) == []


def test_immediate_danger_tells_the_reporter_to_call_999(client: TestClient) -> None:
    done = submit_form(client, report_form(AREA_A[0], immediate_danger="yes"))
    assert done.status_code == 200 and "Call 999 now" in done.text
    assert "<title>Call 999 now" in done.text  # the first thing a screen reader announces
    assert done.text.index("Call 999 now", 200) < done.text.index("id=\"reference\"")
    incomplete = submit_form(client, report_form(AREA_A[0], immediate_danger="yes", child_name=""))
    assert incomplete.status_code == 400 and "Call 999 now" in incomplete.text  # also before the form is right
    api = client.post("/api/reports", json=report_json(AREA_A[0], immediate_danger=True))
    assert api.status_code == 201 and api.json()["call_999"] is True and "call 999" in api.json()["message"]


def test_incomplete_report_is_not_stored_and_says_what_to_fix(app, client: TestClient) -> None:
    response = submit_form(client, report_form("", child_name="", child_postcode="", **{
        "child_date_of_birth-year": "", "child_date_of_birth-month": "", "child_date_of_birth-day": ""}))
    assert response.status_code == 400
    for message in ("Enter the child&#39;s name", "date of birth or their age", "postcode, or choose their council"):
        assert message in response.text
    assert "reference number<br>" not in response.text and _rows(app) == []


def test_force_analyst_reads_only_their_own_force(app, client: TestClient) -> None:
    ref_a = client.post("/api/reports", json=report_json(AREA_A[0])).json()["reference"]
    ref_b = client.post("/api/reports", json=report_json(AREA_B[0])).json()["reference"]
    add_account(app, "fa@police.example", "force_analyst", AREA_A[2])
    assert sign_in(client, "fa@police.example").status_code == 303
    assert client.get(f"/triage/{ref_a}").status_code == 200
    assert client.get(f"/triage/{ref_b}").status_code == 404  # another force's report: not even its existence
    assert client.get(f"/api/reports/{ref_b}").status_code == 404
    assert [item["reference"] for item in client.get("/api/reports").json()] == [ref_a]
    assert ref_b not in client.get("/triage").text and ref_b not in client.get("/triage/export.csv").text
    detail = client.get(f"/api/reports/{ref_a}").json()
    assert detail["reporter_name"] == "Bob Nurse"  # the triage team sees who reported
    reads = [entry.object for entry in _audit(app) if entry.action == "report.read"]
    assert reads == [f"report:{ref_a}", f"report:{ref_a}"]
    assert any(entry.action == "export" for entry in _audit(app))


def test_council_analyst_triages_and_the_clock_stops(app, client: TestClient) -> None:
    reference = client.post("/api/reports", json=report_json(AREA_A[0])).json()["reference"]
    add_account(app, "ca@council.example", "council_analyst", AREA_A[1])
    sign_in(client, "ca@council.example")
    page = client.get(f"/triage/{reference}")
    assert "Not triaged yet" in page.text
    decided = client.post(f"/triage/{reference}/decision",
                          data={"outcome": "strategy_discussion", "note": "", "csrf_token": csrf_of(page.text)},
                          follow_redirects=False)
    assert decided.status_code == 303
    [item] = client.get("/api/reports").json()
    assert item["hours_report_to_triage"] is not None and item["hours_known_to_report"] > 0
    assert [row.first_triaged_at is not None for row in _rows(app)] == [True]
    assert "report.triage" in [entry.action for entry in _audit(app)]


def test_duplicate_reports_about_the_same_child_are_linked(app, client: TestClient) -> None:
    postcode = AREA_A[0]
    first = reference_in(submit_form(client, report_form(postcode)).text)
    same_child = report_json(postcode.replace(" ", "").lower(), child_name="QUINTRELL,  Zoe", child_age=10)
    second = client.post("/api/reports", json=same_child).json()["reference"]
    other_child = client.post("/api/reports", json=report_json(postcode, child_name="Zoe Quintrell",
                                                               child_age=6)).json()["reference"]
    keys = {row.reference: row.child_key for row in _rows(app)}
    assert keys[first] == keys[second] != keys[other_child]
    add_account(app, "ca@council.example", "council_analyst", AREA_A[1])
    sign_in(client, "ca@council.example")
    assert second in client.get(f"/triage/{first}").text


def test_unrouted_report_waits_for_the_national_team(app, client: TestClient) -> None:
    reference = client.post("/api/reports", json=report_json("ZZ99 9ZZ")).json()["reference"]
    [row] = _rows(app)
    assert row.routed_by == "unrouted" and row.council_code is None
    add_account(app, "na@audit.example", "national_auditor")
    sign_in(client, "na@audit.example")
    page = client.get(f"/triage/{reference}")
    assert page.status_code == 200 and "Reporter (triage team only)" not in page.text
    assert "reporter_name" not in client.get(f"/api/reports/{reference}").json()
    routed = client.post(f"/triage/{reference}/route", data={"council_code": AREA_B[1], "csrf_token":
                                                             csrf_of(page.text)}, follow_redirects=False)
    assert routed.status_code == 303
    assert [(r.council_code, r.force_code) for r in _rows(app)] == [(AREA_B[1], AREA_B[2])]
    assert client.get(f"/triage/{reference}").status_code == 404  # now it is the council's and force's


def test_overdue_list_uses_the_configured_clock(database_url: str) -> None:  # noqa: F811
    app = create_app(ServiceSettings(database_url=database_url, triage_deadline_hours=0))
    with TestClient(app) as client:
        reference = client.post("/api/reports", json=report_json(AREA_A[0])).json()["reference"]
        add_account(app, "fa@police.example", "force_analyst", AREA_A[2])
        sign_in(client, "fa@police.example")
        assert reference in client.get("/triage/overdue").text
    app.state.engine.dispose()


def test_sign_in_is_rate_limited_and_audited(app, client: TestClient) -> None:
    add_account(app, "admin@example.org", "admin")
    for _ in range(5):
        assert sign_in(client, "admin@example.org", "wrong password!").status_code == 400
    assert sign_in(client, "admin@example.org").status_code == 429  # even the right password, for a while
    actions = [entry.action for entry in _audit(app)]
    assert actions.count("signin.failed") == 5 and "signin.throttled" in actions
    assert all("admin@example.org" not in str(entry) for entry in _audit(app))


def test_session_cookie_is_httponly_lax_and_optionally_secure(database_url: str) -> None:  # noqa: F811
    for secure in (False, True):
        app = create_app(ServiceSettings(database_url=database_url, secure_cookies=secure))
        with TestClient(app, base_url="https://testserver") as client:
            cookie = client.get("/report").headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and (("secure" in cookie) == secure)
        app.state.engine.dispose()


def test_no_personal_data_in_logs_or_audit_log(app, client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    add_account(app, "fa@police.example", "force_analyst", AREA_A[2])
    form = report_form(AREA_A[0], child_name="Persephone Vantablack")
    reference = reference_in(submit_form(client, form).text)
    submit_form(client, {**form, "child_name": ""})  # a failed submission must not log what was typed either
    sign_in(client, "fa@police.example")
    assert "Persephone" in client.get(f"/triage/{reference}").text
    logged = caplog.text + "".join(str(entry) for entry in _audit(app))
    for personal in ("Persephone", "Vantablack", AREA_A[0], AREA_A[0].replace(" ", ""), "Alice Reporter",
                     "Oakfield", "fa@police.example", "testclient"):
        assert personal not in logged
    with app.state.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_log")).scalar() >= 4


def test_api_intake_and_openapi_spec(client: TestClient) -> None:
    response = client.post("/api/reports", json=report_json(AREA_B[0]))
    assert response.status_code == 201 and response.json()["force_code"] == AREA_B[2]
    assert client.post("/api/reports", json=report_json(AREA_B[0], child_age=None)).status_code == 422
    spec = client.get("/openapi.json").json()
    assert {"/api/reports", "/api/reports/{reference}", "/api/statistics"} <= set(spec["paths"])
    assert client.get("/api/statistics").status_code == 401
