"""Revealing a reporter's identity beyond the triage team: only under a recorded approval.

Why a row per approval: the reporter's name, role, organisation and contact details are shown to the triage
team (force and council analysts of the report's area) because they must act on the report. Anyone else who
reads the report (the national team routing an unrouted one) sees it without them, unless an admin has
recorded who may see them, for which report, why and until when. The approval is a row (approved by, at,
reason, expiry, revoked at/by), never an overwrite; approving, revoking and every read made under an approval
are audit-logged, the audit entry naming the approval's id (the reason stays in the table: free text is kept
out of the audit log).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearsight.service.access import ANALYSTS, Principal, audit
from clearsight.service.accounts import Role
from clearsight.service.models import MandatoryReport, ReporterIdentityApproval, User, utcnow

GRANTABLE_ROLES = frozenset({Role.national_auditor})
"""Roles that read reports outside the triage team, and so may be approved to see a reporter."""
MIN_REASON_LENGTH = 20
MAX_DAYS = 30


class DisclosureError(ValueError):
    """An approval that cannot be recorded (unknown report or account, wrong role, no reason, bad expiry)."""



def approve(session: Session, approver: Principal, reference: str, grantee_email: str, reason: str,
            days: int = 7) -> ReporterIdentityApproval:
    """Record that ``grantee_email`` may see the reporter of ``reference`` for ``days`` days, and why."""
    if approver.role != Role.admin or approver.user_id is None:
        raise DisclosureError("only an admin account may approve revealing a reporter's identity")
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise DisclosureError(f"give the reason for the approval ({MIN_REASON_LENGTH} characters or more)")
    if not 1 <= days <= MAX_DAYS:
        raise DisclosureError(f"an approval lasts from 1 to {MAX_DAYS} days")
    report = session.scalar(select(MandatoryReport).where(MandatoryReport.reference == reference.strip().upper()))
    if report is None:
        raise DisclosureError("there is no report with that reference")
    grantee = session.scalar(select(User).where(User.email == grantee_email.strip().lower(), User.active.is_(True)))
    if grantee is None:
        raise DisclosureError("there is no active account with that email address")
    if grantee.role not in GRANTABLE_ROLES:
        raise DisclosureError(f"a {grantee.role} account cannot be approved: the triage team already sees the "
                              "reporter, and other roles do not read reports")
    now = utcnow()
    approval = ReporterIdentityApproval(report_id=report.id, granted_to=grantee.id, approved_by=approver.user_id,
                                        approved_at=now, expires_at=now + timedelta(days=days), reason=reason)
    session.add(approval)
    session.flush()
    audit(session, approver, "reporter_identity.approve", f"report:{report.reference}",
           approval=approval.id, granted_to=f"user:{grantee.id}", days=days)
    return approval


def revoke(session: Session, approver: Principal, approval_id: int) -> ReporterIdentityApproval:
    """End an approval now (the row stays, with who revoked it and when)."""
    approval = session.get(ReporterIdentityApproval, approval_id)
    if approver.role != Role.admin or approval is None:
        raise DisclosureError("there is no such approval")
    if approval.revoked_at is None:
        approval.revoked_at, approval.revoked_by = utcnow(), approver.user_id
        report = session.get(MandatoryReport, approval.report_id)
        audit(session, approver, "reporter_identity.revoke", f"report:{report.reference if report else '?'}",
               approval=approval.id)
    return approval


def current_approval(session: Session, principal: Principal, report: MandatoryReport
                     ) -> ReporterIdentityApproval | None:
    """The principal's unexpired, unrevoked approval for this report, if any."""
    if principal.user_id is None:
        return None
    return session.scalar(select(ReporterIdentityApproval).where(
        ReporterIdentityApproval.report_id == report.id, ReporterIdentityApproval.granted_to == principal.user_id,
        ReporterIdentityApproval.revoked_at.is_(None), ReporterIdentityApproval.expires_at > utcnow(),
    ).order_by(ReporterIdentityApproval.expires_at.desc()).limit(1))


def reporter_visible(session: Session, principal: Principal, report: MandatoryReport
                     ) -> tuple[bool, ReporterIdentityApproval | None]:
    """Whether this reader may see the reporter, and the approval that allows it (audited when used).

    The triage team always may; anyone else only under a current approval for this report."""
    if principal.role in ANALYSTS:
        return True, None
    approval = current_approval(session, principal, report)
    if approval is None:
        return False, None
    audit(session, principal, "reporter_identity.read", f"report:{report.reference}", approval=approval.id)
    return True, approval


def approvals(session: Session, limit: int = 200) -> list[tuple[ReporterIdentityApproval, str, str, str]]:
    """Recent approvals, newest first, with the report's reference and the grantee's and approver's emails."""
    approver = User.__table__.alias("approver")
    rows = session.execute(
        select(ReporterIdentityApproval, MandatoryReport.reference, User.email, approver.c.email)
        .join(MandatoryReport, MandatoryReport.id == ReporterIdentityApproval.report_id)
        .join(User, User.id == ReporterIdentityApproval.granted_to)
        .join(approver, approver.c.id == ReporterIdentityApproval.approved_by)
        .order_by(ReporterIdentityApproval.approved_at.desc(), ReporterIdentityApproval.id.desc()).limit(limit))
    return [tuple(row) for row in rows.all()]  # type: ignore[misc]
