"""The tracker in the service, on SQLite and PostgreSQL: who may read and write what, the public page and API,
a status change by a panel member, downloads, and the ``clearsight tracker`` commands."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from clearsight.audit_log import AuditLog
from clearsight.cli import app as cli_app
from clearsight.service import create_app
from clearsight.service.db import transaction
from clearsight.service.settings import ServiceSettings
from clearsight.service.tracker.seed import seed
from test_service_support import add_account, csrf_of, database_url, pg_database, sign_in  # noqa: F401

CODE = "IICSA-FR-13"


@pytest.fixture
def app(database_url: str):  # noqa: ANN201, F811
    application = create_app(ServiceSettings(database_url=database_url))
    with transaction(application.state.sessions) as session:
        seed(session)
    for role in ("inquiry_panel", "national_auditor", "admin"):
        add_account(application, f"{role}@example.org", role)
    add_account(application, "council@example.org", "council_analyst", "E08000032")
    yield application
    application.state.engine.dispose()


def _client(app, email: str | None = None) -> TestClient:  # noqa: ANN001
    client = TestClient(app)
    if email:
        assert sign_in(client, email).status_code == 303
    return client


def _post_status(client: TestClient, code: str = CODE, **fields: str):  # noqa: ANN202
    token = csrf_of(client.get("/report").text)
    data = {"csrf_token": token, "kind": "assessment", "value": "in progress", "why": "Bill before Parliament",
            "as_of": "2025-09-01", **fields}
    return client.post(f"/tracker/recommendations/{code}/status", data=data, follow_redirects=False)


def test_public_page_reads_anonymously_and_words_carefully(app) -> None:  # noqa: ANN001
    page = _client(app).get("/tracker")
    assert page.status_code == 200
    text = page.text
    for heading in ("Status overview", "Overdue", "By owner", "By source", "By theme", "who has not answered"):
        assert heading in text
    assert "HMICFRS-GBCSE-1" in text and "Home Office" in text
    assert "not a finding of non-compliance" in text and "non-compliant" not in text
    assert 'role="img"' in text and "unconfirmed" in text
    detail = _client(app).get("/tracker/recommendations/IICSA-CSE-2").text
    assert "no response found" in detail and "Record status" not in detail and "Add a comment" not in detail


def test_a_panel_member_changes_a_status_and_the_history_keeps_both(app) -> None:  # noqa: ANN001
    panel = _client(app, "inquiry_panel@example.org")
    assert _post_status(panel).status_code == 303
    assert _post_status(panel, value="implemented", why="Act in force", as_of="").status_code == 303
    page = _client(app).get(f"/tracker/recommendations/{CODE}").text
    assert "Bill before Parliament" in page and "Act in force" in page
    assert "01 Sep 2025" in page and "inquiry panel" in page and "account" not in page.split('id="history"')[1]
    api = _client(app).get(f"/api/tracker/recommendations/{CODE}").json()
    assert api["assessment"]["value"] == "implemented" and api["owner_status"]["value"] == "accepted"
    assert [row["value"] for row in api["history"] if row["kind"] == "assessment"] == ["in progress", "implemented"]
    entries = [entry for entry in AuditLog(app.state.engine).entries() if entry.action == "tracker.assessment"]
    assert len(entries) == 2 and entries[0].role == "inquiry_panel" and entries[0].object == f"recommendation:{CODE}"


def test_refused_change_shows_the_reason_and_keeps_nothing(app) -> None:  # noqa: ANN001
    panel = _client(app, "inquiry_panel@example.org")
    answer = _post_status(panel, kind="owner", value="verified")
    assert answer.status_code == 400 and "not one of" in answer.text
    answer = _post_status(panel, why="")
    assert answer.status_code == 400 and "why" in answer.text
    assert not [entry for entry in AuditLog(app.state.engine).entries() if entry.action.startswith("tracker.a")]


@pytest.mark.parametrize(("email", "status"), [(None, 401), ("council@example.org", 403), ("admin@example.org", 403),
                                               ("national_auditor@example.org", 303)])
def test_who_may_change_a_status(app, email: str | None, status: int) -> None:  # noqa: ANN001
    assert _post_status(_client(app, email)).status_code == status


def test_team_pages_comments_escalation_and_management(app) -> None:  # noqa: ANN001
    assert _client(app).get("/tracker/workspace").status_code == 401
    assert _client(app, "council@example.org").get("/tracker/dashboard").status_code == 403
    auditor = _client(app, "national_auditor@example.org")
    token = csrf_of(auditor.get("/tracker/workspace").text)
    code = "HMICFRS-GBCSE-5"
    assert auditor.post(f"/tracker/recommendations/{code}/comment", data={"csrf_token": token, "body": "Chase HO"},
                        follow_redirects=False).status_code == 303
    assert auditor.post(f"/tracker/recommendations/{code}/escalate", data={
        "csrf_token": token, "organisation": "Home Office", "step": "reminder", "why": "no answer",
        "taken_on": "2025-05-01"}, follow_redirects=False).status_code == 303
    skipped = auditor.post(f"/tracker/recommendations/{code}/escalate", data={
        "csrf_token": token, "organisation": "Home Office", "step": "public listing", "why": "x"})
    assert skipped.status_code == 400 and "formal letter before the public listing" in skipped.text
    assert "No owner has been publicly listed" in _client(app).get("/tracker").text
    for step in ("formal letter", "public listing"):
        assert auditor.post(f"/tracker/recommendations/{code}/escalate", data={
            "csrf_token": token, "organisation": "Home Office", "step": step, "why": "still silent"},
            follow_redirects=False).status_code == 303
    listed = _client(app).get("/tracker").text.split('id="listed"')[1].split('id="by-owner"')[0]
    assert "Home Office" in listed and code in listed and "still silent" in listed
    assert auditor.post(f"/tracker/recommendations/{code}/due", data={"csrf_token": token, "due": "2027-01-01",
                                                                        "why": "x"}).status_code == 403
    admin = _client(app, "admin@example.org")
    token = csrf_of(admin.get("/tracker/workspace").text)
    assert admin.post(f"/tracker/recommendations/{code}/owners", data={
        "csrf_token": token, "organisation": "NPCC", "why": "named in the progress report"},
        follow_redirects=False).status_code == 303
    assert "Chase HO" in auditor.get(f"/tracker/recommendations/{code}").text
    public = _client(app).get(f"/tracker/recommendations/{code}").text
    assert "Chase HO" not in public and "reminder" in public and "01 May 2025" in public and "NPCC" in public
    dashboard = auditor.get("/tracker/dashboard").text
    assert "What is late" in dashboard and code in dashboard and dashboard.count('role="img"') >= 2


def test_requests_are_shown_publicly_by_organisation(app) -> None:  # noqa: ANN001
    panel = _client(app, "inquiry_panel@example.org")
    token = csrf_of(panel.get("/tracker/workspace").text)
    assert panel.post("/tracker/requests", data={"csrf_token": token, "organisation": "Borough Council",
                                                 "subject": "CSE problem profile", "deadline": "2026-01-01",
                                                 "sent_on": "2025-12-01"},
                      follow_redirects=False).status_code == 303
    bad = panel.post("/tracker/requests", data={"csrf_token": token, "organisation": "X", "subject": "Y",
                                                "deadline": "soon"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    request_id = _client(app).get("/api/tracker/requests").json()[0]["id"]
    assert panel.post(f"/tracker/requests/{request_id}/outcome", data={
        "csrf_token": token, "outcome": "refused", "why": "no data"}, follow_redirects=False).status_code == 303
    summary = _client(app).get("/api/tracker/summary").json()
    assert summary["requests_by_organisation"][0]["organisation"] == "Borough Council"
    assert summary["requests_by_organisation"][0]["refused"] == 1
    assert "Borough Council" in _client(app).get("/tracker").text
    assert panel.post("/tracker/inquiries/OLDHAM/events", data={
        "csrf_token": token, "event_kind": "engagement", "title": "Survivors' forum", "count": "9"},
        follow_redirects=False).status_code == 303
    oldham = next(row for row in _client(app).get("/api/tracker/inquiries").json() if row["code"] == "OLDHAM")
    assert oldham["survivors_engaged"] == 9 and oldham["funding_gbp"] is None


def test_downloads(app) -> None:  # noqa: ANN001
    client = _client(app)
    rows = list(csv.DictReader(io.StringIO(client.get("/tracker/register.csv").text)))
    assert len(rows) == len(client.get("/api/tracker/recommendations").json()) and rows[0]["code"] == "IICSA-FR-01"
    assert json.loads(client.get("/tracker/register.json").text)["recommendations"][0]["sources"]
    xlsx = client.get("/tracker/register.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_cli(database_url: str, tmp_path) -> None:  # noqa: ANN001, F811
    runner = CliRunner()
    url = ["--database-url", database_url]
    first = runner.invoke(cli_app, ["tracker", "seed", *url])
    assert first.exit_code == 0, first.output
    changed = runner.invoke(cli_app, ["tracker", "status", CODE, "--assessment", "in progress", "--by", "A. Auditor",
                                      "--why", "Bill introduced", "--as-of", "2025-09-01", *url])
    assert changed.exit_code == 0, changed.output
    refused = runner.invoke(cli_app, ["tracker", "status", CODE, "--owner-status", "verified", "--by", "A", "--why",
                                      "x", *url])
    assert refused.exit_code == 1 and "owner status" in str(refused.exception)
    shown = json.loads(runner.invoke(cli_app, ["tracker", "show", CODE, *url]).stdout)
    assert shown["assessment"]["value"] == "in progress" and shown["assessment"]["by"] == "command line (A. Auditor)"
    late = json.loads(runner.invoke(cli_app, ["tracker", "overdue", "--json", *url]).stdout)
    assert "HMICFRS-GBCSE-1" in [item["code"] for item in late["recommendations"]]
    sent = runner.invoke(cli_app, ["tracker", "request", "send", "Force Z", "--subject", "data", "--deadline",
                                   "2025-01-01", "--sent-on", "2024-12-01", "--by", "A", *url])
    assert sent.exit_code == 0, sent.output
    late = json.loads(runner.invoke(cli_app, ["tracker", "overdue", "--json", *url]).stdout)
    assert [item["organisation"] for item in late["information_requests"]] == ["Force Z"]
    for fmt in ("csv", "json", "xlsx"):
        out = tmp_path / f"register.{fmt}"
        assert runner.invoke(cli_app, ["tracker", "export", "--format", fmt, "--out", str(out), *url]).exit_code == 0
        assert out.stat().st_size > 1000
    listed = runner.invoke(cli_app, ["tracker", "list", "--json", *url])
    assert len(json.loads(listed.stdout)) == 38
    assert re.search(r"OLDHAM", runner.invoke(cli_app, ["tracker", "inquiry", "list", *url]).output)


def test_local_inquiries_add_their_own(app) -> None:  # noqa: ANN001
    admin = _client(app, "admin@example.org")
    token = csrf_of(admin.get("/tracker/workspace").text)
    assert admin.post("/tracker/inquiries", data={"csrf_token": token, "code": "testarea", "area": "Test Area",
                                                  "funding_gbp": ""}, follow_redirects=False).status_code == 303
    panel = _client(app, "inquiry_panel@example.org")
    token = csrf_of(panel.get("/tracker/workspace").text)
    assert panel.post("/tracker/inquiries", data={"csrf_token": token, "code": "X", "area": "Y"}).status_code == 403
    assert panel.post("/tracker/inquiries/TESTAREA/recommendations", data={
        "csrf_token": token, "code": "TESTAREA-R1", "title": "Review closed cases",
        "owners": "Test Council\nTest Police"},
        follow_redirects=False).status_code == 303
    found = next(row for row in _client(app).get("/api/tracker/inquiries").json() if row["code"] == "TESTAREA")
    assert found["chair"] == "unknown" and found["funding_gbp"] is None and found["recommendations"] == ["TESTAREA-R1"]
    rec = _client(app).get("/api/tracker/recommendations/TESTAREA-R1").json()
    assert rec["owners"] == ["Test Council", "Test Police"] and rec["inquiry"] == "TESTAREA"
    assert rec["owner_said"] == "no response found" and rec["headline"] == "proposed"
    assert "not known" in _client(app).get("/tracker/inquiries").text


def test_an_unseeded_service_says_so(database_url: str) -> None:  # noqa: F811
    application = create_app(ServiceSettings(database_url=database_url))
    try:
        page = TestClient(application).get("/tracker")
        assert page.status_code == 200 and "clearsight tracker seed" in page.text
        assert TestClient(application).get("/api/tracker/recommendations").json() == []
    finally:
        application.state.engine.dispose()
