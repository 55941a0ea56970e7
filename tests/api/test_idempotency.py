"""Idempotency-Key on POSTs, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

from tests.api.conftest import World


def _post(w: World, key: str, org_id: str, headers: dict[str, str] | None = None) -> Any:
    return w.client.post(
        "/organizations",
        json={"id": org_id, "kind": "enterprise"},
        headers={**(headers or w.coordinator), "Idempotency-Key": key},
    )


def test_a_repeated_request_gets_the_first_answer_and_creates_nothing(world: World) -> None:
    first = _post(world, "k1", "ent-a")
    again = _post(world, "k1", "ent-a")
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    ids = [
        o["id"]
        for o in world.client.get("/organizations", headers=world.coordinator).json()["items"]
    ]
    assert ids.count("ent-a") == 1


def test_the_same_key_with_another_body_is_refused(world: World) -> None:
    _post(world, "k2", "ent-b")
    other = _post(world, "k2", "ent-c")
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"


def test_keys_belong_to_the_calling_organization(world: World) -> None:
    theirs = _post(world, "k3", "ent-sz", headers=world.other)
    mine = _post(world, "k3", "ent-cz")
    assert theirs.status_code == mine.status_code == 201


def test_fifty_concurrent_clients_with_one_key_create_one_object(world: World) -> None:
    answers: list[Any] = []
    lock = threading.Lock()

    def send() -> None:
        answer = _post(world, "burst", "ent-burst")
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=send) for _ in range(50)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert {(a.status_code, a.content) for a in answers} == {
        (answers[0].status_code, answers[0].content)
    }
    assert answers[0].status_code == 201
    ids = [
        o["id"]
        for o in world.client.get("/organizations", headers=world.coordinator).json()["items"]
    ]
    assert ids.count("ent-burst") == 1


def test_fifty_different_keys_create_fifty_objects(world: World) -> None:
    for i in range(50):
        assert _post(world, f"key-{i}", f"ent-{i}").status_code == 201
    ids = {
        o["id"]
        for o in world.client.get(
            "/organizations", params={"limit": 200}, headers=world.coordinator
        ).json()["items"]
    }
    assert {f"ent-{i}" for i in range(50)} <= ids
