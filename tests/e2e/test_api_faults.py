"""The API process killed with SIGKILL while organizations write: every write
is wholly stored or absent, every acknowledged write survives, and SQLite's
integrity check passes. On SQLite and (where reachable) PostgreSQL.

Writers, from several threads at once: enterprises' placements (PUT) and the
coordinator's imports of whole round documents (many placements and
candidates in one request, each into a round of its own). After each kill
the server is started again on the same database and the writers go on."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import load  # bench/load.py: the service's processes
import pytest

from api.config import Settings
from api.demo import create_consortium
from tests.api.conftest import database_url  # noqa: F401  (the fixture)

ROOT = Path(__file__).parents[2]

TRIALS = int(os.environ.get("API_KILL_TRIALS", "5"))  # `make soak` runs more
IMPORT_PLACEMENTS = 150
IMPORT_CANDIDATES = 300


class Server:
    def __init__(self, url: str) -> None:
        self.env = {**os.environ, "DATABASE_URL": url}
        self.port = load.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api", "serve", "--port", str(self.port)],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        load.wait_until_up(self.url)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


@pytest.fixture
def server(database_url: str) -> Iterator[Server]:  # noqa: F811
    s = Server(database_url)
    s.start()
    try:
        yield s
    finally:
        if s.proc is not None and s.proc.poll() is None:
            s.proc.terminate()
            s.proc.wait(timeout=30)


def _document(k: int) -> bytes:
    doc = {
        "id": "ignored",
        "seed": k,
        "organizations": [
            {"id": "gov", "kind": "government"},
            {"id": "ent-a", "kind": "enterprise"},
            {"id": "col-a", "kind": "college", "level": "higher_vocational"},
        ],
        "placements": [
            {"id": f"i{k}-p{j}", "host": "ent-a", "kind": "internship", "capacity": 2}
            for j in range(IMPORT_PLACEMENTS)
        ],
        "candidates": [
            {
                "id": f"i{k}-s{j}",
                "kind": "student",
                "college": "col-a",
                "preferences": [f"i{k}-p{(j + d) % IMPORT_PLACEMENTS}" for d in range(3)],
            }
            for j in range(IMPORT_CANDIDATES)
        ],
    }
    return json.dumps(doc).encode()


def _every(c: httpx.Client, path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every row of a list, a page of 200 at a time."""
    rows: list[dict[str, Any]] = []
    while True:
        page = c.get(path, params={"limit": 200, "offset": len(rows)}, headers=headers).json()
        rows += page["items"]
        if not page["items"] or len(rows) >= page["total"]:
            return rows


@pytest.mark.slow
def test_killed_api_keeps_every_write_whole(server: Server, database_url: str) -> None:  # noqa: F811
    token = create_consortium(Settings(database_url=database_url), "cz", "CZ", "gov", "City")
    coordinator = {"Authorization": f"Bearer {token}"}
    c = httpx.Client(base_url=server.url, timeout=60)
    c.post("/organizations", json={"id": "ent-a", "kind": "enterprise"}, headers=coordinator)
    enterprise = {
        "Authorization": "Bearer "
        + c.post("/tokens", json={"organization": "ent-a"}, headers=coordinator).json()["token"]
    }
    assert c.post("/rounds", json={"id": "live"}, headers=coordinator).status_code == 201
    assert c.post("/rounds/live/open", headers=coordinator).status_code == 200

    acked_places: set[str] = set()
    tried_imports: set[int] = set()
    acked_imports: set[int] = set()
    lock = threading.Lock()
    stop = threading.Event()
    counter = iter(range(10**9))

    def post_placements(worker: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as mine:
            while not stop.is_set():
                pid = f"w{worker}-{next(counter)}"
                body = {"kind": "internship", "capacity": 3, "skills": ["qc", "ferment"]}
                try:
                    answer = mine.put(
                        f"/rounds/live/placements/{pid}", json=body, headers=enterprise
                    )
                except httpx.TransportError:
                    time.sleep(0.05)
                    continue
                if answer.status_code == 201:
                    with lock:
                        acked_places.add(pid)

    def import_rounds() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as mine:
            while not stop.is_set():
                k = next(counter)
                try:
                    if mine.post("/rounds", json={"id": f"imp-{k}"}, headers=coordinator).is_error:
                        continue
                    with lock:
                        tried_imports.add(k)
                    answer = mine.post(
                        f"/rounds/imp-{k}/import",
                        content=_document(k),
                        headers={**coordinator, "Content-Type": "application/json"},
                    )
                except httpx.TransportError:
                    time.sleep(0.05)
                    continue
                if answer.status_code == 200:
                    with lock:
                        acked_imports.add(k)

    threads = [threading.Thread(target=post_placements, args=(i,)) for i in range(3)]
    threads += [threading.Thread(target=import_rounds) for _ in range(2)]
    for th in threads:
        th.start()
    rng = random.Random(11)
    try:
        for _ in range(TRIALS):
            time.sleep(rng.uniform(0.5, 2.0))
            server.kill()
            server.start()
    finally:
        stop.set()
        for th in threads:
            th.join()

    # Every acknowledged placement is there, and every placement there is whole.
    stored = {p["id"]: p for p in _every(c, "/rounds/live/placements", enterprise)}
    assert acked_places <= set(stored)
    for p in stored.values():
        assert p["capacity"] == 3 and p["skills"] == ["qc", "ferment"], p
    # Every import is all or nothing, and every acknowledged one is all.
    assert acked_imports, "no import finished between the kills"
    for k in tried_imports:
        answer = c.get(f"/rounds/imp-{k}", headers=coordinator)
        if answer.status_code == 404:
            continue
        places = c.get(f"/rounds/imp-{k}/placements", headers=coordinator).json()["total"]
        people = c.get(f"/rounds/imp-{k}/candidates", headers=coordinator).json()["total"]
        whole = (places, people) == (IMPORT_PLACEMENTS, IMPORT_CANDIDATES)
        assert whole or (places, people) == (0, 0), (k, places, people)
        assert whole or k not in acked_imports
    c.close()
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    print(
        f"\n{TRIALS} kills: {len(acked_places)} placements and "
        f"{len(acked_imports)} of {len(tried_imports)} imports acknowledged, all intact"
    )
