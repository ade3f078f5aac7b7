"""The tracker's public side: the public page, each recommendation, inquiries, open data and the read-only API.

Why public and unaudited: the register holds no personal data (owners are organisations; authors are shown
by role only; comments are left out), and it exists to be read by anyone. Everything on these pages comes
from ``views`` with ``public=True``, the same dictionaries the exports and the API carry.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from clearsight.service.access import EVERYONE, Principal, allow
from clearsight.service.accounts import Role
from clearsight.service.db import transaction
from clearsight.service.rendering import render
from clearsight.service.tracker import charts, indicators, views
from clearsight.service.tracker.export import REGISTER_COLUMNS, export, register_rows, to_json
from clearsight.service.tracker.register import ASSESSMENTS, ESCALATION_STEPS, WORDING

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["tracker"])
Everyone = Annotated[Principal, Depends(allow(EVERYONE))]
TEAM = frozenset({Role.inquiry_panel, Role.national_auditor, Role.admin})
WRITERS = frozenset({Role.inquiry_panel, Role.national_auditor})
MANAGERS = frozenset({Role.admin})
NOT_FOUND = {404: {"description": "There is no recommendation with that code"}}


def common(request: Request, public: bool = True, today: date | None = None) -> dict[str, Any]:
    """What the public page and the dashboard share: the register, its overview, requests, inquiries."""
    with transaction(request.app.state.sessions) as session:
        items = views.recommendations(session, public=public, today=today)
        requests = views.requests(session, today=today)
        found_inquiries = views.inquiries(session)
        by_theme = views.themes(session, items)
    summary = views.overview(items)
    return {"items": items, "summary": summary, "themes": by_theme, "requests": requests, "inquiries": found_inquiries,
            "by_organisation": views.requests_by_organisation(requests), "wording": WORDING,
            "steps": ESCALATION_STEPS, "assessments": ASSESSMENTS,
            "indicators": indicators.values(request.app.state.sessions,
                                            request.app.state.settings.report_dir),
            "status_chart": charts.status_chart(summary)}


@router.get("/tracker", response_class=HTMLResponse)
def public_page(request: Request, principal: Everyone) -> HTMLResponse:
    """Status overview, overdue items, by owner, by source, who has not answered, downloads."""
    return render(request, "tracker_public.html", common(request))


@router.get("/tracker/inquiries", response_class=HTMLResponse)
def inquiries_page(request: Request, principal: Everyone) -> HTMLResponse:
    with transaction(request.app.state.sessions) as session:
        found = views.inquiries(session)
    return render(request, "tracker_inquiries.html", {"inquiries": found})


@router.get("/tracker/recommendations/{code}", response_class=HTMLResponse)
def recommendation_page(request: Request, code: str, principal: Everyone) -> HTMLResponse:
    return detail(request, principal, code)


def detail(request: Request, principal: Principal, code: str, error: str | None = None,
           form: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    """One recommendation: both statuses, due date, owners, ladder, evidence, history; forms for the team."""
    team = principal.role in TEAM
    with transaction(request.app.state.sessions) as session:
        items = views.recommendations(session, public=not team, code=code)
    if not items:
        raise HTTPException(404, "There is no recommendation with that code.")
    return render(request, "tracker_recommendation.html", {
        "item": items[0], "wording": WORDING, "team": team, "may_write": principal.role in WRITERS,
        "may_manage": principal.role in MANAGERS, "owner_statuses": ASSESSMENTS[:6], "assessments": ASSESSMENTS,
        "steps": ESCALATION_STEPS, "error": error, "form": form or {}, "today": date.today(),
    }, status_code=status_code)


def _download(request: Request, fmt: str) -> Response:
    with transaction(request.app.state.sessions) as session:
        items, requests = views.recommendations(session), views.requests(session)
    if fmt == "json":
        return Response(to_json({"recommendations": items, "information_requests": requests}, indent=None),
                        media_type="application/json")
    if fmt == "csv":
        from clearsight.safe_output import write_csv

        with TemporaryDirectory(prefix="tracker-") as folder:
            path = Path(folder) / "register.csv"
            write_csv(path, register_rows(items), REGISTER_COLUMNS)
            body = path.read_bytes()
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="register.csv"'})
    with TemporaryDirectory(prefix="tracker-") as folder:
        path = Path(folder) / "register.xlsx"
        export(items, requests, "xlsx", path)
        body = io.BytesIO(path.read_bytes()).getvalue()
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="register.xlsx"'})


@router.get("/tracker/register.csv")
def register_csv(request: Request, principal: Everyone) -> Response:
    return _download(request, "csv")


@router.get("/tracker/register.json")
def register_json(request: Request, principal: Everyone) -> Response:
    return _download(request, "json")


@router.get("/tracker/register.xlsx")
def register_xlsx(request: Request, principal: Everyone) -> Response:
    return _download(request, "xlsx")


def _jsonable(payload: Any) -> Response:
    """The answer as JSON written once (FastAPI's own encoder walks every value again: slow on a big register)."""
    return Response(to_json(payload, indent=None), media_type="application/json")


JSON = {"content": {"application/json": {}}, "description": "JSON"}


@api.get("/api/tracker/recommendations", responses={200: JSON})
def api_recommendations(request: Request, principal: Everyone) -> Response:
    """The public register: every recommendation with owners, both dated statuses, due date, ladder, evidence."""
    with transaction(request.app.state.sessions) as session:
        return _jsonable(views.recommendations(session))


@api.get("/api/tracker/recommendations/{code}", responses={200: JSON, **NOT_FOUND})
def api_recommendation(request: Request, code: str, principal: Everyone) -> Response:
    """One recommendation of the public register, with its history."""
    with transaction(request.app.state.sessions) as session:
        items = views.recommendations(session, code=code)
    if not items:
        raise HTTPException(404, "There is no recommendation with that code.")
    return _jsonable(items[0])


@api.get("/api/tracker/summary", responses={200: JSON})
def api_summary(request: Request, principal: Everyone) -> Response:
    """Counts by status, by source and by owner; overdue recommendations; requests by organisation."""
    with transaction(request.app.state.sessions) as session:
        items, requests = views.recommendations(session), views.requests(session)
    summary = views.overview(items)
    summary["overdue"] = [item["code"] for item in summary["overdue"]]
    summary["requests_by_organisation"] = views.requests_by_organisation(requests)
    return _jsonable(summary)


@api.get("/api/tracker/requests", responses={200: JSON})
def api_requests(request: Request, principal: Everyone) -> Response:
    """Information requests: organisation, deadline, and whether answered, refused, overdue or open."""
    with transaction(request.app.state.sessions) as session:
        return _jsonable(views.requests(session))


@api.get("/api/tracker/inquiries", responses={200: JSON})
def api_inquiries(request: Request, principal: Everyone) -> Response:
    """Inquiries: area, chair, terms of reference, funding (null: not known), milestones, engagement counts."""
    with transaction(request.app.state.sessions) as session:
        return _jsonable(views.inquiries(session))
