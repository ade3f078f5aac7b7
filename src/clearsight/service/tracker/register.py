"""Writes to the tracker: each one adds rows and its audit-log entry in the caller's transaction.

Why one module for every write: the rules a tracker lives by are few and must hold everywhere (pages, API,
CLI): a change is a new row with who, when and why; the words are from fixed lists, so that "no response
found" is never silently turned into "non-compliant"; and no write happens without its audit entry. The
audit entry holds codes and values only, never the free-text reasons (which stay in the tracker's rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearsight.audit_log import AuditLog
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
)

STATUSES = ("proposed", "accepted", "accepted in part", "rejected", "in progress", "implemented", "verified")
"""The fixed list of a recommendation's statuses."""
OWNER_STATUSES = STATUSES[:-1]
"""What an owner may report of itself: everything but ``verified``, which only an independent check gives."""
NO_RESPONSE = "no response found"
ASSESSMENTS = (*STATUSES, "not implemented", NO_RESPONSE)
"""An independent assessment: a status, or ``not implemented`` (evidence shows it is not done), or
``no response found`` (we looked and found no response: a fact about the record, not a finding of fault)."""
WORDING = {
    "proposed": "Made by the report; no decision by its owner is recorded yet.",
    "accepted": "The owner has said it accepts the recommendation.",
    "accepted in part": "The owner accepts part of it, or the need to act but not the means proposed.",
    "rejected": "The owner has said it will not implement it.",
    "in progress": "Work has started; it is not complete.",
    "implemented": "Said to be done.",
    "verified": "Checked independently against evidence and found done.",
    "not implemented": "Evidence shows it is not done (yet). Not a judgement of intent.",
    NO_RESPONSE: "No response from the owner was found. This is not a finding of non-compliance.",
}
ESCALATION_STEPS = ("reminder", "formal letter", "public listing")
"""The ladder, in order: a step is taken only after the one before it, for that owner and recommendation."""
EVIDENCE_KINDS = ("document", "link", "figure")
REQUEST_OUTCOMES = ("answered", "refused", "extended")
INQUIRY_EVENT_KINDS = ("milestone", "engagement", "finding")
MAX_TEXT = 4000


class TrackerError(ValueError):
    """A write the tracker refuses; the message names the field and the reason, in plain words."""


@dataclass(frozen=True)
class Actor:
    """Who is writing: ``recorded_by`` is kept in the tracker's rows; ``actor``/``role`` go to the audit log."""

    recorded_by: str
    actor: str
    role: str

    @classmethod
    def from_principal(cls, principal: Any) -> Actor:
        """A signed-in account: rows say ``role:id`` (never an email), the audit log ``user:id``."""
        return cls(f"{principal.role}:{principal.user_id}", principal.actor, principal.role)

    @classmethod
    def cli(cls, by: str) -> Actor:
        """The command line: rows carry the name given with ``--by``; the audit log says ``cli``."""
        by = by.strip()
        if not by:
            raise TrackerError("--by: say who is making the change")
        return cls(f"cli:{by[:100]}", "cli", "admin")


def _audit(session: Session, actor: Actor, action: str, obj: str, **details: Any) -> None:
    AuditLog(session.get_bind()).append(actor.actor, actor.role, action, obj, details,
                                        connection=session.connection())


