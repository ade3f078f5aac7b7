"""Engines, sessions and migrations for SQLite (default) and PostgreSQL (production).

Why the SQLite settings: a reporter is told their reference only after the report is durable, so SQLite runs
in WAL mode with ``synchronous=FULL`` (a committed transaction survives power loss, not just a crash), and
write transactions open with ``BEGIN IMMEDIATE`` so that concurrent requests queue on the write lock
instead of failing on a lock upgrade: in-process on a fair lock (SQLite's own busy handler backs off in
sleeps of up to 100 ms, which made the p99 latency ten times the median), across processes on
``busy_timeout``. PostgreSQL commits durably by default.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(database_url: str) -> Engine:
    """An engine with the durability settings above; psycopg 3 for a bare ``postgresql://`` URL."""
    url = make_url(database_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=8,
                               max_overflow=16)
        writer = threading.Lock()

        def begin(connection: Any) -> None:
            # Queue in-process writers on a lock rather than in SQLite's busy-wait backoff; never wait forever.
            if not writer.acquire(timeout=30):
                raise TimeoutError("the database stayed busy for 30 s")
            connection.info["clearsight_writer"] = True
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except Exception:
                _release(connection.info)
                raise

        def _release(info: dict) -> None:
            if info.pop("clearsight_writer", False):
                writer.release()

        def end(connection: Any) -> None:
            _release(connection.info)

        def checkin(_dbapi_connection: Any, record: Any) -> None:
            _release(record.info)  # a connection handed back mid-transaction must not keep the lock

        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", begin)
        event.listen(engine, "commit", end)
        event.listen(engine, "rollback", end)
        event.listen(engine.pool, "checkin", checkin)
        return engine
    return create_engine(url, pool_size=8, max_overflow=16, pool_pre_ping=True)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # let the "begin" event issue BEGIN IMMEDIATE itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent); run at startup or by ``serve --migrate``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session
