"""A refresh never re-sends a report: POST/redirect/GET and a one-time token per form render, both engines.

The same form sent twice (back button, double click, a retry after a lost answer), or the API with the same
Idempotency-Key, gets the same reference and never a second report; the confirmation page is a GET that only
reads, and shows only references made in this browser session.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clearsight.audit_log import AuditLog
from clearsight.service import create_app
from clearsight.service.models import MandatoryReport
from clearsight.service.settings import ServiceSettings
from test_service_support import (  # noqa: F401 - database_url and pg_database are fixtures
    csrf_of,
    database_url,
    pg_database,
    reference_in,
    report_form,
    report_json,
    two_areas,
)

AREA_A, _ = two_areas()


@pytest.fixture
def app(database_url: str):  # noqa: F811, ANN201
    application = create_app(ServiceSettings(database_url=database_url))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # noqa: ANN001
    with TestClient(app) as test_client:
        yield test_client


def _count(app) -> int:  # noqa: ANN001
    with app.state.sessions() as session:
        return session.scalar(select(func.count()).select_from(MandatoryReport))


def _token(html: str) -> str:
    match = re.search(r'name="submission_token" value="([^"]+)"', html)
    assert match, "no submission token on the form"
    return match.group(1)


def test_post_redirects_and_refreshing_the_confirmation_sends_nothing(app, client: TestClient) -> None:
    page = client.get("/report").text
    form = {**report_form(AREA_A[0]), "csrf_token": csrf_of(page), "submission_token": _token(page)}
    posted = client.post("/report", data=form, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"].startswith("/report/made?reference=CS-")
    first = client.get(posted.headers["location"])
    reference = reference_in(first.text)
    for _ in range(3):  # refresh
        assert reference_in(client.get(posted.headers["location"]).text) == reference
    assert _count(app) == 1


def test_the_same_form_sent_again_gets_the_same_reference(app, client: TestClient) -> None:
    page = client.get("/report").text
    form = {**report_form(AREA_A[0]), "csrf_token": csrf_of(page), "submission_token": _token(page)}
    references = {reference_in(client.post("/report", data=form).text) for _ in range(3)}
    assert len(references) == 1 and _count(app) == 1
    creates = [entry for entry in AuditLog(app.state.engine).entries() if entry.action == "report.create"]
    assert len(creates) == 1
    other_page = client.get("/report").text  # a new render is a new report
    assert _token(other_page) != form["submission_token"]
    second = client.post("/report", data={**form, "submission_token": _token(other_page)})
    assert reference_in(second.text) not in references and _count(app) == 2


def test_concurrent_double_submit_makes_one_report(app) -> None:  # noqa: ANN001
    with TestClient(app) as first_client:
        page = first_client.get("/report").text
        form = {**report_form(AREA_A[0]), "csrf_token": csrf_of(page), "submission_token": _token(page)}
        cookies = dict(first_client.cookies)

    def send(_: int) -> str:
        with TestClient(app, cookies=cookies) as each:
            return reference_in(each.post("/report", data=form).text)

    with ThreadPoolExecutor(4) as pool:
        references = set(pool.map(send, range(4)))
    assert len(references) == 1 and _count(app) == 1


def test_a_form_with_errors_keeps_its_token_so_the_corrected_form_makes_one_report(app, client: TestClient) -> None:
    page = client.get("/report").text
    token = _token(page)
    bad = client.post("/report", data={**report_form(AREA_A[0], child_name=""), "csrf_token": csrf_of(page),
                                       "submission_token": token})
    assert bad.status_code == 400 and _token(bad.text) == token and _count(app) == 0
    good = {**report_form(AREA_A[0]), "csrf_token": csrf_of(page), "submission_token": token}
    assert reference_in(client.post("/report", data=good).text) == reference_in(client.post("/report", data=good).text)
    assert _count(app) == 1


def test_confirmation_shows_only_this_sessions_references(app, client: TestClient) -> None:
    page = client.get("/report").text
    form = {**report_form(AREA_A[0]), "csrf_token": csrf_of(page), "submission_token": _token(page)}
    reference = reference_in(client.post("/report", data=form).text)
    stranger = TestClient(app)
    for url in (f"/report/made?reference={reference}", "/report/made"):
        answer = stranger.get(url)
        assert answer.status_code == 200 and reference not in answer.text
        assert "Without a reference number, a report has not been made" in answer.text


def test_api_idempotency_key_returns_the_same_receipt(app, client: TestClient) -> None:
    body = report_json(AREA_A[0])
    first = client.post("/api/reports", json=body, headers={"Idempotency-Key": "k-123"})
    again = client.post("/api/reports", json=body, headers={"Idempotency-Key": "k-123"})
    assert first.status_code == again.status_code == 201
    assert first.json()["reference"] == again.json()["reference"] and _count(app) == 1
    assert client.post("/api/reports", json=body).json()["reference"] != first.json()["reference"]
    assert _count(app) == 2
