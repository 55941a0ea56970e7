"""The solve worker: claims queued runs from the database and writes results.

Several workers, on several hosts, may share one database. A claim is a
compare-and-set on the run's (status, attempt), so two workers never hold the
same run. A holder renews its lease while it solves; a run whose lease lapses
(its worker died) is claimed again with the next attempt number, and the
result write is fenced by that number, so a paused worker that wakes up late
cannot overwrite the newer attempt. The result and the run's status are
written in one transaction.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from api.answers import RunSummary
from api.config import Settings
from api.schemas import RunIn
from api.storage import queue
from api.storage import repository as repo
from api.storage.db import make_engine, migrate, session_factory, transaction
from matching import MatchingError, io, parse_round, solve

log = logging.getLogger("api.worker")


@dataclass(frozen=True)
class Claim:
    id: str
    attempt: int
    mechanism: str
    options: dict[str, object]
    input_hash: str


def claim(factory: sessionmaker[Session], worker: str, lease: float) -> Claim | None:
    with transaction(factory) as s:
        run = queue.claim_next_run(s, worker, lease)
        if run is None:
            return None
        return Claim(run.id, run.attempt, run.mechanism, dict(run.options), run.input_hash)


def execute(factory: sessionmaker[Session], job: Claim, lease: float) -> bool:
    """Solve one claimed run; True when its outcome was written."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(lease / 3):
            with transaction(factory) as s:
                if not queue.heartbeat(s, job.id, job.attempt, lease, "solving"):
                    return

    keeper = threading.Thread(target=beat, daemon=True)
    keeper.start()
    document: str | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None
    try:
        with transaction(factory) as s:
            queue.heartbeat(s, job.id, job.attempt, lease, "solving")
            text = repo.snapshot(s, job.input_hash)
        if text is None:
            raise MatchingError(f"snapshot {job.input_hash} is missing")
        round_ = parse_round(io.parse_json(text))
        run = RunIn.from_stored(job.mechanism, job.options)
        result = io.result_to_dict(solve(round_, run.mechanism, run.to_options()))
        document = io.dumps(result)
        summary = RunSummary.from_result(result).model_dump(mode="json")
    except MatchingError as exc:
        error = str(exc)
    except Exception as exc:  # a bug must fail the run visibly, not kill the worker
        log.exception("run %s failed", job.id)
        error = f"internal error: {type(exc).__name__}: {exc}"
    finally:
        stop.set()
        keeper.join()
    with transaction(factory) as s:
        written = queue.finish_run(
            s, job.id, job.attempt, document=document, summary=summary, error=error
        )
    if not written:
        log.warning("run %s attempt %d: lease lost, result discarded", job.id, job.attempt)
    return written


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
