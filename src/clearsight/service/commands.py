"""CLI commands of the web service: ``serve``, ``users add|deactivate|reactivate|set-password``,
``audit-log verify``.

Each is a thin layer over a library call (``create_app``, ``accounts.add_user``, ``AuditLog.verify``) so
that scripts and tests can do the same without the CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from clearsight.errors import ClearsightError
from clearsight.service.settings import DEFAULT_DATABASE_URL

console = Console(stderr=True)
DatabaseOption = Annotated[str, typer.Option("--database-url", envvar="CLEARSIGHT_DATABASE_URL",
                                             help="SQLAlchemy URL of the service database, e.g. "
                                                  "postgresql+psycopg://postgres@127.0.0.1:5432/test")]


def serve(
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    migrate_only: Annotated[bool, typer.Option("--migrate", help="Apply the database migrations and exit.")] = False,
) -> None:
    """Run the web service: intake form, triage queues, accounts, JSON API (migrations applied at start)."""
    from clearsight.service.db import make_engine, migrate

    if migrate_only:
        engine = make_engine(database_url)
        migrate(engine)
        engine.dispose()
        console.print(f"[bold]Migrations applied[/bold] to {_redact(database_url)}")
        return
    import uvicorn

    from clearsight.service import create_app
    from clearsight.service.settings import ServiceSettings

    application = create_app(ServiceSettings.from_env(database_url))
    console.print(f"[bold]Clearsight service[/bold] on http://{host}:{port} ({_redact(database_url)})")
    # No access log: request lines carry client addresses, identifying metadata the public form must not keep.
    uvicorn.run(application, host=host, port=port, access_log=False, log_level="warning")


def users_add(
    email: Annotated[str, typer.Argument(help="The account's email address (its sign-in name).")],
    role: Annotated[str, typer.Option("--role", help="admin, national_auditor, force_analyst, council_analyst, "
                                                     "inquiry_panel, mandated_reporter or public.")],
    scope: Annotated[str | None, typer.Option("--scope", help="Force code (force_analyst) or council code "
                                                             "(council_analyst).")] = None,
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
    password: Annotated[str | None, typer.Option("--password", envvar="CLEARSIGHT_NEW_PASSWORD",
                                                 help="The password; asked for when not given.")] = None,
) -> None:
    """Create an account (the change is written to the audit log)."""
    from clearsight.service.accounts import AccountError, add_user
    from clearsight.service.db import make_engine, migrate, session_factory

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = make_engine(database_url)
    migrate(engine)
    try:
        user = add_user(session_factory(engine), email, password, role, scope, actor="cli", actor_role="admin")
    except AccountError as error:
        raise ClearsightError(str(error)) from error
    finally:
        engine.dispose()
    console.print(f"[bold]Account added[/bold]: {user.email} ({user.role}{' ' + user.scope if user.scope else ''})")


def _account_id(factory: object, email: str) -> int:
    from sqlalchemy import select

    from clearsight.service.models import User

    with factory() as session:  # type: ignore[operator]
        user_id = session.scalar(select(User.id).where(User.email == email.strip().lower()))
    if user_id is None:
        raise ClearsightError(f"there is no account for {email}")
    return user_id


def users_set_active(email: str, active: bool, database_url: str) -> None:
    """Deactivate or reactivate an account from the command line (audited as by ``cli``)."""
    from clearsight.service.accounts import AccountError, set_active
    from clearsight.service.db import make_engine, migrate, session_factory

    engine = make_engine(database_url)
    migrate(engine)
    try:
        factory = session_factory(engine)
        set_active(factory, _account_id(factory, email), active, actor="cli", actor_role="admin")
    except AccountError as error:
        raise ClearsightError(str(error)) from error
    finally:
        engine.dispose()
    console.print(f"[bold]Account {'reactivated' if active else 'deactivated'}[/bold]: {email}")


EmailArgument = Annotated[str, typer.Argument(help="The account's email address.")]


def users_deactivate(email: EmailArgument, database_url: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Deactivate an account: it can no longer sign in and its open sessions end (audited)."""
    users_set_active(email, False, database_url)


def users_reactivate(email: EmailArgument, database_url: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Reactivate a deactivated account (audited)."""
    users_set_active(email, True, database_url)


def users_set_password(
    email: EmailArgument,
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
    password: Annotated[str | None, typer.Option("--password", envvar="CLEARSIGHT_NEW_PASSWORD",
                                                 help="The new password; asked for when not given.")] = None,
) -> None:
    """Reset an account's password; its open sessions end (audited as a reset)."""
    from clearsight.service.accounts import AccountError, set_password
    from clearsight.service.db import make_engine, migrate, session_factory

    if password is None:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    engine = make_engine(database_url)
    migrate(engine)
    try:
        factory = session_factory(engine)
        set_password(factory, _account_id(factory, email), password, current_password=None, actor="cli",
                     actor_role="admin")
    except AccountError as error:
        raise ClearsightError(str(error)) from error
    finally:
        engine.dispose()
    console.print(f"[bold]Password reset[/bold] for {email}")


def audit_log_verify(
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
    expect_head: Annotated[str | None, typer.Option("--expect-head", help="SEQ:HASH kept from an earlier "
                                                                          "verify, to catch a removed tail.")] = None,
) -> None:
    """Check the audit log's hash chain: exit 0 when intact, 1 naming the first broken entry."""
    from sqlalchemy import inspect

    from clearsight.audit_log import AuditLog
    from clearsight.service.db import make_engine

    engine = make_engine(database_url)
    try:
        if not inspect(engine).has_table("audit_log"):
            raise ClearsightError(f"{_redact(database_url)}: no audit log here")
        head = None
        if expect_head:
            seq, _, digest = expect_head.partition(":")
            head = (int(seq), digest)
        result = AuditLog(engine).verify(expected_head=head)
    finally:
        engine.dispose()
    typer.echo(result.message())
    if not result.ok:
        raise typer.Exit(1)


def intake_export(
    db: Annotated[Path, typer.Option("--db", help="The warehouse (a DuckDB file) the report reads.")] = Path(
        "clearsight.duckdb"),
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Write the intake's de-identified statistics into the warehouse, for the audit report (audit-logged)."""
    from clearsight.service.extract import EXTRACT_TABLE, export_extract

    rows = export_extract(database_url, db)
    console.print(f"[bold]{rows:,} mandatory reports[/bold] written to {EXTRACT_TABLE} in {db} (no identifiers)")


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    """Add the service's commands to the main CLI."""
    app.command("serve")(serve)
    users_app = typer.Typer(help="Service accounts.", no_args_is_help=True)
    users_app.command("add")(users_add)
    users_app.command("deactivate")(users_deactivate)
    users_app.command("reactivate")(users_reactivate)
    users_app.command("set-password")(users_set_password)
    app.add_typer(users_app, name="users")
    audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
    audit_app.command("verify")(audit_log_verify)
    app.add_typer(audit_app, name="audit-log")
    app.command("intake-export")(intake_export)
