"""What every page shares: the in-process client of the API, the session
cookie and its CSRF token, redirects that carry a message or a problem."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from api import i18n, words
from api.collation import sort_key
from api.i18n import _
from matching.base import MechanismName, Solver
from matching.model import CandidateKind, Level, PlacementKind, Stability, Tier

COOKIE = "placement_session"
REASON_FIELDS = ("placement", "reason", "cutoff", "rule", "mentor", "policy", "gain")
templates = Jinja2Templates(directory=Path(__file__).parents[1] / "templates")
i18n.install(templates.env)
templates.env.filters["term"] = words.term
templates.env.filters["status"] = words.status
templates.env.filters["operation"] = words.operation
templates.env.globals["reason"] = words.reason
templates.env.filters["colname"] = i18n.field


async def _locale(request: Request) -> None:
    """Every page in its reader's language (awaited in the request's own context)."""
    i18n.use(i18n.choose(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")))


router = APIRouter(prefix="/ui", include_in_schema=False, dependencies=[Depends(_locale)])
# the options of every form, from the engine's own vocabularies
VOCABULARIES = {
    "mechanism": [m.value for m in MechanismName],
    "stability": [s.value for s in Stability],
    "solver": [s.value for s in Solver],
    "placement_kind": [k.value for k in PlacementKind],
    "candidate_kind": [k.value for k in CandidateKind],
    "tier": [k.value for k in Tier],
    "level": [k.value for k in Level],
}


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
    request: Request,
    method: str,
    path: str,
    token: str | None = None,
    anonymous: bool = False,
    **kw: Any,
) -> httpx.Response:
    """Call the service's own API in process, as the person signed in (their
    session, from the cookie), or `anonymous`ly (signing in)."""
    headers = {} if anonymous else {"Authorization": f"Bearer {token or _token(request)}"}
    headers |= kw.pop("headers", {})
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pages") as client:
        answer = await client.request(method, path, headers=headers, **kw)
    if answer.status_code == 401 and not anonymous:
        raise SignIn
    return answer


async def everything(
    request: Request, path: str, params: dict[str, Any] | None = None, at_most: int | None = None
) -> list[dict[str, Any]] | httpx.Response:
    """Every row of an API list (or its first `at_most`), page after page (a
    download, a page's own lookups), or the API's problem."""
    rows: list[dict[str, Any]] = []
    while at_most is None or len(rows) < at_most:
        answer = await api(
            request, "GET", path, params={**(params or {}), "limit": 200, "offset": len(rows)}
        )
        if answer.is_error:
            return answer
        page = answer.json()
        rows += page["items"]
        if not page["items"] or len(rows) >= page["total"]:
            break
    return rows[:at_most]


async def by_ids(request: Request, path: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The rows of an API list (placements, candidates) with these ids that
    the caller may see, by id."""
    wanted = sorted({i for i in ids if 0 < len(i) <= 200})  # no longer id names anything
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 200):
        listed = await api(
            request, "GET", path, params={"id": wanted[start : start + 200], "limit": 200}
        )
        if listed.is_error:
            break
        found |= {x["id"]: x for x in listed.json()["items"]}
    return found


ORG_FIELDS = ("college", "institute", "host", "park", "affiliation", "key")


async def names_for(
    request: Request, rows: Iterable[dict[str, Any]] = (), extra: Iterable[str] = ()
) -> dict[str, str]:
    """The name of each organization these rows name (a college, a host, a
    park, a reasons' mentor) and of `extra`, by id: the few a page shows, not
    the whole consortium."""
    ids = set(extra)
    for row in rows:
        ids.update(str(row[f]) for f in ORG_FIELDS if row.get(f))
        ids.update(str(e["mentor"]) for e in row.get("explanations") or [] if e.get("mentor"))
    found = await by_ids(request, "/organizations", ids)
    return {ident: o["name"] for ident, o in found.items() if o.get("name")}


async def organizations_of(request: Request, *kinds: str) -> list[tuple[str, str]]:
    """The consortium's organizations of these kinds as a filter's options
    (id, name), by name."""
    out: list[tuple[str, str]] = []
    for kind in kinds:
        rows = await everything(request, "/organizations", {"kind": kind, "sort": "name"})
        if not isinstance(rows, httpx.Response):
            out += [(o["id"], o.get("name") or o["id"]) for o in rows]
    return sorted(out, key=lambda x: sort_key(x[1]) or "")


async def placement_titles(request: Request, rid: str, ids: Iterable[str]) -> dict[str, str]:
    """The title of each of these placements of round `rid` that has one."""
    found = await by_ids(request, f"/rounds/{seg(rid)}/placements", ids)
    return {pid: p["title"] for pid, p in found.items() if p.get("title")}


