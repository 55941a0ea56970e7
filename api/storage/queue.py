"""The worker's side of the run queue: claim a run, keep its lease, write its
outcome. Each write is fenced by the attempt, so a worker that lost its lease
can change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from api.storage import audit
from api.storage import tables as t
from api.storage.repository import MANY, analyze, bulk_insert, now
from api.vocabulary import RunStatus, WorkerStage


def claim_next_run(s: Session, worker: str, lease: float) -> t.Run | None:
    """Take the oldest queued run, or a running one whose lease has expired.

    Compare-and-set on (status, attempt): of several workers racing for the
    same run, exactly one update matches; the others try the next run."""
    moment = now()
    candidates_ = s.execute(
        select(t.Run.id, t.Run.attempt, t.Run.status)
        .where(
            or_(
                t.Run.status == RunStatus.QUEUED,
                (t.Run.status == RunStatus.RUNNING) & (t.Run.lease_until < moment),
            )
        )
        .order_by(t.Run.created_at)
        .limit(10)
    ).all()
    for run_id, attempt, status in candidates_:
        claimed = s.execute(
            update(t.Run)
            .where(t.Run.id == run_id, t.Run.attempt == attempt, t.Run.status == status)
            .values(
                status=RunStatus.RUNNING,
                attempt=attempt + 1,
                worker=worker,
                lease_until=moment + timedelta(seconds=lease),
                started_at=moment,
                progress=WorkerStage.CLAIMED,
                error=None,
            )
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            return s.get(t.Run, run_id)
    return None


def heartbeat(s: Session, run_id: str, attempt: int, lease: float, progress: str) -> bool:
    done = s.execute(
        update(t.Run)
        .where(t.Run.id == run_id, t.Run.attempt == attempt, t.Run.status == RunStatus.RUNNING)
        .values(lease_until=now() + timedelta(seconds=lease), progress=progress)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def finish_run(
    s: Session,
    run_id: str,
    attempt: int,
    *,
    document: str | None = None,
    summary: dict[str, Any] | None = None,
    rows: list[dict[str, Any]] | None = None,
    error: str | None = None,
) -> bool:
    """Write the outcome, the result and its assignments as rows
    (api.storage.outcomes) in the caller's transaction, fenced by the attempt:
    a worker that lost its lease, or whose run was cancelled, writes nothing."""
    done = s.execute(
        update(t.Run)
        .where(t.Run.id == run_id, t.Run.attempt == attempt, t.Run.status == RunStatus.RUNNING)
        .values(
            status=RunStatus.SOLVED if error is None else RunStatus.FAILED,
            finished_at=now(),
            error=error,
            summary=summary,
            progress=None,
            lease_until=None,
        )
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return False
    run = s.get(t.Run, run_id)
    assert run is not None
    audit.append(
        s,
        run.consortium_id,
        who="worker",
        action="run solved" if error is None else "run failed",
        object=f"/rounds/{run.round_id}/runs/{run_id}",
        after=run.input_hash if error is None else None,
        status=200 if error is None else 500,
    )
    if document is not None:
        s.add(t.RunResult(run_id=run_id, document=document))
    if rows:
        bulk_insert(s, t.RunAssignment, rows)
        if len(rows) >= MANY:
            analyze(s, t.RunAssignment)
    return True
