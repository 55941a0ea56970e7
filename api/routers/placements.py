"""Enterprises post, edit and withdraw their placements and rank applicants."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from api.deps import Actor, CurrentActor, SessionDep, require
from api.jsonbody import StrictJsonRoute
from api.problems import (
    COMMON,
    Problem,
    check_references,
    conflict,
    documented,
    invalid,
    mentioned,
    not_found,
)
from api.schemas import PlacementIn, RankingIn
from api.storage import repository as repo
from api.storage import tables as t

router = APIRouter(
    prefix="/rounds/{round}/placements",
    tags=["enterprises"],
    route_class=StrictJsonRoute,
    responses=COMMON,
)


def placement_out(p: t.Placement, *, with_ranking: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": p.id,
        "host": p.host,
        "kind": p.kind,
        "capacity": p.capacity,
        "skills": p.skills,
        "requirements": p.requirements,
        "version": p.version,
    }
    if p.mentor is not None:
        out["mentor"] = p.mentor
    if with_ranking and p.ranking is not None:
        out["ranking"] = p.ranking
    return out


def _open_round(session: Session, actor: Actor, round_id: str) -> t.Round:
    """The caller's round (404 when it is not theirs), for an enterprise (403),
    while open (409): in that order, so no answer tells whether a round exists."""
    r = repo.get_round(session, actor.consortium, round_id)
    require(actor, "enterprise")
    if r.state != "open":
        raise conflict(f"round {round_id!r} is {r.state}; placements change only while open")
    return r


def _own(session: Session, r: t.Round, actor: Actor, pid: str) -> t.Placement:
    p = repo.placement(session, r, pid)
    if p is None or p.host != actor.organization:
        raise not_found(f"placement {pid!r}")
    return p


def etag(p: t.Placement) -> str:
    return f'"{p.version}"'


def _edit(
    session: Session, request: Request, response: Response, p: t.Placement, changes: dict[str, Any]
) -> None:
    """Apply an edit made from the version its If-Match names: a compare-and-set
    on the version, so of concurrent edits from the same version one lands and
    the others get 412."""
    wanted = request.headers.get("if-match")
    if wanted is None:
        raise Problem(428, f"editing placement {p.id!r} needs an If-Match header with its ETag")
    if wanted.strip() != etag(p):
        raise Problem(412, f"placement {p.id!r} changed since that ETag: it is now {etag(p)}")
    if not repo.update_placement(session, p, changes):
        raise Problem(412, f"placement {p.id!r} was changed by a concurrent edit")
    response.headers["ETag"] = etag(p)


def _check_candidates(session: Session, r: t.Round, ranking: list[Any], where: str) -> None:
    known = repo.existing_ids(session, t.Candidate, r, mentioned(ranking))
    check_references(ranking, known, where, "candidate")


@router.get("")
def list_placements(round: str, actor: CurrentActor, session: SessionDep) -> list[dict[str, Any]]:
    """Coordinators see every placement; colleges see every placement but no
    ranking; an enterprise sees its own."""
    r = repo.get_round(session, actor.consortium, round)
    host = actor.organization if actor.role == "enterprise" else None
    return [
        placement_out(p, with_ranking=actor.role != "college")
        for p in repo.placements(session, r, host)
    ]


@router.get("/{item}")
def get_placement(
    round: str, item: str, actor: CurrentActor, session: SessionDep, response: Response
) -> dict[str, Any]:
    """One placement, with its ETag: its owner and the coordinator see its
    ranking; colleges see it without; other enterprises do not see it."""
    r = repo.get_round(session, actor.consortium, round)
    p = repo.placement(session, r, item)
    if p is None or (actor.role == "enterprise" and p.host != actor.organization):
        raise not_found(f"placement {item!r}")
    response.headers["ETag"] = etag(p)
    return placement_out(p, with_ranking=actor.role != "college")


@router.put("/{item}", responses={201: {"description": "Created"}, **documented(412, 428)})
def put_placement(
    round: str,
    item: str,
    body: PlacementIn,
    actor: CurrentActor,
    session: SessionDep,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    """Create (201) or edit (200, with If-Match) one of the caller's placements."""
    r = _open_round(session, actor, round)
    at = f"placements[{item!r}]"
    if (
        body.mentor is not None
        and session.get(t.Mentor, (r.consortium_id, r.id, body.mentor)) is None
    ):
        raise invalid([{"field": f"{at}.mentor", "message": f"unknown mentor {body.mentor!r}"}])
    if body.ranking is not None:
        _check_candidates(session, r, body.ranking, f"{at}.ranking")
    values = {
        "kind": body.kind.value,
        "capacity": body.capacity,
        "mentor": body.mentor,
        "skills": body.skills,
        "ranking": body.ranking,
        "requirements": body.requirements.model_dump(mode="json", exclude_none=True),
    }
    p = repo.placement(session, r, item)
    if p is None:
        p = t.Placement(
            consortium_id=r.consortium_id,
            round_id=r.id,
            id=item,
            host=actor.organization,
            **values,
        )
        session.add(p)
        session.flush()
        response.status_code = status.HTTP_201_CREATED
        response.headers["ETag"] = etag(p)
    else:
        p = _own(session, r, actor, item)
        _edit(session, request, response, p, values)
    return placement_out(p, with_ranking=True)


@router.delete("/{item}", status_code=status.HTTP_204_NO_CONTENT)
def withdraw_placement(round: str, item: str, actor: CurrentActor, session: SessionDep) -> None:
    r = _open_round(session, actor, round)
    session.delete(_own(session, r, actor, item))


@router.put("/{item}/ranking", responses=documented(412, 428))
def rank_applicants(
    round: str,
    item: str,
    body: RankingIn,
    actor: CurrentActor,
    session: SessionDep,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    """Order the applicants (an edit of the placement: If-Match required)."""
    r = _open_round(session, actor, round)
    p = _own(session, r, actor, item)
    _check_candidates(session, r, body.ranking, f"placements[{item!r}].ranking")
    _edit(session, request, response, p, {"ranking": body.ranking})
    return placement_out(p, with_ranking=True)
