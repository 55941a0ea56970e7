"""The forms: a placement, a candidate, a ranking, a file of candidates."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.datastructures import FormData

from api import i18n, rankings, spreadsheet
from api.downloads import attachment
from api.i18n import N_, _, number
from api.pages.browse import round_and_me
from api.pages.common import (
    _after,
    _back,
    _check_csrf,
    _page,
    api,
    big_form,
    by_ids,
    everything,
    listing,
    names_for,
    organizations_of,
    problem_text,
    router,
    seg,
    templates,
)
from api.rankings import Rule, flat, ranked
from api.schemas import CandidateIn, PlacementIn
from api.spreadsheet import split_list
from api.words import condition, term

# ------------------------------------------------------------------ forms
#
# Every form shows every field of its record, pre-filled, and sends the
# version it was read at: saving a form unchanged changes nothing, and a form
# made from an older version is refused (412) instead of overwriting a newer
# edit. What a form does not show (a placement's ranking) is kept as stored.


# the form page of each kind of record: its template and the name it has there
FORMS = {"placements": ("placement_form.html", "p"), "candidates": ("candidate_form.html", "c")}


@router.get("/rounds/{rid}/new-{kind}", response_class=HTMLResponse)
async def new_record(request: Request, rid: str, kind: str, err: str | None = None) -> Response:
    """An empty form: a new placement (`new-placement`) or candidate (`new-candidate`)."""
    if kind + "s" not in FORMS:
        return _back(f"/ui/rounds/{seg(rid)}", error=_("no such form"))
    template, name = FORMS[kind + "s"]
    me = (await api(request, "GET", "/me")).json()
    extra = await _candidate_extra(request, rid, None) if kind == "candidate" else {}
    return _page(request, template, rid=rid, me=me, err=err, **{name: None}, **extra)


@router.get("/rounds/{rid}/{kind}/{ident}/edit", response_class=HTMLResponse)
async def edit_record(
    request: Request, rid: str, kind: str, ident: str, err: str | None = None
) -> Response:
    """A placement's or a candidate's form, pre-filled with its stored version."""
    if kind not in FORMS:
        return _back(f"/ui/rounds/{seg(rid)}", error=_("no such form"))
    template, name = FORMS[kind]
    me = (await api(request, "GET", "/me")).json()
    answer = await api(request, "GET", f"/rounds/{seg(rid)}/{kind}/{seg(ident)}")
    if answer.is_error:
        return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(answer))
    record = answer.json()
    extra = await _candidate_extra(request, rid, record) if kind == "candidates" else {}
    return _page(request, template, rid=rid, me=me, err=err, **{name: record}, **extra)


async def _candidate_extra(request: Request, rid: str, c: dict[str, Any] | None) -> dict[str, Any]:
    """A candidate's form also shows its choices as placements (title, host,
    park, seats) and offers the parks and kinds to look for more."""
    chosen = flat(c["preferences"]) if c else []
    found = await by_ids(request, f"/rounds/{seg(rid)}/placements", [p for p, _ in chosen])
    return {
        "chosen": [(found.get(pid, {"id": pid}), tied) for pid, tied in chosen],
        "org_names": await names_for(request, found.values()),
        "parks": await organizations_of(request, "park"),
    }


@router.get("/rounds/{rid}/placements.json")
async def placement_picker(request: Request, rid: str) -> Response:
    """The placements a college chooses from, for the picker on a candidate's
    page: a page of the API's list, each with what a person chooses by."""
    rows = await listing(
        request,
        f"/rounds/{seg(rid)}/placements",
        filters=["park", "kind"],
        sort="title",
        per_page=20,
    )
    if rows.error:
        return JSONResponse({"error": rows.error}, status_code=422)
    names = await names_for(request, rows.items)
    return JSONResponse(
        {
            "items": [
                {
                    "id": p["id"],
                    "title": p.get("title") or p["id"],
                    "host": names.get(p["host"], p["host"]),
                    "park": names.get(p["park"], p["park"]) if p.get("park") else "",
                    "kind": term(p["kind"]),
                    "seats": p["capacity"],
                    "applicants": p.get("applicants", 0),
                }
                for p in rows.items
            ],
            "summary": _(
                "rows %(first)s–%(last)s of %(total)s",
                first=number(rows.first),
                last=number(rows.last),
                total=number(rows.total),
            )
            if rows.total
            else _("nothing matches"),
            "page": rows.page,
            "pages": rows.pages,
        }
    )


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
        return _back(f"/ui/rounds/{seg(rid)}", error=_("no such form"))
    path = f"/rounds/{seg(rid)}/{kind}/{seg(ident)}"
    answer = await api(request, "DELETE", path, token, headers={"If-Match": f'"{version}"'})
    return _after(rid, answer, _("%(id)s withdrawn", id=ident))


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
    title: str = Form(""),
    description: str = Form(""),
    staff: str = Form(""),
) -> Response:
    token = await _check_csrf(request, csrf)
    pid = id.strip()
    path = f"/rounds/{seg(rid)}/placements/{seg(pid)}"
    current = await api(request, "GET", path, token)
    form = f"/ui{path}/edit" if version else f"/ui/rounds/{seg(rid)}/new-placement"
    if not version and current.status_code == 200:
        return _back(form, error=_("placement %(id)s already exists: edit it instead", id=pid))
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
    if staff.strip():
        body["staff"] = _integer(staff)
    body.update(_texts(title=title, description=description))
    headers = {}
    if version:
        headers = {"If-Match": f'"{version}"'}
        if current.status_code == 200 and current.json().get("ranking") is not None:
            body["ranking"] = current.json()["ranking"]  # not on the form: kept
    answer = await api(request, "PUT", path, token, json=body, headers=headers)
    if answer.is_error:
        return _back(form, error=problem_text(answer))
    return _back(f"/ui/rounds/{seg(rid)}", message=_("placement %(id)s saved", id=pid))


