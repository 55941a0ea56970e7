"""The worker's claims, leases and fenced writes, against the real database."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import update

from api.jobs import claim, execute
from api.storage import repository as repo
from api.storage import tables as t
from api.storage.db import make_engine, session_factory, transaction
from tests.api import flow
from tests.api.conftest import World


def _queue(w: World, n: int) -> list[str]:
    flow.open_round(w)
    flow.post_placements(w)
    flow.register_candidates(w)
    w.client.post("/rounds/r1/close", headers=w.coordinator)
    ids = []
    for i in range(n):
        answer = w.client.post(
            "/rounds/r1/runs", json={"time_limit": 100 + i}, headers=w.coordinator
        )
        assert answer.status_code == 202
        ids.append(answer.json()["id"])
    return ids


def test_concurrent_workers_claim_each_run_once(world: World) -> None:
    ids = _queue(world, 6)
    engine = make_engine(world.settings.database_url)
    factory = session_factory(engine)
    claimed: list[str] = []
    lock = threading.Lock()

    def grab(name: str) -> None:
        while (job := claim(factory, name, 30)) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=grab, args=(f"w{i}",)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    engine.dispose()
    assert sorted(claimed) == sorted(ids)


def test_same_options_while_queued_return_the_queued_run(world: World) -> None:
    (run,) = _queue(world, 1)
    again = world.client.post(
        "/rounds/r1/runs", json={"time_limit": 100}, headers=world.coordinator
    )
    assert again.status_code == 200 and again.json()["id"] == run


def test_a_lapsed_lease_is_claimed_again_and_the_late_write_is_refused(world: World) -> None:
    (run,) = _queue(world, 1)
    engine = make_engine(world.settings.database_url)
    factory = session_factory(engine)
    first = claim(factory, "paused", 30)
    assert first is not None and first.attempt == 1
    assert claim(factory, "other", 30) is None  # held
    with transaction(factory) as s:  # the paused worker's lease runs out
        s.execute(
            update(t.Run)
            .where(t.Run.id == run)
            .values(lease_until=repo.now() - timedelta(seconds=1))
        )
    second = claim(factory, "other", 30)
    assert second is not None and second.id == run and second.attempt == 2
    assert execute(factory, second, 30) is True
    assert execute(factory, first, 30) is False  # fenced by the attempt number
    status = world.client.get(f"/rounds/r1/runs/{run}", headers=world.coordinator).json()
    assert status["status"] == "solved" and status["attempt"] == 2
    engine.dispose()


def test_migrations_and_tables_agree(world: World) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(world.settings.database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), t.Base.metadata)
    engine.dispose()
    assert diff == []


def test_solve_requests_beyond_the_rate_are_429(world: World) -> None:
    from dataclasses import replace

    world.client.app.state.settings = replace(world.settings, runs_per_minute=3)
    _queue(world, 3)
    answer = world.client.post(
        "/rounds/r1/runs", json={"time_limit": 99}, headers=world.coordinator
    )
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "60"
    # the same options as a queued run still answer with that run
    again = world.client.post(
        "/rounds/r1/runs", json={"time_limit": 100}, headers=world.coordinator
    )
    assert again.status_code == 200
