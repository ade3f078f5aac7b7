"""The tracker's read side: the register and its summaries as plain dictionaries.

Why dictionaries: the public page, the panel workspace, the dashboard, the JSON API, the CSV/Excel exports
and ``clearsight tracker list --json`` all show the same facts; building them once, here, means they cannot
disagree. ``public=True`` leaves out what only the oversight team reads (comments, who recorded a change
beyond their role). "Today" is a parameter so that what is overdue can be tested on any date.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearsight.service.tracker.models import (
    Comment,
    Escalation,
    EvidenceItem,
    InformationRequest,
    Recommendation,
    RecommendationOwner,
    RequestEvent,
    StatusEvent,
    TrackerInquiry,
    TrackerInquiryEvent,
    TrackerTheme,
)
from clearsight.service.tracker.register import ESCALATION_STEPS, NO_RESPONSE, STATUSES

DONE = frozenset({"implemented", "verified"})


def who(recorded_by: str, public: bool) -> str:
    """How a row's author is shown: the role (and account number to the team), a CLI name, or the seed."""
    if recorded_by == "seed":
        return "reference data"
    kind, _, rest = recorded_by.partition(":")
    if kind == "cli":
        return "command line" if public else f"command line ({rest})"
    label = kind.replace("_", " ")
    return label if public else f"{label} (account {rest})"


def _sources(text: str) -> list[dict[str, str | None]]:
    """The source column's parts (``a ; b``), each with the address it names, so pages can link it."""
    parts = [part.strip() for part in text.replace(" ; ", ";").split(";") if part.strip()]
    found = []
    for part in parts:
        address = re.search(r"https?://[^\s()]+", part)
        found.append({"text": part, "url": address.group(0) if address else None})
    return found


def _latest(events: list[Any], kind: str) -> Any:
    chosen = [event for event in events if event.kind == kind]
    return max(chosen, key=lambda event: (event.recorded_at, event.id)) if chosen else None


def _status(event: Any, public: bool) -> dict[str, Any] | None:
    if event is None:
        return None
    return {"value": event.value, "as_of": event.as_of, "organisation": event.organisation, "why": event.why,
            "recorded_at": event.recorded_at, "by": who(event.recorded_by, public)}


def is_overdue(item: dict[str, Any], today: date) -> bool:
    """Past its due date, not rejected, and not done by the headline status: the independent assessment where
    there is one (an owner's "implemented" does not clear it when the assessment says otherwise), else the
    owner's own report."""
    due = item["due"]
    if due is None or due >= today:
        return False
    return item["headline"] not in DONE and item["headline"] != "rejected"


