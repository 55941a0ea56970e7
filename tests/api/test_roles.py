"""What each role may and may not do, endpoint by endpoint."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.api import flow
from tests.api.conftest import World, auth

EXAMPLE = Path(__file__).parents[2] / "fixtures" / "rounds" / "contract-example.json"


def test_health_needs_no_token(world: World) -> None:
    assert world.client.get("/health").json() == {"status": "ok"}


def test_no_token_or_a_bad_one_is_401(world: World) -> None:
    c = world.client
    for headers in ({}, auth("pe_nope"), {"Authorization": "Basic abc"}):
        answer = c.get("/me", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"] == "Bearer"


def test_me_names_the_role(world: World) -> None:
    c = world.client
    roles = {
        k: c.get("/me", headers=h).json()["role"]
        for k, h in (
            ("gov", world.coordinator),
            ("ent", world.hengbang),
            ("col", world.czcit),
            ("ri", world.institute),
        )
    }
    assert roles == {"gov": "coordinator", "ent": "enterprise", "col": "college", "ri": "college"}


def test_only_coordinators_add_organizations_and_links_and_others_tokens(world: World) -> None:
    """A member's admin (its token among them) issues tokens for its own
    organization only; organizations and links are the office's."""
    c = world.client
    org = {"id": "ent-new", "kind": "enterprise"}
    for who, own, other in (
        (world.hengbang, "ent-hengbang", "col-czcit"),
        (world.czcit, "col-czcit", "ent-hengbang"),
    ):
        assert c.post("/organizations", json=org, headers=who).status_code == 403
        assert c.post("/tokens", json={"organization": other}, headers=who).status_code == 403
        assert c.post("/tokens", json={"organization": own}, headers=who).status_code == 201
        assert (
            c.post(
                "/links",
                json={"source": "ent-hengbang", "target": "col-czcit", "kind": "partnership"},
                headers=who,
            ).status_code
            == 403
        )
    assert c.post("/organizations", json=org, headers=world.coordinator).status_code == 201
    assert c.post("/organizations", json=org, headers=world.coordinator).status_code == 409


def test_links_name_unknown_ends(world: World) -> None:
    answer = world.client.post(
        "/links",
        json={"source": "ent-hengbang", "target": "ent-suzhou", "kind": "partnership"},
        headers=world.coordinator,
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "target", "message": "unknown organization 'ent-suzhou'"}
    ]


def test_tokens_are_for_own_consortium_members_only(world: World) -> None:
    c = world.client
    assert (
        c.post(
            "/tokens", json={"organization": "ent-suzhou"}, headers=world.coordinator
        ).status_code
        == 404
    )
    answer = c.post("/tokens", json={"organization": "park-jintan"}, headers=world.coordinator)
    assert answer.status_code == 422


def test_consortia_never_see_each_other(world: World) -> None:
    c = world.client
    flow.open_round(world)
    mine = {o["id"] for o in c.get("/organizations", headers=world.czcit).json()["items"]}
    theirs = {o["id"] for o in c.get("/organizations", headers=world.other).json()["items"]}
    assert "ent-suzhou" not in mine and "ent-hengbang" not in theirs
    assert c.get("/rounds", headers=world.other).json()["items"] == []
    assert c.get("/rounds/r1", headers=world.other).status_code == 404
    assert c.get("/rounds/r1/placements", headers=world.other).status_code == 404
    graph = c.get("/graph", headers=world.other).json()
    assert all("gov-cz" not in (k["source"], k["target"]) for k in graph["links"])


