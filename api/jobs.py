"""The solve worker: claims queued runs from the database, solves each in a
process of its own, and writes results.

Several workers, on several hosts, may share one database. A claim is a
compare-and-set on the run's (status, attempt), so two workers never hold the
same run. A holder renews its lease while it solves; a run whose lease lapses
(its worker died) is claimed again with the next attempt number, and the
result write is fenced by that number, so a paused worker that wakes up late
cannot overwrite the newer attempt. The result, its assignments as rows and
the run's status are written in one transaction. A cancelled run is no longer
the holder's either: its solve process is killed at the next renewal.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.context
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from api.answers import RunSummary
from api.config import Settings
from api.schemas import RunIn
from api.storage import outcomes, published, queue
from api.storage import repository as repo
from api.storage.db import make_engine, migrate, session_factory, transaction
from api.vocabulary import WorkerStage
from matching import MatchingError, io, parse_round, solve
from matching.base import Stage
from matching.engine import rematch, rematch_document

log = logging.getLogger("api.worker")


@dataclass(frozen=True)
class Claim:
    id: str
    attempt: int
    mechanism: str
    options: dict[str, object]
    input_hash: str
    rematch_of: int | None = None  # a re-match: the published version it starts from


def claim(factory: sessionmaker[Session], worker: str, lease: float) -> Claim | None:
    with transaction(factory) as s:
        run = queue.claim_next_run(s, worker, lease)
        if run is None:
            return None
        return Claim(
            run.id, run.attempt, run.mechanism, dict(run.options), run.input_hash, run.rematch_of
        )


def execute(factory: sessionmaker[Session], job: Claim, lease: float, poll: float = 1.0) -> bool:
    """Solve one claimed run in a process of its own; True when its outcome was
    written.

    The solve runs in a child process so that it can be stopped at any moment:
    a MILP inside CBC or HiGHS does not return to Python between its nodes.
    Every `poll` seconds (and at each new stage) this process renews the lease
    with the stage the child reached; when the renewal finds the run no longer
    ours (cancelled, or claimed again after a lapse) the child is killed and
    nothing is written."""
    with transaction(factory) as s:
        queue.heartbeat(s, job.id, job.attempt, lease, WorkerStage.LOADING)
        text = repo.snapshot(s, job.input_hash)
        base = _published(s, job) if job.rematch_of is not None else None
    if text is None:
        return _finish(factory, job, ("error", f"snapshot {job.input_hash} is missing"))
    outcome = _supervise(factory, job, lease, poll, text, base)
    if outcome is None:
        log.info("run %s attempt %d: cancelled or lease lost, solve stopped", job.id, job.attempt)
        return False
    return _finish(factory, job, outcome)


Outcome = tuple[Any, ...]  # ("done", document, summary, rows) or ("error", message)
Published = tuple[str, dict[str, str | None]]  # a version's round document and assignments


def _published(s: Session, job: Claim) -> Published:
    """What a re-match starts from: its version's round and assignments."""
    run = repo.run_by_id(s, job.id)
    r = repo.get_round(s, run.consortium_id, run.round_id)
    version = published.version(s, r, job.rematch_of or 0)
    assert version is not None, f"run {job.id}: version {job.rematch_of} is missing"
    base = repo.run_by_id(s, version.run_id)
    text = repo.snapshot(s, base.input_hash)
    assert text is not None, f"snapshot {base.input_hash} is missing"
    return text, published.assignments(s, base.id)


def _supervise(
    factory: sessionmaker[Session],
    job: Claim,
    lease: float,
    poll: float,
    text: str,
    base: Published | None = None,
) -> Outcome | None:
    """Run the child and follow it: its stages to the run's progress; None
    when the run stopped being ours (the child killed)."""
    context = _processes()
    results, sender = context.Pipe(duplex=False)
    lifeline, keeper = context.Pipe(duplex=False)
    child = context.Process(
        target=_solve_child,
        args=(sender, lifeline, job.id, text, job.mechanism, job.options, base),
        daemon=True,
    )
    child.start()
    sender.close()
    lifeline.close()
    stage: str = WorkerStage.STARTING
    try:
        while True:
            outcome: Outcome | None = None
            if results.poll(poll):
                try:
                    message = results.recv()
                except EOFError:
                    message = ("error", f"the solve process ended (exit code {child.exitcode})")
                if message[0] == "stage":
                    stage = message[1]
                else:
                    outcome = message
            with transaction(factory) as s:
                ours = queue.heartbeat(s, job.id, job.attempt, lease, stage)
            if not ours:
                return None
            if outcome is not None:
                return outcome
    finally:
        _stop(child)
        keeper.close()
        results.close()


