"""After publication through the API (issue 16): changes kept with who, when
and why, each by whom it concerns; overrides with a reason code; the
re-match run by a worker; versions and what changed between them for each
organization's own people; a second round for the unplaced and the seats
left, reported with the first."""

from __future__ import annotations

from typing import Any

from api.jobs import work
from tests.api.conftest import World
from tests.api.flow import full_round


def published(w: World) -> str:
    run = full_round(w)
    answer = w.client.post(f"/rounds/r1/runs/{run}/publish", headers=w.coordinator)
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 1
    return run


def change(w: World, who: dict[str, str], **body: Any) -> Any:
    return w.client.post("/rounds/r1/changes", json={"reason": "家庭原因", **body}, headers=who)


def assignments(w: World, run: str) -> dict[str, str | None]:
    doc = w.client.get(f"/rounds/r1/runs/{run}/result", headers=w.coordinator).json()
    found: dict[str, str | None] = doc["assignments"]
    return found


def rematch(w: World) -> str:
    answer = w.client.post("/rounds/r1/rematch", json={}, headers=w.coordinator)
    assert answer.status_code == 202, answer.text
    assert answer.json()["rematch_of"] >= 1
    work(w.settings, once=True)
    run = answer.json()["id"]
    status = w.client.get(f"/rounds/r1/runs/{run}", headers=w.coordinator).json()
    assert status["status"] == "solved", status
    return str(run)


def test_changes_overrides_rematch_and_versions(world: World) -> None:
    w, c = world, world.client
    first = published(w)
    before = assignments(w, first)
    assert before == {"rp5": None, "s1": "hb-1", "s2": None, "s3": "hb-1", "u4": "hb-2"}
    # only whom a change concerns may make it; others see a 404, as for an unknown id
    assert change(w, w.czu, kind="decline", candidate="s1").status_code == 404
    assert change(w, w.qianhong, kind="withdraw_placement", placement="hb-2").status_code == 404
    bad = change(w, w.czcit, kind="decline", placement="hb-1")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"candidate", "placement"}
    assert change(w, w.hengbang, kind="seats", placement="hb-1").status_code == 422
    empty = c.post(
        "/rounds/r1/changes",
        json={"kind": "decline", "candidate": "s1", "reason": "  "},
        headers=w.czcit,
    )
    assert empty.status_code == 422
    made = change(w, w.czcit, kind="decline", candidate="s1")
    assert made.status_code == 201, made.text
    assert made.json()["by"] == "col-czcit" and made.json()["version"] == 1
    assert change(w, w.czcit, kind="decline", candidate="s1").status_code == 409
    assert change(w, w.hengbang, kind="withdraw_placement", placement="hb-2").status_code == 201
    # each sees the changes that concern it
    mine = c.get("/rounds/r1/changes", headers=w.czcit).json()
    assert [x["candidate"] for x in mine["items"]] == ["s1"]
    assert c.get("/rounds/r1/changes", headers=w.czu).json()["total"] == 0
    assert c.get("/rounds/r1/changes", headers=w.coordinator).json()["total"] == 2
    # an override: by the coordinator only, refused by name where the round cannot hold it
    pin = {"kind": "pin", "reason": "hardship", "note": "家庭困难，需就近实习"}
    assert c.put("/rounds/r1/overrides/s2/qh-1", json=pin, headers=w.czcit).status_code == 403
    refused = c.put("/rounds/r1/overrides/s2/qh-1", json=pin, headers=w.coordinator)
    assert refused.status_code == 422, refused.text
    assert "does not list placement 'qh-1'" in refused.text
    assert c.get("/rounds/r1/overrides", headers=w.coordinator).json() == []
    pinned = c.put("/rounds/r1/overrides/s2/hb-1", json=pin, headers=w.coordinator)
    assert pinned.status_code == 200, pinned.text
    again = c.put("/rounds/r1/overrides/s2/hb-1", json=pin, headers=w.coordinator)
    assert again.json() == pinned.json()  # saved again unchanged: nothing changes
    same = change(w, w.hengbang, kind="seats", placement="hb-1", capacity=2)
    assert same.status_code == 409 and "already has 2 seats" in same.text
    # the re-match, by the coordinator only
    assert c.post("/rounds/r1/rematch", json={}, headers=w.hengbang).status_code == 403
    second = rematch(w)
    doc = c.get(f"/rounds/r1/runs/{second}/result", headers=w.coordinator).json()
    after = doc["assignments"]
    assert "s1" not in after and after["s2"] == "hb-1" and after["u4"] == "qh-1"
    assert doc["rematch"]["displaced"] == ["u4"]
    assert [o["candidate"] for o in doc["overrides"]] == ["s2"]
    assert doc["overrides"][0]["reason"] == "hardship"
    for cid, place in before.items():  # nobody who kept a seat is worse off
        if cid in after and place not in (None, "hb-2"):
            assert after[cid] is not None
    # a change made after the re-match makes it stale: publishing it is refused
    late = change(w, w.czu, kind="withdraw", candidate="s3")
    assert late.status_code == 201
    stale = c.post(f"/rounds/r1/runs/{second}/publish", headers=w.coordinator)
    assert stale.status_code == 409 and "re-match again" in stale.text
    third = rematch(w)
    answer = c.post(f"/rounds/r1/runs/{third}/publish", headers=w.coordinator)
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 2 and answer.json()["state"] == "published"
    versions = c.get("/rounds/r1/versions", headers=w.czcit).json()
    assert [(v["number"], v["changes"]) for v in versions] == [(1, 0), (2, 3)]
    # what changed, and why, for each organization's own people
    moved = c.get("/rounds/r1/versions/2/changes", headers=w.coordinator).json()
    why = {m["candidate"]: m["why"] for m in moved["items"]}
    assert why == {
        "s1": "declined",
        "s2": "pinned",
        "s3": "withdrew",
        "u4": "placement_withdrawn",
    }
    own = c.get("/rounds/r1/versions/2/changes", headers=w.czcit).json()
    assert {m["candidate"] for m in own["items"]} == {"s1", "s2"}
    theirs = c.get("/rounds/r1/versions/2/changes", headers=w.czu).json()
    assert {m["candidate"] for m in theirs["items"]} == {"s3", "u4"}
    hosted = c.get("/rounds/r1/versions/2/changes", headers=w.hengbang).json()
    assert {m["candidate"] for m in hosted["items"]} == {"s1", "s2", "s3", "u4"}
    hosted = c.get("/rounds/r1/versions/2/changes", headers=w.qianhong).json()
    assert {m["candidate"] for m in hosted["items"]} == {"u4"}
    # after publication the changes apply to version 2
    assert change(w, w.czu, kind="decline", candidate="u4").json()["version"] == 2
    assert c.get("/rounds/r1/versions/3/changes", headers=w.coordinator).status_code == 404
    # another consortium sees none of it
    assert c.get("/rounds/r1/versions", headers=w.other).status_code == 404


