"""``clearsight tracker ...``: the register from the command line, over the same library calls as the service.

Every write names who made it (``--by``) and why (``--why``) and is audit-logged as ``cli``; the database is
migrated first, like ``clearsight users``. Bad input exits 1 with the field and the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session

from clearsight.errors import ClearsightError
from clearsight.service.commands import DatabaseOption
from clearsight.service.settings import DEFAULT_DATABASE_URL

console = Console(stderr=True, soft_wrap=True)  # one line per recommendation, even when piped
T = TypeVar("T")
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
ByOption = Annotated[str, typer.Option("--by", help="Who is making the change (kept with it).")]
WhyOption = Annotated[str, typer.Option("--why", help="Why (kept with the change).")]


def _date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ClearsightError(f"{field}: {value!r} is not a date (YYYY-MM-DD)") from error


@contextmanager
def _session(database_url: str) -> Iterator[Session]:
    from clearsight.service.db import make_engine, migrate, session_factory, transaction

    engine = make_engine(database_url)
    try:
        migrate(engine)
        with transaction(session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _write(database_url: str, action: Callable[[Session], T]) -> T:
    from clearsight.service.tracker.register import TrackerError

    try:
        with _session(database_url) as session:
            return action(session)
    except TrackerError as error:
        raise ClearsightError(str(error)) from error


def _echo_json(payload: Any) -> None:
    from clearsight.service.tracker.export import to_json

    typer.echo(to_json(payload))


def seed(database_url: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Load the recommendations, themes, indicators and inquiries shipped with Clearsight (idempotent)."""
    from clearsight.service.tracker.seed import seed as run

    summary = _write(database_url, run)
    console.print("[bold]Tracker seeded[/bold]: " + ", ".join(summary.lines()))


def list_register(
    database_url: DatabaseOption = DEFAULT_DATABASE_URL, as_json: JsonOption = False,
    source: Annotated[str | None, typer.Option("--source", help="Only this source report (words it contains).")]
    = None,
) -> None:
    """The register: each recommendation's owners, owner-reported status, assessment, due date."""
    from clearsight.service.tracker import views

    items = _write(database_url, lambda session: views.recommendations(session, public=False))
    if source:
        items = [item for item in items if source.lower() in item["source_report"].lower()]
    if as_json:
        _echo_json(items)
        return
    for item in items:
        due = f" due {item['due']}" if item["due"] else ""
        late = " [red]OVERDUE[/red]" if item["overdue"] else ""
        flag = " (unconfirmed)" if item["reference_status"] == "unconfirmed" else ""
        console.print(f"{item['code']:<16} {escape(item['headline']):<17} owner: {escape(item['owner_said'])}"
                      f"{due}{late}  {escape(item['title'][:60])}{flag}")
    console.print(f"{len(items)} recommendations")