def _stop(child: multiprocessing.process.BaseProcess) -> None:
    """End the solve process and whatever it started (a CBC process runs on
    to its time limit otherwise): they share a process group of their own."""
    if child.pid is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
    child.join()


def _finish(factory: sessionmaker[Session], job: Claim, outcome: Outcome) -> bool:
    with transaction(factory) as s:
        if outcome[0] == "done":
            _, document, summary, rows = outcome
            written = queue.finish_run(
                s, job.id, job.attempt, document=document, summary=summary, rows=rows
            )
        else:
            written = queue.finish_run(s, job.id, job.attempt, error=outcome[1])
    if not written:
        log.warning("run %s attempt %d: lease lost, result discarded", job.id, job.attempt)
    return written


def _processes() -> multiprocessing.context.ForkServerContext:
    """Solves start from a server process that has imported the engine once
    (forkserver): a new solve process is a fork of it, in milliseconds, and
    never a fork of this process's threads and database connections."""
    context = multiprocessing.get_context("forkserver")
    assert isinstance(context, multiprocessing.context.ForkServerContext)
    context.set_forkserver_preload(["api.jobs"])
    return context


def _solve_child(
    results: Connection,
    lifeline: Connection,
    run_id: str,
    text: str,
    mechanism: str,
    options: dict[str, object],
    base: Published | None = None,
) -> None:
    """The solve process: each stage told as it begins, then the outcome (a
    re-match of `base`, the published round and assignments, if given). It
    leads a process group of its own (a solver it starts joins it), and ends
    the group when its worker dies (the lifeline's other end closes)."""
    os.setpgrp()
    threading.Thread(target=_exit_with_parent, args=(lifeline,), daemon=True).start()
    try:
        snapshot = io.parse_json(text)
        assert isinstance(snapshot, dict)  # a snapshot is a stored round document
        round_ = parse_round(snapshot)
        run = RunIn.from_stored(mechanism, options)

        def told(stage: Stage) -> None:
            results.send(("stage", stage.value))

        if base is None:
            result = io.result_to_dict(solve(round_, run.mechanism, run.to_options(), told))
        else:
            before = parse_round(io.parse_json(base[0]))
            done = rematch(round_, before, base[1], run.to_options(), told)
            result = rematch_document(done, before)
        results.send(("stage", WorkerStage.STORING.value))
        document = io.dumps(result)
        summary = RunSummary.from_result(result).model_dump(mode="json")
        rows = outcomes.rows(run_id, snapshot, result)
        outcome: Outcome = ("done", document, summary, rows)
    except MatchingError as exc:
        outcome = ("error", str(exc))
    except Exception as exc:  # a bug must fail the run visibly, not kill the worker
        log.exception("run %s failed", run_id)
        outcome = ("error", f"internal error: {type(exc).__name__}: {exc}")
    results.send(outcome)


def _exit_with_parent(lifeline: Connection) -> None:
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv()
    os.killpg(0, signal.SIGKILL)


def work(
    settings: Settings,
    *,
    once: bool = False,
    poll: float = 0.5,
    stop: threading.Event | None = None,
) -> int:
    """Claim and solve runs until stopped (or, with `once`, until none is queued).
    Returns the number of runs this worker finished."""
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        factory = session_factory(engine)
        name = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        done = 0
        while stop is None or not stop.is_set():
            try:
                job = claim(factory, name, settings.lease_seconds)
            except OperationalError as exc:  # e.g. SQLite locked by a paused process
                log.warning("claim failed, retrying: %s", exc)
                time.sleep(poll)
                continue
            if job is None:
                if once:
                    break
                time.sleep(poll)
                continue
            log.info("run %s attempt %d: %s", job.id, job.attempt, job.mechanism)
            done += execute(factory, job, settings.lease_seconds)
        return done
    finally:
        engine.dispose()
