"""People, tokens and the audit trail on the pages: an admin's accounts and
tokens (a new token's secret shown once), a person's own password, and the
audit trail (the consortium office's all of it with its chain checked, a
member's own part), with the person's name on every step."""

from __future__ import annotations

from typing import Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from api.i18n import _
from api.pages.common import (
    _back,
    _check_csrf,
    _page,
    api,
    listing,
    names_for,
    organizations_of,
    problem_text,
    router,
    seg,
)


@router.get("/people", response_class=HTMLResponse)
async def people_page(
    request: Request, org: str | None = None, msg: str | None = None, err: str | None = None
) -> Response:
    return await _people(request, org, msg=msg, err=err)


async def _people(
    request: Request,
    org: str | None,
    secret: str | None = None,
    msg: str | None = None,
    err: str | None = None,
) -> Response:
    """The accounts page (a new token's secret on it once: the answer to the
    form that issued it, never in a link or a redirect)."""
    me = (await api(request, "GET", "/me")).json()
    if not me["admin"]:
        return _back("/ui", error=_("only an admin manages accounts"))
    mine = me["organization"]["id"]
    chosen = org if org and me["role"] == "coordinator" else mine
    people = await api(request, "GET", f"/organizations/{seg(chosen)}/people")
    tokens = await api(request, "GET", "/tokens")
    members = await organizations_of(request, "enterprise", "college", "institute", "government")
    return _page(
        request,
        "people.html",
        me=me,
        org=chosen,
        members=members,
        people=people.json() if people.is_success else [],
        tokens=[x for x in tokens.json() if x["organization"] == chosen]
        if tokens.is_success
        else [],
        secret=secret,
        msg=msg,
        err=err,
    )


def _to_people(org: str) -> str:
    return f"/ui/people?org={seg(org)}"


@router.post("/people")
async def people_action(
    request: Request,
    csrf: str = Form(...),
    org: str = Form(...),
    action: str = Form(...),
    person: str = Form(""),
    login: str = Form(""),
    name: str = Form(""),
    role: str = Form("staff"),
    password: str = Form(""),
    token: str = Form(""),
    days: str = Form(""),
) -> Response:
    session = await _check_csrf(request, csrf)
    back = _to_people(org)
    if action == "add":
        new = {"login": login.strip(), "name": name.strip(), "role": role, "password": password}
        answer = await api(request, "POST", f"/organizations/{seg(org)}/people", session, json=new)
        message = _("account %(login)s added", login=login.strip())
    elif action in ("disable", "enable"):
        answer = await api(
            request, "PATCH", f"/people/{seg(person)}", session,
            json={"disabled": action == "disable"},
        )  # fmt: skip
        message = _("account disabled") if action == "disable" else _("account enabled")
    elif action == "reset":
        answer = await api(
            request, "PUT", f"/people/{seg(person)}/password", session, json={"password": password}
        )
        message = _("password reset; their sessions have ended")
    elif action == "end-sessions":
        answer = await api(request, "DELETE", f"/people/{seg(person)}/sessions", session)
        message = _("their sessions have ended")
    elif action == "token":
        body: dict[str, Any] = {"organization": org, "name": name.strip() or None}
        if days.strip():
            body["expires_in_days"] = int(days) if days.strip().isdigit() else days
        answer = await api(request, "POST", "/tokens", session, json=body)
        if answer.is_success:  # shown this once, on this answer itself
            return await _people(
                request,
                org,
                secret=answer.json()["token"],
                msg=_("token issued: copy it now, it is not shown again"),
            )
        message = ""
    elif action == "revoke":
        answer = await api(request, "DELETE", f"/tokens/{seg(token)}", session)
        message = _("token revoked")
    else:
        return _back(back, error=_("unknown action %(a)s", a=repr(action[:40])))
    if answer.is_error:
        return _back(back, error=problem_text(answer))
    return _back(back, message=message)


@router.get("/password", response_class=HTMLResponse)
async def password_page(
    request: Request, msg: str | None = None, err: str | None = None
) -> Response:
    me = (await api(request, "GET", "/me")).json()
    return _page(request, "password.html", me=me, msg=msg, err=err)


@router.post("/password")
async def change_password(
    request: Request, csrf: str = Form(...), current: str = Form(...), password: str = Form(...)
) -> Response:
    session = await _check_csrf(request, csrf)
    answer = await api(
        request, "PUT", "/me/password", session, json={"current": current, "password": password}
    )
    if answer.is_error:
        return _back("/ui/password", error=problem_text(answer))
    return _back("/ui", message=_("password changed"))


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(request: Request) -> Response:
    me = (await api(request, "GET", "/me")).json()
    rows = await listing(
        request, "/audit", filters=["who", "action", "organization"], sort="-seq", per_page=100
    )
    chain = None
    if me["role"] == "coordinator":
        answer = await api(request, "GET", "/audit/verify")
        chain = answer.json() if answer.is_success else None
    return _page(
        request,
        "audit.html",
        me=me,
        rows=rows,
        chain=chain,
        org_names=await names_for(
            request,
            extra=[me["organization"]["id"], *(e["organization"] or "" for e in rows.items)],
        ),
    )


@router.get("/audit.csv")
async def audit_csv(request: Request) -> Response:
    answer = await api(request, "GET", "/audit", params={"format": "csv"})
    if answer.is_error:
        return _back("/ui/audit", error=problem_text(answer))
    return Response(
        answer.content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": answer.headers.get("content-disposition", "attachment")},
    )


@router.get("/rounds/{rid}/versions/{number}/bundle.json")
async def bundle_download(request: Request, rid: str, number: int) -> Response:
    answer = await api(request, "GET", f"/rounds/{seg(rid)}/versions/{number}/bundle")
    if answer.is_error:
        return _back(f"/ui/rounds/{seg(rid)}/after", error=problem_text(answer))
    return Response(
        answer.content,
        media_type="application/json",
        headers={"Content-Disposition": answer.headers.get("content-disposition", "attachment")},
    )
