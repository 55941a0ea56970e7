"""Enterprises post, edit and withdraw their placements and rank applicants."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from api.deps import Actor, CurrentActor, SessionDep, require
from api.jsonbody import StrictJsonRoute
from api.preconditions import edit, etag, remove
from api.problems import COMMON, conflict, documented, not_found
from api.rules import check_applicants, check_placement
from api.schemas import PathId, PlacementIn, RankingIn
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


def _open_round(session: Session, actor: Actor, round_id: str, *roles: str) -> t.Round:
    """The caller's round (404 when it is not theirs), for one of `roles` (403),
    while open (409): in that order, so no answer tells whether a round exists."""
    r = repo.get_round(session, actor.consortium, round_id)
    require(actor, *roles)
    if r.state != "open":
        raise conflict(f"round {round_id!r} is {r.state}; placements change only while open")
    return r


def _own(session: Session, r: t.Round, actor: Actor, pid: str) -> t.Placement:
    """The placement, if the caller may change it: its host, or the coordinator."""
    p = repo.placement(session, r, pid)
    if p is None or (actor.role != "coordinator" and p.host != actor.organization):
        raise not_found(f"placement {pid!r}")
    return p


@router.get("")
def list_placements(
    round: PathId, actor: CurrentActor, session: SessionDep
) -> list[dict[str, Any]]:
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
    round: PathId, item: PathId, actor: CurrentActor, session: SessionDep, response: Response
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
    round: PathId,
    item: PathId,
    body: PlacementIn,
    actor: CurrentActor,
    session: SessionDep,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    """Create (201) or edit (200, with If-Match) one of the caller's placements.
    The body is the whole placement: a field left out is cleared (the pages
    send every field, pre-filled)."""
    r = _open_round(session, actor, round, "enterprise")
    values = {
        "kind": body.kind.value,
        "capacity": body.capacity,
        "mentor": body.mentor,
        "skills": body.skills,
        "ranking": body.ranking,
        "requirements": body.requirements.model_dump(mode="json", exclude_none=True),
    }
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
        session.add(p)
        session.flush()
        response.status_code = status.HTTP_201_CREATED
        response.headers["ETag"] = etag(p)
    else:
        edit(session, request, response, p, values, f"placement {item!r}")
    return placement_out(p, with_ranking=True)


@router.delete("/{item}", status_code=status.HTTP_204_NO_CONTENT, responses=documented(412, 428))
def withdraw_placement(
    round: PathId, item: PathId, actor: CurrentActor, session: SessionDep, request: Request
) -> None:
    """Withdraw a placement (its host, or the coordinator), with If-Match."""
    r = _open_round(session, actor, round, "enterprise", "coordinator")
    remove(session, request, _own(session, r, actor, item), f"placement {item!r}")


@router.put("/{item}/ranking", responses=documented(412, 428))
def rank_applicants(
    round: PathId,
    item: PathId,
    body: RankingIn,
    actor: CurrentActor,
    session: SessionDep,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    """Order the applicants (an edit of the placement: If-Match required). Only
    candidates who applied to the placement may be ranked."""
    r = _open_round(session, actor, round, "enterprise")
    p = _own(session, r, actor, item)
    check_applicants(session, r, item, body.ranking)
    values = {**_stored(p), "ranking": body.ranking}
    check_placement(session, r, item, p.host, values)
    edit(session, request, response, p, {"ranking": body.ranking}, f"placement {item!r}")
    return placement_out(p, with_ranking=True)


def _stored(p: t.Placement) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "capacity": p.capacity,
        "mentor": p.mentor,
        "skills": p.skills,
        "ranking": p.ranking,
        "requirements": p.requirements,
    }
