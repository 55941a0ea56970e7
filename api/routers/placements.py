"""Enterprises post, edit and withdraw their placements and rank applicants."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import Session

from api.answers import BatchOut, PlacementOut
from api.deps import Actor, AnyRound, CurrentActor, SessionDep, round_for
from api.jsonbody import StrictJsonRoute
from api.preconditions import check_batch, edit, etag, remove, store_batch
from api.problems import COMMON, documented
from api.rules import check_applicants, check_placement, check_placements
from api.schemas import PathId, PlacementIn, PlacementsIn, RankingIn
from api.storage import NotFound, mapping
from api.storage import repository as repo
from api.storage import tables as t
from api.vocabulary import Action, Role

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
def list_placements(r: AnyRound, actor: CurrentActor, session: SessionDep) -> list[PlacementOut]:
    """Coordinators see every placement; colleges see every placement but no
    ranking; an enterprise sees its own."""
    host = actor.organization if actor.role is Role.ENTERPRISE else None
    return [
        PlacementOut.from_row(p, with_ranking=actor.role is not Role.COLLEGE)
        for p in repo.placements(session, r, host)
    ]


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
        session.add(p)
        session.flush()
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
    candidates who applied to the placement may be ranked."""
    p = _own(session, r, actor, item)
    check_applicants(session, r, item, body.ranking)
    check_placement(
        session, r, item, p.host, {**mapping.record(p, mapping.PLACEMENT), "ranking": body.ranking}
    )
    edit(session, request, response, p, {"ranking": body.ranking}, f"placement {item!r}")
    return PlacementOut.from_row(p, with_ranking=True)
