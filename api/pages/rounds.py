"""Sign-in, the home page, a round's page and the coordinator's actions."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api import i18n
from api.downloads import attachment
from api.i18n import _, number
from api.pages.browse import candidate_filters, round_and_me, words
from api.pages.common import (
    COOKIE,
    SHOWN,
    SignIn,
    _after,
    _back,
    _check_csrf,
    _page,
    api,
    listing,
    mentioned_places,
    names_for,
    placement_titles,
    problem_text,
    router,
    seg,
    templates,
)
from api.words import sayer, stage, term
from matching import charts
from matching.model import PlacementKind

# ------------------------------------------------------------------ sign-in


@router.get("/signin", response_class=HTMLResponse)
async def signin_form(request: Request, err: str | None = None) -> HTMLResponse:
    return _page(request, "signin.html", me=None, err=err)


@router.post("/signin")
async def signin(request: Request, login: str = Form(...), password: str = Form(...)) -> Response:
    """A person signs in with a sign-in name and a password: a new session
    each time (the cookie holds its secret; whatever the browser held before
    is ended)."""
    answer = await api(
        request,
        "POST",
        "/sessions",
        anonymous=True,
        json={"login": login.strip(), "password": password},
    )
    if answer.status_code == 429:
        wait = answer.headers.get("retry-after", "60")
        return _back(
            "/ui/signin", error=_("too many failed sign-ins; try again in %(s)s s", s=wait)
        )
    if answer.status_code == 401 and "disabled" in answer.text:
        return _back("/ui/signin", error=_("this account is disabled"))
    if answer.is_error:
        return _back("/ui/signin", error=_("the sign-in name or the password is wrong"))
    old = request.cookies.get(COOKIE)
    if old:
        with contextlib.suppress(SignIn):
            await api(request, "DELETE", "/sessions/current", token=old)
    body = answer.json()
    who = body["person"]["name"]
    response = _back("/ui", message=_("signed in as %(who)s", who=who))
    response.set_cookie(
        COOKIE,
        body["session"],
        httponly=True,
        samesite="strict",
        secure=False,
        path="/ui",
        max_age=12 * 3600,
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
    token = await _check_csrf(request, csrf)
    with contextlib.suppress(SignIn):
        await api(request, "DELETE", "/sessions/current", token=token)
    response = _back("/ui/signin")
    response.delete_cookie(COOKIE, path="/ui")
    return response


# ------------------------------------------------------------------ home


@router.get("", response_class=HTMLResponse)
async def home(request: Request, msg: str | None = None, err: str | None = None) -> HTMLResponse:
    me = (await api(request, "GET", "/me")).json()
    rounds = await listing(request, "/rounds", filters=["state"], sort="-created")
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


@router.get("/rounds/{rid}", response_class=HTMLResponse)
async def round_page(
    request: Request,
    rid: str,
    run: str | None = None,
    msg: str | None = None,
    err: str | None = None,
) -> Response:
    """A round's overview: the coordinator's figures, quotas, runs and solve
    form; an enterprise's placements; a college's candidates."""
    found = await round_and_me(request, rid)
    if isinstance(found, Response):
        return found
    me, r = found
    context: dict[str, Any] = {"me": me, "r": r, "msg": msg, "err": err}
    base = f"/rounds/{seg(r['id'])}"
    if me["role"] == "coordinator":
        runs = await listing(request, f"{base}/runs", filters=["status"], sort="-created")
        solved = [x for x in runs.items if x["status"] == "solved"]
        chosen = next((x for x in solved if x["id"] == run), None) or next(
            (x for x in solved if x["id"] == r.get("published_run")), None
        )
        chosen = chosen or next(iter(solved), None)
        summary = await _figures(request, base, chosen) if chosen else None
        names = await names_for(request, extra=_named(r, summary))
        return _page(
            request,
            "round_coordinator.html",
            runs=runs,
            solved=solved,
            active=[x for x in runs.items if x["status"] in ("queued", "running")],
            chosen=chosen,
            summary=summary,
            charts=charts.result_charts(summary, sayer(names)) if summary else {},
            org_names=names,
            **context,
        )
    if me["role"] == "enterprise":
        rows = await listing(request, f"{base}/placements", filters=["kind"], sort="title")
        return _page(
            request,
            "round_enterprise.html",
            rows=rows,
            filters=[("kind", _("kind"), words(PlacementKind))],
            org_names=await names_for(request, rows.items),
            **context,
        )
    filters = candidate_filters(r)
    rows = await listing(
        request, f"{base}/candidates", filters=[f[0] for f in filters], sort="name"
    )
    titles = await placement_titles(
        request, r["id"], mentioned_places(rows.items, "preferences", first=SHOWN)
    )
    return _page(
        request, "round_college.html", rows=rows, filters=filters, titles=titles, **context
    )


def _named(r: dict[str, Any], summary: dict[str, Any] | None) -> set[str]:
    """The organizations a round's page names: in its quotas and its charts."""
    named: set[str] = set()
    for policy in r["policies"]:
        for side in ("placements", "candidates"):
            for value in (policy.get(side) or {}).values():
                named.update([value] if isinstance(value, str) else value)
    metrics = (summary or {}).get("metrics") or {}
    for group in ("by_park", "by_college"):
        named.update(metrics.get(group) or {})
    return named


