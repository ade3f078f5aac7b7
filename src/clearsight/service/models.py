"""The service's tables as SQLAlchemy 2 models. Times are naive UTC throughout (one convention, both engines).

A triage judgement is a row in ``triage_decisions`` with who, when and why, never an overwrite; the report
keeps only ``first_triaged_at`` so that the clock from report to triage is a plain column to query.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """Now, as naive UTC (what both SQLite and PostgreSQL columns hold here)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    """An account. ``scope`` is a force code for force analysts and a council code for council analysts."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped on password change and deactivation: sessions signed with an older version end."""
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class MandatoryReport(Base):
    """One mandatory report of child sexual abuse, as made, routed to a council and a force."""

    __tablename__ = "mandatory_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    became_known_at: Mapped[datetime] = mapped_column(DateTime)
    reporter_name: Mapped[str] = mapped_column(String(200))
    reporter_role: Mapped[str] = mapped_column(String(200))
    reporter_organisation: Mapped[str] = mapped_column(String(200))
    reporter_setting: Mapped[str] = mapped_column(String(40), index=True)
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    reporter_phone: Mapped[str | None] = mapped_column(String(40))
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    child_name: Mapped[str] = mapped_column(String(200))
    child_date_of_birth: Mapped[date | None] = mapped_column(Date)
    child_age: Mapped[int | None] = mapped_column(Integer)
    child_postcode: Mapped[str] = mapped_column(String(10))
    concern_type: Mapped[str] = mapped_column(String(20))
    what_happened: Mapped[str] = mapped_column(Text)
    perpetrator_known: Mapped[bool] = mapped_column(Boolean, default=False)
    perpetrator_name: Mapped[str | None] = mapped_column(String(200))
    perpetrator_role: Mapped[str | None] = mapped_column(String(200))
    perpetrator_position_of_trust: Mapped[str] = mapped_column(String(10), default="unknown")
    perpetrator_works_with_children: Mapped[str] = mapped_column(String(10), default="unknown")
    immediate_danger: Mapped[bool] = mapped_column(Boolean, default=False)
    council_code: Mapped[str | None] = mapped_column(String(20), index=True)
    force_code: Mapped[str | None] = mapped_column(String(20), index=True)
    routed_by: Mapped[str] = mapped_column(String(20))
    child_key: Mapped[str] = mapped_column(String(64), index=True)
    first_triaged_at: Mapped[datetime | None] = mapped_column(DateTime)
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    """SHA-256 of the form's one-time token (or the API's Idempotency-Key): a repeated POST finds this row."""


class TriageDecision(Base):
    """A triage judgement on a report: who, when, what and why; later decisions add rows."""

    __tablename__ = "triage_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("mandatory_reports.id"), index=True)
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")


class ReporterIdentityApproval(Base):
    """A recorded approval to show one report's reporter to one account beyond the triage team.

    Who approved, why, when and until when; revoking sets ``revoked_at``/``revoked_by``, never deletes."""

    __tablename__ = "reporter_identity_approvals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("mandatory_reports.id"), index=True)
    granted_to: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    approved_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# The tracker's tables live in their own module; importing it here registers them on ``Base``, so that every
# user of the models (migrations check, create_all in tests) sees one complete schema.
from clearsight.service.tracker import models as _tracker_models  # noqa: E402,F401