def test_round_lifecycle_gates_changes(world: World) -> None:
    c = world.client
    c.post("/rounds", json={"id": "r1"}, headers=world.coordinator)
    body = {"kind": "internship", "capacity": 1}
    assert c.put("/rounds/r1/placements/p", json=body, headers=world.hengbang).status_code == 409
    assert c.post("/rounds/r1/open", headers=world.hengbang).status_code == 403
    assert c.post("/rounds/r1/open", headers=world.coordinator).status_code == 200
    assert c.put("/rounds/r1/placements/p", json=body, headers=world.hengbang).status_code == 201
    closed = c.post("/rounds/r1/close", headers=world.coordinator)
    assert closed.status_code == 422  # no candidates yet: the engine says why
    assert closed.json()["errors"] == [
        {"field": "candidates", "message": "the round has no candidates"}
    ]
    c.put(
        "/rounds/r1/candidates/s",
        json={"kind": "student", "preferences": ["p"]},
        headers=world.czcit,
    )
    closed = c.post("/rounds/r1/close", headers=world.coordinator)
    assert closed.status_code == 200 and len(closed.json()["snapshot_hash"]) == 64
    assert c.put("/rounds/r1/placements/p", json=body, headers=world.hengbang).status_code == 409
    assert c.delete("/rounds/r1/candidates/s", headers=world.czcit).status_code == 409


