"""Solves, results, publication, and the assignments each audience may see."""

from __future__ import annotations

import csv
import io as _io
import json
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.orm import Session

from api.answers import (
    AssignmentRow,
    AssignmentsOut,
    ChangesOut,
    ComparedRun,
    CompareOut,
    GroupChange,
    MoveOut,
    PublishOut,
    RunOut,
    RunSummary,
)
from api.deps import Actor, AnyRound, CoordinatorRound, CurrentActor, SessionDep, round_for
from api.downloads import attachment
from api.jsonbody import StrictJsonRoute
from api.listing import AssignmentSort, IdFilter, MoveSort, Page, RunSort, Search, WindowDep
from api.problems import COMMON, Problem, conflict, documented
from api.schemas import PathId, RunIn
from api.storage import lists, published
from api.storage import repository as repo
from api.storage import tables as t
from api.storage.lists import Window
from api.vocabulary import TRANSITIONS, Action, Role, RoundState, RunStatus, check
from matching import __version__, io, parse_round
from matching.base import MechanismName
from matching.model import CandidateKind, Level, Tier

router = APIRouter(
    prefix="/rounds/{round}", tags=["runs"], route_class=StrictJsonRoute, responses=COMMON
)


def run_out(run: t.Run) -> RunOut:
    end = repo.utc(run.finished_at) or (repo.now() if run.status == RunStatus.RUNNING else None)
    start = repo.utc(run.started_at)
    created = repo.utc(run.created_at)
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
        rematch_of=run.rematch_of,
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
def list_runs(
    r: CoordinatorRound,
    session: SessionDep,
    window: WindowDep,
    sort: RunSort = "created",
    status: RunStatus | None = None,
    mechanism: MechanismName | None = None,
) -> Page[RunOut]:
    """A page of the round's runs (oldest first unless sorted otherwise)."""
    rows, total = lists.runs(session, r, window, sort, status=status, mechanism=mechanism)
    return Page.of([run_out(run) for run in rows], total, window)


@router.get("/runs/{run}")
def get_run(r: CoordinatorRound, run: PathId, session: SessionDep) -> RunOut:
    return run_out(repo.get_run(session, r, run))


@router.post("/runs/{run}/cancel", responses=documented(409))
def cancel_run(r: CoordinatorRound, run: PathId, session: SessionDep) -> RunOut:
    """Cancel a queued or running run: it never starts, or its worker stops the
    solve within a few seconds and stores nothing. A run that has ended answers
    409; cancelling a cancelled run again answers it as it is."""
    found = repo.get_run(session, r, run)
    if not repo.cancel_run(session, found) and found.status != RunStatus.CANCELLED:
        raise conflict(f"run {run!r} is {found.status}: only a queued or running run is cancelled")
    return run_out(found)


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


@router.post("/runs/{run}/publish", responses=documented(409))
def publish(
    r: CoordinatorRound, run: PathId, actor: CurrentActor, session: SessionDep, response: Response
) -> PublishOut:
    """Publish a solved run: the round's first version (a run of the closed
    round's snapshot), or its next (a re-match of the latest version, with
    every change made since). Publication writes the version's bundle
    (`GET /versions/{n}/bundle`), which `python -m matching audit` checks."""
    _document(session, r, run)  # 409 unless solved
    solved = repo.get_run(session, r, run)
    if solved.rematch_of is None:
        check(r.id, r.state, Action.PUBLISH)
        if solved.input_hash != r.snapshot_hash:
            raise conflict(
                f"run {run!r} solved snapshot {solved.input_hash}, but the round was reopened and "
                f"closed again as snapshot {r.snapshot_hash}: solve the current snapshot"
            )
        r.state = TRANSITIONS[RoundState(r.state), Action.PUBLISH]
    else:
        check(r.id, r.state, Action.REMATCH)
        last = published.latest(session, r)
        assert last is not None
        if solved.rematch_of != last.number:
            raise conflict(
                f"run {run!r} re-matched version {solved.rematch_of}, but version {last.number} "
                "has been published since: re-match again"
            )
        now = io.round_hash(parse_round(published.changed_document(session, r)))
        if solved.input_hash != now:
            raise conflict(
                f"run {run!r} re-matched the round before its latest changes or overrides: "
                "re-match again"
            )
    version = published.add_version(session, r, solved, actor.organization)
    bundle = published.write_bundle(session, r, solved, version, actor.who or actor.organization)
    response.headers["ETag"] = f'"{bundle.hash}"'  # the audit entry's "after": the bundle
    return PublishOut(
        round=r.id, state=RoundState(r.state), published_run=run, version=version.number
    )


