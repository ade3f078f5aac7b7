"""Accounts: an admin deactivates and reactivates, resets a password; anyone signed in changes their own.

Each change ends the account's other sessions at their next request and is in the audit log (by account id,
never by email).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from clearsight.audit_log import AuditLog
from clearsight.service import create_app
from clearsight.service.accounts import AccountError, set_active
from clearsight.service.settings import ServiceSettings
from test_service_support import (  # noqa: F401 - database_url and pg_database are fixtures
    PASSWORD,
    add_account,
    csrf_of,
    database_url,
    pg_database,
    sign_in,
    two_areas,
)

AREA_A, _ = two_areas()
NEW_PASSWORD = "a much longer new passphrase"


@pytest.fixture
def app(database_url: str):  # noqa: F811, ANN201
    application = create_app(ServiceSettings(database_url=database_url))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def admin(app) -> Iterator[TestClient]:  # noqa: ANN001
    add_account(app, "admin@example.org", "admin")
    with TestClient(app) as client:
        assert sign_in(client, "admin@example.org").status_code == 303
        yield client


def _post(client: TestClient, url: str, **data: str):  # noqa: ANN202
    return client.post(url, data={**data, "csrf_token": csrf_of(client.get("/report").text)}, follow_redirects=False)


def _actions(app) -> list[str]:  # noqa: ANN001
    return [entry.action for entry in AuditLog(app.state.engine).entries()]


def test_deactivation_ends_sessions_at_once_and_blocks_sign_in(app, admin: TestClient) -> None:  # noqa: ANN001
    user_id = add_account(app, "fa@police.example", "force_analyst", AREA_A[2])
    analyst = TestClient(app)
    sign_in(analyst, "fa@police.example")
    assert analyst.get("/api/me").status_code == 200
    assert _post(admin, f"/admin/users/{user_id}/active", active="no").status_code == 303
    assert analyst.get("/api/me").status_code == 401  # the open session is over
    assert sign_in(TestClient(app), "fa@police.example").status_code == 400
    assert "Deactivated" in admin.get("/admin/users").text
    assert _post(admin, f"/admin/users/{user_id}/active", active="yes").status_code == 303
    assert sign_in(TestClient(app), "fa@police.example").status_code == 303
    assert _actions(app).count("account.deactivate") == 1 and "account.activate" in _actions(app)
    assert all("fa@police.example" not in str(entry) for entry in AuditLog(app.state.engine).entries())


def test_an_admin_cannot_deactivate_themselves(app, admin: TestClient) -> None:  # noqa: ANN001
    me = admin.get("/api/me").json()["user_id"]
    answer = _post(admin, f"/admin/users/{me}/active", active="no")
    assert answer.status_code == 400 and "your own account" in answer.text
    with pytest.raises(AccountError):
        set_active(app.state.sessions, 10_000, False, actor="cli", actor_role="admin")


def test_changing_your_password_ends_your_other_sessions(app) -> None:  # noqa: ANN001
    add_account(app, "reporter@school.example", "mandated_reporter")
    here, elsewhere = TestClient(app), TestClient(app)
    sign_in(here, "reporter@school.example")
    sign_in(elsewhere, "reporter@school.example")
    wrong = _post(here, "/account/password", current_password="not it at all", new_password=NEW_PASSWORD,
                  confirm_password=NEW_PASSWORD)
    assert wrong.status_code == 400 and "current password is wrong" in wrong.text
    mismatch = _post(here, "/account/password", current_password=PASSWORD, new_password=NEW_PASSWORD,
                     confirm_password=NEW_PASSWORD + "!")
    assert mismatch.status_code == 400 and "do not match" in mismatch.text
    short = _post(here, "/account/password", current_password=PASSWORD, new_password="short",
                  confirm_password="short")
    assert short.status_code == 400 and "12 characters" in short.text
    done = _post(here, "/account/password", current_password=PASSWORD, new_password=NEW_PASSWORD,
                 confirm_password=NEW_PASSWORD)
    assert done.status_code == 200 and "Password changed" in done.text
    assert here.get("/my-reports").status_code == 200  # this session carries on
    assert elsewhere.get("/my-reports").status_code == 401  # the other one is over
    assert sign_in(TestClient(app), "reporter@school.example").status_code == 400
    assert sign_in(TestClient(app), "reporter@school.example", NEW_PASSWORD).status_code == 303
    assert "account.password_change" in _actions(app)


def test_an_admin_resets_a_password(app, admin: TestClient) -> None:  # noqa: ANN001
    user_id = add_account(app, "ca@council.example", "council_analyst", AREA_A[1])
    analyst = TestClient(app)
    sign_in(analyst, "ca@council.example")
    assert _post(admin, f"/admin/users/{user_id}/password", password="short").status_code == 400
    assert _post(admin, f"/admin/users/{user_id}/password", password=NEW_PASSWORD).status_code == 303
    assert analyst.get("/triage").status_code == 401
    assert sign_in(TestClient(app), "ca@council.example", NEW_PASSWORD).status_code == 303
    assert "account.password_reset" in _actions(app) and AuditLog(app.state.engine).verify().ok


def test_the_cli_deactivates_reactivates_and_resets(tmp_path) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from clearsight.cli import app as cli

    url = f"sqlite:///{tmp_path / 'service.db'}"
    service = create_app(ServiceSettings(database_url=url))
    add_account(service, "np@inquiry.example", "inquiry_panel")
    runner = CliRunner()
    for args in (["deactivate", "np@inquiry.example"], ["reactivate", "np@inquiry.example"],
                 ["set-password", "np@inquiry.example", "--password", NEW_PASSWORD]):
        result = runner.invoke(cli, ["users", *args, "--database-url", url])
        assert result.exit_code == 0, result.output
    assert runner.invoke(cli, ["users", "deactivate", "nobody@x.example", "--database-url", url]).exit_code == 1
    with TestClient(service) as client:
        assert sign_in(client, "np@inquiry.example", NEW_PASSWORD).status_code == 303
    assert [action for action in _actions(service) if action.startswith("account.")] == [
        "account.create", "account.deactivate", "account.activate", "account.password_reset"]
    service.state.engine.dispose()


def test_a_reset_link_works_once_and_the_admin_never_sees_the_password(app, admin: TestClient) -> None:  # noqa: ANN001
    import re

    user_id = add_account(app, "na@audit.example", "national_auditor")
    holder = TestClient(app)
    sign_in(holder, "na@audit.example")
    made = _post(admin, f"/admin/users/{user_id}/reset-link")
    assert made.status_code == 200
    link = re.search(r'id="reset-link">([^<]+)<', made.text).group(1)
    path = "/" + link.split("/", 3)[3]
    assert path.startswith("/account/reset/")
    stranger = TestClient(app)
    page = stranger.get(path)
    assert page.status_code == 200 and "Set a new password" in page.text
    token = csrf_of(page.text)
    mismatch = stranger.post(path, data={"new_password": NEW_PASSWORD, "confirm_password": "other",
                                         "csrf_token": token})
    assert mismatch.status_code == 400 and "do not match" in mismatch.text
    done = stranger.post(path, data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
                                     "csrf_token": token})
    assert done.status_code == 200 and "Password set" in done.text
    assert stranger.get(path).status_code == 404  # used up
    assert holder.get("/statistics").status_code == 401  # open sessions ended
    assert sign_in(TestClient(app), "na@audit.example", NEW_PASSWORD).status_code == 303
    assert TestClient(app).get("/account/reset/forged.token.value").status_code == 404
    actions = _actions(app)
    assert "account.reset_link" in actions and "account.password_reset" in actions
