"""The tracker's domain rules, on SQLite and PostgreSQL: seed, dated statuses kept apart, history as rows,
the escalation ladder, what is overdue, information requests, inquiries, exports and indicators."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clearsight.audit_log import AuditLog
from clearsight.service.db import make_engine, migrate, session_factory, transaction
from clearsight.service.tracker import export, indicators, register, views
from clearsight.service.tracker.models import StatusEvent
from clearsight.service.tracker.register import Actor, TrackerError
from clearsight.service.tracker.seed import read_data, seed
from test_service_support import database_url, pg_database  # noqa: F401 - fixtures

PANEL = Actor("inquiry_panel:7", "user:7", "inquiry_panel")
REFERENCE = Path(__file__).parents[1].parent / "shared" / "reference" / "recommendations.csv"


@pytest.fixture
def sessions(database_url: str):  # noqa: ANN201, F811
    engine = make_engine(database_url)
    migrate(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        seed(session)
    yield factory
    engine.dispose()


def _item(factory, code: str, public: bool = True, today: date | None = None) -> dict:  # noqa: ANN001
    with transaction(factory) as session:
        return views.recommendations(session, public=public, code=code, today=today)[0]


def test_seed_loads_every_reference_row_with_its_source_and_is_idempotent(sessions) -> None:  # noqa: ANN001
    shipped = read_data("recommendations.csv")
    if REFERENCE.is_file():  # the package copy keeps the reference's rows, statuses and sources
        with REFERENCE.open(encoding="utf-8") as handle:
            reference = list(csv.DictReader(handle))
        assert [(r["short_title"], r["status"], r["source"]) for r in reference] == \
            [(r["short_title"], r["status"], r["source"]) for r in shipped]
    with transaction(sessions) as session:
        items = views.recommendations(session)
        again = seed(session)
    assert len(items) == len(shipped)
    assert sum(item["source_report"].startswith("IICSA final report") for item in items) == 20
    assert all(item["sources"] and all(s["url"].startswith("http") for s in item["sources"]) for item in items)
    assert not any(vars(again).values())
    unconfirmed = {item["code"] for item in items if item["reference_status"] == "unconfirmed"}
    assert unconfirmed == {row["code"] for row in shipped if row["status"] == "unconfirmed"} and unconfirmed


def test_seed_maps_positions_carefully(sessions) -> None:  # noqa: ANN001
    assert _item(sessions, "IICSA-FR-05")["owner_said"] == "rejected"
    assert _item(sessions, "IICSA-FR-13")["owner_status"]["as_of"] == date(2023, 5, 22)
    partly = _item(sessions, "IICSA-FR-02")
    assert partly["owner_said"] == "accepted in part" and "need to act" in partly["owner_status"]["why"]
    silent = _item(sessions, "IICSA-CSE-2")  # no position seen: no response found, not a failure
    assert silent["owner_status"] is None and silent["owner_said"] == "no response found"
    assert silent["headline"] == "proposed" and silent["assessment"] is None
    hmic = _item(sessions, "HMICFRS-GBCSE-1", today=date(2025, 1, 1))
    assert hmic["due"] == date(2024, 12, 31) and hmic["assessment"]["value"] == "not implemented"
    assert hmic["overdue"] and "Home Office" in hmic["owners"]
    assert not _item(sessions, "HMICFRS-GBCSE-1", today=date(2024, 12, 31))["overdue"]


def test_status_changes_are_rows_with_who_when_why_and_audited(sessions) -> None:  # noqa: ANN001
    with transaction(sessions) as session:
        register.record_status(session, PANEL, "iicsa-fr-13", "assessment", "in progress", "Bill introduced",
                               as_of=date(2025, 3, 1))
    with transaction(sessions) as session:
        register.record_status(session, PANEL, "IICSA-FR-13", "assessment", "implemented", "Act in force")
        register.record_status(session, PANEL, "IICSA-FR-13", "owner", "implemented", "Department says done")
    item = _item(sessions, "IICSA-FR-13", public=False)
    assert item["assessment"]["value"] == "implemented" and item["owner_status"]["value"] == "implemented"
    assessments = [row for row in item["history"] if row["kind"] == "assessment"]
    assert [row["value"] for row in assessments] == ["in progress", "implemented"]  # nothing overwritten
    assert assessments[0]["as_of"] == date(2025, 3, 1) and assessments[0]["why"] == "Bill introduced"
    assert assessments[0]["by"] == "inquiry panel (account 7)"
    assert _item(sessions, "IICSA-FR-13")["history"][-1]["by"] == "inquiry panel"  # the public sees the role
    log = AuditLog(sessions.kw["bind"])
    actions = [entry.action for entry in log.entries()]
    assert actions.count("tracker.assessment") == 2 and actions.count("tracker.owner") == 1
    assert "Act in force" not in json.dumps([entry.details for entry in log.entries()])  # reasons stay out
    assert log.verify().ok


def test_wording_rules(sessions) -> None:  # noqa: ANN001
    with transaction(sessions) as session, pytest.raises(TrackerError, match="owner status"):
        register.record_status(session, PANEL, "NA-2025-1", "owner", "verified", "self-certified")
    with transaction(sessions) as session, pytest.raises(TrackerError, match="why"):
        register.record_status(session, PANEL, "NA-2025-1", "assessment", "in progress", "  ")
    with transaction(sessions) as session, pytest.raises(TrackerError, match="not one of"):
        register.record_status(session, PANEL, "NA-2025-1", "assessment", "non-compliant", "x")
    with transaction(sessions) as session, pytest.raises(TrackerError, match="future"):
        register.record_status(session, PANEL, "NA-2025-1", "assessment", "in progress", "x",
                               as_of=date.today() + timedelta(days=1))
    with transaction(sessions) as session:
        register.record_status(session, PANEL, "NA-2025-1", "assessment", "no response found", "Checked GOV.UK")
        count = session.scalar(select(func.count()).select_from(StatusEvent))
    assert _item(sessions, "NA-2025-1")["assessment"]["value"] == "no response found"
    assert "non-compliance" in register.WORDING["no response found"]  # says what it is not
    assert count > 0


def test_escalation_ladder_in_order_per_owner(sessions) -> None:  # noqa: ANN001
    code, owner = "HMICFRS-GBCSE-5", "Home Office"
    with transaction(sessions) as session, pytest.raises(TrackerError, match="reminder before the formal letter"):
        register.escalate(session, PANEL, code, owner, "formal letter", "silent")
    with transaction(sessions) as session, pytest.raises(TrackerError, match="not an owner"):
        register.escalate(session, PANEL, code, "Ofsted", "reminder", "silent")
    assert _item(sessions, code, today=date(2025, 6, 1))["next_step"] == {owner: "reminder"}
    with transaction(sessions) as session:
        register.escalate(session, PANEL, code, owner, "reminder", "no answer by the deadline", date(2025, 4, 1))
        register.escalate(session, PANEL, code, owner, "formal letter", "still silent", date(2025, 5, 1))
    with transaction(sessions) as session, pytest.raises(TrackerError, match="already"):
        register.escalate(session, PANEL, code, owner, "reminder", "again")
    item = _item(sessions, code, today=date(2025, 6, 1))
    assert [(row["step"], row["taken_on"]) for row in item["escalations"]] == [
        ("reminder", date(2025, 4, 1)), ("formal letter", date(2025, 5, 1))]
    assert item["next_step"] == {owner: "public listing"}


def test_overdue_follows_due_dates_and_reported_completion(sessions) -> None:  # noqa: ANN001
    with transaction(sessions) as session:
        register.set_due(session, PANEL, "NA-2025-3", date(2025, 12, 31), "Government's plan")
    assert _item(sessions, "NA-2025-3", today=date(2026, 1, 1))["overdue"]
    assert not _item(sessions, "NA-2025-3", today=date(2025, 12, 31))["overdue"]
    with transaction(sessions) as session:
        register.record_status(session, PANEL, "NA-2025-3", "owner", "implemented", "Scheme open")
    assert not _item(sessions, "NA-2025-3", today=date(2026, 1, 1))["overdue"]
    with transaction(sessions) as session:  # the independent assessment outranks the owner's own report
        register.record_status(session, PANEL, "NA-2025-3", "assessment", "not implemented", "No scheme found")
    assert _item(sessions, "NA-2025-3", today=date(2026, 1, 1))["overdue"]
    with transaction(sessions) as session:
        register.set_due(session, PANEL, "IICSA-FR-05", date(2024, 1, 1), "test")
    assert not _item(sessions, "IICSA-FR-05")["overdue"]  # rejected: not "late"


def test_information_requests_counted_by_organisation(sessions) -> None:  # noqa: ANN001
    today = date(2026, 2, 1)
    with transaction(sessions) as session:
        first = register.send_request(session, PANEL, "Council A", "Problem profile", date(2026, 1, 10),
                                      code="HMICFRS-GBCSE-2", sent_on=date(2026, 1, 1))
        second = register.send_request(session, PANEL, "Council A", "Audit data", date(2026, 1, 10),
                                       sent_on=date(2026, 1, 1))
        third = register.send_request(session, PANEL, "Force B", "Records", date(2026, 1, 10),
                                      inquiry_code="OLDHAM", sent_on=date(2026, 1, 1))
        register.send_request(session, PANEL, "Force B", "Later", date(2026, 3, 1), sent_on=date(2026, 1, 1))
        register.record_request_outcome(session, PANEL, second.id, "refused", "Commercially sensitive")
        register.record_request_outcome(session, PANEL, third.id, "extended", new_deadline=date(2026, 2, 15))
        with pytest.raises(TrackerError, match="why"):
            register.record_request_outcome(session, PANEL, first.id, "refused", "")
        with pytest.raises(TrackerError, match="deadline"):
            register.send_request(session, PANEL, "X", "Y", date(2025, 1, 1), sent_on=date(2026, 1, 1))
        items = views.requests(session, today=today)
    table = {row["organisation"]: row for row in views.requests_by_organisation(items)}
    assert table["Council A"] == {"organisation": "Council A", "sent": 2, "answered": 0, "refused": 1, "overdue": 1,
                                  "open": 0}
    assert table["Force B"]["overdue"] == 0 and table["Force B"]["open"] == 2
    assert [row["state"] for row in items] == ["overdue", "refused", "open", "open"]
    assert items[0]["days_late"] == 22 and items[2]["deadline"] == date(2026, 2, 15)


def test_inquiries_say_unknown_rather_than_guess(sessions) -> None:  # noqa: ANN001
    with transaction(sessions) as session:
        found = {row["code"]: row for row in views.inquiries(session)}
    oldham = found["OLDHAM"]
    assert oldham["chair"] == "unknown" and oldham["funding_gbp"] is None and oldham["terms_of_reference"] == "unknown"
    assert "£5m" in oldham["funding_note"] and oldham["milestones"] and oldham["sources"]
    with transaction(sessions) as session:
        with pytest.raises(TrackerError, match="count"):
            register.add_inquiry_event(session, PANEL, "OLDHAM", "engagement", "Survivors' panel")
        register.add_inquiry_event(session, PANEL, "OLDHAM", "engagement", "Survivors' panel", date(2026, 1, 5),
                                   count=12)
        register.add_recommendation(session, PANEL, "OLDHAM-R1", "Review closed cases", "", "", ["Oldham Council"],
                                    inquiry_code="OLDHAM")
        oldham = next(row for row in views.inquiries(session) if row["code"] == "OLDHAM")
    assert oldham["survivors_engaged"] == 12 and oldham["recommendations"] == ["OLDHAM-R1"]
    assert _item(sessions, "OLDHAM-R1")["headline"] == "proposed"


def test_exports_neutralise_formulas(sessions, tmp_path: Path) -> None:  # noqa: ANN001
    with transaction(sessions) as session:
        register.add_recommendation(session, PANEL, "TEST-1", '=HYPERLINK("http://evil","x")', "", "test",
                                    ["@Org"])
        register.add_evidence(session, PANEL, "TEST-1", "figure", "+1 sum", figure="-3")
        items, requests = views.recommendations(session), views.requests(session)
    export.export(items, requests, "csv", tmp_path / "r.csv")
    with (tmp_path / "r.csv").open(encoding="utf-8") as handle:
        rows = {row["code"]: row for row in csv.DictReader(handle)}
    assert rows["TEST-1"]["title"].startswith("'=") and rows["TEST-1"]["owners"] == "'@Org"
    assert len(rows) == len(items)
    export.export(items, requests, "xlsx", tmp_path / "r.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "r.xlsx")
    assert {"Recommendations", "History", "Evidence", "Information requests"} <= set(book.sheetnames)
    assert all(cell.data_type != "f" for sheet in book for row in sheet.iter_rows() for cell in row)
    export.export(items, requests, "json", tmp_path / "r.json")
    payload = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert len(payload["recommendations"]) == len(items)


def test_indicators_read_the_published_cell(sessions, tmp_path: Path) -> None:  # noqa: ANN001
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "suspects_by_ethnicity_self_defined.csv").write_text(
        "ethnicity_self_defined,suspects,percent\nWhite,50,50.0\nNot recorded,37,37.0\nTotal,100,100.0\n")
    found = {row["code"]: row for row in indicators.values(sessions, str(tmp_path))}
    assert found["suspects-ethnicity-not-recorded"]["value"] == "37.0"
    assert found["victims-ethnicity-not-recorded"]["value"] is None  # no such table: no figure, not zero
    assert all(row["value"] is None for row in indicators.values(sessions, None))


def test_the_database_refuses_to_rewrite_history(sessions) -> None:  # noqa: ANN001
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DBAPIError

    with transaction(sessions) as session:
        register.record_status(session, PANEL, "NA-2025-2", "assessment", "in progress", "Operation running")
    for statement in (update(StatusEvent).values(value="verified"), delete(StatusEvent)):
        with pytest.raises(DBAPIError, match="append-only"), transaction(sessions) as session:
            session.execute(statement)
    assert _item(sessions, "NA-2025-2")["assessment"]["value"] == "in progress"


def test_recommendations_grouped_by_theme(sessions) -> None:  # noqa: ANN001
    with transaction(sessions) as session:
        items = views.recommendations(session, today=date(2025, 6, 1))
        found = {row["code"]: row for row in views.themes(session, items)}
    assert sum(row["total"] for row in found.values()) == len(items)  # every seeded one has a theme
    assert "NA-2025-4" in found["data"]["codes"] and found["data"]["overdue"] == 4  # HMICFRS 1, 2, 4, 5
