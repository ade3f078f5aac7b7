"""Pages for offender groups (list and one group's drawn network) and for why two records were linked.

Every page that shows personal data, or pseudonymous data about people, writes an audit entry (ids and counts
only). Scoping is in ``service/networks.py`` (groups) and ``_may_explain`` (pairs): an analyst reads the groups
and pairs that touch their own body's records; the national team reads all, without names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clearsight.errors import ClearsightError
from clearsight.service import networks
from clearsight.service.access import Principal, allow, audit, require_csrf
from clearsight.service.accounts import Role
from clearsight.service.db import transaction
from clearsight.service.flags import WarehouseUnavailable, audited_write, open_warehouse
from clearsight.service.rendering import render
from clearsight.service.routing import councils

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(allow(networks.READERS))]
JUDGEMENTS = {"same": "Same person", "not_same": "Not the same person", "unsure": "Unsure"}
MAX_REASON = 2000



def _unavailable(request: Request, title: str, message: str, status_code: int = 200) -> HTMLResponse:
    return render(request, "networks_unavailable.html", {"title": title, "message": message},
                  status_code=status_code)


def _vault_key() -> bytes | None:
    from clearsight.vault import load_key

    try:
        return load_key()
    except ClearsightError:
        return None


@router.get("/networks", response_class=HTMLResponse)
def groups_list(request: Request, principal: Reader) -> HTMLResponse:
    try:
        with open_warehouse(request.app.state.settings.warehouse_path) as con:
            if not networks.has_groups(con):
                return _unavailable(request, "Offender groups", "The networks stage has not run on this warehouse.")
            groups = networks.list_groups(con, principal)
    except WarehouseUnavailable as error:
        return _unavailable(request, "Offender groups", str(error))
    with transaction(request.app.state.sessions) as session:
        audit(session, principal, "networks.read", "groups:list", rows=len(groups))
    return render(request, "networks_list.html", {"groups": groups, "councils": councils()})


@router.get("/networks/{group_id}", response_class=HTMLResponse)
def group_view(request: Request, group_id: str, principal: Reader) -> HTMLResponse:
    path = request.app.state.settings.warehouse_path
    key = _vault_key() if principal.role in networks.NAME_READERS else None
    try:
        with open_warehouse(path) as con:
            if not networks.has_groups(con):
                return _unavailable(request, "Offender group", "The networks stage has not run on this warehouse.")
            view = networks.read_group(con, principal, group_id, vault_key=key, warehouse_path=path)
    except WarehouseUnavailable as error:
        return _unavailable(request, "Offender group", str(error))
    if view is None:
        raise HTTPException(404, "There is no group with that id in your area.")
    with transaction(request.app.state.sessions) as session:
        audit(session, principal, "network.group.read", f"group:{group_id}", members=len(view.members),
               names_shown=view.names_shown)
    return render(request, "network_group.html", {
        "view": view, "alt": networks.alt_text(view), "fills": networks.ROLE_FILL,
        "area_names": [councils().get(area, (area, ""))[0] for area in view.group.areas],
        "dashes": networks.STRENGTH_DASH, "names_allowed": principal.role in networks.NAME_READERS,
        "vault_configured": key is not None,
        "positions": {m.person_id: m for m in view.members}})


def _may_explain(principal: Principal, record_a: str, record_b: str) -> bool:
    """The national team any pair; an analyst a pair of which at least one record is their own body's."""
    if principal.role == Role.national_auditor:
        return True
    sources = {record.split(":", 1)[0] for record in (record_a, record_b)}
    return principal.role in (Role.force_analyst, Role.council_analyst) and principal.scope in sources


def _explain_page(request: Request, principal: Principal, record_a: str, record_b: str, *,
                  error: str | None = None, form: dict[str, str] | None = None, status_code: int = 200
                  ) -> HTMLResponse:
    from clearsight.link.explain import explain
    from clearsight.link.pipeline import model_dir_for

    context: dict[str, Any] = {"a": record_a, "b": record_b, "result": None, "problem": None, "error": error,
                               "form": form or {}, "judgements": JUDGEMENTS}
    if record_a and record_b:
        if not _may_explain(principal, record_a, record_b):
            raise HTTPException(404, "Neither record is one your organisation submitted.")
        path = request.app.state.settings.warehouse_path
        try:
            with open_warehouse(path) as con:
                context["result"] = explain(con, model_dir_for(Path(path)) / "model.json", record_a, record_b)
        except WarehouseUnavailable as unavailable:
            return _unavailable(request, "Why two records were linked", str(unavailable))
        except (ClearsightError, FileNotFoundError) as problem:
            context["problem"] = str(problem) if isinstance(problem, ClearsightError) else (
                "The linkage model is not in the warehouse's folder: run `clearsight link` first.")
        with transaction(request.app.state.sessions) as session:
            audit(session, principal, "link.explain.read", f"pair:{record_a}~{record_b}",
                   found=context["result"] is not None)
    if context["result"] is not None:
        steps = context["result"].steps
        context["scale"] = max([abs(s.match_weight) for s in steps] + [1.0])
    return render(request, "link_explain.html", context, status_code=status_code)


@router.get("/linkage/explain", response_class=HTMLResponse)
def link_explain(request: Request, principal: Reader, a: str = "", b: str = "") -> HTMLResponse:
    return _explain_page(request, principal, a.strip(), b.strip())


@router.post("/linkage/judgement", dependencies=[Depends(require_csrf)])
async def link_judgement(request: Request, principal: Reader) -> Response:
    """Record 'same', 'not same' or 'unsure' about a pair, with a reason (append-only, replayed every run)."""
    from clearsight.link import judgements

    form = await request.form()
    record_a, record_b = str(form.get("a", "")).strip(), str(form.get("b", "")).strip()
    choice, why = str(form.get("judgement", "")), str(form.get("why", "")).strip()
    if not record_a or not record_b or not _may_explain(principal, record_a, record_b):
        raise HTTPException(404, "Neither record is one your organisation submitted.")
    problem = None
    if choice not in JUDGEMENTS:
        problem = "Select same person, not the same person or unsure"
    elif not why:
        problem = "Enter the reason for your judgement"
    elif len(why) > MAX_REASON:
        problem = f"The reason must be {MAX_REASON} characters or fewer"
    if problem is not None:
        return _explain_page(request, principal, record_a, record_b, error=problem,
                             form={"judgement": choice, "why": why}, status_code=400)
    try:
        with open_warehouse(request.app.state.settings.warehouse_path) as con:
            with audited_write(con, request.app.state.sessions, principal) as (session, user):
                judgement_id = judgements.record(con, record_a, record_b, choice, user.email, why)
                audit(session, principal, "link.judge", f"pair:{record_a}~{record_b}", judgement=choice,
                      judgement_id=judgement_id)
    except WarehouseUnavailable as error:
        return _unavailable(request, "Why two records were linked", str(error), status_code=503)
    except ClearsightError as error:
        return _explain_page(request, principal, record_a, record_b, error=str(error),
                             form={"judgement": choice, "why": why}, status_code=400)
    return RedirectResponse("/linkage/explain?" + urlencode({"a": record_a, "b": record_b, "judged": 1}),
                            status_code=303)
