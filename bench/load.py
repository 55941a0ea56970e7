"""The load test: a placement round as its organizations would run it at once,
against real service processes on 127.0.0.1.

    python bench/load.py --database sqlite              fresh SQLite file
    python bench/load.py --database postgresql --reset  the local PostgreSQL (its schema is dropped)

Two API processes (uvicorn) and two workers share the database. The
coordinator sets up the consortium and opens a round; then, concurrently,
every enterprise posts its placements and every college registers its
candidates, whose preferences name placements already posted; then every
enterprise edits each of its placements once (GET for the ETag, PUT with
If-Match) while the colleges edit their candidates. The coordinator closes
the round, solves it, publishes; every college fetches its assignments as
JSON and as CSV. Afterwards every record is counted through the API.

Reported per phase and in all: requests, throughput, p50/p99 latency,
errors (any answer other than the one expected) and lost writes. Results go
to bench/results/load.md and load.json (`make load`); tests/e2e/test_load.py
runs a short version in the suite.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "bench" / "results"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def row(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        n = len(lat)
        return {
            "phase": self.name,
            "requests": n,
            "seconds": round(self.seconds, 2),
            "per_second": round(n / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(1000 * lat[n // 2], 1) if n else None,
            "p99_ms": round(1000 * lat[min(n - 1, int(n * 0.99))], 1) if n else None,
            "errors": len(self.errors),
        }


@dataclass
class Load:
    """One run's figures: phases, lost writes, and the first errors seen."""

    database: str
    sizes: dict[str, int]
    phases: list[Phase]
    lost: dict[str, int]

    @property
    def errors(self) -> int:
        return sum(len(p.errors) for p in self.phases)

    def summary(self) -> dict[str, Any]:
        every = Phase("all")
        for p in self.phases:
            every.latencies += p.latencies
            every.errors += p.errors
            every.seconds += p.seconds
        return {
            "database": self.database,
            "sizes": self.sizes,
            "phases": [p.row() for p in self.phases] + [every.row()],
            "lost_writes": self.lost,
            "first_errors": every.errors[:10],
        }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as c:
            c.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def wait_until_up(url: str, seconds: float = 60) -> None:
    """Until the service at `url` answers its health check (RuntimeError after `seconds`)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the service at {url} did not start")
        time.sleep(0.1)


@contextmanager
def service(database_url: str, apis: int = 2, workers: int = 2) -> Iterator[list[str]]:
    """API processes and workers on one database; yields the API base URLs."""
    env = {**os.environ, "DATABASE_URL": database_url, "RUNS_PER_MINUTE": "1000"}
    ports = [free_port() for _ in range(apis)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "api", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    procs += [
        subprocess.Popen(
            [sys.executable, "-m", "api", "worker"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url in urls:
            wait_until_up(url)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


class Client:
    """Bounded concurrency over the API processes in turn; every request timed
    and checked against the status it should get."""

    def __init__(self, urls: list[str], concurrency: int) -> None:
        self.http = httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=concurrency))
        self.urls = urls
        self.gate = asyncio.Semaphore(concurrency)
        self.turn = 0
        self.phase = Phase("setup")

    async def call(
        self, method: str, path: str, token: str, expect: tuple[int, ...], **kw: Any
    ) -> httpx.Response | None:
        self.turn += 1
        url = self.urls[self.turn % len(self.urls)] + path
        headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
        async with self.gate:
            start = time.perf_counter()
            try:
                answer = await self.http.request(method, url, headers=headers, **kw)
            except httpx.HTTPError as exc:
                self.phase.errors.append(f"{method} {path}: {type(exc).__name__}")
                return None
            finally:
                self.phase.latencies.append(time.perf_counter() - start)
        if answer.status_code not in expect:
            self.phase.errors.append(f"{method} {path}: {answer.status_code} {answer.text[:200]}")
            return None
        return answer

    async def every(self, path: str, token: str) -> list[dict[str, Any]] | None:
        """Every row of a list, a page of 200 at a time (None: a page failed)."""
        rows: list[dict[str, Any]] = []
        while True:
            got = await self.call(
                "GET", path, token, (200,), params={"limit": 200, "offset": len(rows)}
            )
            if got is None:
                return None
            page = got.json()
            rows += page["items"]
            if not page["items"] or len(rows) >= page["total"]:
                return rows


async def _phase(
    client: Client, phases: list[Phase], name: str, jobs: list[Callable[[], Awaitable[None]]]
) -> None:
    client.phase = Phase(name)
    start = time.perf_counter()
    await asyncio.gather(*(job() for job in jobs))
    client.phase.seconds = time.perf_counter() - start
    phases.append(client.phase)
    print(f"  {name}: {client.phase.row()}", flush=True)


async def _drive(
    urls: list[str],
    coordinator: str,
    *,
    enterprises: int,
    colleges: int,
    candidates: int,
    placements_each: int,
    concurrency: int,
    seed: int,
) -> tuple[list[Phase], dict[str, int]]:
    rng = random.Random(seed)
    client = Client(urls, concurrency)
    phases: list[Phase] = []
    ents = [f"ent-{i:03d}" for i in range(enterprises)]
    cols = [f"col-{i:02d}" for i in range(colleges)]
    tokens: dict[str, str] = {}

    async def organization(org: str, kind: str) -> None:
        body: dict[str, Any] = {"id": org, "kind": kind}
        if kind == "college":
            body["level"] = "higher_vocational"
        await client.call("POST", "/organizations", coordinator, (201,), json=body)
        answer = await client.call(
            "POST", "/tokens", coordinator, (201,), json={"organization": org}
        )
        if answer is not None:
            tokens[org] = answer.json()["token"]

    await _phase(
        client,
        phases,
        "setup: organizations and tokens",
        [lambda o=o: organization(o, "enterprise") for o in ents]
        + [lambda o=o: organization(o, "college") for o in cols],
    )
    await client.call("POST", "/rounds", coordinator, (201,), json={"id": "load", "seed": seed})
    await client.call("POST", "/rounds/load/open", coordinator, (200,))

    places = {e: [f"{e}-p{k}" for k in range(placements_each)] for e in ents}
    every_place = [p for ps in places.values() for p in ps]
    # Candidates per college, and their preferences over placements posted in phase 1.
    people = {
        c: [f"{c}-s{i:04d}" for i in range(k, candidates, colleges)] for k, c in enumerate(cols)
    }
    prefs = {
        s: rng.sample(every_place, min(5, len(every_place))) for ss in people.values() for s in ss
    }
    capacity = max(1, round(0.9 * candidates / max(1, len(every_place))))

    async def post_placements(e: str) -> None:
        for p in places[e]:
            body = {"kind": "internship", "capacity": capacity, "skills": ["qc"]}
            await client.call("PUT", f"/rounds/load/placements/{p}", tokens[e], (201,), json=body)

    await _phase(
        client,
        phases,
        "enterprises post placements",
        [lambda e=e: post_placements(e) for e in ents if e in tokens],
    )

    async def register(c: str, edit: bool) -> None:
        for s in people[c]:
            body = {"kind": "student", "skills": ["qc"], "preferences": prefs[s]}
            if edit:
                body["preferences"] = list(reversed(prefs[s]))
            await client.call(
                "PUT",
                f"/rounds/load/candidates/{s}",
                tokens[c],
                (200,) if edit else (201,),
                json=body,
                # each candidate is edited once, from the version it was created at
                headers={"If-Match": '"1"'} if edit else {},
            )

    async def edit_placements(e: str) -> None:
        for p in places[e]:
            got = await client.call("GET", f"/rounds/load/placements/{p}", tokens[e], (200,))
            if got is None:
                continue
            body = {"kind": "internship", "capacity": capacity + 1, "skills": ["qc", "ferment"]}
            await client.call(
                "PUT",
                f"/rounds/load/placements/{p}",
                tokens[e],
                (200,),
                json=body,
                headers={"If-Match": got.headers["etag"]},
            )

    await _phase(
        client,
        phases,
        "colleges register candidates",
        [lambda c=c: register(c, False) for c in cols if c in tokens],
    )
    await _phase(
        client,
        phases,
        "enterprises edit placements while colleges edit candidates",
        [lambda e=e: edit_placements(e) for e in ents if e in tokens]
        + [lambda c=c: register(c, True) for c in cols if c in tokens],
    )

    # Close, solve on a worker, publish.
    client.phase = Phase("close, solve, publish")
    start = time.perf_counter()
    await client.call("POST", "/rounds/load/close", coordinator, (200,))
    queued = await client.call("POST", "/rounds/load/runs", coordinator, (202,), json={})
    run = queued.json()["id"] if queued is not None else ""
    deadline = time.monotonic() + 600
    status = "queued"
    while status not in ("solved", "failed") and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        got = await client.call("GET", f"/rounds/load/runs/{run}", coordinator, (200,))
        status = got.json()["status"] if got is not None else status
    if status != "solved":
        client.phase.errors.append(f"run {run} ended {status}")
    await client.call("POST", f"/rounds/load/runs/{run}/publish", coordinator, (200,))
    client.phase.seconds = time.perf_counter() - start
    phases.append(client.phase)

    fetched: dict[str, int] = {}

    async def fetch(c: str) -> None:
        got = await client.call("GET", "/rounds/load/assignments", tokens[c], (200,))
        rows = await client.call(
            "GET", "/rounds/load/assignments", tokens[c], (200,), params={"format": "csv"}
        )
        if got is not None and rows is not None:
            table = list(csv.DictReader(io.StringIO(rows.text)))
            fetched[c] = got.json()["total"]
            if len(table) != fetched[c]:
                client.phase.errors.append(f"{c}: CSV has {len(table)} rows, JSON {fetched[c]}")

    await _phase(
        client,
        phases,
        "colleges fetch results",
        [lambda c=c: fetch(c) for c in cols if c in tokens],
    )

    # Count every record: what was acknowledged must be there, as last written.
    client.phase = Phase("count every record")
    start = time.perf_counter()
    listed = await client.every("/rounds/load/placements", coordinator)
    stored_places = {p["id"]: p for p in listed or []}
    stored_people: dict[str, Any] = {}
    for c in cols:
        mine = await client.every("/rounds/load/candidates", tokens.get(c, ""))
        stored_people.update({s["id"]: s for s in mine or []})
    lost = {
        "placements": sum(1 for p in every_place if p not in stored_places),
        "placement_edits": sum(1 for p in stored_places.values() if p["capacity"] != capacity + 1),
        "candidates": sum(1 for ss in people.values() for s in ss if s not in stored_people),
        "candidate_edits": sum(
            1
            for s, rec in stored_people.items()
            if _flat(rec["preferences"]) != list(reversed(prefs[s]))
        ),
        "assignments": sum(len(people[c]) - fetched.get(c, 0) for c in cols),
    }
    client.phase.seconds = time.perf_counter() - start
    phases.append(client.phase)
    await client.http.aclose()
    return phases, lost


def _flat(ranking: list[Any]) -> list[str]:
    return [x for item in ranking for x in (item if isinstance(item, list) else [item])]


def run(
    database_url: str,
    *,
    enterprises: int = 200,
    colleges: int = 36,
    candidates: int = 5000,
    placements_each: int = 9,
    apis: int = 2,
    workers: int = 2,
    concurrency: int = 32,
    seed: int = 2027,
) -> Load:
    from api.config import Settings
    from api.demo import create_consortium

    coordinator = create_consortium(
        Settings(database_url=database_url), "load", "Load test", "gov", "Government"
    )
    with service(database_url, apis, workers) as urls:
        phases, lost = asyncio.run(
            _drive(
                urls,
                coordinator,
                enterprises=enterprises,
                colleges=colleges,
                candidates=candidates,
                placements_each=placements_each,
                concurrency=concurrency,
                seed=seed,
            )
        )
    sizes = {
        "enterprises": enterprises,
        "colleges": colleges,
        "candidates": candidates,
        "placements": enterprises * placements_each,
        "api_processes": apis,
        "workers": workers,
        "concurrency": concurrency,
    }
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    return Load(kind, sizes, phases, lost)


def _markdown(loads: list[dict[str, Any]]) -> str:
    lines = [
        "# Load test",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {time.strftime('%Y-%m-%d %H:%M')}.",
        "",
    ]
    for load in loads:
        s = load["sizes"]
        lines += [
            f"## {load['database']}: {s['enterprises']} enterprises, {s['colleges']} colleges, "
            f"{s['candidates']} candidates, {s['placements']} placements; "
            f"{s['api_processes']} API processes, {s['workers']} workers, "
            f"{s['concurrency']} requests in flight",
            "",
            "| phase | requests | seconds | requests/s | p50 ms | p99 ms | errors |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {p['phase']} | {p['requests']} | {p['seconds']} | {p['per_second']} | "
            f"{p['p50_ms']} | {p['p99_ms']} | {p['errors']} |"
            for p in load["phases"]
        ]
        lost = ", ".join(f"{k} {v}" for k, v in load["lost_writes"].items())
        lines += ["", f"Lost writes: {lost}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument(
        "--reset", action="store_true", help="drop PostgreSQL's public schema first"
    )
    parser.add_argument("--enterprises", type=int, default=200)
    parser.add_argument("--colleges", type=int, default=36)
    parser.add_argument("--candidates", type=int, default=5000)
    args = parser.parse_args()
    loads = []
    for database in args.database or ["sqlite", "postgresql"]:
        with tempfile.TemporaryDirectory() as tmp:
            if database == "postgresql":
                if args.reset:
                    reset_postgres(POSTGRES)
                url = POSTGRES
            else:
                url = f"sqlite:///{Path(tmp) / 'load.db'}"
            print(f"{database} ...", flush=True)
            load = run(
                url,
                enterprises=args.enterprises,
                colleges=args.colleges,
                candidates=args.candidates,
            )
            loads.append(load.summary())
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(loads, indent=2) + "\n", encoding="utf-8")
    text = _markdown(loads)
    (RESULTS / "load.md").write_text(text, encoding="utf-8")
    print(text)
    if any(load["phases"][-1]["errors"] or any(load["lost_writes"].values()) for load in loads):
        sys.exit(1)


if __name__ == "__main__":
    main()