# ------------------------------------------------------------------ applicants

templates.env.globals["rule_text"] = condition


COLUMNS = {"name", "college", "level", "tier"}  # an order by a column has no ties
RULE_NAMES = {
    Rule.SCORE: N_("the default score"),
    Rule.SKILLS: N_("skills match"),
    Rule.PARTNER: N_("partner colleges first"),
    Rule.AFFINITY: N_("affinity"),
    Rule.SAVED: N_("the saved order"),
}
# At most this many applicants are ordered by hand on the page; the rest
# follow them by the rule the order started from (RankingIn.then).
BY_HAND = 1000


@router.get("/rounds/{rid}/placements/{pid}/applicants", response_class=HTMLResponse)
async def review(
    request: Request,
    rid: str,
    pid: str,
    order: str = "",
    msg: str | None = None,
    err: str | None = None,
) -> Response:
    """The applicants to one placement, to put in order: start from the
    saved ranking or an order by rule (the default score, skills match,
    partner college first), then move, tie and leave out; saved as the
    placement's ranking from the version shown. Of a placement with more
    applicants than a person orders by hand, the first 1,000 are shown and
    the rest follow them by the rule."""
    found = await round_and_me(request, rid)
    if isinstance(found, Response):
        return found
    me, r = found
    path = f"/rounds/{seg(r['id'])}/placements/{seg(pid)}"
    answer = await api(request, "GET", path)
    if answer.is_error:
        return _back(f"/ui/rounds/{seg(r['id'])}", error=problem_text(answer))
    p = answer.json()
    saved = p.get("ranking") is not None
    if order not in {*Rule, *COLUMNS} or (order == Rule.SAVED and not saved):
        order = Rule.SAVED if saved else Rule.SCORE
    sort = "ranking" if order == Rule.SAVED else order
    rows = await everything(request, f"{path}/applicants", {"sort": sort}, at_most=BY_HAND)
    if isinstance(rows, httpx.Response):
        return _back(f"/ui/rounds/{seg(r['id'])}", error=problem_text(rows))
    total = (await api(request, "GET", f"{path}/applicants", params={"limit": 1})).json()["total"]
    names = await names_for(request, rows)
    arranged = arrange(rows, order, p.get("ranking"))
    # without a saved order, saving the default score's order unchanged keeps it so
    start = None
    if not saved and order == Rule.SCORE and total <= BY_HAND:
        start = json.dumps(ranked([a["id"] for a, _tie, ok in arranged if ok], tied_ids(arranged)))
    return _page(
        request,
        "applicants.html",
        me=me,
        r=r,
        p=p,
        order=order,
        rules=[rule for rule in Rule if saved or rule is not Rule.SAVED],
        rule_names={k.value: _(v) for k, v in RULE_NAMES.items()},
        arranged=arranged,
        ranked_count=len(flat(p.get("ranking"))),
        total=total,
        rest=total - len(rows),
        then=order if order in set(Rule) else Rule.SCORE,
        start=start,
        org_names=names,
        msg=msg,
        err=err,
    )