def show(code: Annotated[str, typer.Argument(help="The recommendation's code, e.g. IICSA-FR-13.")],
         database_url: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """One recommendation with its full history, escalations, evidence and comments (JSON)."""
    from clearsight.service.tracker import views

    items = _write(database_url, lambda session: views.recommendations(session, public=False, code=code))
    if not items:
        raise ClearsightError(f"recommendation {code!r}: there is none with that code")
    _echo_json(items[0])


def status(
    code: Annotated[str, typer.Argument(help="The recommendation's code, e.g. IICSA-FR-13.")],
    by: ByOption, why: WhyOption,
    owner_status: Annotated[str | None, typer.Option("--owner-status", help="What the owner reports: proposed, "
                            "accepted, accepted in part, rejected, in progress, implemented.")] = None,
    assessment: Annotated[str | None, typer.Option("--assessment", help="The independent assessment: a status, "
                          "verified, not implemented or 'no response found'.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="The date the status refers to (default today).")]
    = None,
    organisation: Annotated[str | None, typer.Option("--organisation", help="Which owner reported it.")] = None,
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Record a dated owner-reported status or independent assessment (a new row; the history keeps all)."""
    from clearsight.service.tracker.register import Actor, record_status

    if (owner_status is None) == (assessment is None):
        raise ClearsightError("give exactly one of --owner-status and --assessment")
    kind, value = ("owner", owner_status) if owner_status is not None else ("assessment", assessment)
    day = _date(as_of, "--as-of")
    event = _write(database_url, lambda session: record_status(session, Actor.cli(by), code, kind, str(value), why,
                                                              day, organisation))
    console.print(f"[bold]{code.upper()}[/bold]: {kind} {escape(event.value)} as of {event.as_of}")


def due(code: str, on: Annotated[str, typer.Argument(help="The due date, YYYY-MM-DD.")], by: ByOption,
        why: WhyOption, database_url: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Set or move a recommendation's due date (the earlier date stays in the history)."""
    from clearsight.service.tracker.register import Actor, set_due

    day = _date(on, "due date")
    _write(database_url, lambda session: set_due(session, Actor.cli(by), code, day, why))  # type: ignore[arg-type]
    console.print(f"[bold]{code.upper()}[/bold] due {day}")


def escalate(code: str, by: ByOption, why: WhyOption,
             organisation: Annotated[str, typer.Option("--organisation", help="The silent owner.")],
             step: Annotated[str, typer.Option("--step", help="reminder, formal letter or public listing.")],
             on: Annotated[str | None, typer.Option("--on", help="The day the step was taken.")] = None,
             database_url: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Take the next step on the escalation ladder against an owner (dated; steps in order)."""
    from clearsight.service.tracker.register import Actor
    from clearsight.service.tracker.register import escalate as run

    day = _date(on, "--on")
    row = _write(database_url, lambda session: run(session, Actor.cli(by), code, organisation, step, why, day))
    console.print(f"[bold]{code.upper()}[/bold]: {row.step} to {escape(row.organisation)} on {row.taken_on}")


def evidence(code: str, by: ByOption,
             kind: Annotated[str, typer.Option("--kind", help="document, link or figure.")],
             title: Annotated[str, typer.Option("--title", help="What it is.")],
             url: Annotated[str | None, typer.Option("--url", help="Where it is.")] = None,
             figure: Annotated[str | None, typer.Option("--figure", help="The figure, for kind figure.")] = None,
             dated: Annotated[str | None, typer.Option("--dated", help="The evidence's own date.")] = None,
             database_url: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Add an evidence item (a document, link or figure) to a recommendation."""
    from clearsight.service.tracker.register import Actor, add_evidence

    day = _date(dated, "--dated")
    _write(database_url, lambda session: add_evidence(session, Actor.cli(by), code, kind, title, url, figure, day))
    console.print(f"[bold]{code.upper()}[/bold]: evidence added")


def overdue(database_url: DatabaseOption = DEFAULT_DATABASE_URL, as_json: JsonOption = False) -> None:
    """What is late: recommendations past their due date and information requests past their deadline."""
    from clearsight.service.tracker import views

    def read(session: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        items = views.recommendations(session, public=False)
        return [item for item in items if item["overdue"]], views.requests(session)

    late, requests = _write(database_url, read)
    late_requests = [item for item in requests if item["state"] == "overdue"]
    if as_json:
        _echo_json({"recommendations": late, "information_requests": late_requests})
        return
    for item in late:
        steps = "; ".join(f"next for {org}: {step}" for org, step in item["next_step"].items())
        console.print(f"{item['code']:<16} due {item['due']}  owners: {escape(', '.join(item['owners']))}  "
                      f"{escape(item['headline'])}  {escape(steps)}")
    for item in late_requests:
        console.print(f"request {item['id']:<5} {escape(item['organisation'])}: deadline {item['deadline']}, "
                      f"{item['days_late']} days late")
    console.print(f"{len(late)} recommendations overdue, {len(late_requests)} information requests overdue")


def export(fmt: Annotated[str, typer.Option("--format", help="csv, json or xlsx.")],
           out: Annotated[Path, typer.Option("--out", help="The file to write.")],
           database_url: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Write the public register as CSV, JSON or Excel (cells that look like formulas are neutralised)."""
    from clearsight.service.tracker import views
    from clearsight.service.tracker.export import FORMATS
    from clearsight.service.tracker.export import export as run

    if fmt not in FORMATS:
        raise ClearsightError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    items, requests = _write(database_url, lambda session: (views.recommendations(session),
                                                            views.requests(session)))
    counts = run(items, requests, fmt, out)
    console.print(f"[bold]Register written[/bold] to {out}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


def register(app: typer.Typer) -> None:
    """Add ``clearsight tracker`` (with ``request`` and ``inquiry``) to the main CLI."""
    from clearsight.service.tracker import commands_more

    tracker = typer.Typer(help="Recommendations and local inquiries tracker.", no_args_is_help=True)
    tracker.command("seed")(seed)
    tracker.command("list")(list_register)
    tracker.command("show")(show)
    tracker.command("status")(status)
    tracker.command("due")(due)
    tracker.command("escalate")(escalate)
    tracker.command("evidence")(evidence)
    tracker.command("overdue")(overdue)
    tracker.command("export")(export)
    commands_more.register(tracker)
    app.add_typer(tracker, name="tracker")
