"""Sign-in, the home page, a round's page and the coordinator's actions."""

from __future__ import annotations

from typing import Any

from fastapi import Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from api import i18n
from api.downloads import attachment
from api.i18n import _
from api.pages.common import (
    COOKIE,
    SignIn,
    _after,
    _back,
    _check_csrf,
    _page,
    api,
    consortium,
    placement_titles,
    problem_text,
    router,
    seg,
)
from api.pages.forms import ranking_text
from api.words import sayer, term
from matching import charts

# ------------------------------------------------------------------ sign-in


@router.get("/signin", response_class=HTMLResponse)
async def signin_form(request: Request, err: str | None = None) -> HTMLResponse:
    return _page(request, "signin.html", me=None, err=err)


@router.post("/signin")
async def signin(request: Request, token: str = Form(...)) -> Response:
    try:
        me = await api(request, "GET", "/me", token=token.strip())
    except SignIn:
        return _back("/ui/signin", error=_("that token is not valid"))
    org = me.json()["organization"]
    response = _back("/ui", message=_("signed in as %(who)s", who=org.get("name") or org["id"]))
    response.set_cookie(
        COOKIE, token.strip(), httponly=True, samesite="strict", secure=False, path="/ui"
    )
    return response


@router.get("/language")
async def language(to: str, next: str = "/ui") -> Response:
    """The language switch: remembered in a cookie, back to the page it was pressed on."""
    back = next if next.startswith("/ui") and not next.startswith("//") else "/ui"
    response = _back(back)
    if to in i18n.LOCALES:
        response.set_cookie(
            i18n.COOKIE, to, max_age=365 * 24 * 3600, samesite="lax", path="/ui", httponly=True
        )
    return response


@router.post("/signout")
async def signout(request: Request, csrf: str = Form(...)) -> Response:
    await _check_csrf(request, csrf)
    response = _back("/ui/signin")
    response.delete_cookie(COOKIE, path="/ui")
    return response


# ------------------------------------------------------------------ home


@router.get("", response_class=HTMLResponse)
async def home(request: Request, msg: str | None = None, err: str | None = None) -> HTMLResponse:
    me = (await api(request, "GET", "/me")).json()
    rounds = (await api(request, "GET", "/rounds")).json()
    graph_svg = None
    if me["role"] == "coordinator":
        graph = (await api(request, "GET", "/graph")).json()
        graph_svg = charts.consortium_graph(graph["organizations"], graph["links"], sayer({}))
    return _page(request, "home.html", me=me, rounds=rounds, graph_svg=graph_svg, msg=msg, err=err)


@router.post("/rounds")
async def create_round(
    request: Request, csrf: str = Form(...), id: str = Form(...), seed: int = Form(1)
) -> Response:
    token = await _check_csrf(request, csrf)
    answer = await api(request, "POST", "/rounds", token, json={"id": id.strip(), "seed": seed})
    if answer.is_error:
        return _back("/ui", error=problem_text(answer))
    return _back(f"/ui/rounds/{seg(id.strip())}", message=_("round created"))


# ------------------------------------------------------------------ a round


async def _result_of(request: Request, rid: str, run: str) -> dict[str, Any]:
    answer = await api(request, "GET", f"/rounds/{rid}/runs/{seg(run)}/result")
    result: dict[str, Any] = answer.json()
    return result


