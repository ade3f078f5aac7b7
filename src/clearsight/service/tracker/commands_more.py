"""``clearsight tracker request ...``, ``tracker inquiry ...``, ``tracker owner add``, ``tracker add``.

Split from ``commands`` to keep each module short; the same helpers and rules apply.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from clearsight.errors import ClearsightError
from clearsight.service.commands import DatabaseOption
from clearsight.service.settings import DEFAULT_DATABASE_URL
from clearsight.service.tracker.commands import ByOption, JsonOption, WhyOption, _date, _echo_json, _write, console


def request_send(
    organisation: Annotated[str, typer.Argument(help="The organisation asked for evidence.")],
    subject: Annotated[str, typer.Option("--subject", help="What is asked for.")],
    deadline: Annotated[str, typer.Option("--deadline", help="The deadline, YYYY-MM-DD.")],
    by: ByOption,
    recommendation: Annotated[str | None, typer.Option("--recommendation", help="About this recommendation.")]
    = None,
    inquiry: Annotated[str | None, typer.Option("--inquiry", help="For this inquiry.")] = None,
    sent_on: Annotated[str | None, typer.Option("--sent-on", help="When it was sent (default today).")] = None,
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Record a request for evidence sent to an organisation, with its deadline."""
    from clearsight.service.tracker.register import Actor, send_request

    day, sent = _date(deadline, "--deadline"), _date(sent_on, "--sent-on")
    row = _write(database_url, lambda session: send_request(session, Actor.cli(by), organisation, subject,
                                                           day, recommendation, inquiry, sent))  # type: ignore[arg-type]
    console.print(f"[bold]Request {row.id}[/bold] to {escape(row.organisation)}, deadline {row.deadline}")


