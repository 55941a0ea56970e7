"""Workers killed with SIGKILL at random moments during solves: every run
still ends solved, nothing partial is ever visible, and every re-solve gives
the same bytes. On SQLite and (where reachable) PostgreSQL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.demo import create_consortium
from api.main import create_app
from matching.base import Stage
from tests.api.conftest import database_url  # noqa: F401  (the fixture)

ROOT = Path(__file__).parents[2]
ROUND = ROOT / "fixtures" / "rounds" / "changzhou-2027.json"
TRIALS = int(os.environ.get("KILL_TRIALS", "12"))  # `make soak` runs 300
LEASE = 2.0


def _worker(url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "RUN_LEASE_SECONDS": str(LEASE)}
    return subprocess.Popen(
        [sys.executable, "-m", "api", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _closed_round(c: TestClient, headers: dict[str, str]) -> str:
    """The Changzhou round imported and closed; its snapshot hash."""
    c.post("/rounds", json={"id": "cz-2027"}, headers=headers)
    c.post("/rounds/cz-2027/open", headers=headers)
    c.post(
        "/rounds/cz-2027/import",
        content=ROUND.read_bytes(),
        headers={**headers, "Content-Type": "application/json"},
    )
    return str(c.post("/rounds/cz-2027/close", headers=headers).json()["snapshot_hash"])


@pytest.mark.slow
def test_killed_workers_lose_nothing(database_url: str) -> None:  # noqa: F811
    settings = Settings(database_url=database_url, runs_per_minute=1000, lease_seconds=LEASE)
    token = create_consortium(settings, "cz", "Changzhou", "gov-cz", "City")
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(settings)
    rng = random.Random(7)
    with TestClient(app) as c:
        frozen = _closed_round(c, headers)
        runs = [
            c.post("/rounds/cz-2027/runs", json={"time_limit": 100 + i}, headers=headers).json()[
                "id"
            ]
            for i in range(TRIALS)
        ]
        kills = 0
        whole: set[str] = set()
        while kills < TRIALS:
            worker = _worker(database_url)
            time.sleep(rng.uniform(0.5, 2.5))
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            kills += 1
            # between kills, never a partial result: a run seen solved has a whole
            # document (and keeps it: all are compared byte for byte at the end)
            for run in runs:
                if run in whole:
                    continue
                status = c.get(f"/rounds/cz-2027/runs/{run}", headers=headers).json()
                if status["status"] == "solved":
                    result = c.get(f"/rounds/cz-2027/runs/{run}/result", headers=headers)
                    assert len(json.loads(result.content)["assignments"]) == 5000
                    whole.add(run)
        survivor = _worker(database_url)
        try:
            deadline = time.monotonic() + 120 + LEASE * TRIALS
            while True:
                states = [
                    c.get(f"/rounds/cz-2027/runs/{run}", headers=headers).json() for run in runs
                ]
                if all(s["status"] in ("solved", "failed") for s in states):
                    break
                assert time.monotonic() < deadline, [s["status"] for s in states]
                time.sleep(0.5)
        finally:
            survivor.terminate()
            survivor.wait(timeout=30)
        assert [s["status"] for s in states] == ["solved"] * TRIALS
        documents = {
            c.get(f"/rounds/cz-2027/runs/{run}/result", headers=headers).content for run in runs
        }
        assert len(documents) == 1  # every attempt of every run: the same bytes
        assert c.get("/rounds/cz-2027", headers=headers).json()["snapshot_hash"] == frozen
        attempts = sum(s["attempt"] for s in states)
        print(f"\n{TRIALS} kills, {attempts} attempts for {TRIALS} runs, 0 lost")
    app.state.engine.dispose()


@pytest.mark.slow
def test_a_paused_worker_cannot_overwrite_the_run_it_lost(database_url: str) -> None:  # noqa: F811
    settings = Settings(database_url=database_url, lease_seconds=LEASE)
    token = create_consortium(settings, "cz", "Changzhou", "gov-cz", "City")
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(settings)
    with TestClient(app) as c:
        _closed_round(c, headers)
        run = c.post("/rounds/cz-2027/runs", json={"mechanism": "optimal"}, headers=headers).json()[
            "id"
        ]
        url = f"/rounds/cz-2027/runs/{run}"
        paused = _worker(database_url)
        deadline = time.monotonic() + 60
        while c.get(url, headers=headers).json()["progress"] != Stage.SOLVE:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        # mid-solve: its renewals stop (its solve process goes on, and its
        # outcome waits in the pipe for a worker that lost the run)
        paused.send_signal(signal.SIGSTOP)
        other = _worker(database_url)
        try:
            deadline = time.monotonic() + 120
            while (status := c.get(url, headers=headers).json())["status"] != "solved":
                assert time.monotonic() < deadline, status
                time.sleep(0.2)
            assert status["attempt"] == 2
            first = c.get(f"{url}/result", headers=headers).content
            paused.send_signal(signal.SIGCONT)  # it finishes its solve and tries to write
            time.sleep(8)
            after = c.get(url, headers=headers).json()
            assert (after["status"], after["attempt"]) == ("solved", 2)
            assert c.get(f"{url}/result", headers=headers).content == first
        finally:
            for proc in (paused, other):
                proc.send_signal(signal.SIGCONT)
                proc.terminate()
                proc.wait(timeout=30)
            app.state.engine.dispose()


def _solvers() -> set[int]:
    """The CBC processes running now (the MILP's solver, started by a solve)."""
    found = subprocess.run(["pgrep", "-f", "cbc"], capture_output=True, text=True).stdout
    return {int(pid) for pid in found.split()}


@pytest.mark.slow
def test_a_cancelled_solve_stops_its_solver_too(database_url: str) -> None:  # noqa: F811
    """Cancelling an `optimal` solve with required stability on the Changzhou
    round (a MILP that CBC works at for minutes) stops the solve process and
    the CBC process it started, within seconds; nothing is written."""
    from api.jobs import claim, execute
    from api.storage.db import make_engine, session_factory

    settings = Settings(database_url=database_url, lease_seconds=30)
    token = create_consortium(settings, "cz", "Changzhou", "gov-cz", "City")
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(settings)
    before = _solvers()
    with TestClient(app) as c:
        _closed_round(c, headers)
        body = {"mechanism": "optimal", "stability": "required", "time_limit": 600}
        run = c.post("/rounds/cz-2027/runs", json=body, headers=headers).json()["id"]
        engine = make_engine(database_url)
        factory = session_factory(engine)
        job = claim(factory, "w", 30)
        assert job is not None and job.id == run
        outcome: list[bool] = []
        solving = threading.Thread(target=lambda: outcome.append(execute(factory, job, 30, 0.2)))
        solving.start()
        deadline = time.monotonic() + 120
        while not _solvers() - before:  # CBC at work
            assert time.monotonic() < deadline and solving.is_alive()
            time.sleep(0.2)
        cancelled = time.monotonic()
        assert c.post(f"/rounds/cz-2027/runs/{run}/cancel", headers=headers).status_code == 200
        solving.join(timeout=30)
        assert outcome == [False]
        while _solvers() - before:
            assert time.monotonic() - cancelled < 5, "CBC runs on after the cancel"
            time.sleep(0.1)
        status = c.get(f"/rounds/cz-2027/runs/{run}", headers=headers).json()
        assert status["status"] == "cancelled" and status["summary"] is None
        engine.dispose()
    app.state.engine.dispose()
