"""Enterprises post, edit and withdraw their placements and rank applicants."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import Session

from api import rankings, review
from api.answers import BatchOut, PlacementOut, ReviewedOut
from api.deps import Actor, AnyRound, CurrentActor, SessionDep, round_for
from api.jsonbody import StrictJsonRoute
from api.listing import ApplicantSort, IdFilter, Ids, Page, PlacementSort, Search, WindowDep
from api.preconditions import check_batch, edit, etag, remove, store_batch
from api.problems import COMMON, documented
from api.rankings import mentioned
from api.rules import check_applicants, check_placement, check_placements
from api.schemas import PathId, PlacementIn, PlacementsIn, RankingIn
from api.storage import NotFound, lists, mapping
from api.storage import repository as repo
from api.storage import tables as t
from api.vocabulary import Action, Role
from matching.model import Level, PlacementKind, Tier

router = APIRouter(
    prefix="/rounds/{round}/placements",
    tags=["enterprises"],
    route_class=StrictJsonRoute,
    responses=COMMON,
)

# the caller's open round, for its enterprises (and, to withdraw, the coordinator)
EnterpriseEdit = Annotated[t.Round, round_for(Role.ENTERPRISE, action=Action.EDIT)]
Withdrawal = Annotated[t.Round, round_for(Role.ENTERPRISE, Role.COORDINATOR, action=Action.EDIT)]


def _own(session: Session, r: t.Round, actor: Actor, pid: str) -> t.Placement:
    """The placement, if the caller may change it: its host, or the coordinator."""
    p = repo.placement(session, r, pid)
    if p is None or (actor.role is not Role.COORDINATOR and p.host != actor.organization):
        raise NotFound(f"placement {pid!r}")
    return p


@router.get("")
def list_placements(
    r: AnyRound,
    actor: CurrentActor,
    session: SessionDep,
    window: WindowDep,
    sort: PlacementSort = "id",
    q: Search = None,
    host: Annotated[IdFilter, Query(description="the host enterprise's id")] = None,
    park: Annotated[IdFilter, Query(description="the park its host is located in")] = None,
    kind: PlacementKind | None = None,
    mentor: IdFilter = None,
    id: Ids = None,
) -> Page[PlacementOut]:
    """A page of placements, each with its number of applicants and its host's
    park, without its ranking (GET one placement for it; `ranked` says whether
    it has one, except to colleges). Coordinators see every placement;
    colleges every placement; an enterprise its own. `q` looks in ids, titles
    and hosts' names."""
    if actor.role is Role.ENTERPRISE:
        if host not in (None, actor.organization):
            return Page.of([], 0, window)
        host = actor.organization
    rows, total = lists.placements(
        session, r, window, sort, q=q, host=host, park=park, kind=kind, mentor=mentor, ids=id
    )
    counts = lists.applicant_counts(session, r, [p.id for p in rows])
    parks = repo.parks(session, r.consortium_id)
    return Page.of(
        [
            PlacementOut.listed(
                p,
                with_ranking=actor.role is not Role.COLLEGE,
                applicants=counts.get(p.id, 0),
                park=parks.get(p.host),
            )
            for p in rows
        ],
        total,
        window,
    )


@router.get("/{item}")
def get_placement(
    r: AnyRound, item: PathId, actor: CurrentActor, session: SessionDep, response: Response
) -> PlacementOut:
    """One placement, with its ETag: its owner and the coordinator see its
    ranking; colleges see it without; other enterprises do not see it."""
    p = repo.placement(session, r, item)
    if p is None or (actor.role is Role.ENTERPRISE and p.host != actor.organization):
        raise NotFound(f"placement {item!r}")
    response.headers["ETag"] = etag(p)
    return PlacementOut.from_row(p, with_ranking=actor.role is not Role.COLLEGE)


@router.get("/{item}/applicants")
def review_applicants(
    r: Annotated[t.Round, round_for(Role.ENTERPRISE, Role.COORDINATOR)],
    item: PathId,
    actor: CurrentActor,
    session: SessionDep,
    window: WindowDep,
    sort: ApplicantSort = "score",
    q: Search = None,
    college: IdFilter = None,
    level: Level | None = None,
    tier: Tier | None = None,
) -> Page[ReviewedOut]:
    """The applicants to one placement as its host reviews them (its host and
    the coordinator): who, with the default score's figures (`score`, the
    engine's order for a placement without a ranking, is `skills_match` +
    `affinity`), whether each is a partner college's and meets the conditions,
    and the saved ranking's `position`. The sorts `score`, `skills`, `partner`
    and `affinity` are the rules an order starts from, best first: those who
    meet the conditions, then by the figure, then by the default score
    (api.rankings.RULES). `q` looks in names and ids."""
    placement = _own(session, r, actor, item)
    text = (q or "").lower()
    wanted = [
        a
        for a in review.review(session, r, placement)
        if college in (None, a["college"], a["institute"])
        and level in (None, a["level"])
        and tier in (None, a["tier"])
        and any(text in (v or "").lower() for v in (a["id"], a["name"]))
    ]
    chosen = rankings.ordered(wanted, sort)[window.offset : window.offset + window.limit]
    return Page.of([ReviewedOut.of(**a) for a in chosen], len(wanted), window)


