"""Shared fixtures for the service and audit-log tests (imported by them; holds no tests itself).

``database_url`` runs a test once on SQLite (a file in tmp_path) and once on PostgreSQL: a fresh database
is created for the test session and dropped after it, and each test gets its own schema in it. PostgreSQL is
skipped, with the reason, only when the server cannot be reached.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from clearsight.service.accounts import use_password_hasher

use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))  # still argon2id, just cheap
PG_ADMIN_URL = os.environ.get("CLEARSIGHT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
_pg_state: dict[str, str] = {}


def _pg_admin():  # noqa: ANN202 - psycopg is optional at import time
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, as a SQLAlchemy URL; dropped at the end."""
    try:
        admin = _pg_admin()
    except Exception as error:  # noqa: BLE001 - any failure to connect means "not reachable"
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {error}")
    name = f"clearsight_test_{os.getpid()}_{secrets.token_hex(3)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_schema(database: str) -> tuple[str, str]:
    import psycopg

    schema = f"t_{secrets.token_hex(4)}"
    with psycopg.connect(database.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    return schema, f"{database}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # noqa: ANN001
    """The same test body on SQLite and on PostgreSQL (its own schema in the session's database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
        return
    database = request.getfixturevalue("pg_database")
    schema, url = _fresh_schema(database)
    yield url
    import psycopg

    with psycopg.connect(database.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# ---- helpers for the service tests ------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"


def _unique_outwards() -> dict[str, tuple[str, str]]:
    """Outward codes that route to exactly one council: outward -> (council, force)."""
    from clearsight.service.routing import _outward_lookup, councils

    return {outward: (codes[0], councils()[codes[0]][1]) for outward, codes in _outward_lookup().items()
            if len(codes) == 1}


def two_areas() -> tuple[tuple[str, str, str], tuple[str, str, str]]:
    """Two (postcode, council, force) in different forces, for scoping tests."""
    found: dict[str, tuple[str, str, str]] = {}
    for outward, (council, force) in sorted(_unique_outwards().items()):
        found.setdefault(force, (f"{outward} 1AB", council, force))
        if len(found) == 2:
            break
    first, second = found.values()
    return first, second


def report_form(postcode: str, **overrides: str) -> dict[str, str]:
    """A complete, valid HTML form submission."""
    form = {
        "immediate_danger": "no", "reporter_name": "Alice Reporter", "reporter_role": "Class teacher",
        "reporter_organisation": "Oakfield Primary", "reporter_setting": "school", "reporter_email": "",
        "child_name": "Zoë Quintrell", "child_date_of_birth-day": "3", "child_date_of_birth-month": "4",
        "child_date_of_birth-year": "2014", "child_age": "", "child_postcode": postcode, "council_code": "",
        "concern_type": "disclosed", "what_happened": "The child told me about abuse by a coach.",
        "became_known_on-day": "1", "became_known_on-month": "3", "became_known_on-year": "2025",
        "became_known_time": "09:15", "perpetrator_known": "yes", "perpetrator_name": "",
        "perpetrator_role": "Football coach", "perpetrator_position_of_trust": "yes",
        "perpetrator_works_with_children": "yes",
    }
    form.update(overrides)
    return form


def report_json(postcode: str, **overrides: object) -> dict[str, object]:
    """A complete, valid JSON API submission."""
    body: dict[str, object] = {
        "reporter_name": "Bob Nurse", "reporter_role": "School nurse", "reporter_organisation": "NHS Trust",
        "reporter_setting": "health", "child_name": "Jamie Osterfield", "child_age": 13, "child_postcode": postcode,
        "concern_type": "seen", "what_happened": "Saw messages from an adult.", "became_known_on": "2025-02-01",
        "immediate_danger": False,
    }
    body.update(overrides)
    return body


def csrf_of(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def add_account(app, email: str, role: str, scope: str | None = None) -> int:  # noqa: ANN001
    from clearsight.service.accounts import add_user

    return add_user(app.state.sessions, email, PASSWORD, role, scope, actor="test", actor_role="admin").id


def sign_in(client, email: str, password: str = PASSWORD):  # noqa: ANN001, ANN201
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       follow_redirects=False)


def signed_in_as(client, email: str):  # noqa: ANN001, ANN201
    """The test client, its cookies cleared and signed in as ``email`` (the sign-in must succeed)."""
    client.cookies.clear()
    assert sign_in(client, email).status_code == 303
    return client


def submit_form(client, form: dict[str, str]):  # noqa: ANN001, ANN201
    token = csrf_of(client.get("/report").text)
    return client.post("/report", data={**form, "csrf_token": token})


def reference_in(html: str) -> str:
    import re

    match = re.search(r'id="reference">(CS-[0-9A-Z]{4}-[0-9A-Z]{4})<', html)
    assert match, "no reference on the page"
    return match.group(1)
