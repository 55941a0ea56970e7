"""Colleges and institutes register their candidates and preferences."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import Session

from api.answers import ApplicantOut, BatchOut, CandidateOut
from api.deps import Actor, AnyRound, CurrentActor, SessionDep, round_for
from api.jsonbody import StrictJsonRoute
from api.listing import CandidateSort, IdFilter, Ids, Page, Search, WindowDep
from api.preconditions import check_batch, edit, etag, remove, store_batch
from api.problems import COMMON, conflict, documented, invalid
from api.rules import check_candidates
from api.schemas import CandidateIn, CandidatesIn, PathId
from api.storage import NotFound, lists
from api.storage import repository as repo
from api.storage import tables as t
from api.vocabulary import Action, Role, RoundState
from matching.model import CandidateKind, Level, Tier

router = APIRouter(
    prefix="/rounds/{round}/candidates",
    tags=["colleges"],
    route_class=StrictJsonRoute,
    responses=COMMON,
)

CollegeEdit = Annotated[t.Round, round_for(Role.COLLEGE, action=Action.EDIT)]
Withdrawal = Annotated[t.Round, round_for(Role.COLLEGE, Role.COORDINATOR, action=Action.EDIT)]


def _own(session: Session, r: t.Round, actor: Actor, cid: str) -> t.Candidate:
    """The candidate, if the caller may see and change it: its college or
    institute, or the coordinator (404 otherwise, as for an unknown id)."""
    c = repo.candidate(session, r, cid)
    if c is None or (
        actor.role is not Role.COORDINATOR and actor.organization not in (c.college, c.institute)
    ):
        raise NotFound(f"candidate {cid!r}")
    return c


def _affiliation(actor: Actor) -> dict[str, str | None]:
    """A new candidate belongs to the college or institute registering it."""
    return {
        "college": actor.organization if actor.kind == "college" else None,
        "institute": actor.organization if actor.kind == "institute" else None,
    }


@router.get("", responses=documented(409))
def list_candidates(
    r: AnyRound,
    actor: CurrentActor,
    session: SessionDep,
    window: WindowDep,
    sort: CandidateSort = "id",
    q: Search = None,
    college: Annotated[IdFilter, Query(description="a college's or institute's id")] = None,
    kind: CandidateKind | None = None,
    tier: Tier | None = None,
    level: Level | None = None,
    preferences: Annotated[
        bool | None, Query(description="true: listed at least one placement; false: none")
    ] = None,
    applied_to: Annotated[IdFilter, Query(description="listed this placement")] = None,
    id: Ids = None,
    placed: Annotated[
        bool | None,
        Query(
            description="placed by the published result (a published round; not for enterprises)"
        ),
    ] = None,
) -> Page[CandidateOut] | Page[ApplicantOut]:
    """A page of candidates. Coordinators see every candidate; a college or
    institute its own; an enterprise the candidates who applied to its
    placements, as applicants (without their number or preferences)."""
    if placed is not None:
        if actor.role is Role.ENTERPRISE:
            raise invalid(
                [{"field": "placed", "message": "an enterprise sees who is coming in /assignments"}]
            )
        if r.state != RoundState.PUBLISHED or r.published_run is None:
            raise conflict(f"round {r.id!r} has no published result yet: placed is not known")
    mine: set[str] = set()
    if actor.role is Role.ENTERPRISE:
        mine = {p.id for p in repo.placements(session, r, actor.organization)}
        if applied_to is not None and applied_to not in mine:
            return Page.of([], 0, window)  # whoever applied elsewhere is not theirs to know
    scope = lists.CandidateScope(
        affiliation=actor.organization if actor.role is Role.COLLEGE else None,
        host=actor.organization if actor.role is Role.ENTERPRISE else None,
    )
    rows, total = lists.candidates(
        session,
        r,
        window,
        sort,
        scope,
        q=q,
        college=college,
        kind=kind,
        tier=tier,
        level=level,
        preferences=preferences,
        applied_to=applied_to,
        placed=placed,
        ids=id,
    )
    if actor.role is Role.ENTERPRISE:
        return Page.of([ApplicantOut.from_row(c, mine) for c in rows], total, window)
    return Page.of([CandidateOut.from_row(c) for c in rows], total, window)


@router.post("", responses=documented(412, 428))
def save_candidates(
    r: CollegeEdit,
    body: CandidatesIn,
    actor: CurrentActor,
    session: SessionDep,
    dry_run: bool = Query(False, description="check everything and count, store nothing"),
) -> BatchOut:
    """Register or edit many of the caller's candidates at once (a file
    import): all of them or, on any problem, none. A candidate already stored
    names the version it was read at (428 without, 412 when stale). With
    `dry_run` the same checks and counts, and nothing stored (a preview)."""
    if len(body.candidates) >= repo.MANY:
        repo.unhurried(session)  # a file of thousands is checked whole before it is stored
    stored = {c.id: c for c in repo.candidates(session, r, actor.organization)}
    others = repo.existing_ids(session, t.Candidate, r, [x.id for x in body.candidates])
    check_batch("candidate", [(x.id, x.version) for x in body.candidates], stored, others)
    records = []
    for x in body.candidates:
        c = stored.get(x.id)
        affiliation = (
            _affiliation(actor) if c is None else {"college": c.college, "institute": c.institute}
        )
        records.append((x.id, affiliation, x.stored()))
    check_candidates(session, r, records)
    affiliations = {cid: affiliation for cid, affiliation, _ in records}

    def new(cid: str, values: dict[str, Any]) -> t.Candidate:
        return t.Candidate(
            consortium_id=r.consortium_id,
            round_id=r.id,
            id=cid,
            version=1,
            **affiliations[cid],
            **values,
        )

    counts = store_batch(
        session,
        "candidate",
        stored,
        [(cid, values) for cid, _, values in records],
        new,
        dry_run=dry_run,
    )
    return BatchOut(created=counts[0], changed=counts[1], unchanged=counts[2])


@router.get("/{item}")
def get_candidate(
    r: Annotated[t.Round, round_for(Role.COLLEGE, Role.COORDINATOR)],
    item: PathId,
    actor: CurrentActor,
    session: SessionDep,
    response: Response,
) -> CandidateOut:
    """One candidate, with its ETag: its college or institute and the coordinator."""
    c = _own(session, r, actor, item)
    response.headers["ETag"] = etag(c)
    return CandidateOut.from_row(c)


@router.put("/{item}", responses={201: {"description": "Created"}, **documented(412, 428)})
def put_candidate(
    r: CollegeEdit,
    item: PathId,
    body: CandidateIn,
    actor: CurrentActor,
    session: SessionDep,
    request: Request,
    response: Response,
) -> CandidateOut:
    """Register (201) or edit (200, with If-Match) one of the caller's
    candidates. The body is the whole candidate: a field left out is cleared."""
    values = body.stored()
    c = repo.candidate(session, r, item)
    if c is not None:
        c = _own(session, r, actor, item)
    affiliation = (
        _affiliation(actor) if c is None else {"college": c.college, "institute": c.institute}
    )
    check_candidates(session, r, [(item, affiliation, values)])
    if c is None:
        c = t.Candidate(
            consortium_id=r.consortium_id,
            round_id=r.id,
            id=item,
            version=1,
            **affiliation,
            **values,
        )
        repo.add_versioned(session, [c])
        response.status_code = status.HTTP_201_CREATED
        response.headers["ETag"] = etag(c)
    else:
        edit(session, request, response, c, values, f"candidate {item!r}")
    return CandidateOut.from_row(c)


@router.delete("/{item}", status_code=status.HTTP_204_NO_CONTENT, responses=documented(412, 428))
def delete_candidate(
    r: Withdrawal, item: PathId, actor: CurrentActor, session: SessionDep, request: Request
) -> None:
    """Withdraw a candidate (its college or institute, or the coordinator), with If-Match."""
    remove(session, request, _own(session, r, actor, item), f"candidate {item!r}")
