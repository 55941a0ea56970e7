"""Rounds and their lifecycle: draft → open → closed (a frozen snapshot) → published."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status

from api.deps import CurrentActor, SessionDep, require
from api.jsonbody import StrictJsonRoute
from api.problems import COMMON, Problem, conflict, documented
from api.schemas import PathId, RoundIn
from api.storage import repository as repo
from api.storage import tables as t
from matching import io, parse_round

router = APIRouter(prefix="/rounds", tags=["rounds"], route_class=StrictJsonRoute, responses=COMMON)


def round_out(session: SessionDep, r: t.Round) -> dict[str, Any]:
    return {
        "id": r.id,
        "state": r.state,
        "seed": r.seed,
        "stability": r.stability,
        "rules": r.rules,
        "policies": r.policies,
        "snapshot_hash": r.snapshot_hash,
        "published_run": r.published_run,
        "counts": repo.counts(session, r),
    }


@router.post("", status_code=status.HTTP_201_CREATED)
def create_round(body: RoundIn, actor: CurrentActor, session: SessionDep) -> dict[str, Any]:
    require(actor, "coordinator")
    if session.get(t.Round, (actor.consortium, body.id)) is not None:
        raise conflict(f"round {body.id!r} already exists")
    r = t.Round(
        consortium_id=actor.consortium,
        id=body.id,
        seed=body.seed,
        state="draft",
        rules=body.rules.model_dump(exclude_none=True),
        stability=body.stability.value,
        policies=[p.model_dump(mode="json", exclude_none=True) for p in body.policies],
        created_at=repo.now(),
    )
    session.add(r)
    session.flush()
    return round_out(session, r)


@router.get("")
def list_rounds(actor: CurrentActor, session: SessionDep) -> list[dict[str, Any]]:
    return [
        {"id": r.id, "state": r.state, "published_run": r.published_run}
        for r in repo.rounds(session, actor.consortium)
    ]


@router.get("/{round}")
def get_round(round: PathId, actor: CurrentActor, session: SessionDep) -> dict[str, Any]:
    return round_out(session, repo.get_round(session, actor.consortium, round))


@router.post("/{round}/import", responses=documented(415))
async def import_round(
    round: PathId, request: Request, actor: CurrentActor, session: SessionDep
) -> dict[str, Any]:
    """Replace the round's content with a whole round document: JSON
    (application/json) or a zipped CSV bundle (application/zip)."""
    r = repo.get_round(session, actor.consortium, round)
    require(actor, "coordinator")
    if r.state not in ("draft", "open"):
        raise conflict(f"round {round!r} is {r.state}; import needs draft or open")
    body = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind == "application/json":
        doc = io.parse_json(body)
    elif kind in ("application/zip", "application/x-zip-compressed"):
        doc = io.read_csv_zip(body)
    else:
        raise Problem(
            415, "send application/json (a round document) or application/zip (a CSV bundle)"
        )
    if isinstance(doc, dict):
        doc = {**doc, "id": round}
    parsed = parse_round(doc)
    settings = request.app.state.settings
    too_large = settings.round_too_large(len(parsed.candidates), len(parsed.placements))
    if too_large:
        raise Problem(422, "the round is larger than this deployment solves", too_large)
    for org in parsed.organizations:
        known = repo.organization(session, actor.consortium, org.id)
        if known is not None and known.kind != org.kind.value:
            raise Problem(
                422,
                "the round is not valid",
                [
                    {
                        "field": f"organizations[{org.id!r}].kind",
                        "message": f"the consortium already has {org.id!r} as a {known.kind}",
                    }
                ],
            )
    repo.replace_round_content(session, r, parsed)
    session.flush()
    return round_out(session, r)


@router.post("/{round}/open")
def open_round(round: PathId, actor: CurrentActor, session: SessionDep) -> dict[str, Any]:
    """Open a draft round, or reopen a closed one for more changes: its snapshot
    is dropped, and only runs of the snapshot it is closed with next can be
    published (a run of an earlier snapshot answers 409). A published round
    does not reopen."""
    r = repo.get_round(session, actor.consortium, round)
    require(actor, "coordinator")
    if r.state == "published":
        raise conflict(f"round {round!r} is published")
    r.state, r.snapshot_hash = "open", None
    return round_out(session, r)


@router.post("/{round}/close")
def close_round(round: PathId, actor: CurrentActor, session: SessionDep) -> dict[str, Any]:
    """Freeze the round: validate it whole with the engine and store the
    snapshot that every run solves, with its hash."""
    r = repo.get_round(session, actor.consortium, round)
    require(actor, "coordinator")
    if r.state != "open":
        raise conflict(f"round {round!r} is {r.state}; only an open round can be closed")
    parsed = parse_round(repo.round_document(session, r))
    r.snapshot_hash = repo.store_snapshot(session, parsed)
    r.state = "closed"
    return round_out(session, r)
