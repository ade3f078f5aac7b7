"""Mandatory report intake: what a report holds, how it is checked, and how it is made durable.

A reference is issued only by :func:`create_report`, and only after the transaction that holds the report
*and* its audit entry has committed; until then the reporter has no reference, and the pages say that without
one the report was not made. Checks never refuse a report for missing optional detail: they ask only for what
triage cannot act without (who reports, which child, what happened, when it became known).
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import date, datetime, time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from clearsight.audit_log import AuditLog
from clearsight.service.access import Principal
from clearsight.service.models import MandatoryReport, utcnow
from clearsight.service.routing import councils, normalise_postcode, route

SETTINGS = {
    "school": "School or college", "early_years": "Early years or childcare", "health": "Health",
    "social_care": "Children's social care", "police": "Police", "sport": "Sport or leisure",
    "faith": "Faith organisation", "voluntary": "Youth work or voluntary sector", "other": "Somewhere else",
}
CONCERN_TYPES = {"disclosed": "The child told me (a disclosure)", "seen": "I saw it, or saw evidence of it",
                 "suspected": "I suspect it from what I have noticed"}
YES_NO_UNKNOWN = {"yes": "Yes", "no": "No", "unknown": "I do not know"}
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_KEY_VERSION = "v1"


API_EXAMPLE = {
    "reporter_name": "A. Teacher", "reporter_role": "Class teacher", "reporter_organisation": "A primary school",
    "reporter_setting": "school", "child_name": "A. Child", "child_age": 9, "council_code": "E09000002",
    "concern_type": "disclosed", "what_happened": "The child told me about abuse by an adult.",
    "became_known_on": "2025-03-01", "immediate_danger": False,
}
"""A complete report (fictional) for the OpenAPI spec: API users and schemathesis' explicit phase send it."""


class ReportInput(BaseModel):
    """A mandatory report as submitted by the form or the JSON API."""

    model_config = ConfigDict(json_schema_extra={"examples": [API_EXAMPLE]})

    reporter_name: str = Field(min_length=1, max_length=200)
    reporter_role: str = Field(min_length=1, max_length=200, description="The reporter's job or role.")
    reporter_organisation: str = Field(min_length=1, max_length=200)
    reporter_setting: Literal[tuple(SETTINGS)]  # type: ignore[valid-type]
    reporter_email: str | None = Field(default=None, max_length=254)
    reporter_phone: str | None = Field(default=None, max_length=40)
    child_name: str = Field(min_length=1, max_length=200)
    child_date_of_birth: date | None = None
    child_age: int | None = Field(default=None, ge=0, le=17)
    child_postcode: str | None = Field(default=None, max_length=10)
    council_code: str | None = Field(default=None, description="The child's council, when the reporter knows it.")
    concern_type: Literal[tuple(CONCERN_TYPES)]  # type: ignore[valid-type]
    what_happened: str = Field(min_length=1, max_length=20000)
    became_known_on: date
    became_known_time: time | None = None
    perpetrator_known: bool = False
    perpetrator_name: str | None = Field(default=None, max_length=200)
    perpetrator_role: str | None = Field(default=None, max_length=200)
    perpetrator_position_of_trust: Literal["yes", "no", "unknown"] = "unknown"
    perpetrator_works_with_children: Literal["yes", "no", "unknown"] = "unknown"
    immediate_danger: bool


FIELD_MESSAGES = {
    "reporter_name": "Enter your full name", "reporter_role": "Enter your job or role",
    "reporter_organisation": "Enter the organisation you work or volunteer for",
    "reporter_setting": "Select where you work with children", "reporter_email": "Enter a shorter email address",
    "child_name": "Enter the child's name", "child_date_of_birth": "Enter a real date of birth, like 27 3 2012",
    "child_age": "Enter the child's age in years, from 0 to 17", "child_postcode": "Enter a real postcode",
    "concern_type": "Select how you know about the abuse", "what_happened": "Describe what you saw or were told",
    "became_known_on": "Enter the date you became aware, like 27 3 2025",
    "became_known_time": "Enter a time like 14:30", "immediate_danger": "Select yes if the child is in immediate "
    "danger", "perpetrator_known": "Select whether you know who the alleged abuser is",
}


def validation_messages(error: ValidationError) -> dict[str, str]:
    """Pydantic's errors as one plain GOV.UK-style message per field."""
    messages: dict[str, str] = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "form"
        messages.setdefault(field, FIELD_MESSAGES.get(field, "Check this answer"))
    return messages


def _as_date(value: object) -> date | None:
    if isinstance(value, date) or value is None:
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def cross_checks(report: ReportInput | dict[str, Any], today: date | None = None) -> dict[str, str]:
    """Rules across fields: an age or date of birth; a postcode or council; no dates in the future.

    Takes the raw payload too, so that a form with field errors also hears about these in the same answer."""
    values = report.model_dump() if isinstance(report, ReportInput) else report
    today = today or utcnow().date()
    born, known_on = _as_date(values.get("child_date_of_birth")), _as_date(values.get("became_known_on"))
    postcode, council = values.get("child_postcode"), values.get("council_code")
    errors: dict[str, str] = {}
    if values.get("child_date_of_birth") in (None, "") and values.get("child_age") in (None, ""):
        errors["child_age"] = "Enter the child's date of birth or their age (your best estimate)"
    if born and born > today:
        errors["child_date_of_birth"] = "The date of birth must be in the past"
    if postcode and normalise_postcode(str(postcode)) is None:
        errors["child_postcode"] = "Enter a real postcode, like BD7 1AA"
    if not postcode and council not in councils():
        errors["child_postcode"] = "Enter the child's postcode, or choose their council below"
    if council and council not in councils():
        errors["council_code"] = "Choose a council from the list"
    if known_on and known_on > today:
        errors["became_known_on"] = "The date you became aware must be today or in the past"
    return errors