def _solved(session: Session, r: t.Round, run_id: str) -> t.Run:
    """A solved run of the round (404 unknown, 409 while it is not solved)."""
    run = repo.get_run(session, r, run_id)
    if run.status != RunStatus.SOLVED:
        raise conflict(f"run {run_id!r} is {run.status}")
    return run


def _summary(session: Session, r: t.Round, run: t.Run) -> RunSummary:
    if run.summary:
        return RunSummary.model_validate(run.summary)
    return RunSummary.from_result(_result(session, r, run.id))  # solved before summaries


RunsParam = Annotated[str, Query(max_length=2000, description="comma-separated run ids")]


def _runs(session: Session, r: t.Round, runs: str, *, exactly: int | None = None) -> list[t.Run]:
    ids = [x for x in runs.split(",") if x]
    if len(ids) < 2 or (exactly is not None and len(ids) != exactly):
        wanted = "exactly two" if exactly == 2 else "at least two"
        raise Problem(
            422, f"name {wanted} runs", [{"field": "runs", "message": f"{wanted} run ids"}]
        )
    return [_solved(session, r, i) for i in ids]


@router.get("/compare", responses=documented(409))
def compare(r: CoordinatorRound, session: SessionDep, runs: RunsParam) -> CompareOut:
    """Two or more solved runs side by side, each with how many candidates it
    places differently from the first."""
    solved = _runs(session, r, runs)
    first = solved[0].id
    return CompareOut(
        runs=[
            ComparedRun.of_summary(
                run.id,
                _summary(session, r, run),
                0 if run.id == first else lists.differing(session, first, run.id),
            )
            for run in solved
        ]
    )


@router.get("/compare/moves", responses=documented(409))
def moves(
    r: CoordinatorRound,
    session: SessionDep,
    runs: RunsParam,
    window: WindowDep,
    sort: MoveSort = "candidate",
    q: Search = None,
    college: IdFilter = None,
    park: Annotated[IdFilter, Query(description="the park of either placement")] = None,
    kind: CandidateKind | None = None,
    tier: Tier | None = None,
) -> Page[MoveOut]:
    """Who two runs place differently (`runs`: the first, then the second),
    each with both outcomes."""
    before, after = _runs(session, r, runs, exactly=2)
    only = lists.Outcomes(q=q, college=college, park=park, kind=kind, tier=tier)
    rows, total = lists.moves(session, r.consortium_id, before.id, after.id, window, sort, only)
    names = repo.names(session, r.consortium_id)
    return Page.of([MoveOut.of_rows(a, b, names) for a, b in rows], total, window)


@router.get("/compare/changes", responses=documented(409))
def changes(r: CoordinatorRound, session: SessionDep, runs: RunsParam) -> ChangesOut:
    """How many each of two runs places, and the net change, per park
    (seats filled there), college or institute, kind and talent tier: the
    runs' own figures (the result's `metrics`)."""
    before, after = _runs(session, r, runs, exactly=2)
    names = repo.names(session, r.consortium_id)
    figures = [_metrics(session, r, run) for run in (before, after)]
    groups = {}
    for group in ("park", "college", "kind", "tier"):
        a, b = (
            {k: int(v["matched"]) for k, v in (m.get(f"by_{group}") or {}).items()} for m in figures
        )
        groups[group] = [
            GroupChange(
                key=k,
                name=names.get(k),
                before=a.get(k, 0),
                after=b.get(k, 0),
                change=b.get(k, 0) - a.get(k, 0),
            )
            for k in sorted(a.keys() | b.keys())
        ]
    return ChangesOut(runs=[before.id, after.id], **groups)


def _metrics(session: Session, r: t.Round, run: t.Run) -> dict[str, Any]:
    """A solved run's figures: its summary's (a run solved before summaries
    carried them: its result's)."""
    if run.summary and run.summary.get("metrics") is not None:
        figures: dict[str, Any] = run.summary["metrics"]
        return figures
    metrics: dict[str, Any] = _result(session, r, run.id)["metrics"]
    return metrics


