"""Pages for harm flags: the list, one flag's evidence, and a person's confirm / reject / unsure with a reason.

Every read of flags and every decision is written to the audit log (flag ids and decisions only: no quotes,
no reasons, no names). A council analyst reads only the flags of their own council; national auditors and
admins read all; only analysts and auditors, who see the quoted evidence, decide.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clearsight.service import flags
from clearsight.service.access import Principal, allow, audit, require_csrf
from clearsight.service.db import transaction
from clearsight.service.rendering import render
from clearsight.service.routing import councils

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(allow(flags.READERS))]
Decider = Annotated[Principal, Depends(allow(flags.DECIDERS))]
MAX_REASON = 2000



def _path(request: Request) -> str | None:
    return request.app.state.settings.warehouse_path


def _unavailable(request: Request, message: str, status_code: int = 200) -> HTMLResponse:
    return render(request, "flags_unavailable.html", {"message": message}, status_code=status_code)


@router.get("/flags", response_class=HTMLResponse)
def flags_list(request: Request, principal: Reader) -> HTMLResponse:
    try:
        with flags.open_warehouse(_path(request)) as con:
            if not flags.has_flags(con):
                return _unavailable(request, "The flags stage has not run on this warehouse yet.")
            items = flags.list_flags(con, principal)
    except flags.WarehouseUnavailable as error:
        return _unavailable(request, str(error))
    with transaction(request.app.state.sessions) as session:
        audit(session, principal, "flags.read", "flags:list", rows=len(items))
    return render(request, "flags_list.html", {"items": items, "councils": councils(),
                                               "decisions": flags.DECISIONS})


def _flag_page(request: Request, principal: Principal, flag_id: str, *, error: str | None = None,
               form: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    try:
        with flags.open_warehouse(_path(request)) as con:
            flag = flags.read_flag(con, principal, flag_id) if flags.has_flags(con) else None
    except flags.WarehouseUnavailable as error_:
        return _unavailable(request, str(error_))
    if flag is None:
        raise HTTPException(404, "There is no flag with that id in your area.")
    with transaction(request.app.state.sessions) as session:
        audit(session, principal, "flag.read", f"flag:{flag.flag_id}", council=flag.local_authority or "",
               quotes=len(flag.quotes))
    return render(request, "flag_detail.html", {
        "flag": flag, "councils": councils(), "decisions": flags.DECISIONS, "error": error, "form": form or {},
        "may_decide": principal.role in flags.DECIDERS, "show_quotes": flags.may_see_quotes(principal, flag),
    }, status_code=status_code)


@router.get("/flags/{flag_id}", response_class=HTMLResponse)
def flag_detail(request: Request, flag_id: str, principal: Reader) -> HTMLResponse:
    return _flag_page(request, principal, flag_id)


@router.post("/flags/{flag_id}/decision", dependencies=[Depends(require_csrf)])
async def flag_decision(request: Request, flag_id: str, principal: Decider) -> Response:
    """Record confirm / reject / unsure with a reason, by the signed-in account's email (append-only)."""
    form = await request.form()
    decision, why = str(form.get("decision", "")), str(form.get("why", "")).strip()
    sent = {"decision": decision, "why": why}
    problem = None
    if decision not in flags.DECISIONS:
        problem = "Select confirm, reject or unsure"
    elif not why:
        problem = "Enter the reason for your decision"
    elif len(why) > MAX_REASON:
        problem = f"The reason must be {MAX_REASON} characters or fewer"
    try:
        with flags.open_warehouse(_path(request)) as con:
            flag = flags.read_flag(con, principal, flag_id) if flags.has_flags(con) else None
            if flag is None:
                raise HTTPException(404, "There is no flag with that id in your area.")
            if problem is None:
                with flags.audited_write(con, request.app.state.sessions, principal) as (session, user):
                    decision_id = flags.decide(con, flag.flag_id, decision, user.email, why)
                    audit(session, principal, "flag.decide", f"flag:{flag.flag_id}", decision=decision,
                          decision_id=decision_id)
    except flags.WarehouseUnavailable as error:
        return _unavailable(request, str(error), status_code=503)
    if problem is not None:
        return _flag_page(request, principal, flag_id, error=problem, form=sent, status_code=400)
    return RedirectResponse(f"/flags/{flag_id}", status_code=303)
