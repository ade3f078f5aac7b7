"""Seed the register from the reference data shipped in ``data/`` (copied from ``shared/reference`` with sources).

Why only what the sources say: the government's stated position becomes a dated owner-reported status only
where it maps plainly onto the fixed list (``accepted``; ``rejected``/``not accepted``; "need to act accepted"
becomes ``accepted in part`` and says why); HMICFRS's own progress findings become independent assessments;
a recommendation with no position seen gets no status event at all, so it shows as "no response found", never
as a failure. Rows the reference marks ``unconfirmed`` are loaded and shown as unconfirmed. Seeding is
idempotent: codes already in the register are left as they are.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearsight.service.tracker.models import (
    Recommendation,
    RecommendationOwner,
    StatusEvent,
    TrackerIndicator,
    TrackerInquiry,
    TrackerInquiryEvent,
    TrackerTheme,
)
from clearsight.service.tracker.register import Actor, _audit

SEED_BY = "seed"
RESPONSE_DATES = {  # when each source's government response (or progress report) is dated
    "IICSA-FR": (date(2023, 5, 22), "the government's response of 22 May 2023"),
    "IICSA-CSE": (date(2022, 7, 1), "the government's response of July 2022 (dated to the month)"),
    "NA-2025": (date(2025, 6, 16), "the government's response of 16 June 2025"),
    "HMICFRS-GBCSE": (date(2025, 10, 1), "HMICFRS's progress report of October 2025 (dated to the month)"),
}


@dataclass
class SeedSummary:
    """What a seed run added (zero everywhere when run again)."""

    themes: int = 0
    indicators: int = 0
    inquiries: int = 0
    recommendations: int = 0
    owners: int = 0
    status_events: int = 0

    def lines(self) -> list[str]:
        return [f"{value} {name.replace('_', ' ')}" for name, value in vars(self).items()]


def read_data(name: str) -> list[dict[str, str]]:
    """One of the shipped CSV files as a list of rows."""
    text = files("clearsight.service.tracker").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def seed_events(row: dict[str, str]) -> list[dict[str, Any]]:
    """The dated status events one reference row supports (see the module's docstring)."""
    family = row["code"].rsplit("-", 1)[0]
    as_of, response = RESPONSE_DATES[family]
    position = row["government_position"].strip()
    lowered = position.lower()
    events: list[dict[str, Any]] = []
    if row["due_date"]:
        events.append({"kind": "due", "value": row["due_date"], "as_of": as_of,
                       "why": f"due date given in {response}"})
    if family == "HMICFRS-GBCSE":
        found = re.search(r";\s*(incomplete|in progress)", lowered)
        if found:
            value = "not implemented" if found.group(1) == "incomplete" else "in progress"
            events.append({"kind": "assessment", "value": value, "as_of": as_of,
                           "why": f"HMICFRS found it {found.group(1)} in {response}"})
        return events
    if lowered.startswith("accepted"):
        value = "accepted"
    elif lowered.startswith(("rejected", "not accepted")):
        value = "rejected"
    elif lowered.startswith("need to act accepted"):
        value = "accepted in part"
    else:
        return events  # no position seen: shown as "no response found"
    why = f"government position: {position} ({response})"
    if value == "accepted in part":
        why += "; the need to act was accepted, not necessarily the means proposed"
    events.append({"kind": "owner", "value": value, "as_of": as_of, "why": why[:4000]})
    return events


def seed(session: Session, actor: Actor | None = None) -> SeedSummary:
    """Load themes, indicators, inquiries, recommendations, owners and seed statuses that are not there yet."""
    actor = actor or Actor(SEED_BY, "cli", "admin")
    summary = SeedSummary()
    for row in read_data("themes.csv"):
        if session.get(TrackerTheme, row["code"]) is None:
            session.add(TrackerTheme(**row))
            summary.themes += 1
    session.flush()
    for row in read_data("indicators.csv"):
        if session.get(TrackerIndicator, row["code"]) is None:
            session.add(TrackerIndicator(code=row["code"], theme=row["theme"], title=row["title"],
                                         report_table=row["table"], dimension=row["dimension"],
                                         category=row["category"], measure=row["measure"],
                                         direction=row["direction"], note=row["note"]))
            summary.indicators += 1
    inquiries = {code: inquiry_id for code, inquiry_id in session.execute(select(TrackerInquiry.code,
                                                                                 TrackerInquiry.id))}
    for row in read_data("inquiries.csv"):
        if row["code"] in inquiries:
            continue
        funding = None if row["funding_gbp"] in ("", "unknown") else int(row["funding_gbp"])
        found = TrackerInquiry(code=row["code"], kind=row["kind"], area=row["area"], chair=row["chair"],
                               terms_of_reference=row["terms_of_reference"], funding_gbp=funding,
                               funding_note=row["funding_note"], reference_status=row["status"],
                               source=row["source"], created_by=actor.recorded_by)
        session.add(found)
        session.flush()
        inquiries[found.code] = found.id
        summary.inquiries += 1
        for event in read_data("inquiry_milestones.csv"):
            if event["inquiry"] == found.code:
                session.add(TrackerInquiryEvent(inquiry_id=found.id, kind="milestone", title=event["title"],
                                                due_on=_date(event["due_on"]), happened_on=_date(event["reached_on"]),
                                                source=event["source"], recorded_by=actor.recorded_by))
    existing = set(session.scalars(select(Recommendation.code)))
    for row in read_data("recommendations.csv"):
        if row["code"] in existing:
            continue
        rec = Recommendation(code=row["code"], source_report=row["source_report"],
                             number=int(row["number"]) if row["number"] else None, title=row["short_title"],
                             summary=row["summary"], government_position=row["government_position"],
                             source=row["source"], reference_status=row["status"], reference_note=row["note"],
                             theme=row["theme"] or None, created_by=actor.recorded_by)
        session.add(rec)
        session.flush()
        summary.recommendations += 1
        for organisation in (part.strip() for part in row["owners"].split(";")):
            if organisation:
                session.add(RecommendationOwner(recommendation_id=rec.id, organisation=organisation,
                                                basis=row["owner_basis"], added_by=actor.recorded_by))
                summary.owners += 1
        for event in seed_events(row):
            session.add(StatusEvent(recommendation_id=rec.id, recorded_by=actor.recorded_by, **event))
            summary.status_events += 1
    session.flush()
    if any(vars(summary).values()):
        _audit(session, actor, "tracker.seed", "tracker:register", **vars(summary))
    return summary
