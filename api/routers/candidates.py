"""Colleges and institutes register their candidates and preferences."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from api.deps import Actor, CurrentActor, SessionDep, require
from api.jsonbody import StrictJsonRoute
from api.preconditions import edit, etag, remove
from api.problems import COMMON, Problem, conflict, documented, not_found
from api.rules import check_candidates
from api.schemas import CandidateIn, CandidatesIn, PathId
from api.storage import repository as repo
from api.storage import tables as t

router = APIRouter(
    prefix="/rounds/{round}/candidates",
    tags=["colleges"],
    route_class=StrictJsonRoute,
    responses=COMMON,
)


def candidate_out(c: t.Candidate) -> dict[str, Any]:
    out = {
        "id": c.id,
        "kind": c.kind,
        "college": c.college,
        "institute": c.institute,
        "tier": c.tier,
        "level": c.level,
        "skills": c.skills,
        "preferences": c.preferences,
        "version": c.version,
    }
    return {k: v for k, v in out.items() if v is not None}


def applicant_out(c: t.Candidate, mine: set[str]) -> dict[str, Any]:
    """What an enterprise sees of an applicant: who, and which of its placements."""
    out = candidate_out(c)
    del out["preferences"], out["version"]
    out["applied_to"] = [
        p
        for item in c.preferences
        for p in (item if isinstance(item, list) else [item])
        if p in mine
    ]
    return out


@router.get("")
def list_candidates(
    round: PathId, actor: CurrentActor, session: SessionDep
) -> list[dict[str, Any]]:
    """Coordinators see every candidate; a college or institute its own; an
    enterprise the candidates who applied to its placements."""
    r = repo.get_round(session, actor.consortium, round)
    if actor.role == "college":
        return [candidate_out(c) for c in repo.candidates(session, r, actor.organization)]
    if actor.role == "coordinator":
        return [candidate_out(c) for c in repo.candidates(session, r)]
    mine = {p.id for p in repo.placements(session, r, actor.organization)}
    out = [applicant_out(c, mine) for c in repo.candidates(session, r)]
    return [c for c in out if c["applied_to"]]


@router.get("/{item}")
def get_candidate(
    round: PathId, item: PathId, actor: CurrentActor, session: SessionDep, response: Response
) -> dict[str, Any]:
    """One candidate, with its ETag: its college or institute and the coordinator."""
    r = repo.get_round(session, actor.consortium, round)
    require(actor, "college", "coordinator")
    c = _own(session, r, actor, item)
    response.headers["ETag"] = etag(c)
    return candidate_out(c)


def _own(session: Session, r: t.Round, actor: Actor, cid: str) -> t.Candidate:
    """The candidate, if the caller may see and change it: its college or
    institute, or the coordinator (404 otherwise, as for an unknown id)."""
    c = repo.candidate(session, r, cid)
    if c is None or (
        actor.role != "coordinator" and actor.organization not in (c.college, c.institute)
    ):
        raise not_found(f"candidate {cid!r}")
    return c


def _open_round(session: Session, actor: Actor, round_id: str, *roles: str) -> t.Round:
    r = repo.get_round(session, actor.consortium, round_id)
    require(actor, *roles)
    if r.state != "open":
        raise conflict(f"round {round_id!r} is {r.state}; candidates change only while open")
    return r


@router.put("/{item}", responses={201: {"description": "Created"}, **documented(412, 428)})
def put_candidate(
    round: PathId,
    item: PathId,
    body: CandidateIn,
    actor: CurrentActor,
    session: SessionDep,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    """Register (201) or edit (200, with If-Match) one of the caller's
    candidates. The body is the whole candidate: a field left out is cleared."""
    r = _open_round(session, actor, round, "college")
    values = body_values(body)
    c = repo.candidate(session, r, item)
    if c is not None:
        c = _own(session, r, actor, item)
        affiliation = {"college": c.college, "institute": c.institute}
    else:
        affiliation = {
            "college": actor.organization if actor.kind == "college" else None,
            "institute": actor.organization if actor.kind == "institute" else None,
        }
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
    return candidate_out(c)


@router.post("", responses=documented(412, 428))
def save_candidates(
    round: PathId, body: CandidatesIn, actor: CurrentActor, session: SessionDep
) -> dict[str, Any]:
    """Register or edit many of the caller's candidates at once (a file
    import): all of them or, on any problem, none. A candidate already stored
    names the version it was read at (428 without, 412 when stale)."""
    r = _open_round(session, actor, round, "college")
    stored = {c.id: c for c in repo.candidates(session, r, actor.organization)}
    others = repo.existing_ids(session, t.Candidate, r, [x.id for x in body.candidates])
    records, created, changed = [], 0, 0
    read_at = {x.id: x.version for x in body.candidates}
    for x in body.candidates:
        c = stored.get(x.id)
        if c is None and x.id in others:
            raise not_found(f"candidate {x.id!r}")
        if c is not None and x.version is None:
            raise Problem(428, f"changing candidate {x.id!r} needs the version it was read at")
        if c is not None and x.version != c.version:
            raise Problem(
                412, f"candidate {x.id!r} changed since version {x.version}: now {c.version}"
            )
        affiliation = (
            {"college": c.college, "institute": c.institute}
            if c is not None
            else {
                "college": actor.organization if actor.kind == "college" else None,
                "institute": actor.organization if actor.kind == "institute" else None,
            }
        )
        records.append((x.id, affiliation, body_values(x)))
    check_candidates(session, r, records)
    for cid, affiliation, values in records:
        c = stored.get(cid)
        if c is None:
            session.add(
                t.Candidate(
                    consortium_id=r.consortium_id,
                    round_id=r.id,
                    id=cid,
                    version=1,
                    **affiliation,
                    **values,
                )
            )
            created += 1
        elif not repo.update_versioned(session, c, values):
            raise Problem(412, f"candidate {cid!r} was changed by a concurrent edit")
        elif c.version != read_at[cid]:
            changed += 1
    session.flush()
    return {"created": created, "changed": changed, "unchanged": len(records) - created - changed}


def body_values(body: CandidateIn) -> dict[str, Any]:
    """The stored columns of a candidate body (one mapping, for PUT and for import)."""
    return {
        "kind": body.kind.value,
        "tier": body.tier.value if body.tier else None,
        "level": body.level.value if body.level else None,
        "skills": body.skills,
        "preferences": body.preferences,
    }


@router.delete("/{item}", status_code=status.HTTP_204_NO_CONTENT, responses=documented(412, 428))
def delete_candidate(
    round: PathId, item: PathId, actor: CurrentActor, session: SessionDep, request: Request
) -> None:
    """Withdraw a candidate (its college or institute, or the coordinator), with If-Match."""
    r = _open_round(session, actor, round, "college", "coordinator")
    remove(session, request, _own(session, r, actor, item), f"candidate {item!r}")