def normalise_name(name: str) -> str:
    """Case, accents, punctuation and word order removed: 'Smith,  Zoë' and 'zoe smith' agree."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(char for char in plain if not unicodedata.combining(char)).casefold()
    words = "".join(char if char.isalnum() else " " for char in plain).split()
    return " ".join(sorted(words))


def child_age_when_known(report: ReportInput) -> int | None:
    """The child's age on the day the concern became known: from the date of birth when given."""
    born = report.child_date_of_birth
    if born is None:
        return report.child_age
    on = report.became_known_on
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def child_key(report: ReportInput) -> str:
    """The key shared by reports about the same child: hash of normalised name, age and postcode (or council)."""
    place = normalise_postcode(report.child_postcode or "") or f"council:{report.council_code}"
    parts = [_KEY_VERSION, normalise_name(report.child_name), str(child_age_when_known(report)), place]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def new_reference() -> str:
    """'CS-7K3M-9QXD': 40 random bits in Crockford base32 (no I, L, O, U to misread on the phone)."""
    chars = "".join(secrets.choice(_CROCKFORD) for _ in range(8))
    return f"CS-{chars[:4]}-{chars[4:]}"


def submission_key(token: str | None) -> str | None:
    """The stored form of a one-time submission token: its SHA-256, so the table never holds the token."""
    token = (token or "").strip()
    if not token:
        return None
    return hashlib.sha256(f"submission|{token}".encode()).hexdigest()


def find_submission(factory: sessionmaker[Session], key: str | None) -> MandatoryReport | None:
    """The report already made with this submission key, if any."""
    if key is None:
        return None
    with factory() as session:
        return session.scalar(select(MandatoryReport).where(MandatoryReport.submission_key == key))


def find_reference(factory: sessionmaker[Session], reference: str) -> MandatoryReport | None:
    """The report with this reference (for its own reporter's confirmation page only)."""
    with factory() as session:
        return session.scalar(select(MandatoryReport).where(MandatoryReport.reference == reference))


def create_report(factory: sessionmaker[Session], report: ReportInput, principal: Principal,
                  token: str | None = None) -> tuple[MandatoryReport, bool]:
    """Route, store and audit a report in one committed transaction; return it and whether it is new.

    ``token`` is the form's one-time token (or the API's Idempotency-Key): when a report was already made
    with it (a refresh, a double click, a retry after a lost answer), that report is returned, not a second
    one. The unique ``submission_key`` settles two concurrent POSTs with the same token: one commits, the
    other's insert fails and it returns the winner's report."""
    key = submission_key(token)
    existing = find_submission(factory, key)
    if existing is not None:
        return existing, False
    routing = route(report.child_postcode, report.council_code)
    known_at = datetime.combine(report.became_known_on, report.became_known_time or time(0, 0))
    for _attempt in range(5):
        row = MandatoryReport(
            reference=new_reference(), received_at=utcnow(), became_known_at=known_at,
            reporter_name=report.reporter_name.strip(), reporter_role=report.reporter_role.strip(),
            reporter_organisation=report.reporter_organisation.strip(), reporter_setting=report.reporter_setting,
            reporter_email=(report.reporter_email or "").strip() or None,
            reporter_phone=(report.reporter_phone or "").strip() or None,
            reporter_user_id=principal.user_id if principal.role == "mandated_reporter" else None,
            child_name=report.child_name.strip(), child_date_of_birth=report.child_date_of_birth,
            child_age=child_age_when_known(report),
            child_postcode=normalise_postcode(report.child_postcode or "") or "",
            concern_type=report.concern_type, what_happened=report.what_happened,
            perpetrator_known=report.perpetrator_known, perpetrator_name=report.perpetrator_name or None,
            perpetrator_role=report.perpetrator_role or None,
            perpetrator_position_of_trust=report.perpetrator_position_of_trust,
            perpetrator_works_with_children=report.perpetrator_works_with_children,
            immediate_danger=report.immediate_danger, council_code=routing.council_code,
            force_code=routing.force_code, routed_by=routing.routed_by, child_key=child_key(report),
            submission_key=key,
        )
        try:
            with factory() as session, session.begin():
                session.add(row)
                session.flush()
                AuditLog(session.get_bind()).append(
                    principal.actor, principal.role, "report.create", f"report:{row.reference}",
                    {"council": routing.council_code or "", "force": routing.force_code or "",
                     "routed_by": routing.routed_by, "setting": report.reporter_setting},
                    connection=session.connection(),
                )
        except IntegrityError:
            existing = find_submission(factory, key)
            if existing is not None:
                return existing, False  # the same token committed first in a concurrent request
            continue  # a reference collision (about 1 in 10^12): draw another
        return row, True
    raise RuntimeError("could not store the report")