def mentioned_places(
    rows: Iterable[dict[str, Any]], key: str = "explanations", first: int | None = None
) -> set[str]:
    """The placements named by these rows' reasons (or preference lists; of
    each, its `first` items)."""
    out: set[str] = set()
    for row in rows:
        for item in (row.get(key) or [])[:first]:
            if isinstance(item, dict):
                out.add(item["placement"])
            else:
                out.update(item if isinstance(item, list) else [item])
    return out


# ------------------------------------------------------------------ lists
#
# A list page keeps its state in its query string (q, the filters, sort, page):
# a link to it is the list as its reader left it. It asks the API for one page.

PER_PAGE = 50
SHOWN = 5  # a list shows a candidate's first choices (templates/_preferences.html)


@dataclass
class Listing:
    """One page of an API list as a page shows it: its rows, the query string
    that chose them, and the links to other pages and sort orders."""

    path: str
    query: dict[str, str]
    items: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    offset: int = 0
    limit: int = PER_PAGE
    sort: str = ""  # the order shown (the reader's, else the list's default)
    error: str | None = None

    def href(self, **changes: str | int | None) -> str:
        """This list with some parameters changed (None: removed); a change of
        anything but the page starts again at page 1."""
        query = dict(self.query)
        if "page" not in changes:
            query.pop("page", None)
        for key, value in changes.items():
            if value is None or value == "":
                query.pop(key, None)
            else:
                query[key] = str(value)
        return self.path + ("?" + urlencode(query) if query else "")

    def sort_href(self, key: str) -> str:
        return self.href(sort=f"-{key}" if self.sort == key else key)

    def mark(self, key: str) -> str:
        return " ▲" if self.sort == key else " ▼" if self.sort == f"-{key}" else ""

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))

    @property
    def first(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.offset + len(self.items), self.total)


async def listing(
    request: Request,
    api_path: str,
    *,
    filters: Iterable[str] = (),
    sort: str,
    fixed: dict[str, Any] | None = None,
    per_page: int = PER_PAGE,
) -> Listing:
    """The page of an API list that this page's query string asks for: `q`,
    the named `filters`, `sort` (else the default given), `page`; `fixed`
    parameters always sent (not the reader's to change)."""
    asked = request.query_params
    query = {k: asked[k] for k in ("q", "sort", "page", *filters) if asked.get(k)}
    try:
        page = max(1, int(query.get("page", "1")))
    except ValueError:
        page = 1
    params: dict[str, Any] = {k: v for k, v in query.items() if k != "page"}
    params.setdefault("sort", sort)
    params.update(fixed or {})
    params.update(limit=per_page, offset=(page - 1) * per_page)
    found = Listing(
        request.url.path, query, offset=(page - 1) * per_page, limit=per_page, sort=params["sort"]
    )
    answer = await api(request, "GET", api_path, params=params)
    if answer.is_error:
        found.error = problem_text(answer)
        return found
    body = answer.json()
    found.items, found.total = body["items"], body["total"]
    return found


def problem_text(answer: httpx.Response) -> str:
    """The API's problem in the reader's language, each field and id kept."""
    try:
        body = answer.json()
    except ValueError:
        return f"{answer.status_code} {answer.reason_phrase}"
    text = i18n.problem(str(body.get("detail", answer.reason_phrase)))
    for error in body.get("errors") or []:
        where = i18n.field(str(error.get("field", "")))
        text += f"; {where}: {i18n.problem(str(error.get('message', '')))}"
    return text


async def big_form(request: Request) -> FormData:
    """A form larger than Starlette's defaults allow (a thousand fields, 1 MB
    a field): a ranking of thousands of rows, a previewed file. The service's
    body limit still bounds it."""
    limit = request.app.state.settings.max_body_bytes
    return await request.form(max_fields=limit // 8, max_part_size=limit)


async def _check_csrf(request: Request, csrf: str) -> str:
    token = _token(request)
    if not hmac.compare_digest(csrf, csrf_token(token)):
        raise HTTPException(403, _("the form is stale or not from this site; reload the page"))
    return token


def _page(request: Request, name: str, **context: Any) -> HTMLResponse:
    token = request.cookies.get(COOKIE)
    context.setdefault("csrf", csrf_token(token) if token else "")
    context.setdefault("vocab", VOCABULARIES)
    context.setdefault("titles", {})
    context.setdefault("org_names", {})
    return templates.TemplateResponse(request, name, context)


def _back(path: str, message: str | None = None, error: str | None = None) -> RedirectResponse:
    query = "&".join(
        f"{key}={quote(value)}" for key, value in (("msg", message), ("err", error)) if value
    )
    joined = "&" if "?" in path else "?"
    return RedirectResponse(path + (joined + query if query else ""), status_code=303)


def _after(rid: str, answer: httpx.Response, message: str) -> RedirectResponse:
    """Back to the round's page with the API's problem, or with `message`."""
    path = f"/ui/rounds/{seg(rid)}"
    if answer.is_error:
        return _back(path, error=problem_text(answer))
    return _back(path, message=message)
