"""Harm flags in the service: council scoping, quotes only for those allowed, decisions kept with who and why,
every read and decision audited, anonymous refused, CSRF required, and a page when no warehouse is set."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest
from fastapi.testclient import TestClient

from clearsight.audit_log import AuditLog
from clearsight.flags.store import ensure_tables, flag_id
from clearsight.service import create_app
from clearsight.service.accounts import Role
from clearsight.service.settings import ServiceSettings
from test_service_support import add_account, csrf_of, signed_in_as, two_areas

(_, COUNCIL_A, _), (_, COUNCIL_B, _) = two_areas()
FLAG_A = flag_id("LA", "REF-A-1")
FLAG_B = flag_id("LA", "REF-B-1")
QUOTE_A = "she went missing with older men"


def _build_warehouse(path) -> None:  # noqa: ANN001
    """A tiny warehouse with the flags stage's own tables: one flag in each of two councils."""
    con = duckdb.connect(str(path))
    ensure_tables(con)
    for fid, record, council in ((FLAG_A, "REF-A-1", COUNCIL_A), (FLAG_B, "REF-B-1", COUNCIL_B)):
        evidence = [{"indicator": "missing_with_adults", "rule": "text_missing_with_adults", "source": "LA",
                     "record": record, "table": "referral", "field": "summary", "date": "2024-03-01",
                     "span": {"start": 0, "end": len(QUOTE_A)}},
                    {"indicator": "police_victim", "rule": "sql_police_victim", "source": "POLICE",
                     "record": f"OFF-{record}", "table": "offence", "field": "victim_role", "date": "2024-02-10"}]
        con.execute("INSERT INTO harm_flag VALUES (?, ?, 'LA', ?, ?, ?, ?, 'AT_RISK', 'v1:1.0.0', ?, ?, ?, ?)",
                    [fid, f"P-{record}", record, council, date(2024, 3, 1), date(2024, 3, 2),
                     "missing_with_adults;police_victim", json.dumps(evidence), date(2024, 2, 10),
                     date(2024, 3, 1)])
        con.execute("INSERT INTO harm_flag_quote VALUES (?, ?, 'summary', 0, ?, ?)",
                    [fid, record, len(QUOTE_A), QUOTE_A if council == COUNCIL_A else "quote for b"])
    con.close()


@pytest.fixture
def world(tmp_path):  # noqa: ANN001, ANN201
    warehouse = tmp_path / "warehouse.duckdb"
    _build_warehouse(warehouse)
    app = create_app(ServiceSettings(database_url=f"sqlite:///{tmp_path / 'service.db'}",
                                     warehouse_path=str(warehouse)))
    add_account(app, "analyst.a@example.org", Role.council_analyst, COUNCIL_A)
    add_account(app, "auditor@example.org", Role.national_auditor)
    add_account(app, "admin@example.org", Role.admin)
    add_account(app, "force@example.org", Role.force_analyst, two_areas()[0][2])
    with TestClient(app) as client:
        yield app, client, warehouse
    app.state.engine.dispose()


def _decisions(warehouse) -> list[tuple]:  # noqa: ANN001
    con = duckdb.connect(str(warehouse))
    try:
        return con.execute("SELECT flag_id, decision, decided_by, why FROM harm_flag_decision "
                           "ORDER BY decided_at").fetchall()
    finally:
        con.close()


def _audit(app) -> list:  # noqa: ANN001
    return [entry for entry in AuditLog(app.state.engine).entries() if entry.action.startswith("flag")]


def test_council_analyst_sees_only_their_council(world) -> None:  # noqa: ANN001
    app, client, _ = world
    signed_in_as(client, "analyst.a@example.org")
    listing = client.get("/flags")
    assert listing.status_code == 200
    assert FLAG_A in listing.text and FLAG_B not in listing.text
    page = client.get(f"/flags/{FLAG_A}")
    assert page.status_code == 200
    assert "missing with adults" in page.text and "OFF-REF-A-1" in page.text and "offence.victim_role" in page.text
    assert QUOTE_A in page.text  # the analyst of the flag's own council sees the quoted words
    assert client.get(f"/flags/{FLAG_B}").status_code == 404
    token = csrf_of(page.text)
    refused = client.post(f"/flags/{FLAG_B}/decision", data={"csrf_token": token, "decision": "confirm",
                                                             "why": "Evidence is clear."})
    assert refused.status_code == 404
    assert _decisions(world[2]) == []


def test_auditor_and_admin_see_all_but_only_the_auditor_sees_quotes(world) -> None:  # noqa: ANN001
    app, client, _ = world
    signed_in_as(client, "auditor@example.org")
    listing = client.get("/flags").text
    assert FLAG_A in listing and FLAG_B in listing
    assert QUOTE_A in client.get(f"/flags/{FLAG_A}").text
    signed_in_as(client, "admin@example.org")
    listing = client.get("/flags").text
    assert FLAG_A in listing and FLAG_B in listing
    page = client.get(f"/flags/{FLAG_A}")
    assert page.status_code == 200 and QUOTE_A not in page.text and "Record decision" not in page.text
    token = csrf_of(page.text)
    assert client.post(f"/flags/{FLAG_A}/decision", data={"csrf_token": token, "decision": "confirm",
                                                         "why": "x"}).status_code == 403


