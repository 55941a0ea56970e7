"""Rounds and their lifecycle: draft → open → closed (a frozen snapshot) →
published; a closed round may reopen until it is published
(api.vocabulary.TRANSITIONS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from api.answers import RoundOut, RoundSummary
from api.config import Settings
from api.deps import Actor, AnyRound, Coordinator, CurrentActor, SessionDep, round_for
from api.downloads import attachment
from api.jsonbody import StrictJsonRoute
from api.listing import Page, RoundSort, Search, WindowDep
from api.problems import COMMON, Problem, conflict, documented
from api.schemas import RoundIn
from api.storage import lists
from api.storage import repository as repo
from api.storage import tables as t
from api.vocabulary import TRANSITIONS, Action, Role, RoundState
from matching import csvbundle, io, parse_round

router = APIRouter(prefix="/rounds", tags=["rounds"], route_class=StrictJsonRoute, responses=COMMON)


def round_out(session: Session, r: t.Round) -> RoundOut:
    return RoundOut.from_row(r, repo.counts(session, r))


@router.post("", status_code=status.HTTP_201_CREATED)
def create_round(body: RoundIn, actor: Coordinator, session: SessionDep) -> RoundOut:
    if repo.round_exists(session, actor.consortium, body.id):
        raise conflict(f"round {body.id!r} already exists")
    r = repo.new_round(
        session,
        actor.consortium,
        body.id,
        body.seed,
        body.stability.value,
        body.rules.model_dump(exclude_none=True),
        [p.model_dump(mode="json", exclude_none=True) for p in body.policies],
    )
    return round_out(session, r)


@router.get("")
def list_rounds(
    actor: CurrentActor,
    session: SessionDep,
    window: WindowDep,
    sort: RoundSort = "created",
    q: Search = None,
    state: RoundState | None = None,
) -> Page[RoundSummary]:
    """A page of the consortium's rounds (oldest first unless sorted otherwise)."""
    rows, total = lists.rounds(session, actor.consortium, window, sort, q=q, state=state)
    return Page.of(
        [
            RoundSummary(id=r.id, state=RoundState(r.state), published_run=r.published_run)
            for r in rows
        ],
        total,
        window,
    )


@router.get("/{round}")
def get_round(r: AnyRound, session: SessionDep) -> RoundOut:
    return round_out(session, r)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# each kind of round file the import takes, and its reader
IMPORTS: dict[str, Callable[[bytes], object]] = {
    "application/json": io.parse_json,
    "application/zip": csvbundle.read_csv_zip,
    "application/x-zip-compressed": csvbundle.read_csv_zip,
    XLSX: csvbundle.read_workbook,
}
ImportableRound = Annotated[t.Round, round_for(Role.COORDINATOR, action=Action.IMPORT)]


@router.post("/{round}/import", responses=documented(415))
async def import_round(
    r: ImportableRound, request: Request, actor: CurrentActor, session: SessionDep
) -> RoundOut:
    """Replace the round's content with a whole round document: JSON
    (application/json), a zipped CSV bundle (application/zip) or the same
    tables as an Excel workbook (a sheet per file). Parsing and
    storing run off the event loop: a national round takes seconds, and other
    requests go on meanwhile."""
    body = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind not in IMPORTS:
        raise Problem(
            415,
            "send application/json (a round document), application/zip (a CSV bundle) or "
            f"{XLSX} (a workbook of the same tables)",
        )
    settings = request.app.state.settings
    return await run_in_threadpool(_import, session, r, actor, body, kind, settings)


def _import(
    session: Session, r: t.Round, actor: Actor, body: bytes, kind: str, settings: Settings
) -> RoundOut:
    repo.unhurried(session)
    doc = IMPORTS[kind](body)
    if isinstance(doc, dict):
        doc = {**doc, "id": r.id}
    parsed = parse_round(doc)
    too_large = settings.round_too_large(len(parsed.candidates), len(parsed.placements))
    if too_large:
        raise Problem(422, "the round is larger than this deployment solves", too_large)
    kinds = repo.organization_kinds(session, actor.consortium)
    for org in parsed.organizations:
        known = kinds.get(org.id)
        if known is not None and known != org.kind.value:
            raise Problem(
                422,
                "the round is not valid",
                [
                    {
                        "field": f"organizations[{org.id!r}].kind",
                        "message": f"the consortium already has {org.id!r} as a {known}",
                    }
                ],
            )
    repo.replace_round_content(session, r, parsed)
    session.flush()
    return round_out(session, r)


@router.get(
    "/{round}/document",
    responses={
        200: {
            "description": "The round document (JSON) or (format=xlsx) the same as a workbook",
            "content": {"application/json": {}, XLSX: {}},
        }
    },
)
def round_document(
    r: Annotated[t.Round, round_for(Role.COORDINATOR)],
    session: SessionDep,
    format: str = Query("json", pattern="^(json|xlsx)$"),
) -> Response:
    """The round as stored, as the import takes it back: a round document, or
    (format=xlsx) a workbook with a sheet per table."""
    doc = repo.round_document(session, r)
    if format == "xlsx":
        return Response(
            csvbundle.write_workbook(doc), media_type=XLSX, headers=attachment(f"{r.id}.xlsx")
        )
    return Response(io.dumps(doc), media_type="application/json")


@router.post("/{round}/open")
def open_round(
    r: Annotated[t.Round, round_for(Role.COORDINATOR, action=Action.OPEN)], session: SessionDep
) -> RoundOut:
    """Open a draft round, or reopen a closed one for more changes: its snapshot
    is dropped, and only runs of the snapshot it is closed with next can be
    published (a run of an earlier snapshot answers 409). A published round
    does not reopen."""
    r.state, r.snapshot_hash = TRANSITIONS[RoundState(r.state), Action.OPEN], None
    return round_out(session, r)


@router.post("/{round}/close")
def close_round(
    r: Annotated[t.Round, round_for(Role.COORDINATOR, action=Action.CLOSE)], session: SessionDep
) -> RoundOut:
    """Freeze the round: validate it whole with the engine and store the
    snapshot that every run solves, with its hash."""
    repo.unhurried(session)
    parsed = parse_round(repo.round_document(session, r))
    r.snapshot_hash = repo.store_snapshot(session, parsed)
    r.state = TRANSITIONS[RoundState(r.state), Action.CLOSE]
    return round_out(session, r)