def arrange(
    rows: list[dict[str, Any]], order: str, saved: list[Any] | None
) -> list[tuple[dict[str, Any], bool, bool]]:
    """The applicants in the order to start from, each with whether it ties
    with the one before and whether it is acceptable: a rule ties equal
    figures and puts those who do not meet the conditions last (acceptable:
    the engine then tells them which condition); the saved order keeps its
    ties and leaves out whom the ranking leaves out; a column ties nobody."""
    if order in COLUMNS:
        return [(a, False, True) for a in rows]
    if order == Rule.SAVED:
        kept = rankings.arranged(rows, Rule.SAVED, saved)
        ranked_ids = {a["id"] for a, _tie in kept}
        return [(a, tie, True) for a, tie in kept] + [
            (a, False, False) for a in rows if a["id"] not in ranked_ids
        ]
    return [(a, tie, True) for a, tie in rankings.arranged(rows, Rule(order))]


def tied_ids(arranged: list[tuple[dict[str, Any], bool, bool]]) -> set[str]:
    return {a["id"] for a, tie, _ok in arranged if tie}


@router.post("/rounds/{rid}/placements/{pid}/ranking")
async def rank(request: Request, rid: str, pid: str) -> Response:
    """Save the applicants' order as the placement's ranking (`cid` in order,
    each in `tie` tied with the one before, those not in `accept` left out:
    not acceptable), or (`action=default`) go back to the default score. Three
    fields a row: read up to the service's body limit, not a form's usual
    thousand fields."""
    form = await big_form(request)
    token = await _check_csrf(request, _text_field(form, "csrf"))
    path = f"/rounds/{seg(rid)}/placements/{seg(pid)}"
    back = f"/ui{path}/applicants"
    headers = {"If-Match": f'"{_text_field(form, "version")}"'}
    if _text_field(form, "action") in ("", "save"):
        order, chosen = _list_field(form, "cid"), set(_list_field(form, "accept"))
        ranking = ranked([c for c in order if c in chosen], set(_list_field(form, "tie")))
        start = _text_field(form, "start")
        if start and json.loads(start) == ranking:
            return _back(back, message=_("the order of %(id)s is unchanged", id=pid))
        body: dict[str, Any] = {"ranking": ranking}
        then = _text_field(form, "then")
        if then:  # more applicants than the page shows: the rest follow by the rule
            body |= {"then": then, "left_out": [c for c in order if c not in chosen]}
        answer = await api(request, "PUT", f"{path}/ranking", token, json=body, headers=headers)
        if answer.is_error:
            return _back(back, error=problem_text(answer))
        return _back(
            back + "?order=saved",
            message=_(
                "the order of %(id)s is saved: %(n)s ranked, %(out)s left out",
                id=pid,
                n=number(len(chosen & set(order))),
                out=number(len(set(order) - chosen)),
            ),
        )
    # back to the default score: the placement without a ranking
    current = await api(request, "GET", path, token)
    if current.is_error:
        return _back(back, error=problem_text(current))
    body = {
        k: v for k, v in current.json().items() if k in PlacementIn.model_fields and k != "ranking"
    }
    answer = await api(request, "PUT", path, token, json=body, headers=headers)
    if answer.is_error:
        return _back(back, error=problem_text(answer))
    return _back(back, message=_("%(id)s is ranked by the default score", id=pid))


def _text_field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _list_field(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


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
    pref: Annotated[list[str] | None, Form()] = None,  # at most 1,000 choices: the API's bound
    pref_tie: Annotated[list[str] | None, Form()] = None,
    name: str = Form(""),
    number: str = Form(""),
) -> Response:
    """Save a candidate from its form: its choices are the placements listed
    on the form in their order (`pref`), each in `pref_tie` tied with the one
    before."""
    token = await _check_csrf(request, csrf)
    cid = id.strip()
    path = f"/rounds/{seg(rid)}/candidates/{seg(cid)}"
    form = f"/ui{path}/edit" if version else f"/ui/rounds/{seg(rid)}/new-candidate"
    body: dict[str, Any] = {
        "kind": kind,
        "skills": split_list(skills),
        "preferences": ranked(list(dict.fromkeys(pref or [])), set(pref_tie or [])),
    }
    body.update({k: v for k, v in (("tier", tier), ("level", level)) if v})
    body.update(_texts(name=name, number=number))
    if not version and (await api(request, "GET", path, token)).status_code == 200:
        return _back(form, error=_("candidate %(id)s already exists: edit it instead", id=cid))
    headers = {"If-Match": f'"{version}"'} if version else {}
    answer = await api(request, "PUT", path, token, json=body, headers=headers)
    if answer.is_error:
        return _back(form, error=problem_text(answer))
    return _back(f"/ui/rounds/{seg(rid)}", message=_("candidate %(id)s saved", id=cid))