def recommendations(session: Session, *, public: bool = True, today: date | None = None,
                    code: str | None = None) -> list[dict[str, Any]]:
    """Every recommendation (or one) with its owners, both statuses, due date, escalations and evidence."""
    today = today or date.today()
    query = select(Recommendation).order_by(Recommendation.id)
    if code:
        query = query.where(Recommendation.code == code.strip().upper())
    recs = list(session.scalars(query))
    ids = [rec.id for rec in recs]
    grouped: dict[str, dict[int, list[Any]]] = {name: defaultdict(list) for name in
                                                ("owners", "events", "escalations", "evidence", "comments")}
    for name, model in (("owners", RecommendationOwner), ("events", StatusEvent), ("escalations", Escalation),
                        ("evidence", EvidenceItem), ("comments", Comment)):
        if public and name == "comments":
            continue
        table = model.__table__  # plain rows, not ORM objects: several times faster for a large register
        for row in session.execute(select(table).where(table.c.recommendation_id.in_(ids)).order_by(table.c.id)):
            grouped[name][row.recommendation_id].append(row)
    inquiries = dict(session.execute(select(TrackerInquiry.id, TrackerInquiry.code)).all())
    items = []
    for rec in recs:
        events = grouped["events"][rec.id]
        owner, assessment, due = (_latest(events, kind) for kind in ("owner", "assessment", "due"))
        item: dict[str, Any] = {
            "code": rec.code, "source_report": rec.source_report, "number": rec.number, "title": rec.title,
            "summary": rec.summary, "government_position": rec.government_position,
            "sources": _sources(rec.source), "reference_status": rec.reference_status,
            "reference_note": rec.reference_note, "theme": rec.theme, "inquiry": inquiries.get(rec.inquiry_id),
            "owners": [owner_row.organisation for owner_row in grouped["owners"][rec.id]],
            "owner_status": _status(owner, public), "assessment": _status(assessment, public),
            "due": date.fromisoformat(due.value) if due else None,
            "escalations": [{"organisation": row.organisation, "step": row.step, "taken_on": row.taken_on,
                             "why": row.why, "by": who(row.recorded_by, public)}
                            for row in grouped["escalations"][rec.id]],
            "evidence": [{"kind": row.kind, "title": row.title, "url": row.url, "figure": row.figure,
                          "dated": row.dated, "recorded_at": row.recorded_at, "by": who(row.recorded_by, public)}
                         for row in grouped["evidence"][rec.id]],
            "history": [{"kind": event.kind, "value": event.value, "as_of": event.as_of,
                         "organisation": event.organisation, "why": event.why, "recorded_at": event.recorded_at,
                         "by": who(event.recorded_by, public)}
                        for event in sorted(events, key=lambda event: (event.recorded_at, event.id))],
        }
        item["headline"] = (assessment.value if assessment else owner.value if owner else "proposed")
        item["owner_said"] = owner.value if owner else NO_RESPONSE
        item["overdue"] = is_overdue(item, today)
        item["next_step"] = next_steps(item)
        if not public:
            item["comments"] = [{"body": row.body, "recorded_at": row.recorded_at, "by": who(row.recorded_by, False)}
                                for row in grouped["comments"][rec.id]]
        items.append(item)
    return items


def next_steps(item: dict[str, Any]) -> dict[str, str]:
    """For each owner of an overdue-or-silent recommendation, the next rung of the ladder not yet taken."""
    if item["owner_status"] is not None and not item.get("overdue"):
        return {}
    steps: dict[str, str] = {}
    for organisation in item["owners"]:
        taken = {row["step"] for row in item["escalations"] if row["organisation"] == organisation}
        remaining = [step for step in ESCALATION_STEPS if step not in taken]
        if remaining:
            steps[organisation] = remaining[0]
    return steps


