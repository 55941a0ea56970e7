"""The lists people work through at any size, each a page of the API's list
with a search box, filters, sortable columns and pages: candidates,
placements and organizations (the coordinator); a run's outcomes and its
unplaced; the published results a college or an enterprise may read; two runs
compared, with who moved and the net change per park, college, kind and tier."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.i18n import _
from api.pages.common import (
    SHOWN,
    _back,
    _page,
    api,
    listing,
    mentioned_places,
    names_for,
    organizations_of,
    placement_titles,
    problem_text,
    router,
    seg,
)
from api.words import sayer, term
from matching import charts
from matching.model import CandidateKind, Level, OrgKind, PlacementKind, Tier

Options = list[tuple[str, str]]


def words(values: Any) -> Options:
    """A vocabulary's values as a filter's options, each with its word."""
    return [(v.value, term(v.value)) for v in values]


def yes_no() -> Options:
    return [("true", _("yes")), ("false", _("no"))]


def candidate_filters(r: dict[str, Any]) -> list[tuple[str, str, Options]]:
    """What a list of a round's candidates is filtered by (after publication,
    whether each was placed too)."""
    filters = [
        ("kind", _("kind"), words(CandidateKind)),
        ("tier", _("tier"), words(Tier)),
        ("level", _("level"), words(Level)),
        ("preferences", _("has preferences"), yes_no()),
    ]
    if r["state"] == "published":
        filters.append(("placed", _("placed"), yes_no()))
    return filters


async def round_and_me(
    request: Request, rid: str
) -> tuple[dict[str, Any], dict[str, Any]] | Response:
    """The caller and the round (back home with the API's problem if it is not theirs)."""
    me = (await api(request, "GET", "/me")).json()
    answer = await api(request, "GET", f"/rounds/{seg(rid)}")
    if answer.is_error:
        return _back("/ui", error=problem_text(answer))
    return me, answer.json()


# ------------------------------------------------------------ coordinator


@router.get("/rounds/{rid}/candidates", response_class=HTMLResponse)
async def candidates(request: Request, rid: str) -> Response:
    """Every candidate of the round (the coordinator), found by name, number
    or id, filtered by college, kind, tier, level, preferences and (after
    publication) placement."""
    found = await round_and_me(request, rid)
    if isinstance(found, Response):
        return found
    me, r = found
    colleges = await organizations_of(request, "college", "institute")
    filters = [("college", _("college or institute"), colleges), *candidate_filters(r)]
    rows = await listing(
        request,
        f"/rounds/{seg(r['id'])}/candidates",
        filters=[f[0] for f in filters],
        sort="name",
    )
    return _page(
        request,
        "list_candidates.html",
        me=me,
        r=r,
        rows=rows,
        filters=filters,
        org_names=dict(colleges),
        titles=await placement_titles(
            request, r["id"], mentioned_places(rows.items, "preferences", first=SHOWN)
        ),
    )


@router.get("/rounds/{rid}/placements", response_class=HTMLResponse)
async def placements(request: Request, rid: str) -> Response:
    """Every placement of the round (the coordinator; a college chooses from
    the same list on a candidate's page): by title, host, park, kind."""
    found = await round_and_me(request, rid)
    if isinstance(found, Response):
        return found
    me, r = found
    filters = [
        ("park", _("park"), await organizations_of(request, "park")),
        ("kind", _("kind"), words(PlacementKind)),
    ]
    rows = await listing(
        request, f"/rounds/{seg(r['id'])}/placements", filters=[f[0] for f in filters], sort="title"
    )
    names = await names_for(request, rows.items)
    return _page(
        request, "list_placements.html", me=me, r=r, rows=rows, filters=filters, org_names=names
    )


@router.get("/organizations", response_class=HTMLResponse)
async def organizations(request: Request) -> Response:
    """The consortium's members: government, parks, enterprises, colleges,
    institutes, studios."""
    me = (await api(request, "GET", "/me")).json()
    parks = await organizations_of(request, "park")
    filters = [("kind", _("kind"), words(OrgKind)), ("park", _("park"), parks)]
    rows = await listing(request, "/organizations", filters=[f[0] for f in filters], sort="name")
    return _page(
        request, "list_organizations.html", me=me, rows=rows, filters=filters, org_names=dict(parks)
    )


OUTCOME_FILTERS = ("college", "park", "kind", "tier", "placed")


@router.get("/rounds/{rid}/runs/{run}/assignments", response_class=HTMLResponse)
async def run_outcomes(request: Request, rid: str, run: str) -> Response:
    """Every candidate's outcome in one run (the coordinator): where placed,
    at which choice, and why not each better one; `placed=false` lists the
    unplaced, all of them, each with its reasons."""
    found = await round_and_me(request, rid)
    if isinstance(found, Response):
        return found
    me, r = found
    filters = await _outcome_filters(request, with_college=True)
    rows = await listing(
        request,
        f"/rounds/{seg(r['id'])}/runs/{seg(run)}/assignments",
        filters=[f[0] for f in filters],
        sort="name",
    )
    return _page(
        request,
        "list_outcomes.html",
        me=me,
        r=r,
        run=run,
        rows=rows,
        filters=filters,
        org_names=await names_for(request, rows.items),
        titles=await placement_titles(request, r["id"], mentioned_places(rows.items)),
    )


async def _outcome_filters(
    request: Request, *, with_college: bool
) -> list[tuple[str, str, Options]]:
    filters = [
        ("park", _("park"), await organizations_of(request, "park")),
        ("kind", _("kind"), words(CandidateKind)),
        ("tier", _("tier"), words(Tier)),
        ("placed", _("placed"), yes_no()),
    ]
    if with_college:
        colleges = await organizations_of(request, "college", "institute")
        filters.insert(0, ("college", _("college or institute"), colleges))
    return filters


@router.get("/rounds/{rid}/results", response_class=HTMLResponse)
async def results(request: Request, rid: str) -> Response:
    """The published result: a college's candidates with their reasons, an
    enterprise's people coming, the coordinator's whole run."""
    found = await round_and_me(request, rid)
    if isinstance(found, Response):
        return found
    me, r = found
    if me["role"] == "coordinator" and r.get("published_run"):
        return _back(f"/ui/rounds/{seg(r['id'])}/runs/{seg(r['published_run'])}/assignments")
    filters = await _outcome_filters(request, with_college=False)
    if me["role"] == "enterprise":
        filters = filters[1:3]  # kind and tier: everyone listed is coming
    rows = await listing(
        request,
        f"/rounds/{seg(r['id'])}/assignments",
        filters=[f[0] for f in filters],
        sort="name",
    )
    wanted = mentioned_places(rows.items) | {x["placement"] for x in rows.items if x["placement"]}
    return _page(
        request,
        "list_results.html",
        me=me,
        r=r,
        rows=rows,
        filters=filters,
        org_names=await names_for(request, rows.items),
        titles=await placement_titles(request, r["id"], wanted),
    )


# ------------------------------------------------------------ two runs


@router.get("/rounds/{rid}/compare", response_class=HTMLResponse)
async def compare(request: Request, rid: str, a: str = "", b: str = "") -> Response:
    """Two runs side by side: their figures, the net change per park,
    college, kind and tier (a table and a chart), and who moves, paged and
    filtered by college and park."""
    found = await round_and_me(request, rid)
    if isinstance(found, Response):
        return found
    me, r = found
    base = f"/rounds/{seg(r['id'])}"
    both = {"runs": f"{a},{b}"}
    summary = await api(request, "GET", f"{base}/compare", params=both)
    if summary.is_error:
        return _back(f"/ui{base}", error=problem_text(summary))
    changed = (await api(request, "GET", f"{base}/compare/changes", params=both)).json()
    filters = [
        (
            "college",
            _("college or institute"),
            await organizations_of(request, "college", "institute"),
        ),
        ("park", _("park"), await organizations_of(request, "park")),
        ("kind", _("kind"), words(CandidateKind)),
        ("tier", _("tier"), words(Tier)),
    ]
    moves = await listing(
        request,
        f"{base}/compare/moves",
        filters=[f[0] for f in filters],
        sort="name",
        fixed=both,
    )
    moves.query |= {"a": a, "b": b}  # the pages' links keep the two runs
    runs = summary.json()["runs"]
    names = {x["key"]: x["name"] for group in CHANGES for x in changed[group] if x.get("name")}
    say = sayer(names)
    labels = [f"{term(x['mechanism'])} {x['run'][:8]}" for x in runs]
    return _page(
        request,
        "compare.html",
        me=me,
        r=r,
        runs=runs,
        changes=changed,
        moves=moves,
        filters=filters,
        org_names=names,
        svg=charts.compare_bars(
            [(n, {"metrics": x}) for n, x in zip(labels, runs, strict=True)], say
        ),
        change_svg={
            group: charts.change_bars(
                {(x["key"] or "none"): x["change"] for x in changed[group]}, title, say
            )
            for group, title in CHANGES.items()
            if changed[group]
        },
    )


CHANGES = {
    "park": "Net change of placed by park",
    "college": "Net change of placed by college or institute",
    "kind": "Net change of placed by kind",
    "tier": "Net change of placed by tier",
}  # their words: api.words.CHART_WORDS