def test_a_decision_is_kept_with_who_and_why_and_audited(world) -> None:  # noqa: ANN001
    app, client, warehouse = world
    signed_in_as(client, "analyst.a@example.org")
    token = csrf_of(client.get(f"/flags/{FLAG_A}").text)
    done = client.post(f"/flags/{FLAG_A}/decision", follow_redirects=False,
                       data={"csrf_token": token, "decision": "confirm", "why": "Missing with adult men twice."})
    assert done.status_code == 303 and done.headers["location"] == f"/flags/{FLAG_A}"
    assert _decisions(warehouse) == [(FLAG_A, "confirm", "analyst.a@example.org", "Missing with adult men twice.")]
    page = client.get(f"/flags/{FLAG_A}").text
    assert "Missing with adult men twice." in page and "analyst.a@example.org" in page
    assert FLAG_A in client.get("/flags").text
    entries = _audit(app)
    actions = [(entry.action, entry.object) for entry in entries]
    assert ("flag.read", f"flag:{FLAG_A}") in actions and ("flags.read", "flags:list") in actions
    decided = [entry for entry in entries if entry.action == "flag.decide"]
    assert len(decided) == 1 and decided[0].details["decision"] == "confirm"
    assert decided[0].role == "council_analyst" and decided[0].actor.startswith("user:")
    logged = json.dumps([entry.details for entry in entries])
    assert QUOTE_A not in logged and "Missing with adult" not in logged and "example.org" not in logged
    # a second decision is appended, the first kept
    client.post(f"/flags/{FLAG_A}/decision", data={"csrf_token": token, "decision": "unsure", "why": "Re-read."})
    assert [row[1] for row in _decisions(warehouse)] == ["confirm", "unsure"]


def test_a_decision_needs_a_choice_and_a_reason(world) -> None:  # noqa: ANN001
    app, client, warehouse = world
    signed_in_as(client, "auditor@example.org")
    token = csrf_of(client.get(f"/flags/{FLAG_B}").text)
    no_reason = client.post(f"/flags/{FLAG_B}/decision", data={"csrf_token": token, "decision": "reject", "why": " "})
    assert no_reason.status_code == 400 and "Enter the reason" in no_reason.text
    no_choice = client.post(f"/flags/{FLAG_B}/decision", data={"csrf_token": token, "decision": "maybe",
                                                               "why": "Because."})
    assert no_choice.status_code == 400 and "Select confirm, reject or unsure" in no_choice.text
    assert _decisions(warehouse) == []
    assert not [entry for entry in _audit(app) if entry.action == "flag.decide"]


def test_csrf_is_required(world) -> None:  # noqa: ANN001
    app, client, warehouse = world
    signed_in_as(client, "analyst.a@example.org")
    client.get(f"/flags/{FLAG_A}")
    for token in ("", "forged"):
        response = client.post(f"/flags/{FLAG_A}/decision", data={"csrf_token": token, "decision": "confirm",
                                                                  "why": "Evidence is clear."})
        assert response.status_code == 403
    assert _decisions(warehouse) == []


def test_anonymous_and_other_roles_are_refused(world) -> None:  # noqa: ANN001
    app, client, warehouse = world
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    for path in ("/flags", f"/flags/{FLAG_A}"):
        assert client.get(path, follow_redirects=False).status_code == 401
    assert client.post(f"/flags/{FLAG_A}/decision", data={"csrf_token": token, "decision": "confirm",
                                                         "why": "x"}).status_code == 401
    signed_in_as(client, "force@example.org")
    assert client.get("/flags").status_code == 403
    assert client.get(f"/flags/{FLAG_A}").status_code == 403
    assert _decisions(warehouse) == []


def test_without_a_warehouse_the_pages_say_so(tmp_path) -> None:  # noqa: ANN001
    app = create_app(ServiceSettings(database_url=f"sqlite:///{tmp_path / 'service.db'}"))
    add_account(app, "auditor@example.org", Role.national_auditor)
    with TestClient(app) as client:
        signed_in_as(client, "auditor@example.org")
        for path in ("/flags", f"/flags/{FLAG_A}"):
            page = client.get(path)
            assert page.status_code == 200 and "No warehouse is configured" in page.text
    app.state.engine.dispose()


def test_the_warehouse_setting_comes_from_the_environment(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("CLEARSIGHT_WAREHOUSE", "/data/clearsight.duckdb")
    assert ServiceSettings.from_env(secret_key="x").warehouse_path == "/data/clearsight.duckdb"
    monkeypatch.delenv("CLEARSIGHT_WAREHOUSE")
    assert ServiceSettings.from_env(secret_key="x").warehouse_path is None