def test_enterprises_own_their_placements(world: World) -> None:
    c = world.client
    flow.open_round(world)
    flow.post_placements(world)
    body = {"kind": "internship", "capacity": 5}
    # another enterprise's placement: as if it did not exist
    assert c.put("/rounds/r1/placements/hb-1", json=body, headers=world.qianhong).status_code == 404
    assert c.delete("/rounds/r1/placements/hb-1", headers=world.qianhong).status_code == 404
    assert (
        c.put(
            "/rounds/r1/placements/hb-1/ranking", json={"ranking": []}, headers=world.qianhong
        ).status_code
        == 404
    )
    # a body cannot name its host
    answer = c.put(
        "/rounds/r1/placements/x", json={**body, "host": "ent-qianhong"}, headers=world.hengbang
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "['x'].host"
    # colleges cannot post placements
    assert c.put("/rounds/r1/placements/x", json=body, headers=world.czcit).status_code == 403
    mine = c.get("/rounds/r1/placements", headers=world.hengbang).json()["items"]
    assert {p["id"] for p in mine} == {"hb-1", "hb-2"}
    assert all(p["host"] == "ent-hengbang" for p in mine)
    edited = c.put(
        "/rounds/r1/placements/hb-1", json=body, headers={**world.hengbang, "If-Match": '"1"'}
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    assert edited.headers["etag"] == '"2"'
    gone = c.delete("/rounds/r1/placements/hb-2", headers={**world.hengbang, "If-Match": '"1"'})
    assert gone.status_code == 204
    listed = c.get("/rounds/r1/placements", headers=world.czcit).json()["items"]
    assert {p["id"] for p in listed} == {"hb-1", "qh-1"}
    assert all("ranking" not in p for p in listed)


def test_colleges_own_their_candidates(world: World) -> None:
    c = world.client
    flow.open_round(world)
    flow.post_placements(world)
    flow.register_candidates(world)
    body = {"kind": "student", "preferences": ["qh-1"]}
    assert c.put("/rounds/r1/candidates/s1", json=body, headers=world.czu).status_code == 404
    assert c.delete("/rounds/r1/candidates/s1", headers=world.czu).status_code == 404
    assert (
        c.put(
            "/rounds/r1/candidates/s9", json={**body, "college": "col-czu"}, headers=world.czcit
        ).status_code
        == 422
    )
    assert c.put("/rounds/r1/candidates/s9", json=body, headers=world.hengbang).status_code == 403
    bad = c.put(
        "/rounds/r1/candidates/s9",
        json={"kind": "student", "preferences": ["hb-1", "nope", "hb-1"]},
        headers=world.czcit,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"field": "candidates['s9'].preferences", "message": "'hb-1' appears more than once"},
        {"field": "candidates['s9'].preferences", "message": "unknown placement 'nope'"},
    ]
    own = c.get("/rounds/r1/candidates", headers=world.czcit).json()["items"]
    assert {x["id"] for x in own} == {"s1", "s2"}
    assert all(x["college"] == "col-czcit" for x in own)
    project = c.get("/rounds/r1/candidates", headers=world.institute).json()["items"]
    assert [(x["id"], x["institute"]) for x in project] == [("rp5", "ri-001")]
    applicants = c.get("/rounds/r1/candidates", headers=world.qianhong).json()["items"]
    assert {x["id"]: x["applied_to"] for x in applicants} == {
        "s1": ["qh-1"],
        "s3": ["qh-1"],
        "u4": ["qh-1"],
    }
    assert all("preferences" not in x for x in applicants)


def test_placement_edits_need_the_current_etag(world: World) -> None:
    c = world.client
    flow.open_round(world)
    flow.post_placements(world)
    body = {"kind": "internship", "capacity": 4}
    url = "/rounds/r1/placements/hb-1"
    assert c.get(url, headers=world.hengbang).headers["etag"] == '"1"'
    assert c.get(url, headers=world.qianhong).status_code == 404
    assert "ranking" not in c.get(url, headers=world.czcit).json()
    missing = c.put(url, json=body, headers=world.hengbang)
    assert missing.status_code == 428
    assert c.put(f"{url}/ranking", json={"ranking": []}, headers=world.hengbang).status_code == 428
    stale = c.put(url, json=body, headers={**world.hengbang, "If-Match": '"7"'})
    assert stale.status_code == 412
    assert stale.json()["detail"] == "placement 'hb-1' changed since that ETag: it is now \"1\""
    first = c.put(url, json=body, headers={**world.hengbang, "If-Match": '"1"'})
    again = c.put(url, json={**body, "capacity": 9}, headers={**world.hengbang, "If-Match": '"1"'})
    assert (first.status_code, again.status_code) == (200, 412)
    assert c.get(url, headers=world.hengbang).json()["capacity"] == 4


def test_ranking_does_not_reveal_which_candidate_ids_exist(world: World) -> None:
    """Issue 11, item 5: an unknown id and a candidate who did not apply get the
    same answer, so an enterprise cannot enumerate the round by ranking."""
    c = world.client
    flow.open_round(world)
    flow.post_placements(world)
    flow.register_candidates(world)
    url = "/rounds/r1/placements/hb-2/ranking"
    etag = {**world.hengbang, "If-Match": '"1"'}
    answers = [c.put(url, json={"ranking": [cid]}, headers=etag) for cid in ("s1", "ghost")]
    assert [a.status_code for a in answers] == [422, 422]
    assert [a.json()["errors"] for a in answers] == [
        [{"field": "placements['hb-2'].ranking", "message": f"{cid!r} has not applied to 'hb-2'"}]
        for cid in ("s1", "ghost")
    ]
    # s3 did apply to hb-2
    assert c.put(url, json={"ranking": ["s3"]}, headers=etag).status_code == 200


def test_runs_results_and_publication(world: World) -> None:
    c = world.client
    run = flow.full_round(world)
    # only the coordinator starts, reads and publishes runs
    for who in (world.hengbang, world.czcit):
        assert c.post("/rounds/r1/runs", json={}, headers=who).status_code == 403
        assert c.get(f"/rounds/r1/runs/{run}", headers=who).status_code == 403
        assert c.get(f"/rounds/r1/runs/{run}/result", headers=who).status_code == 403
        assert c.post(f"/rounds/r1/runs/{run}/publish", headers=who).status_code == 403
        assert c.get("/rounds/r1/assignments", headers=who).status_code == 409  # not yet
    assert c.get(f"/rounds/r1/runs/{run}", headers=world.other).status_code == 404
    status = c.get(f"/rounds/r1/runs/{run}", headers=world.coordinator).json()
    assert status["input_hash"] and status["engine_version"] and status["attempt"] == 1
    result = c.get(f"/rounds/r1/runs/{run}/result", headers=world.coordinator).json()
    assert result["assignments"]["s3"] == "hb-1" and result["stable"]
    # the same options on the frozen snapshot give the same bytes
    again = flow.solve(world, world.settings)
    first = c.get(f"/rounds/r1/runs/{run}/result", headers=world.coordinator).content
    second = c.get(f"/rounds/r1/runs/{again}/result", headers=world.coordinator).content
    assert first == second
    optimal = flow.solve(world, world.settings, mechanism="optimal")
    compared = c.get(f"/rounds/r1/compare?runs={run},{optimal}", headers=world.coordinator)
    assert [r["mechanism"] for r in compared.json()["runs"]] == ["stable", "optimal"]
    assert (
        c.post(f"/rounds/r1/runs/{run}/publish", headers=world.coordinator).json()["state"]
        == "published"
    )
    mine = c.get("/rounds/r1/assignments", headers=world.czcit).json()["items"]
    assert {a["candidate"] for a in mine} == {"s1", "s2"}
    s2 = next(a for a in mine if a["candidate"] == "s2")
    assert s2["placement"] is None
    # a college reads a cutoff as a position, never another organization's candidate
    assert s2["explanations"] == [{"placement": "hb-1", "reason": "full", "admitted": 2}]
    everyone = c.get(f"/rounds/r1/runs/{run}/assignments", headers=world.coordinator).json()[
        "items"
    ]
    s2 = next(a for a in everyone if a["candidate"] == "s2")
    assert s2["explanations"] == [{"placement": "hb-1", "reason": "full", "cutoff": "s1"}]
    coming = c.get("/rounds/r1/assignments", headers=world.hengbang).json()["items"]
    assert {a["host"] for a in coming} == {"ent-hengbang"}
    assert all("explanations" not in a for a in coming)
    text = c.get("/rounds/r1/assignments?format=csv", headers=world.czcit).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["candidate"] for r in rows] == [a["candidate"] for a in mine]
    assert rows[1]["reasons"] == "hb-1: full admitted 2"


