"""Solves, results, publication, and the assignments each audience may see."""

from __future__ import annotations

import csv
import io as _io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import Session

from api.answers import (
    AssignmentRow,
    AssignmentsOut,
    ComparedRun,
    CompareOut,
    PublishOut,
    RunOut,
    RunSummary,
)
from api.deps import Actor, AnyRound, CoordinatorRound, CurrentActor, SessionDep, round_for
from api.downloads import attachment
from api.jsonbody import StrictJsonRoute
from api.problems import COMMON, Problem, conflict, documented
from api.schemas import PathId, RunIn
from api.storage import repository as repo
from api.storage import tables as t
from api.vocabulary import TRANSITIONS, Action, Role, RoundState, RunStatus
from matching import __version__
from matching.base import MechanismName

router = APIRouter(
    prefix="/rounds/{round}", tags=["runs"], route_class=StrictJsonRoute, responses=COMMON
)


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every one stored here is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def run_out(run: t.Run) -> RunOut:
    end = _utc(run.finished_at) or (repo.now() if run.status == RunStatus.RUNNING else None)
    start = _utc(run.started_at)
    created = _utc(run.created_at)
    assert created is not None
    return RunOut(
        id=run.id,
        round=run.round_id,
        status=RunStatus(run.status),
        progress=run.progress,
        mechanism=MechanismName(run.mechanism),
        options=run.options,
        seed=run.seed,
        input_hash=run.input_hash,
        engine_version=run.engine_version,
        attempt=run.attempt,
        error=run.error,
        created_at=created.isoformat(),
        elapsed_seconds=round((end - start).total_seconds(), 3) if start and end else None,
        summary=RunSummary.model_validate(run.summary) if run.summary else None,
    )


@router.post(
    "/runs",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        200: {"description": "A run with the same options is queued or running: that run"},
        **documented(429),
    },
)
def start_run(
    r: Annotated[t.Round, round_for(Role.COORDINATOR, action=Action.SOLVE)],
    body: RunIn,
    session: SessionDep,
    request: Request,
    response: Response,
) -> RunOut:
    """Queue a solve of the round's frozen snapshot; a worker picks it up. The
    same options while such a run is queued or running return that run."""
    counts = repo.counts(session, r)
    settings = request.app.state.settings
    too_large = settings.round_too_large(counts["candidates"], counts["placements"])
    if too_large:
        raise Problem(422, "the round is larger than this deployment solves", too_large)
    options = body.stored_options(r.stability)
    running = repo.active_run(session, r, body.mechanism, options)
    if running is not None:
        response.status_code = status.HTTP_200_OK
        return run_out(running)
    limit = settings.runs_per_minute
    if repo.runs_since(session, r.consortium_id, repo.now() - timedelta(minutes=1)) >= limit:
        raise Problem(429, f"at most {limit} solves a minute per consortium; try again shortly")
    run = repo.new_run(session, r, body.mechanism, options, __version__)
    session.flush()
    return run_out(run)


@router.get("/runs")
def list_runs(r: CoordinatorRound, session: SessionDep) -> list[RunOut]:
    return [run_out(run) for run in repo.runs(session, r)]


@router.get("/runs/{run}")
def get_run(r: CoordinatorRound, run: PathId, session: SessionDep) -> RunOut:
    return run_out(repo.get_run(session, r, run))


def _document(session: Session, r: t.Round, run_id: str) -> str:
    """A solved run's result document (409 while it is not solved)."""
    run = repo.get_run(session, r, run_id)
    document = repo.run_result(session, run.id)
    if run.status != RunStatus.SOLVED or document is None:
        raise conflict(f"run {run_id!r} is {run.status}")
    return document


def _result(session: Session, r: t.Round, run_id: str) -> dict[str, Any]:
    return _parsed(_document(session, r, run_id))


@lru_cache(maxsize=8)
def _parsed(document: str) -> dict[str, Any]:
    """A result document, parsed once per process (a solved run's document
    never changes; callers only read it)."""
    result: dict[str, Any] = json.loads(document)
    return result


@router.get(
    "/runs/{run}/result",
    response_class=Response,
    responses={200: {"description": "The result document (docs/round-format.md)",
                     "content": {"application/json": {"schema": {"type": "object"}}}}},
)  # fmt: skip
def get_result(r: CoordinatorRound, run: PathId, session: SessionDep) -> Response:
    return Response(_document(session, r, run), media_type="application/json")


@router.post("/runs/{run}/publish")
def publish(
    r: Annotated[t.Round, round_for(Role.COORDINATOR, action=Action.PUBLISH)],
    run: PathId,
    session: SessionDep,
) -> PublishOut:
    _document(session, r, run)  # 409 unless solved
    solved = repo.get_run(session, r, run)
    if solved.input_hash != r.snapshot_hash:
        raise conflict(
            f"run {run!r} solved snapshot {solved.input_hash}, but the round was reopened and "
            f"closed again as snapshot {r.snapshot_hash}: solve the current snapshot"
        )
    r.state = TRANSITIONS[RoundState(r.state), Action.PUBLISH]
    r.published_run = run
    return PublishOut(round=r.id, state=RoundState(r.state), published_run=run)


