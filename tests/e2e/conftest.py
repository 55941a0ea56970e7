"""The browser every page test drives (tests/e2e/browsing.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.config import Settings
from api.demo import seed_demo

ROUND = Path(__file__).parents[2] / "fixtures" / "rounds" / "changzhou-2027.json"


@pytest.fixture
def browser() -> Iterator[Any]:
    from tests.e2e.browsing import chromium  # skips (fails in CI) without Debian's chromium

    yield from chromium()


@pytest.fixture
def changzhou(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The Changzhou demo consortium (its 2027 round open) behind a real
    uvicorn and worker on SQLite: the base URL and each demo role's token."""
    import load  # bench/load.py: the service's processes

    url = f"sqlite:///{tmp_path / 'cz.db'}"
    tokens = {d.organization: d.token for d in seed_demo(Settings(database_url=url), ROUND)}
    with load.service(url, apis=1, workers=1) as (base,):
        yield base, tokens