@router.post("", responses=documented(412, 428))
def save_placements(
    r: EnterpriseEdit,
    body: PlacementsIn,
    actor: CurrentActor,
    session: SessionDep,
    dry_run: bool = Query(False, description="check everything and count, store nothing"),
) -> BatchOut:
    """Post or edit many of the caller's placements at once (a file import):
    all of them or, on any problem, none. A placement already stored names the
    version it was read at (428 without, 412 when stale). With `dry_run` the
    same checks and counts, and nothing stored (a preview)."""
    if len(body.placements) >= repo.MANY:
        repo.unhurried(session)  # a file of thousands is checked whole before it is stored
    stored = {p.id: p for p in repo.placements(session, r, actor.organization)}
    others = repo.existing_ids(session, t.Placement, r, [x.id for x in body.placements])
    check_batch("placement", [(x.id, x.version) for x in body.placements], stored, others)
    for x in body.placements:
        if x.ranking is not None:
            check_applicants(session, r, x.id, x.ranking)
    records = [(x.id, x.stored()) for x in body.placements]
    check_placements(session, r, actor.organization, records)

    def new(pid: str, values: dict[str, Any]) -> t.Placement:
        return t.Placement(
            consortium_id=r.consortium_id,
            round_id=r.id,
            id=pid,
            host=actor.organization,
            version=1,
            **values,
        )

    counts = store_batch(session, "placement", stored, records, new, dry_run=dry_run)
    return BatchOut(created=counts[0], changed=counts[1], unchanged=counts[2])


@router.put("/{item}", responses={201: {"description": "Created"}, **documented(412, 428)})
def put_placement(
    r: EnterpriseEdit,
    item: PathId,
    body: PlacementIn,
    actor: CurrentActor,
    session: SessionDep,
    request: Request,
    response: Response,
) -> PlacementOut:
    """Create (201) or edit (200, with If-Match) one of the caller's placements.
    The body is the whole placement: a field left out is cleared (the pages
    send every field, pre-filled)."""
    values = body.stored()
    p = repo.placement(session, r, item)
    if p is not None:
        p = _own(session, r, actor, item)
    if body.ranking is not None:
        check_applicants(session, r, item, body.ranking)
    check_placement(session, r, item, actor.organization, values)
    if p is None:
        p = t.Placement(
            consortium_id=r.consortium_id,
            round_id=r.id,
            id=item,
            host=actor.organization,
            **values,
        )
        repo.add_versioned(session, [p])
        response.status_code = status.HTTP_201_CREATED
        response.headers["ETag"] = etag(p)
    else:
        edit(session, request, response, p, values, f"placement {item!r}")
    return PlacementOut.from_row(p, with_ranking=True)


@router.delete("/{item}", status_code=status.HTTP_204_NO_CONTENT, responses=documented(412, 428))
def withdraw_placement(
    r: Withdrawal, item: PathId, actor: CurrentActor, session: SessionDep, request: Request
) -> None:
    """Withdraw a placement (its host, or the coordinator), with If-Match."""
    remove(session, request, _own(session, r, actor, item), f"placement {item!r}")


@router.put("/{item}/ranking", responses=documented(412, 428))
def rank_applicants(
    r: EnterpriseEdit,
    item: PathId,
    body: RankingIn,
    actor: CurrentActor,
    session: SessionDep,
    request: Request,
    response: Response,
) -> PlacementOut:
    """Order the applicants (an edit of the placement: If-Match required). Only
    candidates who applied to the placement may be ranked (or left out)."""
    p = _own(session, r, actor, item)
    check_applicants(session, r, item, [*body.ranking, *body.left_out])
    ranking = body.ranking
    if body.then is not None:
        named = set(mentioned(ranking)) | set(body.left_out)
        rest = [a for a in review.review(session, r, p) if a["id"] not in named]
        after = rankings.arranged(rest, body.then, p.ranking)
        ranking = ranking + rankings.ranked(
            [a["id"] for a, _tie in after], {a["id"] for a, tie in after if tie}
        )
    check_placement(
        session, r, item, p.host, {**mapping.record(p, mapping.PLACEMENT), "ranking": ranking}
    )
    edit(session, request, response, p, {"ranking": ranking}, f"placement {item!r}")
    return PlacementOut.from_row(p, with_ranking=True)
