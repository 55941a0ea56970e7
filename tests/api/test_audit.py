"""The audit trail (issue 17): every change of state through the API is
recorded with who did it, in the change's transaction; the chain verifies,
and an edit, a gap or a reordering breaks it where it happened; the storage
refuses UPDATE and DELETE on both databases; each member reads its own part."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DatabaseError

from api.storage import audit
from api.storage import tables as t
from api.storage.db import make_engine, session_factory, transaction
from tests.api.conftest import World, auth
from tests.api.flow import full_round


def test_every_step_is_recorded_and_the_chain_holds(world: World) -> None:
    w, c = world, world.client
    c.post(
        "/organizations/gov-cz/people",
        json={"login": "office", "name": "王主任", "role": "admin", "password": "office-password"},
        headers=w.coordinator,
    )
    office = auth(
        c.post("/sessions", json={"login": "office", "password": "office-password"}).json()[
            "session"
        ]
    )
    run = full_round(w)
    assert c.post(f"/rounds/r1/runs/{run}/publish", headers=office).status_code == 200
    # a refused change records nothing
    assert c.post("/rounds/r1/open", headers=office).status_code == 409
    entries = c.get("/audit", params={"limit": 200}, headers=w.coordinator).json()["items"]
    actions = [e["action"] for e in reversed(entries)]
    for step in (
        "POST /sessions",
        "POST /rounds",
        "POST /rounds/{round}/open",
        "PUT /rounds/{round}/placements/{item}",
        "PUT /rounds/{round}/candidates/{item}",
        "PUT /rounds/{round}/placements/{item}/ranking",
        "POST /rounds/{round}/close",
        "POST /rounds/{round}/runs",
        "run solved",
        "POST /rounds/{round}/runs/{run}/publish",
    ):
        assert step in actions, (step, actions)
    assert "POST /rounds/{round}/open" not in actions[actions.index("run solved") :]
    published = next(e for e in entries if e["action"].endswith("/publish"))
    assert published["who"] == "王主任" and published["person"] is not None
    ranking = next(e for e in entries if e["action"].endswith("/ranking"))
    assert ranking["before"] and ranking["after"] and ranking["before"] != ranking["after"]
    assert c.get("/audit/verify", headers=w.coordinator).json()["ok"] is True
    # a member reads its own part only
    mine = c.get("/audit", params={"limit": 200}, headers=w.czcit).json()["items"]
    assert mine and {e["organization"] for e in mine} == {"col-czcit"}
    assert c.get("/audit/verify", headers=w.czcit).status_code == 403
    theirs = c.get("/audit", headers=w.other).json()["items"]  # another consortium's own chain
    assert {e["organization"] for e in theirs} == {"gov-sz"}
    # the whole of it as CSV, for Excel
    csv = c.get("/audit", params={"format": "csv"}, headers=w.coordinator)
    assert csv.text.startswith("\ufeffseq,at,who") and "王主任" in csv.text


def test_edits_gaps_and_reorderings_break_the_chain(world: World) -> None:
    full_round(world)
    engine = make_engine(world.settings.database_url)
    try:
        with transaction(session_factory(engine)) as s:
            rows = list(audit.chain(s, "changzhou"))
            assert len(rows) > 5 and audit.verify(rows).ok
            edited = [copy.copy(r) for r in rows]
            edited[3].who = "someone else"
            assert audit.verify(edited).broken_at == rows[3].seq
            assert audit.verify(rows[:2] + rows[3:]).broken_at == rows[3].seq
            swapped = [*rows[:2], rows[3], rows[2], *rows[4:]]
            assert audit.verify(swapped).broken_at == rows[3].seq
            s.expunge_all()
        # the storage refuses to change or remove an entry, on either database
        for statement in (
            update(t.AuditEntry).values(who="someone else"),
            delete(t.AuditEntry),
        ):
            with (
                pytest.raises(DatabaseError, match="never changed"),
                transaction(session_factory(engine)) as s,
            ):
                s.execute(statement)
    finally:
        engine.dispose()


def test_every_operation_that_changes_state_has_words(world: World) -> None:
    """The audit page names each operation in words: every route that
    changes state has them (a new one fails here until it does)."""
    from api.words import OPERATIONS

    paths = world.client.app.openapi()["paths"]
    changing = {
        f"{method.upper()} {path}"
        for path, ops in paths.items()
        for method in ops
        if method in ("post", "put", "patch", "delete")
    }
    assert changing <= OPERATIONS.keys(), changing - OPERATIONS.keys()