# ------------------------------------------------------------------ file imports
#
# A college's candidates and an enterprise's placements come from the files
# people keep (CSV in UTF-8 or GBK, Excel; headers in Chinese or English) in
# two steps: a preview that the API checks without storing (dry_run), with
# every problem by row and column, then a confirmation that stores all of it
# in one transaction, or nothing.


def _candidate_item(row: dict[str, str], stored: dict[str, Any] | None) -> dict[str, Any]:
    """A file row as a candidate of the batch: its cells over what is stored."""
    item = _kept(CandidateIn, row, stored)
    for field in ("kind", "tier", "level", "name", "number"):
        _cell(item, row, field)
    for field in ("skills", "preferences"):
        if field in row:
            item[field] = split_list(row[field])
    item.setdefault("kind", "student")
    item.setdefault("preferences", [])
    return item


def _placement_item(row: dict[str, str], stored: dict[str, Any] | None) -> dict[str, Any]:
    """A file row as a placement of the batch: its cells over what is stored."""
    item = _kept(PlacementIn, row, stored)
    for field in ("kind", "title", "description", "mentor"):
        _cell(item, row, field)
    for field in ("capacity", "staff"):
        if row.get(field):
            item[field] = _integer(row[field])
        elif field in row:
            item.pop(field, None)
    if "skills" in row:
        item["skills"] = split_list(row["skills"])
    need = dict(item.get("requirements") or {})
    if "min_level" in row:
        need.pop("min_level", None)
        if row["min_level"]:
            need["min_level"] = row["min_level"]
    if "required_skills" in row:
        need["skills"] = split_list(row["required_skills"])
    item["requirements"] = need
    item.setdefault("kind", "internship")
    item.setdefault("capacity", 1)
    return item


def _kept(
    model: type[BaseModel], row: dict[str, str], stored: dict[str, Any] | None
) -> dict[str, Any]:
    """What a row starts from: the stored record's fields and version, if any."""
    item: dict[str, Any] = {}
    if stored is not None:
        item = {k: v for k, v in stored.items() if k in model.model_fields}
        item["version"] = stored["version"]
    item["id"] = row.get("id", "")
    return item


def _cell(item: dict[str, Any], row: dict[str, str], field: str) -> None:
    """A text cell: its value, or (empty) the field cleared; no column, kept."""
    if field in row:
        if row[field]:
            item[field] = row[field]
        else:
            item.pop(field, None)


@dataclass(frozen=True)
class Import:
    table: spreadsheet.Table
    item: Callable[[dict[str, str], dict[str, Any] | None], dict[str, Any]]
    # a problem's field as the file's column (a field path → the column's field)
    columns: dict[str, str]


IMPORTS = {
    "candidates": Import(spreadsheet.CANDIDATES, _candidate_item, {}),
    "placements": Import(
        spreadsheet.PLACEMENTS,
        _placement_item,
        {"requirements.min_level": "min_level", "requirements.skills": "required_skills"},
    ),
}


@router.get("/rounds/{rid}/{kind}/template.xlsx")
async def import_template(rid: str, kind: str) -> Response:
    """The file's template, its headers in the reader's language."""
    if kind not in IMPORTS:
        return _back(f"/ui/rounds/{seg(rid)}", error=_("no such form"))
    table = IMPORTS[kind].table
    which = 1 if i18n.current().startswith("zh") else 0
    return Response(
        spreadsheet.template(table, i18n.current()),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=attachment(f"{table.name[which]}-{_('template')}.xlsx"),
    )


