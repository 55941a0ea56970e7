"""The browser every page test drives (tests/e2e/browsing.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def browser() -> Iterator[Any]:
    from tests.e2e.browsing import chromium  # skips (fails in CI) without Debian's chromium

    yield from chromium()