@router.get("/rounds/{rid}", response_class=HTMLResponse)
async def round_page(
    request: Request,
    rid: str,
    run: str | None = None,
    vs: str | None = None,
    msg: str | None = None,
    err: str | None = None,
) -> Response:
    me = (await api(request, "GET", "/me")).json()
    answer = await api(request, "GET", f"/rounds/{seg(rid)}")
    if answer.is_error:
        return _back("/ui", error=problem_text(answer))
    r = answer.json()
    rid = seg(r["id"])
    graph, org_names = await consortium(request)
    context: dict[str, Any] = {"me": me, "r": r, "msg": msg, "err": err, "org_names": org_names}
    published = None
    if r["state"] == "published":
        published = (await api(request, "GET", f"/rounds/{rid}/assignments")).json()
    context["published"] = published
    if me["role"] == "college":
        context["titles"] = await placement_titles(request, r["id"])
    if me["role"] == "coordinator":
        runs = (await api(request, "GET", f"/rounds/{rid}/runs")).json()
        # the runs' table shows their stored summaries; only the runs shown are read whole
        solved = [x["id"] for x in runs if x["status"] == "solved"]
        chosen = run if run in solved else (r["published_run"] or next(iter(solved), None))
        result = await _result_of(request, rid, chosen) if chosen else None
        if result:
            # the unplaced by name, their reasons by title: read only for a result
            # (the page refreshes itself every 2 s while a run solves)
            everyone = (await api(request, "GET", f"/rounds/{rid}/candidates")).json()
            context["people"] = {c["id"]: c for c in everyone}
            context["titles"] = await placement_titles(request, r["id"])
        context.update(
            runs=runs,
            busy=any(x["status"] in ("queued", "running") for x in runs),
            chosen=chosen,
            result=result,
            charts=charts.result_charts(result, sayer(org_names)) if result else {},
            unplaced=_unplaced(result) if result else [],
        )
        if result and vs is not None and vs in solved and vs != chosen:
            other = await _result_of(request, rid, vs)
            context["compare"] = {
                "ids": [chosen, vs],
                "results": [result, other],
                "svg": charts.compare_bars(
                    [
                        (f"{term(result['mechanism'])} {str(chosen)[:8]}", result),
                        (f"{term(other['mechanism'])} {vs[:8]}", other),
                    ],
                    sayer(org_names),
                ),
                "differ": sum(
                    1 for c, p in result["assignments"].items() if other["assignments"].get(c) != p
                ),
            }
        return _page(request, "round_coordinator.html", **context)
    if me["role"] == "enterprise":
        places = (await api(request, "GET", f"/rounds/{rid}/placements")).json()
        applicants = (await api(request, "GET", f"/rounds/{rid}/candidates")).json()
        for p in places:
            p["applicants"] = [a for a in applicants if p["id"] in a["applied_to"]]
            # the order to edit: its ranking, ties kept; without one, its
            # applicants (sent back unchanged, that keeps the default score)
            p["order"] = ranking_text(p.get("ranking") or [a["id"] for a in p["applicants"]])
            p["unranked"] = "" if p.get("ranking") is not None else p["order"]
        park = next(
            (
                k["target"]
                for k in graph["links"]
                if k["source"] == me["organization"]["id"] and k["kind"] == "located_in"
            ),
            None,
        )
        return _page(
            request,
            "round_enterprise.html",
            places=places,
            park_name=org_names.get(park, park) if park else None,
            **context,
        )
    people = (await api(request, "GET", f"/rounds/{rid}/candidates")).json()
    return _page(request, "round_college.html", people=people, **context)


def _unplaced(result: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [
        (cid, result["explanations"].get(cid, []))
        for cid, pid in result["assignments"].items()
        if pid is None
    ]


# ------------------------------------------------------------------ coordinator actions


@router.post("/rounds/{rid}/action")
async def round_action(
    request: Request,
    rid: str,
    csrf: str = Form(...),
    action: str = Form(...),
    mechanism: str = Form("stable"),
    run: str = Form(""),
) -> Response:
    token = await _check_csrf(request, csrf)
    base = f"/rounds/{seg(rid)}"
    if action in ("open", "close"):
        answer = await api(request, "POST", f"{base}/{action}", token)
        message = (
            _("round opened for registration")
            if action == "open"
            else _("registration closed: the round's snapshot is frozen")
        )
    elif action == "solve":
        answer = await api(request, "POST", f"{base}/runs", token, json={"mechanism": mechanism})
        # a solve is queued, not done: say what the API said of it
        run_id = answer.json().get("id", "") if answer.is_success else ""
        message = (
            _("run %(run)s queued; this page follows it", run=run_id[:8])
            if answer.status_code == 202
            else _(
                "run %(run)s with these options is already %(status)s",
                run=run_id[:8],
                status=term(answer.json().get("status")),
            )
        )
    elif action == "publish":
        answer = await api(request, "POST", f"{base}/runs/{seg(run)}/publish", token)
        message = _("run %(run)s published", run=run[:8])
    else:
        return _back(f"/ui{base}", error=_("unknown action %(a)s", a=repr(action[:40])))
    return _after(rid, answer, message)


# the round files the coordinator's import takes, by their first bytes
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/rounds/{rid}/import")
async def import_round(
    request: Request, rid: str, file: UploadFile, csrf: str = Form(...)
) -> Response:
    """The whole round from a workbook, a round document or a zipped CSV bundle
    (the API's import: all of it, or nothing)."""
    token = await _check_csrf(request, csrf)
    data = await file.read()
    name = (file.filename or "").lower()
    if name.endswith(".xlsx"):
        kind = XLSX
    elif name.endswith(".zip"):
        kind = "application/zip"
    else:
        kind = "application/json"
    answer = await api(
        request,
        "POST",
        f"/rounds/{seg(rid)}/import",
        token,
        content=data,
        headers={"Content-Type": kind},
    )
    if answer.is_error:
        return _back(
            f"/ui/rounds/{seg(rid)}", error=_("nothing imported") + "\n" + problem_text(answer)
        )
    counts = answer.json()["counts"]
    return _after(
        rid,
        answer,
        _(
            "round imported: %(p)s placements, %(c)s candidates",
            p=i18n.number(counts["placements"]),
            c=i18n.number(counts["candidates"]),
        ),
    )


@router.get("/rounds/{rid}/round.xlsx")
async def round_workbook(request: Request, rid: str) -> Response:
    """The round as a workbook the import takes back."""
    answer = await api(request, "GET", f"/rounds/{seg(rid)}/document", params={"format": "xlsx"})
    if answer.is_error:
        return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(answer))
    return Response(answer.content, media_type=XLSX, headers=attachment(f"{rid}.xlsx"))