def test_a_run_that_fails_says_why(world: World) -> None:
    c = world.client
    c.post("/rounds", json={"id": "ex"}, headers=world.coordinator)
    c.post("/rounds/ex/open", headers=world.coordinator)
    c.post(
        "/rounds/ex/import",
        content=EXAMPLE.read_bytes(),
        headers={**world.coordinator, "Content-Type": "application/json"},
    )
    c.post("/rounds/ex/close", headers=world.coordinator)
    answer = c.post(
        "/rounds/ex/runs", json={"mechanism": "stable-placement"}, headers=world.coordinator
    )
    from api.jobs import work

    work(world.settings, once=True)
    run = c.get(f"/rounds/ex/runs/{answer.json()['id']}", headers=world.coordinator).json()
    assert run["status"] == "failed"
    assert "does not support mentors" in run["error"]


def test_import_is_all_or_nothing(world: World) -> None:
    c = world.client
    flow.open_round(world)
    flow.post_placements(world)
    doc = json.loads(EXAMPLE.read_text())
    doc["candidates"][0]["preferences"] = ["nowhere"]
    answer = c.post(
        "/rounds/r1/import",
        content=json.dumps(doc),
        headers={**world.coordinator, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "candidates['s1'].preferences", "message": "unknown placement 'nowhere'"}
    ]
    assert c.get("/rounds/r1", headers=world.coordinator).json()["counts"]["placements"] == 3
    wrong = c.post(
        "/rounds/r1/import",
        content=b"id,seed\n",
        headers={**world.coordinator, "Content-Type": "text/csv"},
    )
    assert wrong.status_code == 415
    ok = c.post(
        "/rounds/r1/import",
        content=EXAMPLE.read_bytes(),
        headers={**world.coordinator, "Content-Type": "application/json"},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["counts"] == {"placements": 4, "seats": 5, "candidates": 4}
    assert (
        c.post(
            "/rounds/r1/import",
            content=EXAMPLE.read_bytes(),
            headers={**world.hengbang, "Content-Type": "application/json"},
        ).status_code
        == 403
    )


def test_bodies_over_the_limit_are_413(world: World) -> None:
    big = b"{" + b" " * (9 * 1024 * 1024) + b"}"
    answer = world.client.post(
        "/organizations",
        content=big,
        headers={**world.coordinator, "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["status"] == 413


def test_concurrent_edits_with_the_same_etag_one_wins(world: World) -> None:
    import threading

    c = world.client
    flow.open_round(world)
    flow.post_placements(world)
    codes: list[int] = []
    lock = threading.Lock()

    def edit(capacity: int) -> None:
        answer = c.put(
            "/rounds/r1/placements/hb-1",
            json={"kind": "internship", "capacity": capacity},
            headers={**world.hengbang, "If-Match": '"1"'},
        )
        with lock:
            codes.append(answer.status_code)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(2, 12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(codes) == [200] + [412] * 9
    assert c.get("/rounds/r1/placements/hb-1", headers=world.hengbang).headers["etag"] == '"2"'