def _rows(
    session: Session, r: t.Round, actor: Actor, run_id: str, rows: list[t.RunAssignment]
) -> list[AssignmentRow]:
    """Rows of a run's outcomes as the caller may read them (one row builder
    for every audience and every export): an enterprise without numbers, a
    college with its reasons' cutoffs as positions, the coordinator with the
    contract's reasons."""
    names = repo.names(session, r.consortium_id)
    positions = _positions(session, r, run_id, rows) if actor.role is Role.COLLEGE else {}
    out = []
    for ra in rows:
        row = AssignmentRow.of_row(ra, names)
        if actor.role is Role.ENTERPRISE:
            row.number = None  # who is coming, by name, college and level
        elif actor.role is Role.COORDINATOR:
            row.explanations = ra.explanations
        else:
            row.explanations = [_as_position(e, positions) for e in ra.explanations]
        out.append(row)
    return out


def _positions(
    session: Session, r: t.Round, run_id: str, rows: list[t.RunAssignment]
) -> dict[tuple[str, str], int]:
    """How many the run admitted at each placement and mentor whose cutoff
    these rows' reasons name."""
    full = [e for ra in rows for e in ra.explanations if "cutoff" in e]
    places = sorted({e["placement"] for e in full if not e.get("mentor")})
    mentors = sorted({e["mentor"] for e in full if e.get("mentor")})
    out = {("placement", p): n for p, n in lists.admitted(session, run_id, places).items()}
    out |= {("mentor", m): n for m, n in lists.admitted_with(session, r, run_id, mentors).items()}
    return out


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


def _outcomes_of(
    actor: CurrentActor,
    q: Search = None,
    college: Annotated[IdFilter, Query(description="a college's or institute's id")] = None,
    park: Annotated[IdFilter, Query(description="the park of the placement")] = None,
    host: Annotated[IdFilter, Query(description="the host enterprise's id")] = None,
    placement: IdFilter = None,
    kind: CandidateKind | None = None,
    tier: Tier | None = None,
    level: Level | None = None,
    placed: Annotated[bool | None, Query(description="false: the unplaced")] = None,
) -> lists.Outcomes:
    """The filters asked for, within what the caller may see: a college its
    own candidates, an enterprise who is coming to its placements."""
    return lists.Outcomes(
        affiliation=actor.organization if actor.role is Role.COLLEGE else None,
        host=actor.organization if actor.role is Role.ENTERPRISE else None,
        q=q,
        college=college,
        park=park,
        at=host,
        placement=placement,
        kind=kind,
        tier=tier,
        level=level,
        placed=placed,
    )


OutcomeFilters = Annotated[lists.Outcomes, Depends(_outcomes_of)]


@router.get("/assignments", response_model=AssignmentsOut, responses=ASSIGNMENTS)
def assignments(
    r: AnyRound,
    actor: CurrentActor,
    session: SessionDep,
    window: WindowDep,
    only: OutcomeFilters,
    sort: AssignmentSort = "candidate",
    format: str = Query("json", pattern="^(json|csv)$"),
) -> Any:
    """A page of the published assignments the caller may see: a college its
    own candidates (with the reasons for every better choice not obtained), an
    enterprise who is coming to its placements, the coordinator everyone.
    `format=csv`: every row that matches, as a download."""
    if r.state != RoundState.PUBLISHED or r.published_run is None:
        raise conflict(f"round {r.id!r} has no published result yet")
    return _assignments(session, r, actor, r.published_run, window, sort, only, format)


@router.get("/runs/{run}/assignments", response_model=AssignmentsOut, responses=ASSIGNMENTS)
def run_assignments(
    r: CoordinatorRound,
    run: PathId,
    actor: CurrentActor,
    session: SessionDep,
    window: WindowDep,
    only: OutcomeFilters,
    sort: AssignmentSort = "candidate",
    format: str = Query("json", pattern="^(json|csv)$"),
) -> Any:
    """A page of a solved run's assignments, with hosts, colleges and reasons
    (the coordinator, before or after publication; `placed=false`: the
    unplaced). `format=csv`: every row that matches, as a download."""
    _solved(session, r, run)
    return _assignments(session, r, actor, run, window, sort, only, format)


def _assignments(
    session: Session,
    r: t.Round,
    actor: Actor,
    run: str,
    window: Window,
    sort: str,
    only: lists.Outcomes,
    format: str,
) -> Any:
    if format == "json":
        found, total = lists.assignments(session, r.consortium_id, run, window, sort, only)
        return AssignmentsOut(
            round=r.id,
            run=run,
            items=_rows(session, r, actor, run, found),
            total=total,
            limit=window.limit,
            offset=window.offset,
        )
    found, _ = lists.assignments(session, r.consortium_id, run, None, sort, only)
    out = _io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["candidate", "affiliation", "placement", "host", "reasons"])
    for row in _rows(session, r, actor, run, found):
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