@router.get("/compare")
def compare(
    r: CoordinatorRound,
    session: SessionDep,
    runs: str = Query(description="comma-separated run ids"),
) -> CompareOut:
    ids = [x for x in runs.split(",") if x]
    if len(ids) < 2:
        raise Problem(
            422, "name at least two runs", [{"field": "runs", "message": "at least two run ids"}]
        )
    results = {i: _result(session, r, i) for i in ids}
    first = results[ids[0]]["assignments"]
    return CompareOut(
        runs=[
            ComparedRun.of_summary(
                i,
                RunSummary.from_result(res),
                sum(1 for c, p in res["assignments"].items() if first.get(c) != p),
            )
            for i, res in results.items()
        ]
    )


def _rows(session: Session, r: t.Round, actor: Actor, run_id: str) -> list[AssignmentRow]:
    """The assignments of a run that the caller may see, each with its host and
    the candidate's college or institute (one row builder for every audience
    and every export)."""
    result = _result(session, r, run_id)
    places = repo.placement_hosts(session, r)
    people = repo.affiliations(session, r)
    names = repo.names(session, r.consortium_id)
    parks = repo.parks(session, r.consortium_id)
    explanations = result["explanations"]
    admitted = _admitted(result["assignments"], places)
    rows = []
    for cid, pid in result["assignments"].items():
        affiliation, name, number = people.get(cid, (None, None, None))
        host, title, _ = places.get(pid, (None, None, None)) if pid else (None, None, None)
        if actor.role is Role.COLLEGE and affiliation != actor.organization:
            continue
        if actor.role is Role.ENTERPRISE and (pid is None or host != actor.organization):
            continue
        park = parks.get(host) if host else None
        row = AssignmentRow(
            candidate=cid,
            name=name,
            # an enterprise sees who is coming by name, college and level, not their number
            number=number if actor.role is not Role.ENTERPRISE else None,
            placement=pid,
            title=title,
            host=host,
            host_name=names.get(host) if host else None,
            park=park,
            park_name=names.get(park) if park else None,
            affiliation=affiliation,
            affiliation_name=names.get(affiliation) if affiliation else None,
        )
        if actor.role is Role.COORDINATOR:
            row.explanations = explanations.get(cid, [])
        elif actor.role is Role.COLLEGE:
            row.explanations = [_as_position(e, admitted) for e in explanations.get(cid, [])]
        rows.append(row)
    return rows


def _admitted(
    assignments: dict[str, str | None], places: dict[str, tuple[str, str | None, str | None]]
) -> dict[tuple[str, str], int]:
    """How many were admitted at each placement and with each mentor."""
    out: Counter[tuple[str, str]] = Counter()
    for pid in assignments.values():
        if pid is not None:
            out["placement", pid] += 1
            mentor = places.get(pid, (None, None, None))[2]
            if mentor is not None:
                out["mentor", mentor] += 1
    return dict(out)


def _as_position(e: dict[str, Any], admitted: dict[tuple[str, str], int]) -> dict[str, Any]:
    """A reason as a college may read it: a full placement's cutoff is a
    position ("the last of the 12 admitted"), never another organization's
    candidate (the coordinator's result keeps the contract's `cutoff` id)."""
    if "cutoff" not in e:
        return e
    out = {k: v for k, v in e.items() if k != "cutoff"}
    key = ("mentor", e["mentor"]) if e.get("mentor") else ("placement", e["placement"])
    out["admitted"] = admitted.get(key, 0)
    return out


ASSIGNMENTS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The assignments, as JSON or (format=csv) CSV",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/AssignmentsOut"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.get("/assignments", response_model=AssignmentsOut, responses=ASSIGNMENTS)
def assignments(
    r: AnyRound,
    actor: CurrentActor,
    session: SessionDep,
    format: str = Query("json", pattern="^(json|csv)$"),
) -> Any:
    """The published assignments the caller may see: a college its own
    candidates (with the reasons for every better choice not obtained), an
    enterprise who is coming to its placements, the coordinator everyone."""
    if r.state != RoundState.PUBLISHED or r.published_run is None:
        raise conflict(f"round {r.id!r} has no published result yet")
    return _assignments(r, r.published_run, _rows(session, r, actor, r.published_run), format)


@router.get("/runs/{run}/assignments", response_model=AssignmentsOut, responses=ASSIGNMENTS)
def run_assignments(
    r: CoordinatorRound,
    run: PathId,
    actor: CurrentActor,
    session: SessionDep,
    format: str = Query("json", pattern="^(json|csv)$"),
) -> Any:
    """Every assignment of a solved run, with hosts, colleges and reasons (the
    coordinator, before or after publication)."""
    return _assignments(r, run, _rows(session, r, actor, run), format)


def _assignments(r: t.Round, run: str, rows: list[AssignmentRow], format: str) -> Any:
    if format == "json":
        return AssignmentsOut(round=r.id, run=run, assignments=rows)
    out = _io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["candidate", "affiliation", "placement", "host", "reasons"])
    for row in rows:
        reasons = "; ".join(
            f"{e['placement']}: {e['reason']}"
            + "".join(
                f" {k} {e[k]}"
                for k in ("cutoff", "admitted", "rule", "mentor", "policy", "gain")
                if k in e
            )
            for e in row.explanations or []
        )
        writer.writerow(
            [row.candidate, row.affiliation or "", row.placement or "", row.host or "", reasons]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers=attachment(f"{r.id}-assignments.csv"),
    )
