"""The forms: a placement, a candidate, a ranking, a file of candidates."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from api.pages.common import (
    _after,
    _back,
    _check_csrf,
    _page,
    api,
    problem_text,
    router,
    seg,
    templates,
)
from api.schemas import CandidateIn, PlacementIn
from api.spreadsheet import FileProblem, read_candidates, split_list

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


# the form page of each kind of record: its template and the name it has there
FORMS = {"placements": ("placement_form.html", "p"), "candidates": ("candidate_form.html", "c")}


@router.get("/rounds/{rid}/new-{kind}", response_class=HTMLResponse)
async def new_record(request: Request, rid: str, kind: str, err: str | None = None) -> Response:
    """An empty form: a new placement (`new-placement`) or candidate (`new-candidate`)."""
    if kind + "s" not in FORMS:
        return _back(f"/ui/rounds/{seg(rid)}", error=f"no form for a new {kind[:40]}")
    template, name = FORMS[kind + "s"]
    me = (await api(request, "GET", "/me")).json()
    return _page(request, template, rid=rid, me=me, err=err, **{name: None})


@router.get("/rounds/{rid}/{kind}/{ident}/edit", response_class=HTMLResponse)
async def edit_record(
    request: Request, rid: str, kind: str, ident: str, err: str | None = None
) -> Response:
    """A placement's or a candidate's form, pre-filled with its stored version."""
    if kind not in FORMS:
        return _back(f"/ui/rounds/{seg(rid)}", error=f"no form for {kind[:40]}")
    template, name = FORMS[kind]
    me = (await api(request, "GET", "/me")).json()
    answer = await api(request, "GET", f"/rounds/{seg(rid)}/{kind}/{seg(ident)}")
    if answer.is_error:
        return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(answer))
    return _page(request, template, rid=rid, me=me, err=err, **{name: answer.json()})


@router.post("/rounds/{rid}/{kind}/{ident}/withdraw")
async def withdraw(
    request: Request,
    rid: str,
    kind: str,
    ident: str,
    csrf: str = Form(...),
    version: str = Form(...),
) -> Response:
    """Withdraw a placement or a candidate, from the version its form showed."""
    token = await _check_csrf(request, csrf)
    if kind not in FORMS:
        return _back(f"/ui/rounds/{seg(rid)}", error=f"nothing to withdraw in {kind[:40]}")
    path = f"/rounds/{seg(rid)}/{kind}/{seg(ident)}"
    answer = await api(request, "DELETE", path, token, headers={"If-Match": f'"{version}"'})
    return _after(rid, answer, f"{kind[:-1]} {ident} withdrawn")


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
    ranking = parse_ranking(order)
    if unranked and ranking == parse_ranking(unranked):
        return _back(f"/ui/rounds/{seg(rid)}", message=f"ranking of {pid} unchanged")
    headers = {"If-Match": f'"{version}"'}
    if ranking:
        answer = await api(
            request, "PUT", f"{path}/ranking", token, json={"ranking": ranking}, headers=headers
        )
        return _after(rid, answer, f"ranking of {pid} saved")
    # emptied: back to the default score (the placement without a ranking)
    current = await api(request, "GET", path, token)
    if current.is_error:
        return _after(rid, current, "")
    body = {
        k: v for k, v in current.json().items() if k in PlacementIn.model_fields and k != "ranking"
    }
    answer = await api(request, "PUT", path, token, json=body, headers=headers)
    return _after(rid, answer, f"{pid} is ranked by the default score")


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
        item = {k: v for k, v in stored.items() if k in CandidateIn.model_fields}
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


templates.env.globals["ranking_text"] = ranking_text


def _integer(text: str) -> int | str:
    """A number typed in a form, as the API takes it (the API names a bad one)."""
    try:
        return int(text.strip())
    except ValueError:
        return text