@router.post("/rounds/{rid}/{kind}/preview", response_class=HTMLResponse)
async def preview_import(
    request: Request, rid: str, kind: str, file: UploadFile, csrf: str = Form(...)
) -> Response:
    """Step one of an import: the file read (api.spreadsheet) and checked by
    the API without storing anything; the page shows what was understood and
    every problem by row and column."""
    token = await _check_csrf(request, csrf)
    back = f"/ui/rounds/{seg(rid)}"
    if kind not in IMPORTS:
        return _back(back, error=_("no such form"))
    how = IMPORTS[kind]
    name = file.filename or _("the file")
    try:
        sheet = spreadsheet.read(await file.read(), name, how.table)
    except spreadsheet.FileProblem as exc:
        return _back(back, error=_("nothing imported: %(why)s", why=exc))
    stored = await by_ids(
        request, f"/rounds/{seg(rid)}/{kind}", [row.get("id", "") for row in sheet.rows]
    )
    items = [how.item(row, stored.get(row.get("id", ""))) for row in sheet.rows]
    answer = await api(
        request,
        "POST",
        f"/rounds/{seg(rid)}/{kind}",
        token,
        json={kind: items},
        params={"dry_run": "true"},
    )
    me = (await api(request, "GET", "/me")).json()
    headers = {field: header for header, field in sheet.columns.items()}
    return _page(
        request,
        "import_preview.html",
        me=me,
        rid=rid,
        kind=kind,
        filename=name,
        sheet=sheet,
        items=items,
        counts=answer.json() if answer.is_success else None,
        problems=[] if answer.is_success else _row_problems(answer, kind, items, headers),
        payload=json.dumps({kind: items}, ensure_ascii=False, separators=(",", ":")),
    )


@router.post("/rounds/{rid}/{kind}/import")
async def confirm_import(request: Request, rid: str, kind: str) -> Response:
    """Step two: the previewed rows stored in one transaction, all or none
    (checked again: a record changed since the preview is refused, 412). The
    form carries the previewed rows, a field larger than a form's usual 1 MB:
    read here up to the service's body limit."""
    form = await big_form(request)
    csrf, payload = form.get("csrf"), form.get("payload")
    if not isinstance(csrf, str) or not isinstance(payload, str):
        return _back(
            f"/ui/rounds/{seg(rid)}", error=_("the preview is not readable; upload the file again")
        )
    token = await _check_csrf(request, csrf)
    back = f"/ui/rounds/{seg(rid)}"
    if kind not in IMPORTS:
        return _back(back, error=_("no such form"))
    try:
        body = json.loads(payload)
    except ValueError:
        return _back(back, error=_("the preview is not readable; upload the file again"))
    answer = await api(request, "POST", f"/rounds/{seg(rid)}/{kind}", token, json=body)
    if answer.is_error:
        items = body.get(kind) or [] if isinstance(body, dict) else []
        found = _row_problems(answer, kind, items, {})
        return _back(back, error=_("nothing imported") + "\n" + "\n".join(found[:20]))
    done = answer.json()
    return _back(
        back,
        message=_(
            "%(n)s rows imported (%(created)s new, %(changed)s changed, %(unchanged)s unchanged)",
            n=number(done["created"] + done["changed"] + done["unchanged"]),
            created=number(done["created"]),
            changed=number(done["changed"]),
            unchanged=number(done["unchanged"]),
        ),
    )


def _row_problems(
    answer: httpx.Response, kind: str, items: list[dict[str, Any]], headers: dict[str, str]
) -> list[str]:
    """The API's problems with a batch, each named by the file's row (the
    header is row 1) and the column as the file names it, in the reader's
    language."""
    try:
        errors = answer.json().get("errors") or []
    except ValueError:
        errors = []
    if not errors:
        return [problem_text(answer)]
    line = {item.get("id"): n for n, item in enumerate(items, start=2)}
    renamed = IMPORTS[kind].columns
    out = []
    for e in errors:
        where = str(e.get("field", ""))
        message = i18n.problem(str(e.get("message", "")))
        at = re.match(rf"^\['[^']*'\]\.{kind}\.(\d+)\.?([a-z_.]*)", where)
        named = re.match(rf"^{kind}\[('.*')\]\.?([a-z_.]*)", where)
        if at:
            row, field = int(at.group(1)) + 2, at.group(2)
        elif named:
            row, field = line.get(named.group(1)[1:-1], 0), named.group(2)
        else:
            out.append(f"{i18n.field(where)}: {message}")
            continue
        field = renamed.get(field, field.split(".")[0])
        column = headers.get(field) or (i18n.field(field) if field else "")
        out.append(
            _(
                "row %(row)s, column %(column)s: %(problem)s",
                row=row,
                column=column,
                problem=message,
            )
            if column
            else _("row %(row)s: %(problem)s", row=row, problem=message)
        )
    return out


def _texts(**fields: str) -> dict[str, str]:
    """The free-text fields a form filled: trimmed, line breaks as \\n, empty ones left out."""
    out = {}
    for key, text in fields.items():
        cleaned = text.replace("\r\n", "\n").replace("\r", "\n").strip()
        if cleaned:
            out[key] = cleaned
    return out


def _integer(text: str) -> int | str:
    """A number typed in a form, as the API takes it (the API names a bad one)."""
    try:
        return int(text.strip())
    except ValueError:
        return text
