"""The load test's short version (bench/load.py; `make load` runs it at full
size): two API processes and two workers on one database, enterprises and
colleges writing at once, a solve, every college fetching its results. No
request may fail and no acknowledged write may be missing. On SQLite and
(where reachable) PostgreSQL."""

from __future__ import annotations

import os

import load  # bench/load.py: the service's processes
import pytest

from tests.api.conftest import database_url  # noqa: F401  (the fixture)

# `make soak` (SOAK=1) writes twice as much, from twice as many organizations
SCALE = 2 if os.environ.get("SOAK") else 1


@pytest.mark.slow
def test_concurrent_organizations_lose_nothing(database_url: str) -> None:  # noqa: F811
    result = load.run(
        database_url,
        enterprises=20 * SCALE,
        colleges=4 * SCALE,
        candidates=300 * SCALE,
        placements_each=3,
        concurrency=16,
    )
    summary = result.summary()
    assert result.errors == 0, summary["first_errors"]
    assert not any(result.lost.values()), result.lost
    every = summary["phases"][-1]
    assert every["requests"] > 800 * SCALE
    print(f"\n{result.database}: {every}")
