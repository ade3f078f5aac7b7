"""The migrations build exactly the tables the models describe, on SQLite and PostgreSQL.

Why: models and migrations are written by hand side by side; a column added to one and not the other would
only show up as an error in production. Alembic's autogenerate comparison must find no difference (the audit
log's table is created by ``audit_log.create_schema``, outside the models, and is left out).
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from clearsight.service.db import make_engine, migrate
from clearsight.service.models import Base
from test_service_support import database_url, pg_database  # noqa: F401 - fixtures


def _relevant(difference: object) -> bool:
    flat = difference if isinstance(difference, tuple) else difference[0]  # type: ignore[index]
    text = repr(flat)
    return "audit_log" not in text and "alembic_version" not in text


def test_migrations_match_the_models(database_url: str) -> None:  # noqa: F811
    engine = make_engine(database_url)
    try:
        migrate(engine)
        migrate(engine)  # idempotent
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = [item for item in compare_metadata(context, Base.metadata) if _relevant(item)]
    finally:
        engine.dispose()
    assert differences == []
