"""Schemathesis against the app's own OpenAPI document, once per role's token:
generated requests for every operation, then a stateful run that chains
operations by the links schemathesis infers (create a round, add placements
and candidates, close, solve, publish, fetch). Expected: no server error and
no response that contradicts the document.

Left out of the default checks: `positive_data_acceptance`, because the
schema cannot say everything a request must satisfy (a link may not join an
organization to itself, a floor may not be above its ceiling, a reference must
name an existing object): those schema-valid requests are refused with a 4xx
problem on purpose, and the bad-input corpus checks that they are."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.jobs import work
from tests.api import flow
from tests.api.conftest import World

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))  # `make soak` runs 300
# Path parameters drawn from what exists, half the time, so that requests get
# past the 404 into the routes' own checks.
KNOWN = {
    "round": ["r1", "r2", "r3"],
    "item": ["hb-1", "hb-2", "qh-1", "s1", "s3", "rp5"],
    "run": [],
}
EXCLUDED = [positive_data_acceptance]


def _prepare(w: World) -> None:
    """r1 solved and published, r2 open with placements and candidates, r3 closed."""
    for rid in ("r1", "r2", "r3"):
        flow.open_round(w, rid)
        flow.post_placements(w, rid)
        flow.register_candidates(w, rid)
    for rid in ("r1", "r3"):
        assert w.client.post(f"/rounds/{rid}/close", headers=w.coordinator).status_code == 200
    run = w.client.post("/rounds/r1/runs", json={}, headers=w.coordinator).json()["id"]
    work(w.settings, once=True)
    assert w.client.post(f"/rounds/r1/runs/{run}/publish", headers=w.coordinator).is_success
    KNOWN["run"] = [run]


def _snapshot(w: World) -> Callable[[], None]:
    """Keep a copy of the SQLite database as it is now; the function returned
    puts it back (so that hypothesis can replay a sequence exactly)."""
    engine = w.client.app.state.engine
    path = Path(engine.url.database)
    engine.dispose()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    saved = path.with_suffix(".saved")
    shutil.copyfile(path, saved)

    def restore() -> None:
        engine.dispose()
        for extra in ("-wal", "-shm"):
            Path(f"{path}{extra}").unlink(missing_ok=True)
        shutil.copyfile(saved, path)

    return restore


def _known(case: Any, data: st.DataObject) -> Any:
    for name, values in KNOWN.items():
        present = case.path_parameters and name in case.path_parameters and values
        if present and data.draw(st.booleans()):
            case.path_parameters[name] = data.draw(st.sampled_from(values))
    return case


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # PostgreSQL: corpus, matrix
@pytest.mark.parametrize("role", ["coordinator", "hengbang", "czcit"])
def test_generated_requests_never_break_the_contract(world: World, role: str) -> None:
    _prepare(world)
    headers = getattr(world, role)
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.client.app)
    cases: Counter[str] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:

        @given(case=operation.as_strategy(), data=st.data())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any, data: st.DataObject) -> None:
            cases[case.operation.label] += 1
            _known(case, data).call_and_validate(headers=headers, excluded_checks=EXCLUDED)

        check()
    print(f"\n{role}: {sum(cases.values())} cases over {len(cases)} operations")
    assert len(cases) == len(operations)
    # Operations with few possible inputs (no body, one path parameter) run
    # fewer distinct cases; every operation with a body runs the full count.
    assert sum(cases.values()) >= EXAMPLES * len(operations) // 2


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # PostgreSQL: corpus, matrix
@pytest.mark.parametrize("role", ["coordinator", "hengbang", "czcit"])
def test_stateful_sequences_never_break_the_contract(world: World, role: str) -> None:
    _prepare(world)
    headers = getattr(world, role)
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.client.app)
    base = schema.as_state_machine()
    steps: Counter[str] = Counter()
    restore = _snapshot(world)

    class Workflow(base):  # type: ignore[valid-type,misc]
        def setup(self) -> None:
            restore()  # every sequence starts from the same database

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            steps[case.operation.label] += 1
            case.validate_response(response, excluded_checks=EXCLUDED)

    Workflow.run(
        settings=settings(
            max_examples=max(10, EXAMPLES // 2),
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            stateful_step_count=8,
        )
    )
    print(f"\n{role}: {sum(steps.values())} stateful steps over {len(steps)} operations")
    assert len(steps) >= 5
