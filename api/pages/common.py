"""What every page shares: the in-process client of the API, the session
cookie and its CSRF token, redirects that carry a message or a problem."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from api import i18n, words
from api.i18n import _
from matching.base import MechanismName
from matching.model import CandidateKind, Level, PlacementKind, Tier

COOKIE = "placement_session"
REASON_FIELDS = ("placement", "reason", "cutoff", "rule", "mentor", "policy", "gain")
templates = Jinja2Templates(directory=Path(__file__).parents[1] / "templates")
i18n.install(templates.env)
templates.env.filters["term"] = words.term
templates.env.filters["status"] = words.status
templates.env.globals["reason"] = words.reason
templates.env.filters["colname"] = i18n.field


async def _locale(request: Request) -> None:
    """Every page in its reader's language (awaited in the request's own context)."""
    i18n.use(i18n.choose(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")))


router = APIRouter(prefix="/ui", include_in_schema=False, dependencies=[Depends(_locale)])
# the options of every form, from the engine's own vocabularies
VOCABULARIES = {
    "mechanism": [m.value for m in MechanismName],
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


async def consortium(request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    """The consortium graph, and each organization's name by its id."""
    graph: dict[str, Any] = (await api(request, "GET", "/graph")).json()
    return graph, {o["id"]: o["name"] for o in graph["organizations"] if o.get("name")}


async def placement_titles(request: Request, rid: str) -> dict[str, str]:
    """Each placement of round `rid` that has a title, by its id."""
    listed = await api(request, "GET", f"/rounds/{seg(rid)}/placements")
    if listed.is_error:
        return {}
    return {p["id"]: p["title"] for p in listed.json() if p.get("title")}


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
    return RedirectResponse(path + ("?" + query if query else ""), status_code=303)


def _after(rid: str, answer: httpx.Response, message: str) -> RedirectResponse:
    """Back to the round's page with the API's problem, or with `message`."""
    path = f"/ui/rounds/{seg(rid)}"
    if answer.is_error:
        return _back(path, error=problem_text(answer))
    return _back(path, message=message)
