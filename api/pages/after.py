"""After publication (发布后调整): a college records a candidate's decline
or withdrawal, an enterprise withdraws a post or changes its seats, each with
why; the coordinator pins or forbids a pair with a reason, re-matches, and
publishes the next version after a confirmation; everyone sees what each
version changed for their own people; the coordinator opens a second round
(补录) for the unplaced and the seats left, reported with the first."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from api.i18n import _
from api.pages.browse import round_and_me
from api.pages.common import (
    _back,
    _check_csrf,
    _page,
    api,
    by_ids,
    everything,
    listing,
    names_for,
    placement_titles,
    problem_text,
    router,
    seg,
)
from api.words import term


def _here(rid: str) -> str:
    return f"/ui/rounds/{seg(rid)}/after"


@router.get("/rounds/{rid}/after", response_class=HTMLResponse)
async def after_page(
    request: Request, rid: str, msg: str | None = None, err: str | None = None
) -> Response:
    found = await round_and_me(request, rid)
    if isinstance(found, Response):
        return found
    me, r = found
    base = f"/rounds/{seg(r['id'])}"
    if r["state"] != "published":
        return _back(f"/ui{base}", error=_("the round is not published yet"))
    versions = (await api(request, "GET", f"{base}/versions")).json()
    latest = versions[-1]["number"] if versions else 1
    changes = _rows(await everything(request, f"{base}/changes", {"version": latest}))
    context: dict[str, Any] = {
        "me": me,
        "r": r,
        "msg": msg,
        "err": err,
        "versions": versions,
        "changes": changes,
    }
    finder = None
    if me["role"] in ("coordinator", "college") and request.query_params.get("q"):
        finder = await listing(request, f"{base}/candidates", sort="name", per_page=20)
    context["finder"] = finder
    wanted = {
        p
        for c in (finder.items if finder else [])
        for g in c.get("preferences") or []
        for p in (g if isinstance(g, list) else [g])
    }
    wanted |= {x["placement"] for x in changes if x.get("placement")}
    if me["role"] == "coordinator":
        overrides = (await api(request, "GET", f"{base}/overrides")).json()
        context["overrides"] = overrides
        wanted |= {o["placement"] for o in overrides}
        season = await api(request, "GET", f"{base}/season")
        context["season"] = season.json() if season.is_success else None
        runs = await listing(request, f"{base}/runs", sort="-created", per_page=20)
        context["rematches"] = [x for x in runs.items if x.get("rematch_of")]
    if me["role"] == "enterprise":
        mine = _rows(await everything(request, f"{base}/placements", {"sort": "title"}))
        context["placements"] = mine
        wanted |= {p["id"] for p in mine}
    people = {x["candidate"] for x in changes if x.get("candidate")}
    people |= {o["candidate"] for o in context.get("overrides", [])}
    named = await by_ids(request, f"{base}/candidates", people)
    context["people"] = {cid: c.get("name") or "" for cid, c in named.items()}
    context["titles"] = await placement_titles(request, r["id"], wanted)
    context["org_names"] = await names_for(request, changes)
    return _page(request, "after.html", **context)


def _rows(found: list[dict[str, Any]] | httpx.Response) -> list[dict[str, Any]]:
    return [] if isinstance(found, httpx.Response) else found


@router.get("/rounds/{rid}/versions/{number}", response_class=HTMLResponse)
async def version_page(request: Request, rid: str, number: int) -> Response:
    """Whom version `number` placed differently from the one before, and why:
    the caller's own people only (the API narrows them)."""
    found = await round_and_me(request, rid)
    if isinstance(found, Response):
        return found
    me, r = found
    base = f"/rounds/{seg(r['id'])}"
    rows = await listing(request, f"{base}/versions/{number}/changes", sort="candidate")
    versions = (await api(request, "GET", f"{base}/versions")).json()
    runs = {v["number"]: v["run"] for v in versions}
    return _page(
        request,
        "version.html",
        me=me,
        r=r,
        rows=rows,
        number=number,
        compare=(runs.get(number - 1), runs.get(number)),
        org_names=await names_for(request, [x["before"] for x in rows.items]),
    )


@router.post("/rounds/{rid}/after/change")
async def record_change(
    request: Request,
    rid: str,
    csrf: str = Form(...),
    kind: str = Form(...),
    reason: str = Form(""),
    candidate: str = Form(""),
    placement: str = Form(""),
    capacity: str = Form(""),
) -> Response:
    token = await _check_csrf(request, csrf)
    body: dict[str, Any] = {"kind": kind, "reason": reason}
    if candidate:
        body["candidate"] = candidate
    if placement:
        body["placement"] = placement
    if capacity.strip():
        body["capacity"] = int(capacity) if capacity.strip().isdigit() else capacity
    answer = await api(request, "POST", f"/rounds/{seg(rid)}/changes", token, json=body)
    if answer.is_error:
        return _back(_here(rid), error=problem_text(answer))
    who = candidate or placement
    return _back(_here(rid), message=_("recorded: %(who)s %(what)s", who=who, what=term(kind)))


@router.post("/rounds/{rid}/after/override")
async def put_override(
    request: Request,
    rid: str,
    csrf: str = Form(...),
    candidate: str = Form(...),
    placement: str = Form(...),
    kind: str = Form(...),
    reason: str = Form(...),
    note: str = Form(""),
    remove: str = Form(""),
) -> Response:
    token = await _check_csrf(request, csrf)
    path = f"/rounds/{seg(rid)}/overrides/{seg(candidate)}/{seg(placement)}"
    if remove:
        answer = await api(request, "DELETE", path, token)
        message = _("override removed: %(c)s at %(p)s", c=candidate, p=placement)
    else:
        body = {"kind": kind, "reason": reason, **({"note": note} if note.strip() else {})}
        answer = await api(request, "PUT", path, token, json=body)
        message = _(
            "override saved: %(c)s %(what)s %(p)s", c=candidate, what=term(kind), p=placement
        )
    if answer.is_error:
        return _back(_here(rid), error=problem_text(answer))
    return _back(_here(rid), message=message)


@router.post("/rounds/{rid}/after/rematch")
async def rematch(request: Request, rid: str, csrf: str = Form(...)) -> Response:
    token = await _check_csrf(request, csrf)
    answer = await api(request, "POST", f"/rounds/{seg(rid)}/rematch", token, json={})
    if answer.is_error:
        return _back(_here(rid), error=problem_text(answer))
    run = answer.json()["id"]
    return _back(
        f"/ui/rounds/{seg(rid)}",
        message=_("re-match %(run)s queued; this page follows it", run=run[:8]),
    )


@router.post("/rounds/{rid}/after/second-round")
async def second_round(
    request: Request, rid: str, csrf: str = Form(...), id: str = Form(...)
) -> Response:
    token = await _check_csrf(request, csrf)
    answer = await api(
        request, "POST", f"/rounds/{seg(rid)}/second-round", token, json={"id": id.strip()}
    )
    if answer.is_error:
        return _back(_here(rid), error=problem_text(answer))
    return _back(
        f"/ui/rounds/{seg(id.strip())}",
        message=_("second round opened for the unplaced and the seats left"),
    )
