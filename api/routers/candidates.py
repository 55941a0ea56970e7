"""Colleges and institutes register their candidates and preferences."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from api.deps import CurrentActor, SessionDep, require
from api.jsonbody import StrictJsonRoute
from api.problems import COMMON, check_references, conflict, mentioned, not_found
from api.schemas import CandidateIn
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
def list_candidates(round: str, actor: CurrentActor, session: SessionDep) -> list[dict[str, Any]]:
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


@router.put("/{item}", responses={201: {"description": "Created"}})
def put_candidate(
    round: str,
    item: str,
    body: CandidateIn,
    actor: CurrentActor,
    session: SessionDep,
    response: Response,
) -> dict[str, Any]:
    r = repo.get_round(session, actor.consortium, round)
    require(actor, "college")
    if r.state != "open":
        raise conflict(f"round {round!r} is {r.state}; candidates change only while open")
    known = repo.existing_ids(session, t.Placement, r, mentioned(body.preferences))
    check_references(body.preferences, known, f"candidates[{item!r}].preferences", "placement")
    affiliation = {
        "college": actor.organization if actor.kind == "college" else None,
        "institute": actor.organization if actor.kind == "institute" else None,
    }
    values = {
        "kind": body.kind.value,
        "tier": body.tier.value if body.tier else None,
        "level": body.level.value if body.level else None,
        "skills": body.skills,
        "preferences": body.preferences,
    }
    c = repo.candidate(session, r, item)
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
        response.status_code = status.HTTP_201_CREATED
    elif actor.organization not in (c.college, c.institute):
        raise not_found(f"candidate {item!r}")
    else:
        for key, value in values.items():
            setattr(c, key, value)
        c.version += 1
    return candidate_out(c)


@router.delete("/{item}", status_code=status.HTTP_204_NO_CONTENT)
def delete_candidate(round: str, item: str, actor: CurrentActor, session: SessionDep) -> None:
    r = repo.get_round(session, actor.consortium, round)
    require(actor, "college")
    if r.state != "open":
        raise conflict(f"round {round!r} is {r.state}; candidates change only while open")
    c = repo.candidate(session, r, item)
    if c is None or actor.organization not in (c.college, c.institute):
        raise not_found(f"candidate {item!r}")
    session.delete(c)