def _text(field: str, value: str | None, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if required and not text:
        raise TrackerError(f"{field}: enter it (it is kept with the change)")
    if len(text) > limit:
        raise TrackerError(f"{field}: {limit} characters at most")
    return text


def _choice(field: str, value: str, allowed: tuple[str, ...]) -> str:
    value = (value or "").strip().lower()
    if value not in allowed:
        raise TrackerError(f"{field}: {value!r} is not one of {', '.join(allowed)}")
    return value


def recommendation(session: Session, code: str) -> Recommendation:
    """The recommendation with this code, or a TrackerError naming it."""
    found = session.scalar(select(Recommendation).where(Recommendation.code == code.strip().upper()))
    if found is None:
        raise TrackerError(f"recommendation {code!r}: there is none with that code")
    return found


def owners_of(session: Session, recommendation_id: int) -> list[str]:
    return list(session.scalars(select(RecommendationOwner.organisation)
                                .where(RecommendationOwner.recommendation_id == recommendation_id)
                                .order_by(RecommendationOwner.organisation)))


def record_status(session: Session, actor: Actor, code: str, kind: str, value: str, why: str,
                  as_of: date | None = None, organisation: str | None = None) -> StatusEvent:
    """Add a dated owner-reported status (``kind="owner"``) or independent assessment (``"assessment"``)."""
    rec = recommendation(session, code)
    if kind == "owner":
        value = _choice("owner status", value, OWNER_STATUSES)
    elif kind == "assessment":
        value = _choice("assessment", value, ASSESSMENTS)
    else:
        raise TrackerError(f"kind: {kind!r} is not owner or assessment")
    if as_of is not None and as_of > date.today():
        raise TrackerError("as of: a status cannot be dated in the future")
    if organisation:
        organisation = organisation.strip()
        if organisation not in owners_of(session, rec.id):
            raise TrackerError(f"organisation: {organisation!r} is not an owner of {rec.code}")
    event = StatusEvent(recommendation_id=rec.id, kind=kind, value=value, as_of=as_of or date.today(),
                        organisation=organisation or None, why=_text("why", why), recorded_by=actor.recorded_by)
    session.add(event)
    session.flush()
    _audit(session, actor, f"tracker.{kind}", f"recommendation:{rec.code}", value=value, event=event.id)
    return event


def set_due(session: Session, actor: Actor, code: str, due: date, why: str) -> StatusEvent:
    """Set (or move) a recommendation's due date: a new row, the old date stays in the history."""
    rec = recommendation(session, code)
    event = StatusEvent(recommendation_id=rec.id, kind="due", value=due.isoformat(), as_of=date.today(),
                        why=_text("why", why), recorded_by=actor.recorded_by)
    session.add(event)
    session.flush()
    _audit(session, actor, "tracker.due", f"recommendation:{rec.code}", due=due.isoformat(), event=event.id)
    return event


def add_owner(session: Session, actor: Actor, code: str, organisation: str, basis: str) -> RecommendationOwner:
    rec = recommendation(session, code)
    organisation = _text("organisation", organisation, limit=200)
    if organisation in owners_of(session, rec.id):
        raise TrackerError(f"organisation: {organisation!r} already owns {rec.code}")
    owner = RecommendationOwner(recommendation_id=rec.id, organisation=organisation, basis=_text("basis", basis),
                                added_by=actor.recorded_by)
    session.add(owner)
    session.flush()
    _audit(session, actor, "tracker.owner_add", f"recommendation:{rec.code}", owner=owner.id)
    return owner


def add_evidence(session: Session, actor: Actor, code: str, kind: str, title: str, url: str | None = None,
                 figure: str | None = None, dated: date | None = None) -> EvidenceItem:
    rec = recommendation(session, code)
    kind = _choice("evidence kind", kind, EVIDENCE_KINDS)
    url = (url or "").strip() or None
    if url and not url.startswith(("https://", "http://")):
        raise TrackerError("link: must start with https:// or http://")
    if kind == "link" and not url:
        raise TrackerError("link: enter the address")
    if kind == "figure" and not (figure or "").strip():
        raise TrackerError("figure: enter the figure")
    item = EvidenceItem(recommendation_id=rec.id, kind=kind, title=_text("title", title, limit=300), url=url,
                        figure=(figure or "").strip()[:100] or None, dated=dated, recorded_by=actor.recorded_by)
    session.add(item)
    session.flush()
    _audit(session, actor, "tracker.evidence", f"recommendation:{rec.code}", kind=kind, evidence=item.id)
    return item


def add_comment(session: Session, actor: Actor, code: str, body: str) -> Comment:
    rec = recommendation(session, code)
    comment = Comment(recommendation_id=rec.id, body=_text("comment", body), recorded_by=actor.recorded_by)
    session.add(comment)
    session.flush()
    _audit(session, actor, "tracker.comment", f"recommendation:{rec.code}", comment=comment.id)
    return comment


def escalate(session: Session, actor: Actor, code: str, organisation: str, step: str, why: str,
             taken_on: date | None = None) -> Escalation:
    """Take the next step on the ladder against an owner; steps cannot be skipped or repeated."""
    rec = recommendation(session, code)
    step = _choice("step", step, ESCALATION_STEPS)
    organisation = organisation.strip()
    if organisation not in owners_of(session, rec.id):
        raise TrackerError(f"organisation: {organisation!r} is not an owner of {rec.code}")
    taken = set(session.scalars(select(Escalation.step).where(Escalation.recommendation_id == rec.id,
                                                              Escalation.organisation == organisation)))
    if step in taken:
        raise TrackerError(f"step: {step} has already been taken for {organisation} on {rec.code}")
    earlier = ESCALATION_STEPS[:ESCALATION_STEPS.index(step)]
    missing = [name for name in earlier if name not in taken]
    if missing:
        raise TrackerError(f"step: take the {missing[0]} before the {step}")
    taken_on = taken_on or date.today()
    if taken_on > date.today():
        raise TrackerError("taken on: a step cannot be dated in the future")
    row = Escalation(recommendation_id=rec.id, organisation=organisation, step=step, taken_on=taken_on,
                     why=_text("why", why), recorded_by=actor.recorded_by)
    session.add(row)
    session.flush()
    _audit(session, actor, "tracker.escalate", f"recommendation:{rec.code}", step=step, escalation=row.id)
    return row


def send_request(session: Session, actor: Actor, organisation: str, subject: str, deadline: date,
                 code: str | None = None, inquiry_code: str | None = None, sent_on: date | None = None
                 ) -> InformationRequest:
    """Record a request for evidence sent to an organisation, with its deadline."""
    sent_on = sent_on or date.today()
    if deadline < sent_on:
        raise TrackerError("deadline: must be on or after the day the request was sent")
    rec_id = recommendation(session, code).id if code else None
    inquiry_id = inquiry(session, inquiry_code).id if inquiry_code else None
    row = InformationRequest(organisation=_text("organisation", organisation, limit=200),
                             subject=_text("subject", subject, limit=300), sent_on=sent_on, deadline=deadline,
                             recommendation_id=rec_id, inquiry_id=inquiry_id, recorded_by=actor.recorded_by)
    session.add(row)
    session.flush()
    _audit(session, actor, "tracker.request", f"request:{row.id}", deadline=deadline.isoformat())
    return row


def record_request_outcome(session: Session, actor: Actor, request_id: int, outcome: str, why: str = "",
                           on: date | None = None, new_deadline: date | None = None) -> RequestEvent:
    """The request was answered, refused, or its deadline extended (``new_deadline``)."""
    request = session.get(InformationRequest, request_id)
    if request is None:
        raise TrackerError(f"request {request_id}: there is none with that number")
    outcome = _choice("outcome", outcome, REQUEST_OUTCOMES)
    if outcome == "extended" and (new_deadline is None or new_deadline < request.sent_on):
        raise TrackerError("new deadline: give the extended deadline")
    if outcome != "extended":
        new_deadline = None
    event = RequestEvent(request_id=request.id, outcome=outcome, happened_on=on or date.today(),
                         new_deadline=new_deadline, why=_text("why", why, required=outcome == "refused"),
                         recorded_by=actor.recorded_by)
    session.add(event)
    session.flush()
    _audit(session, actor, "tracker.request_outcome", f"request:{request.id}", outcome=outcome, event=event.id)
    return event


def inquiry(session: Session, code: str) -> TrackerInquiry:
    found = session.scalar(select(TrackerInquiry).where(TrackerInquiry.code == code.strip().upper()))
    if found is None:
        raise TrackerError(f"inquiry {code!r}: there is none with that code")
    return found


def add_inquiry_event(session: Session, actor: Actor, inquiry_code: str, kind: str, title: str,
                      happened_on: date | None = None, due_on: date | None = None, count: int | None = None,
                      source: str = "") -> TrackerInquiryEvent:
    """A milestone (due and/or reached), a count of survivors engaged (a number only), or a finding."""
    found = inquiry(session, inquiry_code)
    kind = _choice("kind", kind, INQUIRY_EVENT_KINDS)
    if kind == "engagement" and (count is None or count < 0):
        raise TrackerError("count: survivors' engagement is recorded as a count (0 or more)")
    if kind != "engagement":
        count = None
    event = TrackerInquiryEvent(inquiry_id=found.id, kind=kind, title=_text("title", title), due_on=due_on,
                                happened_on=happened_on, count=count, source=source.strip(),
                                recorded_by=actor.recorded_by)
    session.add(event)
    session.flush()
    _audit(session, actor, "tracker.inquiry_event", f"inquiry:{found.code}", kind=kind, event=event.id)
    return event


def add_inquiry(session: Session, actor: Actor, code: str, area: str, chair: str = "", terms_of_reference: str = "",
                funding_gbp: int | None = None, funding_note: str = "", source: str = "", kind: str = "local"
                ) -> TrackerInquiry:
    """A new inquiry. What is not given is stored as ``unknown`` (funding as NULL): never a guess."""
    code = _text("code", code, limit=40).upper()
    if session.scalar(select(TrackerInquiry.id).where(TrackerInquiry.code == code)) is not None:
        raise TrackerError(f"code: inquiry {code} already exists")
    if funding_gbp is not None and funding_gbp < 0:
        raise TrackerError("funding: pounds, 0 or more (leave empty when not known)")
    row = TrackerInquiry(code=code, kind=_choice("kind", kind, ("local", "national")),
                         area=_text("area", area, limit=200), chair=chair.strip()[:200] or "unknown",
                         terms_of_reference=terms_of_reference.strip() or "unknown", funding_gbp=funding_gbp,
                         funding_note=funding_note.strip(), reference_status="confirmed", source=source.strip(),
                         created_by=actor.recorded_by)
    session.add(row)
    session.flush()
    _audit(session, actor, "tracker.inquiry_add", f"inquiry:{code}")
    return row


def add_recommendation(session: Session, actor: Actor, code: str, title: str, summary: str, source: str,
                       owners: list[str], inquiry_code: str | None = None, theme: str | None = None
                       ) -> Recommendation:
    """A new recommendation (a local inquiry's own, for instance), starting as ``proposed``."""
    code = _text("code", code, limit=40).upper()
    if session.scalar(select(Recommendation.id).where(Recommendation.code == code)) is not None:
        raise TrackerError(f"code: {code} is already in the register")
    found = inquiry(session, inquiry_code) if inquiry_code else None
    rec = Recommendation(code=code, source_report=found.area + " inquiry" if found else _text("source", source),
                         title=_text("title", title, limit=300), summary=_text("summary", summary, required=False),
                         source=source.strip(), theme=theme or None, inquiry_id=found.id if found else None,
                         created_by=actor.recorded_by)
    session.add(rec)
    session.flush()
    _audit(session, actor, "tracker.recommendation_add", f"recommendation:{code}")
    for organisation in owners:
        add_owner(session, actor, code, organisation, "named when the recommendation was added")
    return rec