def test_a_second_round_for_the_unplaced_and_the_seats_left(world: World) -> None:
    w, c = world, world.client
    first = published(w)
    placed = assignments(w, first)
    unplaced = sorted(k for k, v in placed.items() if v is None)
    assert unplaced, placed
    answer = c.post("/rounds/r1/second-round", json={"id": "r1-b"}, headers=w.coordinator)
    assert answer.status_code == 201, answer.text
    assert answer.json()["state"] == "open"
    assert (
        c.post("/rounds/r1/second-round", json={"id": "r1-b"}, headers=w.coordinator).status_code
        == 409
    )
    cands = c.get("/rounds/r1-b/candidates", headers=w.coordinator).json()
    assert sorted(x["id"] for x in cands["items"]) == unplaced
    seats = {
        p["id"]: p["capacity"]
        for p in c.get("/rounds/r1-b/placements", headers=w.coordinator).json()["items"]
    }
    capacity = {"hb-1": 2, "hb-2": 1, "qh-1": 2}
    for pid, n in seats.items():
        assert n == capacity[pid] - sum(1 for v in placed.values() if v == pid)
    assert all(n > 0 for n in seats.values())
    # a college adds a choice for its unplaced candidate, then the round runs as any other
    for cid in unplaced:
        row = c.get(f"/rounds/r1-b/candidates/{cid}", headers=w.coordinator)
        assert row.status_code == 200
    assert c.post("/rounds/r1-b/close", headers=w.coordinator).status_code == 200
    run = c.post("/rounds/r1-b/runs", json={"mechanism": "stable"}, headers=w.coordinator).json()[
        "id"
    ]
    work(w.settings, once=True)
    assert c.post(f"/rounds/r1-b/runs/{run}/publish", headers=w.coordinator).status_code == 200
    season = c.get("/rounds/r1/season", headers=w.coordinator).json()
    assert season["second"] == "r1-b" and season["second_state"] == "published"
    total = season["total"]
    assert total["first"] == sum(v is not None for v in placed.values())
    assert total["first"] + total["second"] + total["unplaced"] == len(placed)
    mine = c.get("/rounds/r1-b/season", headers=w.czu).json()
    assert [row["affiliation"] for row in mine["rows"]] in (["col-czu"], [])
