"""Solves, results, publication, and the assignments each audience may see."""

from __future__ import annotations

import csv
import io as _io
import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import Session

from api.deps import Actor, CurrentActor, SessionDep, require
from api.downloads import attachment
from api.jsonbody import StrictJsonRoute
from api.problems import COMMON, Problem, conflict, documented
from api.schemas import PathId, RunIn
from api.storage import repository as repo
from api.storage import tables as t
from matching import __version__

router = APIRouter(
    prefix="/rounds/{round}", tags=["runs"], route_class=StrictJsonRoute, responses=COMMON
)


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every one stored here is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def run_out(run: t.Run) -> dict[str, Any]:
    end = _utc(run.finished_at) or (repo.now() if run.status == "running" else None)
    start = _utc(run.started_at)
    created = _utc(run.created_at)
    assert created is not None
    return {
        "id": run.id,
        "round": run.round_id,
        "status": run.status,
        "progress": run.progress,
        "mechanism": run.mechanism,
        "options": run.options,
        "seed": run.seed,
        "input_hash": run.input_hash,
        "engine_version": run.engine_version,
        "attempt": run.attempt,
        "error": run.error,
        "created_at": created.isoformat(),
        "elapsed_seconds": round((end - start).total_seconds(), 3) if start and end else None,
    }


