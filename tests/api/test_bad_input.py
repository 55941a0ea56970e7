"""Hostile and malformed input: always a 4xx problem body, never a server error,
never an echo of the whole input; nothing stored."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.api import flow
from tests.api.conftest import World

EXAMPLE = Path(__file__).parents[2] / "fixtures" / "rounds" / "contract-example.json"

JSON = {"Content-Type": "application/json"}
CASES = [
    ("/organizations", b'{"id": "x\\ud800", "kind": "enterprise"}', 422),
    ("/organizations", b'{"id": NaN, "kind": "enterprise"}', 422),
    ("/organizations", b'{"id": "' + b"a" * 300 + b'", "kind": "enterprise"}', 422),
    ("/organizations", b'{"id": "\\u0000", "kind": "enterprise"}', 422),
    ("/organizations", b"[" * 5000 + b"]" * 5000, 400),
    ("/organizations", b"", 422),
    ("/organizations", b"not json", 422),
    ("/organizations", b'{"id": 5, "kind": "enterprise"}', 422),
    ("/organizations", b'{"id": "o", "kind": "enterprise", "consortium": "suzhou"}', 422),
    (
        "/links",
        b'{"source": "gov-cz", "target": "ent-hengbang", "kind": "partnership", "weight": NaN}',
        422,
    ),
    (
        "/links",
        b'{"source": "gov-cz", "target": "ent-hengbang", "kind": "partnership",'
        b' "weight": Infinity}',
        422,
    ),
    ("/rounds", b'{"id": "r2", "seed": 99999999999999999999999}', 422),
    ("/rounds", b'{"id": "r3", "policies": [{"id": "\\ud800", "kind": "floor"}]}', 422),
    (
        "/rounds",
        b'{"id": "r4", "policies": [{"id": "p", "kind": "floor", "placements": {"city": "x"}}]}',
        422,
    ),
    ("/rounds", b'{"id": "r5", "rules": {"max_distance": -1}}', 422),
]


@pytest.mark.parametrize(("path", "body", "status"), CASES)
def test_bad_bodies_are_problems(world: World, path: str, body: bytes, status: int) -> None:
    before = world.client.get("/graph", headers=world.coordinator).json()
    answer = world.client.post(path, content=body, headers={**world.coordinator, **JSON})
    assert answer.status_code == status, answer.text
    problem = answer.json()
    assert problem["status"] == status and problem["title"]
    assert len(answer.content) < 2000 + len(body) // 10  # no echo of the whole input
    assert "Traceback" not in answer.text
    assert world.client.get("/graph", headers=world.coordinator).json() == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/organizations", b'{"id": "ent-a", "kind": "enterprise", "id": "ent-b"}'),
        ("/rounds", b'{"id": "r9", "rules": {"max_distance": 1, "max_distance": 2}}'),
    ],
)
def test_a_key_twice_is_refused_by_name(world: World, path: str, body: bytes) -> None:
    before = world.client.get("/graph", headers=world.coordinator).json()
    answer = world.client.post(path, content=body, headers={**world.coordinator, **JSON})
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["field"] == "body" and "duplicate key" in error["message"], error
    assert world.client.get("/graph", headers=world.coordinator).json() == before
    assert world.client.get("/rounds", headers=world.coordinator).json()["items"] == []


def test_control_characters_in_a_path_name_nothing(world: World) -> None:
    for path in ("/rounds/%00", "/rounds/a%01b/placements"):
        assert world.client.get(path, headers=world.coordinator).status_code == 404
    answer = world.client.put(
        "/rounds/r1/candidates/s%00",
        json={"kind": "student", "preferences": []},
        headers=world.czcit,
    )
    assert answer.status_code == 404


def test_a_broken_zip_bundle_is_a_problem(world: World) -> None:
    world.client.post("/rounds", json={"id": "r1"}, headers=world.coordinator)
    answer = world.client.post(
        "/rounds/r1/import",
        content=b"PK\x03\x04junk",
        headers={**world.coordinator, "Content-Type": "application/zip"},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "bundle"


def test_a_round_larger_than_the_deployment_takes_is_refused_before_queueing(world: World) -> None:
    flow.open_round(world)
    flow.post_placements(world)
    flow.register_candidates(world)  # five candidates
    world.client.post("/rounds/r1/close", headers=world.coordinator)
    world.client.app.state.settings = replace(world.settings, max_candidates=4)
    answer = world.client.post("/rounds/r1/runs", json={}, headers=world.coordinator)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"] == [
        {"field": "candidates", "message": "5 candidates; this deployment takes at most 4"}
    ]
    assert world.client.get("/rounds/r1/runs", headers=world.coordinator).json()["items"] == []
    # an import that large is refused whole, too
    world.client.post("/rounds", json={"id": "big"}, headers=world.coordinator)
    doc = json.loads(EXAMPLE.read_text())
    world.client.app.state.settings = replace(world.settings, max_placements=1)
    answer = world.client.post(
        "/rounds/big/import", content=json.dumps(doc), headers={**world.coordinator, **JSON}
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "placements"
    assert world.client.get("/rounds/big", headers=world.coordinator).json()["counts"] == {
        "placements": 0,
        "seats": 0,
        "candidates": 0,
    }
