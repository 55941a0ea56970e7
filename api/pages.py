"""Pages for the people who run a round, served under /ui.

Every page is a client of the API itself: it calls the same routes in
process, with the signed-in organization's token, so a page can show and do
exactly what that organization may through the API, by the same code. The
token lives in an HttpOnly, SameSite=Strict cookie; every form that changes
something carries a CSRF token derived from it (HMAC), checked before the
API is called. Problems the API answers are shown on the page they came from.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.problems import mentioned
from matching import charts

COOKIE = "placement_session"
REASON_FIELDS = ("placement", "reason", "cutoff", "rule", "mentor", "policy", "gain")
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(prefix="/ui", include_in_schema=False)


class SignIn(Exception):
    """No valid session: go to the sign-in page."""


def csrf_token(token: str) -> str:
    return hmac.new(token.encode(), b"csrf", hashlib.sha256).hexdigest()


def _token(request: Request) -> str:
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignIn
    return token


async def api(
    request: Request, method: str, path: str, token: str | None = None, **kw: Any
) -> httpx.Response:
    """Call the service's own API in process, as the signed-in organization."""
    headers = {"Authorization": f"Bearer {token or _token(request)}", **kw.pop("headers", {})}
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pages") as client:
        answer = await client.request(method, path, headers=headers, **kw)
    if answer.status_code == 401:
        raise SignIn
    return answer