@router.post(
    "/runs",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        200: {"description": "A run with the same options is queued or running: that run"},
        **documented(429),
    },
)
def start_run(
    round: PathId,
    body: RunIn,
    actor: CurrentActor,
    session: SessionDep,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    """Queue a solve of the round's frozen snapshot; a worker picks it up. The
    same options while such a run is queued or running return that run."""
    r = repo.get_round(session, actor.consortium, round)
    require(actor, "coordinator")
    if r.state != "closed":
        raise conflict(f"round {round!r} is {r.state}; close it before solving")
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
    limit = request.app.state.settings.runs_per_minute
    if repo.runs_since(session, actor.consortium, repo.now() - timedelta(minutes=1)) >= limit:
        raise Problem(429, f"at most {limit} solves a minute per consortium; try again shortly")
    run = repo.new_run(session, r, body.mechanism, options, __version__)
    session.flush()
    return run_out(run)


@router.get("/runs")
def list_runs(round: PathId, actor: CurrentActor, session: SessionDep) -> list[dict[str, Any]]:
    r = repo.get_round(session, actor.consortium, round)
    require(actor, "coordinator")
    return [run_out(run) for run in repo.runs(session, r)]


@router.get("/runs/{run}")
def get_run(round: PathId, run: PathId, actor: CurrentActor, session: SessionDep) -> dict[str, Any]:
    r = repo.get_round(session, actor.consortium, round)
    require(actor, "coordinator")
    return run_out(repo.get_run(session, r, run))


def _document(session: Session, r: t.Round, run_id: str) -> str:
    """A solved run's result document (409 while it is not solved)."""
    run = repo.get_run(session, r, run_id)
    document = repo.run_result(session, run.id)
    if run.status != "solved" or document is None:
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


@router.get("/runs/{run}/result")
def get_result(round: PathId, run: PathId, actor: CurrentActor, session: SessionDep) -> Response:
    r = repo.get_round(session, actor.consortium, round)
    require(actor, "coordinator")
    return Response(_document(session, r, run), media_type="application/json")


@router.post("/runs/{run}/publish")
def publish(round: PathId, run: PathId, actor: CurrentActor, session: SessionDep) -> dict[str, Any]:
    r = repo.get_round(session, actor.consortium, round)
    require(actor, "coordinator")
    if r.state != "closed":
        raise conflict(f"round {round!r} is {r.state}; only a closed round can be published")
    solved = repo.get_run(session, r, run)
    _result(session, r, run)
    if solved.input_hash != r.snapshot_hash:
        raise conflict(
            f"run {run!r} solved snapshot {solved.input_hash}, but the round was reopened and "
            f"closed again as snapshot {r.snapshot_hash}: solve the current snapshot"
        )
    r.state, r.published_run = "published", run
    return {"round": r.id, "state": r.state, "published_run": run}


@router.get("/compare")
def compare(
    round: PathId,
    actor: CurrentActor,
    session: SessionDep,
    runs: str = Query(description="comma-separated run ids"),
) -> dict[str, Any]:
    r = repo.get_round(session, actor.consortium, round)
    require(actor, "coordinator")
    ids = [x for x in runs.split(",") if x]
    if len(ids) < 2:
        raise Problem(
            422, "name at least two runs", [{"field": "runs", "message": "at least two run ids"}]
        )
    results = {i: _result(session, r, i) for i in ids}
    first = results[ids[0]]["assignments"]
    return {
        "runs": [
            {
                "run": i,
                "mechanism": res["mechanism"],
                "status": res["status"],
                "stability": res["stability"],
                "objective": res["objective"],
                "matched": res["metrics"]["matched"],
                "mean_rank": res["metrics"]["mean_rank"],
                "rank_histogram": res["metrics"]["rank_histogram"],
                "blocking_pairs": len(res["blocking_pairs"]),
                "policies_met": sum(p["satisfied"] for p in res["policies"]),
                "policies": len(res["policies"]),
                "differs_from_first": sum(
                    1 for c, p in res["assignments"].items() if first.get(c) != p
                ),
            }
            for i, res in results.items()
        ]
    }


def _rows(session: Session, r: t.Round, actor: Actor, run_id: str) -> list[dict[str, Any]]:
    """The assignments of a run that the caller may see, each with its host and
    the candidate's college or institute (one row builder for every audience
    and every export)."""
    result = _result(session, r, run_id)
    hosts = repo.placement_hosts(session, r)
    affiliations = repo.affiliations(session, r)
    explanations = result["explanations"]
    rows = []
    for cid, pid in result["assignments"].items():
        affiliation = affiliations.get(cid)
        if actor.role == "college" and affiliation != actor.organization:
            continue
        if actor.role == "enterprise" and (pid is None or hosts.get(pid) != actor.organization):
            continue
        row: dict[str, Any] = {
            "candidate": cid,
            "placement": pid,
            "host": hosts.get(pid) if pid else None,
            "affiliation": affiliation,
        }
        if actor.role != "enterprise":
            row["explanations"] = explanations.get(cid, [])
        rows.append(row)
    return rows


@router.get(
    "/assignments",
    response_model=None,
    responses={
        200: {
            "description": "The caller's assignments, as JSON or (format=csv) CSV",
            "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def assignments(
    round: PathId,
    actor: CurrentActor,
    session: SessionDep,
    format: str = Query("json", pattern="^(json|csv)$"),
) -> Any:
    """The published assignments the caller may see: a college its own
    candidates (with the reasons for every better choice not obtained), an
    enterprise who is coming to its placements, the coordinator everyone."""
    r = repo.get_round(session, actor.consortium, round)
    if r.state != "published" or r.published_run is None:
        raise conflict(f"round {round!r} has no published result yet")
    return _assignments(r, r.published_run, _rows(session, r, actor, r.published_run), format)


@router.get(
    "/runs/{run}/assignments",
    response_model=None,
    responses={
        200: {
            "description": "A run's assignments, as JSON or (format=csv) CSV",
            "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def run_assignments(
    round: PathId,
    run: PathId,
    actor: CurrentActor,
    session: SessionDep,
    format: str = Query("json", pattern="^(json|csv)$"),
) -> Any:
    """Every assignment of a solved run, with hosts, colleges and reasons (the
    coordinator, before or after publication)."""
    r = repo.get_round(session, actor.consortium, round)
    require(actor, "coordinator")
    return _assignments(r, run, _rows(session, r, actor, run), format)


def _assignments(r: t.Round, run: str, rows: list[dict[str, Any]], format: str) -> Any:
    if format == "json":
        return {"round": r.id, "run": run, "assignments": rows}
    out = _io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["candidate", "affiliation", "placement", "host", "reasons"])
    for row in rows:
        reasons = "; ".join(
            f"{e['placement']}: {e['reason']}"
            + "".join(
                f" {k} {e[k]}" for k in ("cutoff", "rule", "mentor", "policy", "gain") if k in e
            )
            for e in row.get("explanations", [])
        )
        writer.writerow(
            [
                row["candidate"],
                row["affiliation"] or "",
                row["placement"] or "",
                row["host"] or "",
                reasons,
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers=attachment(f"{r.id}-assignments.csv"),
    )