def overview(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts for the public page and dashboard: by status, by source, by owner, and what is overdue."""
    by_status = Counter(item["headline"] for item in items)
    by_owner: dict[str, Counter[str]] = defaultdict(Counter)
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        by_source[item["source_report"]][item["headline"]] += 1
        by_source[item["source_report"]]["total"] += 1
        by_source[item["source_report"]]["overdue"] += item["overdue"]
        for organisation in item["owners"]:
            counts = by_owner[organisation]
            counts["total"] += 1
            counts["overdue"] += item["overdue"]
            counts["no response found"] += item["owner_status"] is None
            counts["done"] += item["headline"] in DONE
    return {
        "total": len(items),
        "by_status": [{"status": status, "recommendations": by_status.get(status, 0)}
                      for status in (*STATUSES, "not implemented", NO_RESPONSE) if by_status.get(status, 0)
                      or status in STATUSES],
        "by_source": [{"source_report": name, **counts} for name, counts in by_source.items()],
        "by_owner": [{"organisation": name, **counts} for name, counts in sorted(by_owner.items())],
        "overdue": [item for item in items if item["overdue"]],
        "listed": [{"code": item["code"], "title": item["title"], **row} for item in items
                   for row in item["escalations"] if row["step"] == "public listing"],
        "no_response": sum(item["owner_status"] is None for item in items),
        "unconfirmed": sum(item["reference_status"] == "unconfirmed" for item in items),
    }


def requests(session: Session, today: date | None = None) -> list[dict[str, Any]]:
    """Information requests with their state: answered, refused, overdue (deadline passed) or open."""
    today = today or date.today()
    events: dict[int, list[RequestEvent]] = defaultdict(list)
    for event in session.scalars(select(RequestEvent).order_by(RequestEvent.recorded_at, RequestEvent.id)):
        events[event.request_id].append(event)
    codes = dict(session.execute(select(Recommendation.id, Recommendation.code)).all())
    inquiries = dict(session.execute(select(TrackerInquiry.id, TrackerInquiry.code)).all())
    items = []
    for row in session.scalars(select(InformationRequest).order_by(InformationRequest.id)):
        deadline, state, answered_on = row.deadline, "open", None
        for event in events[row.id]:
            if event.outcome == "extended" and event.new_deadline:
                deadline = event.new_deadline
            elif event.outcome in ("answered", "refused"):
                state, answered_on = event.outcome, event.happened_on
        if state == "open" and deadline < today:
            state = "overdue"
        items.append({"id": row.id, "organisation": row.organisation, "subject": row.subject,
                      "recommendation": codes.get(row.recommendation_id), "inquiry": inquiries.get(row.inquiry_id),
                      "sent_on": row.sent_on, "deadline": deadline, "state": state, "closed_on": answered_on,
                      "days_late": (today - deadline).days if state == "overdue" else 0})
    return items


def requests_by_organisation(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per organisation: requests sent, answered, refused, overdue and still open (who has not answered)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        counts[item["organisation"]]["sent"] += 1
        counts[item["organisation"]][item["state"]] += 1
    rows = [{"organisation": name, **{key: found.get(key, 0) for key in
                                      ("sent", "answered", "refused", "overdue", "open")}}
            for name, found in counts.items()]
    return sorted(rows, key=lambda row: (-row["overdue"] - row["refused"], row["organisation"]))


def inquiries(session: Session) -> list[dict[str, Any]]:
    """Inquiries with their milestones, survivors' engagement (counts), findings and recommendations."""
    events: dict[int, list[TrackerInquiryEvent]] = defaultdict(list)
    for event in session.scalars(select(TrackerInquiryEvent).order_by(TrackerInquiryEvent.id)):
        events[event.inquiry_id].append(event)
    recs: dict[int, list[str]] = defaultdict(list)
    for rec_code, inquiry_id in session.execute(select(Recommendation.code, Recommendation.inquiry_id)
                                                .where(Recommendation.inquiry_id.is_not(None))):
        recs[inquiry_id].append(rec_code)
    items = []
    for row in session.scalars(select(TrackerInquiry).order_by(TrackerInquiry.id)):
        mine = events[row.id]

        def of(kind: str, mine: list[TrackerInquiryEvent] = mine) -> list[dict[str, Any]]:
            return [{"title": event.title, "due_on": event.due_on, "on": event.happened_on, "count": event.count,
                     "source": event.source} for event in mine if event.kind == kind]

        engagement = of("engagement")
        items.append({"code": row.code, "kind": row.kind, "area": row.area, "chair": row.chair,
                      "terms_of_reference": row.terms_of_reference, "funding_gbp": row.funding_gbp,
                      "funding_note": row.funding_note, "reference_status": row.reference_status,
                      "sources": _sources(row.source), "milestones": of("milestone"), "findings": of("finding"),
                      "engagement": engagement, "survivors_engaged": engagement[-1]["count"] if engagement else None,
                      "recommendations": recs[row.id]})
    return items


def themes(session: Session, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Recommendations grouped by theme: how many, how many done, how many overdue, and their codes."""
    found = []
    for theme in session.scalars(select(TrackerTheme).order_by(TrackerTheme.code)):
        mine = [item for item in items if item["theme"] == theme.code]
        found.append({"code": theme.code, "title": theme.title, "description": theme.description,
                      "total": len(mine), "done": sum(item["headline"] in DONE for item in mine),
                      "overdue": sum(item["overdue"] for item in mine), "codes": [item["code"] for item in mine]})
    return found
