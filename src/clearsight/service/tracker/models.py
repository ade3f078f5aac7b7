"""The tracker's tables. Every judgement, status, escalation and answer is a row; nothing is overwritten.

Why rows: a tracker that holds organisations to account must show how a recommendation got to where it is,
who said so and when, as the best state auditors' trackers do. The current owner-reported status and the
current independent assessment are simply the newest rows of their kind (``tracker_status_events``); the
register row itself holds only what a source says about the recommendation (title, summary, government
position, where it was read). Times are naive UTC like the rest of the service; ``as_of`` dates are the
dates a status refers to (a response's date), which may be well before it was recorded here.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clearsight.service.models import Base, utcnow


class TrackerTheme(Base):
    """A theme that groups recommendations (data, justice, support...)."""

    __tablename__ = "tracker_themes"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class TrackerIndicator(Base):
    """A measure that shows progress on a theme, pointing at a table and cell of the audit report."""

    __tablename__ = "tracker_indicators"
    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    theme: Mapped[str] = mapped_column(ForeignKey("tracker_themes.code"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    report_table: Mapped[str] = mapped_column(String(100))
    dimension: Mapped[str] = mapped_column(String(60))
    category: Mapped[str] = mapped_column(String(100))
    measure: Mapped[str] = mapped_column(String(60))
    direction: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class TrackerInquiry(Base):
    """A local (or national) inquiry: who chairs it, its terms and funding; ``unknown`` where no source says."""

    __tablename__ = "tracker_inquiries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="local")
    area: Mapped[str] = mapped_column(String(200))
    chair: Mapped[str] = mapped_column(String(200), default="unknown")
    terms_of_reference: Mapped[str] = mapped_column(Text, default="unknown")
    funding_gbp: Mapped[int | None] = mapped_column(Integer)
    """Pounds; NULL means unknown (shown as "not known"), never zero."""
    funding_note: Mapped[str] = mapped_column(Text, default="")
    reference_status: Mapped[str] = mapped_column(String(20), default="confirmed")
    source: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120), default="seed")


class TrackerInquiryEvent(Base):
    """A milestone, a count of survivors engaged, or a finding of an inquiry (append-only)."""

    __tablename__ = "tracker_inquiry_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("tracker_inquiries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    """milestone | engagement | finding"""
    title: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)
    happened_on: Mapped[date | None] = mapped_column(Date)
    """The day it happened (a milestone reached, a count taken, a finding published)."""
    count: Mapped[int | None] = mapped_column(Integer)
    """Survivors engaged (engagement rows only): a count, never who."""
    source: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(120))


class Recommendation(Base):
    """One recommendation as its source states it, with the government's stated position when seen."""

    __tablename__ = "tracker_recommendations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    source_report: Mapped[str] = mapped_column(String(200), index=True)
    number: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    government_position: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    reference_status: Mapped[str] = mapped_column(String(20), default="confirmed")
    """confirmed | partial | unconfirmed, as the reference file says: an unconfirmed row is shown as such."""
    reference_note: Mapped[str] = mapped_column(Text, default="")
    theme: Mapped[str | None] = mapped_column(ForeignKey("tracker_themes.code"), index=True)
    inquiry_id: Mapped[int | None] = mapped_column(ForeignKey("tracker_inquiries.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120), default="seed")


class RecommendationOwner(Base):
    """An organisation that owns (must act on) a recommendation."""

    __tablename__ = "tracker_owners"
    __table_args__ = (UniqueConstraint("recommendation_id", "organisation"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("tracker_recommendations.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(200), index=True)
    basis: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    added_by: Mapped[str] = mapped_column(String(120))


class StatusEvent(Base):
    """A dated statement about a recommendation: the owner's reported status, the independent assessment,
    or a due date. The newest row of each kind is the one in force; earlier rows stay as history."""

    __tablename__ = "tracker_status_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("tracker_recommendations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    """owner | assessment | due"""
    value: Mapped[str] = mapped_column(String(40))
    as_of: Mapped[date | None] = mapped_column(Date)
    organisation: Mapped[str | None] = mapped_column(String(200))
    """For an owner's report: which owner said so (None: the government as a whole)."""
    why: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(120))


class EvidenceItem(Base):
    """A document, link or figure offered as evidence on a recommendation (kept; never deleted)."""

    __tablename__ = "tracker_evidence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("tracker_recommendations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    """document | link | figure"""
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(Text)
    figure: Mapped[str | None] = mapped_column(String(100))
    dated: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(120))


class Comment(Base):
    """A comment on a recommendation by a signed-in member of the oversight team."""

    __tablename__ = "tracker_comments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("tracker_recommendations.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(120))


class Escalation(Base):
    """A step on the ladder taken against a silent owner: reminder, formal letter, public listing."""

    __tablename__ = "tracker_escalations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("tracker_recommendations.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(200), index=True)
    step: Mapped[str] = mapped_column(String(20))
    taken_on: Mapped[date] = mapped_column(Date)
    why: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(120))


class InformationRequest(Base):
    """A request to an organisation for evidence, with a deadline. Its answer is a ``RequestEvent`` row."""

    __tablename__ = "tracker_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation: Mapped[str] = mapped_column(String(200), index=True)
    recommendation_id: Mapped[int | None] = mapped_column(ForeignKey("tracker_recommendations.id"), index=True)
    inquiry_id: Mapped[int | None] = mapped_column(ForeignKey("tracker_inquiries.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    sent_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(120))


class RequestEvent(Base):
    """What happened to a request: answered, refused, or the deadline extended (append-only)."""

    __tablename__ = "tracker_request_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("tracker_requests.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    """answered | refused | extended"""
    happened_on: Mapped[date] = mapped_column(Date)
    new_deadline: Mapped[date | None] = mapped_column(Date)
    why: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(120))
