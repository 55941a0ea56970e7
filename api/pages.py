"""Pages for the people who run a round, served under /ui.

Every page is a client of the API itself: it calls the same routes in
process, with the signed-in organization's token, so a page can show and do
exactly what that organization may through the API, by the same code. The
token lives in an HttpOnly, SameSite=Strict cookie; every form that changes
something carries a CSRF token derived from it (HMAC), checked before the
API is called. Problems the API answers are shown on the page they came from.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.downloads import attachment
from api.spreadsheet import FileProblem, read_candidates, split_list
from matching import charts
from matching.base import MechanismName
from matching.model import CandidateKind, Level, PlacementKind, Tier

COOKIE = "placement_session"
REASON_FIELDS = ("placement", "reason", "cutoff", "rule", "mentor", "policy", "gain")
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(prefix="/ui", include_in_schema=False)
# the options of every form, from the engine's own vocabularies
VOCABULARIES = {
    "mechanism": [m.value for m in MechanismName],
    "placement_kind": [k.value for k in PlacementKind],
    "candidate_kind": [k.value for k in CandidateKind],
    "tier": [k.value for k in Tier],
    "level": [k.value for k in Level],
}


# the fields of a placement body (PUT), as the API's answer names them
PLACEMENT_FIELDS = ("kind", "capacity", "mentor", "skills", "requirements", "ranking")


def seg(ident: str) -> str:
    """An id as one path segment (a '/' in it escaped too)."""
    return quote(ident, safe="")


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
    context.setdefault("vocab", VOCABULARIES)
    return templates.TemplateResponse(request, name, context)


def _back(path: str, message: str | None = None, error: str | None = None) -> RedirectResponse:
    query = "&".join(
        f"{key}={quote(value)}" for key, value in (("msg", message), ("err", error)) if value
    )
    return RedirectResponse(path + ("?" + query if query else ""), status_code=303)


def _after(rid: str, answer: httpx.Response, message: str) -> RedirectResponse:
    """Back to the round's page with the API's problem, or with `message`."""
    path = f"/ui/rounds/{seg(rid)}"
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
    return _back(f"/ui/rounds/{seg(id.strip())}", message="round created")


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
    context: dict[str, Any] = {"me": me, "r": r, "msg": msg, "err": err}
    published = None
    if r["state"] == "published":
        published = (await api(request, "GET", f"/rounds/{rid}/assignments")).json()
    context["published"] = published
    if me["role"] == "coordinator":
        runs = (await api(request, "GET", f"/rounds/{rid}/runs")).json()
        # the runs' stored summaries list them; only the runs shown are read whole
        solved = [x["id"] for x in runs if x["status"] == "solved"]
        chosen = run if run in solved else (r["published_run"] or next(iter(solved), None))
        result = await _result_of(request, rid, chosen) if chosen else None
        context.update(
            runs=runs,
            busy=any(x["status"] in ("queued", "running") for x in runs),
            chosen=chosen,
            result=result,
            charts=charts.result_charts(result) if result else {},
            unplaced=_unplaced(result) if result else [],
        )
        if result and vs is not None and vs in solved and vs != chosen:
            other = await _result_of(request, rid, vs)
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
            # the order to edit: its ranking, ties kept; without one, its
            # applicants (sent back unchanged, that keeps the default score)
            p["order"] = ranking_text(p.get("ranking") or p["applicants"])
            p["unranked"] = "" if p.get("ranking") is not None else p["order"]
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
    base = f"/rounds/{seg(rid)}"
    if action in ("open", "close"):
        answer = await api(request, "POST", f"{base}/{action}", token)
        message = "round opened" if action == "open" else "round closed: its snapshot is frozen"
    elif action == "solve":
        answer = await api(request, "POST", f"{base}/runs", token, json={"mechanism": mechanism})
        # a solve is queued, not done: say what the API said of it
        run_id = answer.json().get("id", "") if answer.is_success else ""
        message = (
            f"run {run_id} queued; this page follows it"
            if answer.status_code == 202
            else f"run {run_id} with these options is already {answer.json().get('status')}"
        )
    elif action == "publish":
        answer = await api(request, "POST", f"{base}/runs/{seg(run)}/publish", token)
        message = f"run {run} published"
    else:
        return _back(f"/ui{base}", error=f"unknown action {action[:40]!r}")
    return _after(rid, answer, message)


# ------------------------------------------------------------------ forms
#
# Every form shows every field of its record, pre-filled, and sends the
# version it was read at: saving a form unchanged changes nothing, and a form
# made from an older version is refused (412) instead of overwriting a newer
# edit. What a form does not show (a placement's ranking) is kept as stored.


def ranking_text(items: list[Any] | None) -> str:
    """A preference list or ranking as a person edits it: one line per place,
    tied ids on one line joined by ' = '."""
    return "\n".join(" = ".join(item) if isinstance(item, list) else item for item in items or [])


def parse_ranking(text: str) -> list[Any]:
    out: list[Any] = []
    for line in text.splitlines():
        group = [x.strip() for x in line.split(" = ") if x.strip()]
        if group:
            out.append(group[0] if len(group) == 1 else group)
    return out


def skills_text(skills: list[str]) -> str:
    return ", ".join(skills)


def _form_page(request: Request, rid: str, name: str, **context: Any) -> HTMLResponse:
    return _page(request, name, rid=rid, **context)


@router.get("/rounds/{rid}/new-placement", response_class=HTMLResponse)
async def new_placement(request: Request, rid: str, err: str | None = None) -> HTMLResponse:
    me = (await api(request, "GET", "/me")).json()
    return _form_page(request, rid, "placement_form.html", me=me, p=None, err=err)


@router.get("/rounds/{rid}/placements/{pid}/edit", response_class=HTMLResponse)
async def edit_placement(request: Request, rid: str, pid: str, err: str | None = None) -> Response:
    me = (await api(request, "GET", "/me")).json()
    answer = await api(request, "GET", f"/rounds/{seg(rid)}/placements/{seg(pid)}")
    if answer.is_error:
        return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(answer))
    return _form_page(request, rid, "placement_form.html", me=me, p=answer.json(), err=err)


@router.post("/rounds/{rid}/placements")
async def save_placement(
    request: Request,
    rid: str,
    csrf: str = Form(...),
    id: str = Form(...),
    version: str = Form(""),
    kind: str = Form(...),
    capacity: str = Form(...),
    skills: str = Form(""),
    mentor: str = Form(""),
    min_level: str = Form(""),
    required_skills: str = Form(""),
) -> Response:
    token = await _check_csrf(request, csrf)
    pid = id.strip()
    path = f"/rounds/{seg(rid)}/placements/{seg(pid)}"
    current = await api(request, "GET", path, token)
    form = f"/ui{path}/edit" if version else f"/ui/rounds/{seg(rid)}/new-placement"
    if not version and current.status_code == 200:
        return _back(form, error=f"placement {pid} already exists: edit it instead")
    requirements: dict[str, Any] = {"skills": split_list(required_skills)}
    if min_level:
        requirements["min_level"] = min_level
    body: dict[str, Any] = {
        "kind": kind,
        "capacity": _integer(capacity),
        "skills": split_list(skills),
        "requirements": requirements,
    }
    if mentor.strip():
        body["mentor"] = mentor.strip()
    headers = {}
    if version:
        headers = {"If-Match": f'"{version}"'}
        if current.status_code == 200 and current.json().get("ranking") is not None:
            body["ranking"] = current.json()["ranking"]  # not on the form: kept
    answer = await api(request, "PUT", path, token, json=body, headers=headers)
    if answer.is_error:
        return _back(form, error=problem_text(answer))
    return _back(f"/ui/rounds/{seg(rid)}", message=f"placement {pid} saved")


@router.post("/rounds/{rid}/placements/{pid}/withdraw")
async def withdraw_placement(
    request: Request, rid: str, pid: str, csrf: str = Form(...), version: str = Form(...)
) -> Response:
    token = await _check_csrf(request, csrf)
    path = f"/rounds/{seg(rid)}/placements/{seg(pid)}"
    answer = await api(request, "DELETE", path, token, headers={"If-Match": f'"{version}"'})
    return _after(rid, answer, f"placement {pid} withdrawn")


@router.post("/rounds/{rid}/placements/{pid}/ranking")
async def rank(
    request: Request,
    rid: str,
    pid: str,
    csrf: str = Form(...),
    version: str = Form(...),
    order: str = Form(""),
    unranked: str = Form(""),
) -> Response:
    token = await _check_csrf(request, csrf)
    path = f"/rounds/{seg(rid)}/placements/{seg(pid)}"
    if unranked and parse_ranking(order) == parse_ranking(unranked):
        return _back(f"/ui/rounds/{seg(rid)}", message=f"ranking of {pid} unchanged")
    headers = {"If-Match": f'"{version}"'}
    if parse_ranking(order):
        answer = await api(
            request,
            "PUT",
            f"{path}/ranking",
            token,
            json={"ranking": parse_ranking(order)},
            headers=headers,
        )
        return _after(rid, answer, f"ranking of {pid} saved")
    # emptied: back to the default score (the placement without a ranking)
    current = await api(request, "GET", path, token)
    if current.is_error:
        return _after(rid, current, "")
    body = {k: v for k, v in current.json().items() if k in PLACEMENT_FIELDS and k != "ranking"}
    answer = await api(request, "PUT", path, token, json=body, headers=headers)
    return _after(rid, answer, f"{pid} is ranked by the default score")


@router.get("/rounds/{rid}/new-candidate", response_class=HTMLResponse)
async def new_candidate(request: Request, rid: str, err: str | None = None) -> HTMLResponse:
    me = (await api(request, "GET", "/me")).json()
    return _form_page(request, rid, "candidate_form.html", me=me, c=None, err=err)


@router.get("/rounds/{rid}/candidates/{cid}/edit", response_class=HTMLResponse)
async def edit_candidate(request: Request, rid: str, cid: str, err: str | None = None) -> Response:
    me = (await api(request, "GET", "/me")).json()
    answer = await api(request, "GET", f"/rounds/{seg(rid)}/candidates/{seg(cid)}")
    if answer.is_error:
        return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(answer))
    return _form_page(request, rid, "candidate_form.html", me=me, c=answer.json(), err=err)


@router.post("/rounds/{rid}/candidates")
async def save_candidate(
    request: Request,
    rid: str,
    csrf: str = Form(...),
    id: str = Form(...),
    version: str = Form(""),
    kind: str = Form(...),
    tier: str = Form(""),
    level: str = Form(""),
    skills: str = Form(""),
    preferences: str = Form(""),
) -> Response:
    token = await _check_csrf(request, csrf)
    cid = id.strip()
    path = f"/rounds/{seg(rid)}/candidates/{seg(cid)}"
    form = f"/ui{path}/edit" if version else f"/ui/rounds/{seg(rid)}/new-candidate"
    body: dict[str, Any] = {
        "kind": kind,
        "skills": split_list(skills),
        "preferences": parse_ranking(preferences),
    }
    body.update({k: v for k, v in (("tier", tier), ("level", level)) if v})
    if not version and (await api(request, "GET", path, token)).status_code == 200:
        return _back(form, error=f"candidate {cid} already exists: edit it instead")
    headers = {"If-Match": f'"{version}"'} if version else {}
    answer = await api(request, "PUT", path, token, json=body, headers=headers)
    if answer.is_error:
        return _back(form, error=problem_text(answer))
    return _back(f"/ui/rounds/{seg(rid)}", message=f"candidate {cid} saved")


@router.post("/rounds/{rid}/candidates/{cid}/withdraw")
async def withdraw_candidate(
    request: Request, rid: str, cid: str, csrf: str = Form(...), version: str = Form(...)
) -> Response:
    token = await _check_csrf(request, csrf)
    path = f"/rounds/{seg(rid)}/candidates/{seg(cid)}"
    answer = await api(request, "DELETE", path, token, headers={"If-Match": f'"{version}"'})
    return _after(rid, answer, f"candidate {cid} withdrawn")


@router.post("/rounds/{rid}/candidates/import")
async def import_candidates(
    request: Request, rid: str, file: UploadFile, csrf: str = Form(...)
) -> Response:
    """A CSV (UTF-8 or GBK) or Excel file of candidates, headers in English or
    Chinese (api.spreadsheet.COLUMNS). All rows are saved in one request, or
    none: a candidate already stored keeps the fields the file has no column
    for, and is saved from the version read here."""
    token = await _check_csrf(request, csrf)
    back = f"/ui/rounds/{seg(rid)}"
    name = file.filename or "the file"
    try:
        sheet = read_candidates(await file.read(), name)
    except FileProblem as exc:
        return _back(back, error=f"nothing imported: {exc}")
    listed = await api(request, "GET", f"/rounds/{seg(rid)}/candidates", token)
    if listed.is_error:
        return _back(back, error=problem_text(listed))
    stored = {c["id"]: c for c in listed.json()}
    items = [_import_item(row, stored.get(row.get("id", ""))) for row in sheet.rows]
    answer = await api(
        request, "POST", f"/rounds/{seg(rid)}/candidates", token, json={"candidates": items}
    )
    if answer.is_error:
        return _back(back, error=f"nothing imported from {name}: {_row_problems(answer, items)}")
    done = answer.json()
    understood = ", ".join(f"{k} → {v}" for k, v in sheet.columns.items())
    ignored = f"; columns ignored: {', '.join(sheet.ignored)}" if sheet.ignored else ""
    return _back(
        back,
        message=f"{len(items)} rows imported from {name} ({done['created']} new, "
        f"{done['changed']} changed, {done['unchanged']} unchanged); columns read: "
        f"{understood}{ignored}",
    )


def _row_problems(answer: httpx.Response, items: list[dict[str, Any]]) -> str:
    """The API's problems with a batch, each named by the file's line and id."""
    try:
        errors = answer.json().get("errors") or []
    except ValueError:
        errors = []
    if not errors:
        return problem_text(answer)
    line = {item["id"]: n for n, item in enumerate(items, start=2)}
    out = []
    for e in errors:
        field = str(e.get("field", ""))
        at = re.match(r"^\['[^']*'\]\.candidates\.(\d+)\.?(.*)$", field)
        named = re.match(r"^candidates\[('.*')\]\.?(.*)$", field)
        if at:
            n = int(at.group(1))
            where = f"line {n + 2} ({items[n]['id']}) {at.group(2)}"
        elif named:
            ident = named.group(1)[1:-1]
            where = f"line {line.get(ident, '?')} ({ident}) {named.group(2)}"
        else:
            where = field
        out.append(f"{where.strip()}: {e.get('message')}")
    return "; ".join(out[:10]) + (f"; … {len(out) - 10} more" if len(out) > 10 else "")


def _import_item(row: dict[str, str], stored: dict[str, Any] | None) -> dict[str, Any]:
    """A file row as a batch item: its cells over what is stored."""
    item: dict[str, Any] = {}
    if stored is not None:
        item = {
            k: stored[k] for k in ("kind", "tier", "level", "skills", "preferences") if k in stored
        }
        item["version"] = stored["version"]
    item["id"] = row.get("id", "")
    for field in ("kind", "tier", "level"):
        if field in row:
            if row[field]:
                item[field] = row[field]
            else:
                item.pop(field, None)
    if "skills" in row:
        item["skills"] = split_list(row["skills"])
    if "preferences" in row:
        item["preferences"] = split_list(row["preferences"])
    item.setdefault("kind", "student")
    item.setdefault("preferences", [])
    return item


templates.env.globals["prefs_text"] = ranking_text


def _integer(text: str) -> int | str:
    """A number typed in a form, as the API takes it (the API names a bad one)."""
    try:
        return int(text.strip())
    except ValueError:
        return text


# ------------------------------------------------------------------ exports


@router.get("/rounds/{rid}/assignments.csv")
async def assignments_csv(request: Request, rid: str) -> Response:
    answer = await api(request, "GET", f"/rounds/{seg(rid)}/assignments", params={"format": "csv"})
    if answer.is_error:
        return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(answer))
    return Response(
        answer.content,
        media_type="text/csv; charset=utf-8",
        headers=attachment(f"{rid}-assignments.csv"),
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
        answer = await api(request, "GET", f"/rounds/{seg(rid)}/runs/{seg(run)}/result")
        if answer.is_error:
            return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(answer))
        result = answer.json()
        # the same rows as every other audience's, hosts and colleges included
        listed = await api(request, "GET", f"/rounds/{seg(rid)}/runs/{seg(run)}/assignments")
        if listed.is_error:
            return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(listed))
        rows = listed.json()["assignments"]
    else:
        answer = await api(request, "GET", f"/rounds/{seg(rid)}/assignments")
        if answer.is_error:
            return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(answer))
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
        headers=attachment(f"{rid}.xlsx"),
    )


@router.get("/rounds/{rid}/report", response_class=HTMLResponse)
async def report(request: Request, rid: str, run: str) -> Response:
    """A printable report of one run: figures, charts, the policy table."""
    r = await api(request, "GET", f"/rounds/{seg(rid)}")
    answer = await api(request, "GET", f"/rounds/{seg(rid)}/runs/{seg(run)}/result")
    if r.is_error or answer.is_error:
        return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(answer if r.is_success else r))
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
