"""Colleges and institutes register their candidates and preferences."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import Session

from api.answers import ApplicantOut, BatchOut, CandidateOut
from api.deps import Actor, AnyRound, CurrentActor, SessionDep, round_for
from api.jsonbody import StrictJsonRoute
from api.preconditions import check_batch, edit, etag, remove, store_batch
from api.problems import COMMON, documented
from api.rules import check_candidates
from api.schemas import CandidateIn, CandidatesIn, PathId
from api.storage import NotFound
from api.storage import repository as repo
from api.storage import tables as t
from api.vocabulary import Action, Role

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


@router.get("")
def list_candidates(
    r: AnyRound, actor: CurrentActor, session: SessionDep
) -> list[CandidateOut] | list[ApplicantOut]:
    """Coordinators see every candidate; a college or institute its own; an
    enterprise the candidates who applied to its placements, without their
    preferences."""
    match actor.role:
        case Role.COLLEGE:
            return [
                CandidateOut.from_row(c) for c in repo.candidates(session, r, actor.organization)
            ]
        case Role.COORDINATOR:
            return [CandidateOut.from_row(c) for c in repo.candidates(session, r)]
        case Role.ENTERPRISE:
            mine = {p.id for p in repo.placements(session, r, actor.organization)}
            out = [ApplicantOut.from_row(c, mine) for c in repo.candidates(session, r)]
            return [c for c in out if c.applied_to]


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
        session.add(c)
        session.flush()
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