def request_outcome(
    request_id: Annotated[int, typer.Argument(help="The request's number.")],
    outcome: Annotated[str, typer.Option("--outcome", help="answered, refused or extended.")],
    by: ByOption,
    why: Annotated[str, typer.Option("--why", help="Why (required for a refusal).")] = "",
    on: Annotated[str | None, typer.Option("--on", help="When (default today).")] = None,
    new_deadline: Annotated[str | None, typer.Option("--new-deadline", help="For extended.")] = None,
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Record that a request was answered, refused, or had its deadline extended."""
    from clearsight.service.tracker.register import Actor, record_request_outcome

    day, extended = _date(on, "--on"), _date(new_deadline, "--new-deadline")
    _write(database_url, lambda session: record_request_outcome(session, Actor.cli(by), request_id, outcome, why,
                                                               day, extended))
    console.print(f"[bold]Request {request_id}[/bold]: {escape(outcome)}")


def request_list(database_url: DatabaseOption = DEFAULT_DATABASE_URL, as_json: JsonOption = False) -> None:
    """Information requests and, per organisation, how many were answered, refused or are overdue."""
    from clearsight.service.tracker import views

    items = _write(database_url, views.requests)
    table = views.requests_by_organisation(items)
    if as_json:
        _echo_json({"requests": items, "by_organisation": table})
        return
    for item in items:
        console.print(f"{item['id']:<5} {escape(item['organisation'])}: {item['state']} (deadline {item['deadline']})"
                      f"  {escape(item['subject'][:60])}")
    for row in table:
        console.print(f"{escape(row['organisation'])}: sent {row['sent']}, answered {row['answered']}, "
                      f"refused {row['refused']}, overdue {row['overdue']}, open {row['open']}")


def inquiry_list(database_url: DatabaseOption = DEFAULT_DATABASE_URL, as_json: JsonOption = False) -> None:
    """Local (and national) inquiries: area, chair, terms of reference, funding, milestones, engagement."""
    from clearsight.service.tracker import views

    items = _write(database_url, views.inquiries)
    if as_json:
        _echo_json(items)
        return
    for item in items:
        funding = f"£{item['funding_gbp']:,}" if item["funding_gbp"] is not None else "funding not known"
        console.print(f"{item['code']:<14} {escape(item['area'])}; chair: {escape(item['chair'])}; {funding}; "
                      f"{len(item['milestones'])} milestones, {len(item['findings'])} findings, "
                      f"{len(item['recommendations'])} recommendations")


def inquiry_add(
    code: Annotated[str, typer.Argument(help="A short code, e.g. ROCHDALE.")],
    area: Annotated[str, typer.Option("--area")], by: ByOption,
    chair: Annotated[str, typer.Option("--chair", help="Leave out when not known.")] = "",
    terms: Annotated[str, typer.Option("--terms", help="Terms of reference (or where they are).")] = "",
    funding: Annotated[int | None, typer.Option("--funding", help="Pounds; leave out when not known.")] = None,
    funding_note: Annotated[str, typer.Option("--funding-note")] = "",
    source: Annotated[str, typer.Option("--source", help="Where this is published.")] = "",
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Add an inquiry; what is not given is recorded as unknown, never guessed."""
    from clearsight.service.tracker.register import Actor, add_inquiry

    _write(database_url, lambda session: add_inquiry(session, Actor.cli(by), code, area, chair, terms, funding,
                                                    funding_note, source))
    console.print(f"[bold]{code.upper()}[/bold] added")


def inquiry_event(
    code: Annotated[str, typer.Argument(help="The inquiry's code, e.g. OLDHAM.")],
    kind: Annotated[str, typer.Option("--kind", help="milestone, engagement (a count) or finding.")],
    title: Annotated[str, typer.Option("--title", help="What it is.")],
    by: ByOption,
    on: Annotated[str | None, typer.Option("--on", help="When it happened.")] = None,
    due_on: Annotated[str | None, typer.Option("--due", help="When a milestone is due.")] = None,
    count: Annotated[int | None, typer.Option("--count", help="Survivors engaged (a count only).")] = None,
    source: Annotated[str, typer.Option("--source", help="Where this is published.")] = "",
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Add a milestone, a survivors' engagement count or a finding to an inquiry."""
    from clearsight.service.tracker.register import Actor, add_inquiry_event

    happened, due = _date(on, "--on"), _date(due_on, "--due")
    _write(database_url, lambda session: add_inquiry_event(session, Actor.cli(by), code, kind, title, happened,
                                                          due, count, source))
    console.print(f"[bold]{code.upper()}[/bold]: {escape(kind)} added")


def add(
    code: Annotated[str, typer.Argument(help="A new code, e.g. OLDHAM-R1.")],
    title: Annotated[str, typer.Option("--title")], by: ByOption,
    owner: Annotated[list[str], typer.Option("--owner", help="An owning organisation (repeat for more).")],
    summary: Annotated[str, typer.Option("--summary")] = "",
    source: Annotated[str, typer.Option("--source", help="Where it is published.")] = "",
    inquiry: Annotated[str | None, typer.Option("--inquiry", help="The inquiry that made it.")] = None,
    theme: Annotated[str | None, typer.Option("--theme")] = None,
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Add a recommendation (a local inquiry's own, for instance) with its owners."""
    from clearsight.service.tracker.register import Actor, add_recommendation

    if not owner:
        raise ClearsightError("--owner: name at least one owning organisation")
    _write(database_url, lambda session: add_recommendation(session, Actor.cli(by), code, title, summary, source,
                                                           owner, inquiry, theme))
    console.print(f"[bold]{code.upper()}[/bold] added")


def comment(code: str, by: ByOption, text: Annotated[str, typer.Option("--text")],
            database_url: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Add a comment to a recommendation (seen by the oversight team, not the public page)."""
    from clearsight.service.tracker.register import Actor, add_comment

    _write(database_url, lambda session: add_comment(session, Actor.cli(by), code, text))
    console.print(f"[bold]{code.upper()}[/bold]: comment added")


def owner_add(code: str, organisation: str, by: ByOption, why: WhyOption,
              database_url: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Name another organisation as an owner of a recommendation (``--why``: on what basis)."""
    from clearsight.service.tracker.register import Actor, add_owner

    _write(database_url, lambda session: add_owner(session, Actor.cli(by), code, organisation, why))
    console.print(f"[bold]{code.upper()}[/bold]: owner {escape(organisation)} added")


def register(tracker: typer.Typer) -> None:
    tracker.command("add")(add)
    tracker.command("comment")(comment)
    tracker.command("owner-add")(owner_add)
    request_app = typer.Typer(help="Information requests: evidence asked of an organisation.", no_args_is_help=True)
    request_app.command("send")(request_send)
    request_app.command("outcome")(request_outcome)
    request_app.command("list")(request_list)
    tracker.add_typer(request_app, name="request")
    inquiry_app = typer.Typer(help="Local inquiries.", no_args_is_help=True)
    inquiry_app.command("list")(inquiry_list)
    inquiry_app.command("event")(inquiry_event)
    inquiry_app.command("add")(inquiry_add)
    tracker.add_typer(inquiry_app, name="inquiry")