async def _figures(request: Request, base: str, run: dict[str, Any]) -> dict[str, Any] | None:
    """A solved run's figures: its stored summary (for a run solved before
    summaries carried them, from its result)."""
    summary = run.get("summary") or {}
    if summary.get("metrics") is not None:
        return {"unexcused": None, "excused": None, **summary}
    answer = await api(request, "GET", f"{base}/runs/{seg(run['id'])}/result")
    return None if answer.is_error else figures(answer.json())


def figures(result: dict[str, Any]) -> dict[str, Any]:
    """A result document's figures as a run's summary has them: the blocking
    pairs, the unexcused and the excused counted (None: not classified)."""
    counted = {k: len(result[k]) if k in result else None for k in ("unexcused", "excused")}
    return {**result, "blocking_pairs": len(result["blocking_pairs"]), **counted}


@router.get("/rounds/{rid}/runs/{run}/status")
async def run_status(request: Request, rid: str, run: str) -> Response:
    """A run's status for the page following it (a small fetch every second):
    its status, stage, elapsed seconds and time limit, in the reader's words."""
    answer = await api(request, "GET", f"/rounds/{seg(rid)}/runs/{seg(run)}")
    if answer.is_error:
        return JSONResponse({"error": problem_text(answer)}, status_code=answer.status_code)
    x = answer.json()
    return JSONResponse(
        {
            "status": x["status"],
            "text": run_progress(x),
            "done": x["status"] not in ("queued", "running"),
        }
    )


def run_progress(x: dict[str, Any]) -> str:
    """Where a run is, as a sentence: its status, stage, time so far and limit."""
    text = term(x["status"])
    if x["status"] == "running" and x.get("progress"):
        text += "：" + stage(x["progress"])
    if x.get("elapsed_seconds") is not None:
        text += " · " + _("%(s)s s so far", s=number(x["elapsed_seconds"], 0))
    limit = (x.get("options") or {}).get("time_limit")
    if limit is not None:
        text += " · " + _("time limit %(s)s s", s=number(limit, 0))
    return text


templates.env.globals["progress"] = run_progress


@router.get("/rounds/{rid}/confirm", response_class=HTMLResponse)
async def confirm(request: Request, rid: str, action: str, run: str = "") -> Response:
    """Closing and publishing are asked twice: this page says what follows."""
    found = await round_and_me(request, rid)
    if isinstance(found, Response):
        return found
    me, r = found
    if action not in ("close", "publish"):
        return _back(
            f"/ui/rounds/{seg(r['id'])}", error=_("unknown action %(a)s", a=repr(action[:40]))
        )
    chosen = None
    if action == "publish":
        answer = await api(request, "GET", f"/rounds/{seg(r['id'])}/runs/{seg(run)}")
        if answer.is_error:
            return _back(f"/ui/rounds/{seg(r['id'])}", error=problem_text(answer))
        chosen = answer.json()
        if chosen.get("rematch_of"):
            result = await api(request, "GET", f"/rounds/{seg(r['id'])}/runs/{seg(run)}/result")
            if result.is_success:
                chosen["rematch"] = result.json().get("rematch")
    return _page(request, "confirm.html", me=me, r=r, action=action, run=chosen)


# ------------------------------------------------------------------ coordinator actions


@router.post("/rounds/{rid}/action")
async def round_action(
    request: Request,
    rid: str,
    csrf: str = Form(...),
    action: str = Form(...),
    mechanism: str = Form("stable"),
    stability: str = Form(""),
    time_limit: str = Form(""),
    solver: str = Form("auto"),
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
        body: dict[str, Any] = {"mechanism": mechanism, "solver": solver}
        if stability:
            body["stability"] = stability
        if time_limit.strip():
            body["time_limit"] = _seconds(time_limit)
        answer = await api(request, "POST", f"{base}/runs", token, json=body)
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
    elif action == "cancel":
        answer = await api(request, "POST", f"{base}/runs/{seg(run)}/cancel", token)
        message = _("run %(run)s cancelled", run=run[:8])
    elif action == "publish":
        answer = await api(request, "POST", f"{base}/runs/{seg(run)}/publish", token)
        message = _("run %(run)s published", run=run[:8])
    else:
        return _back(f"/ui{base}", error=_("unknown action %(a)s", a=repr(action[:40])))
    return _after(rid, answer, message)


def _seconds(text: str) -> float | str:
    """Seconds typed in a form, as the API takes them (the API names a bad one)."""
    try:
        return float(text.strip())
    except ValueError:
        return text


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