def problem_text(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return f"{answer.status_code} {answer.reason_phrase}"
    text = str(body.get("detail", answer.reason_phrase))
    for error in body.get("errors") or []:
        text += f"; {error.get('field')}: {error.get('message')}"
    return text


async def _check_csrf(request: Request, csrf: str) -> str:
    token = _token(request)
    if not hmac.compare_digest(csrf, csrf_token(token)):
        raise HTTPException(403, "the form is stale or not from this site; reload the page")
    return token


def _page(request: Request, name: str, **context: Any) -> HTMLResponse:
    token = request.cookies.get(COOKIE)
    context.setdefault("csrf", csrf_token(token) if token else "")
    return templates.TemplateResponse(request, name, context)


def _back(path: str, message: str | None = None, error: str | None = None) -> RedirectResponse:
    query = "&".join(
        f"{key}={quote(value)}" for key, value in (("msg", message), ("err", error)) if value
    )
    return RedirectResponse(path + ("?" + query if query else ""), status_code=303)


def _after(rid: str, answer: httpx.Response, message: str) -> RedirectResponse:
    """Back to the round's page with the API's problem, or with `message`."""
    path = f"/ui/rounds/{quote(rid)}"
    if answer.is_error:
        return _back(path, error=problem_text(answer))
    return _back(path, message=message)


# ------------------------------------------------------------------ sign-in


@router.get("/signin", response_class=HTMLResponse)
async def signin_form(request: Request, err: str | None = None) -> HTMLResponse:
    return _page(request, "signin.html", me=None, err=err)


@router.post("/signin")
async def signin(request: Request, token: str = Form(...)) -> Response:
    try:
        me = await api(request, "GET", "/me", token=token.strip())
    except SignIn:
        return _back("/ui/signin", error="that token is not valid")
    response = _back("/ui", message=f"signed in as {me.json()['organization']['id']}")
    response.set_cookie(
        COOKIE, token.strip(), httponly=True, samesite="strict", secure=False, path="/ui"
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
        graph_svg = charts.consortium_graph(graph["organizations"], graph["links"])
    return _page(request, "home.html", me=me, rounds=rounds, graph_svg=graph_svg, msg=msg, err=err)


@router.post("/rounds")
async def create_round(
    request: Request, csrf: str = Form(...), id: str = Form(...), seed: int = Form(1)
) -> Response:
    token = await _check_csrf(request, csrf)
    answer = await api(request, "POST", "/rounds", token, json={"id": id.strip(), "seed": seed})
    if answer.is_error:
        return _back("/ui", error=problem_text(answer))
    return _back(f"/ui/rounds/{quote(id.strip())}", message="round created")


# ------------------------------------------------------------------ a round


async def _solved(request: Request, rid: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for run in runs:
        if run["status"] == "solved":
            answer = await api(request, "GET", f"/rounds/{rid}/runs/{run['id']}/result")
            out[run["id"]] = answer.json()
    return out


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
    answer = await api(request, "GET", f"/rounds/{quote(rid)}")
    if answer.is_error:
        return _back("/ui", error=problem_text(answer))
    r = answer.json()
    rid = quote(r["id"])
    context: dict[str, Any] = {"me": me, "r": r, "msg": msg, "err": err}
    published = None
    if r["state"] == "published":
        published = (await api(request, "GET", f"/rounds/{rid}/assignments")).json()
    context["published"] = published
    if me["role"] == "coordinator":
        runs = (await api(request, "GET", f"/rounds/{rid}/runs")).json()
        results = await _solved(request, rid, runs)
        chosen = run if run in results else (r["published_run"] or next(iter(results), None))
        result = results.get(chosen) if chosen else None
        context.update(
            runs=runs,
            busy=any(x["status"] in ("queued", "running") for x in runs),
            chosen=chosen,
            result=result,
            charts=charts.result_charts(result) if result else {},
            unplaced=_unplaced(result) if result else [],
        )
        if result and vs in results and vs != chosen:
            other = results[vs]
            context["compare"] = {
                "ids": [chosen, vs],
                "results": [result, other],
                "svg": charts.compare_bars(
                    [
                        (f"{result['mechanism']} {str(chosen)[:8]}", result),
                        (f"{other['mechanism']} {vs[:8]}", other),
                    ]
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
            p["applicants"] = [a["id"] for a in applicants if p["id"] in a["applied_to"]]
            # the order to edit: its ranking (ties flattened), else the applicants
            p["order"] = " ".join(mentioned(p["ranking"]) if p.get("ranking") else p["applicants"])
        return _page(request, "round_enterprise.html", places=places, **context)
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
    base = f"/rounds/{quote(rid)}"
    if action in ("open", "close"):
        answer = await api(request, "POST", f"{base}/{action}", token)
    elif action == "solve":
        answer = await api(request, "POST", f"{base}/runs", token, json={"mechanism": mechanism})
    elif action == "publish":
        answer = await api(request, "POST", f"{base}/runs/{quote(run)}/publish", token)
    else:
        return _back(f"/ui{base}", error=f"unknown action {action[:40]!r}")
    return _after(rid, answer, f"{action}: done")


# ------------------------------------------------------------------ enterprise actions


@router.post("/rounds/{rid}/placements")
async def save_placement(
    request: Request,
    rid: str,
    csrf: str = Form(...),
    id: str = Form(...),
    kind: str = Form("internship"),
    capacity: int = Form(...),
    skills: str = Form(""),
    withdraw: str = Form(""),
) -> Response:
    token = await _check_csrf(request, csrf)
    path = f"/rounds/{quote(rid)}/placements/{quote(id.strip())}"
    if withdraw:
        answer = await api(request, "DELETE", path, token)
        done = "withdrawn"
    else:
        body = {"kind": kind, "capacity": capacity, "skills": _split(skills)}
        current = await api(request, "GET", path, token)
        headers = {"If-Match": current.headers["etag"]} if current.status_code == 200 else {}
        answer = await api(request, "PUT", path, token, json=body, headers=headers)
        done = "saved"
    return _after(rid, answer, f"placement {id.strip()} {done}")


@router.post("/rounds/{rid}/placements/{pid}/ranking")
async def rank(
    request: Request, rid: str, pid: str, csrf: str = Form(...), order: str = Form("")
) -> Response:
    token = await _check_csrf(request, csrf)
    path = f"/rounds/{quote(rid)}/placements/{quote(pid)}"
    current = await api(request, "GET", path, token)
    if current.is_error:
        return _back(f"/ui/rounds/{quote(rid)}", error=problem_text(current))
    answer = await api(
        request,
        "PUT",
        f"{path}/ranking",
        token,
        json={"ranking": _split(order)},
        headers={"If-Match": current.headers["etag"]},
    )
    return _after(rid, answer, f"ranking of {pid} saved")


# ------------------------------------------------------------------ college actions


@router.post("/rounds/{rid}/candidates")
async def save_candidate(
    request: Request,
    rid: str,
    csrf: str = Form(...),
    id: str = Form(...),
    kind: str = Form("student"),
    preferences: str = Form(""),
    withdraw: str = Form(""),
) -> Response:
    token = await _check_csrf(request, csrf)
    path = f"/rounds/{quote(rid)}/candidates/{quote(id.strip())}"
    if withdraw:
        answer = await api(request, "DELETE", path, token)
    else:
        body = {"kind": kind, "preferences": _split(preferences)}
        answer = await api(request, "PUT", path, token, json=body)
    return _after(rid, answer, f"candidate {id.strip()} saved")


@router.post("/rounds/{rid}/candidates/import")
async def import_candidates(
    request: Request, rid: str, file: UploadFile, csrf: str = Form(...)
) -> Response:
    """A CSV with columns id, kind, preferences (placement ids separated by
    spaces or semicolons); each row saved through the API, problems listed."""
    token = await _check_csrf(request, csrf)
    text = (await file.read()).decode("utf-8-sig", errors="replace")
    saved, problems = 0, []
    for n, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        ident = (row.get("id") or "").strip()
        body = {
            "kind": (row.get("kind") or "student").strip(),
            "preferences": _split(row.get("preferences") or ""),
        }
        answer = await api(
            request, "PUT", f"/rounds/{quote(rid)}/candidates/{quote(ident)}", token, json=body
        )
        if answer.is_error:
            problems.append(f"line {n} ({ident or 'no id'}): {problem_text(answer)}")
        else:
            saved += 1
    return _back(
        f"/ui/rounds/{quote(rid)}",
        message=f"{saved} candidates saved from {file.filename}",
        error="; ".join(problems[:5]) or None,
    )


def _split(text: str) -> list[str]:
    return [x for x in text.replace(";", " ").replace(",", " ").split() if x]


# ------------------------------------------------------------------ exports


@router.get("/rounds/{rid}/assignments.csv")
async def assignments_csv(request: Request, rid: str) -> Response:
    answer = await api(
        request, "GET", f"/rounds/{quote(rid)}/assignments", params={"format": "csv"}
    )
    if answer.is_error:
        return _back(f"/ui/rounds/{quote(rid)}", error=problem_text(answer))
    return Response(
        answer.content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{quote(rid)}-assignments.csv"'},
    )


@router.get("/rounds/{rid}/export.xlsx")
async def export_xlsx(request: Request, rid: str, run: str | None = None) -> Response:
    """The caller's view as a workbook: its published assignments and their
    reasons; for the coordinator and a chosen run, also the policies and the
    figures by park, college, kind and tier."""
    from openpyxl import Workbook

    me = (await api(request, "GET", "/me")).json()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if run and me["role"] == "coordinator":
        answer = await api(request, "GET", f"/rounds/{quote(rid)}/runs/{quote(run)}/result")
        if answer.is_error:
            return _back(f"/ui/rounds/{quote(rid)}", error=problem_text(answer))
        result = answer.json()
        rows = [
            {"candidate": c, "placement": p, "explanations": result["explanations"].get(c, [])}
            for c, p in result["assignments"].items()
        ]
    else:
        answer = await api(request, "GET", f"/rounds/{quote(rid)}/assignments")
        if answer.is_error:
            return _back(f"/ui/rounds/{quote(rid)}", error=problem_text(answer))
        result, rows = None, answer.json()["assignments"]
    sheet.title = "assignments"
    sheet.append(["candidate", "affiliation", "placement", "host"])
    for row in rows:
        sheet.append([row["candidate"], row.get("affiliation"), row["placement"], row.get("host")])
    why = book.create_sheet("explanations")
    why.append(["candidate", "placement", "reason", "cutoff", "rule", "mentor", "policy", "gain"])
    for row in rows:
        for e in row.get("explanations", []):
            why.append([row["candidate"], *(e.get(k) for k in REASON_FIELDS)])
    if result is not None:
        policies = book.create_sheet("policies")
        policies.append(["policy", "min", "max", "value", "satisfied"])
        for p in result["policies"]:
            policies.append([p["id"], p["min"], p["max"], p["value"], p["satisfied"]])
        for key in charts.GROUPS:
            groups = book.create_sheet(key.replace("_", " "))
            groups.append(["group", "matched", "total", "rate"])
            for name, fill in sorted(result["metrics"][key].items()):
                groups.append([name, fill["matched"], fill["total"], fill["rate"]])
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{quote(rid)}.xlsx"'},
    )


@router.get("/rounds/{rid}/report", response_class=HTMLResponse)
async def report(request: Request, rid: str, run: str) -> Response:
    """A printable report of one run: figures, charts, the policy table."""
    r = await api(request, "GET", f"/rounds/{quote(rid)}")
    answer = await api(request, "GET", f"/rounds/{quote(rid)}/runs/{quote(run)}/result")
    if r.is_error or answer.is_error:
        return _back(f"/ui/rounds/{quote(rid)}", error=problem_text(answer if r.is_success else r))
    result = answer.json()
    return _page(
        request,
        "report.html",
        me=None,
        r=r.json(),
        run=run,
        result=result,
        charts=charts.result_charts(result),
        unplaced=_unplaced(result),
    )
