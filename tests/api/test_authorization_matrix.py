"""Every route of the OpenAPI document, called by every kind of caller in every
round state: nobody reaches what is not theirs, and nothing foreign leaks.

A route that is missing from ROUTES fails the test, so a new endpoint cannot
ship without its row here."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.jobs import work
from tests.api import flow
from tests.api.conftest import World, auth

# (method, path) → a request body for writes (None: no body).
ROUTES: dict[tuple[str, str], Any] = {
    ("get", "/health"): None,
    ("get", "/me"): None,
    ("get", "/organizations"): None,
    ("post", "/organizations"): {"id": "new-org", "kind": "enterprise"},
    ("post", "/links"): {"source": "ent-hengbang", "target": "col-czcit", "kind": "partnership"},
    ("get", "/graph"): None,
    ("post", "/tokens"): {"organization": "ent-hengbang"},
    ("get", "/tokens"): None,
    ("get", "/audit"): None,
    ("get", "/audit/verify"): None,
    ("delete", "/tokens/{token_id}"): None,
    ("post", "/sessions"): {"login": "nobody", "password": "not-the-password"},
    ("delete", "/sessions/current"): None,
    ("get", "/organizations/{org}/people"): None,
    ("post", "/organizations/{org}/people"): {
        "login": "new-person",
        "name": "新人",
        "password": "a-long-password",
    },
    ("patch", "/people/{person_id}"): {"name": "改名"},
    ("put", "/people/{person_id}/password"): {"password": "another-long-password"},
    ("delete", "/people/{person_id}/sessions"): None,
    ("put", "/me/password"): {"current": "x", "password": "another-long-password"},
    ("get", "/rounds"): None,
    ("post", "/rounds"): {"id": "another"},
    ("get", "/rounds/{round}"): None,
    ("post", "/rounds/{round}/import"): None,
    ("post", "/rounds/{round}/open"): None,
    ("post", "/rounds/{round}/close"): None,
    ("get", "/rounds/{round}/document"): None,
    ("get", "/rounds/{round}/placements"): None,
    ("post", "/rounds/{round}/placements"): {
        "placements": [{"id": "hb-1", "kind": "internship", "capacity": 1}]
    },
    ("get", "/rounds/{round}/placements/{item}"): None,
    ("put", "/rounds/{round}/placements/{item}"): {"kind": "internship", "capacity": 1},
    ("delete", "/rounds/{round}/placements/{item}"): None,
    ("put", "/rounds/{round}/placements/{item}/ranking"): {"ranking": []},
    ("get", "/rounds/{round}/candidates"): None,
    ("post", "/rounds/{round}/candidates"): {
        "candidates": [{"id": "s1", "kind": "student", "preferences": []}]
    },
    ("get", "/rounds/{round}/candidates/{item}"): None,
    ("put", "/rounds/{round}/candidates/{item}"): {"kind": "student", "preferences": []},
    ("delete", "/rounds/{round}/candidates/{item}"): None,
    ("get", "/rounds/{round}/runs"): None,
    ("post", "/rounds/{round}/runs"): {"mechanism": "stable"},
    ("get", "/rounds/{round}/runs/{run}"): None,
    ("get", "/rounds/{round}/runs/{run}/result"): None,
    ("get", "/rounds/{round}/runs/{run}/assignments"): None,
    ("post", "/rounds/{round}/runs/{run}/publish"): None,
    ("post", "/rounds/{round}/runs/{run}/cancel"): None,
    ("get", "/rounds/{round}/placements/{item}/applicants"): None,
    ("get", "/rounds/{round}/compare"): None,
    ("get", "/rounds/{round}/compare/moves"): None,
    ("get", "/rounds/{round}/compare/changes"): None,
    ("get", "/rounds/{round}/assignments"): None,
    ("post", "/rounds/{round}/changes"): {"kind": "decline", "candidate": "s1", "reason": "x"},
    ("get", "/rounds/{round}/changes"): None,
    ("get", "/rounds/{round}/overrides"): None,
    ("put", "/rounds/{round}/overrides/{candidate}/{placement}"): {
        "kind": "forbid",
        "reason": "other",
    },
    ("delete", "/rounds/{round}/overrides/{candidate}/{placement}"): None,
    ("post", "/rounds/{round}/rematch"): {},
    ("get", "/rounds/{round}/versions"): None,
    ("get", "/rounds/{round}/versions/{number}/changes"): None,
    ("get", "/rounds/{round}/versions/{number}/bundle"): None,
    ("post", "/rounds/{round}/second-round"): {"id": "r1-second"},
    ("get", "/rounds/{round}/season"): None,
}
# What only the first consortium has: none of it may reach the second.
FOREIGN_IDS = ("ent-hengbang", "col-czcit", "hb-1", "s1", "park-jintan", "gov-cz")


def _path(template: str, item: str, run: str) -> str:
    return (
        template.replace("{round}", "r1")
        .replace("{item}", item)
        .replace("{run}", run)
        .replace("{candidate}", "s1")
        .replace("{placement}", "hb-1")
        .replace("{number}", "2")
        .replace("{org}", "ent-hengbang")
        .replace("{person_id}", "1")
        .replace("{token_id}", "1")
    )


def _call(
    w: World, method: str, template: str, headers: dict[str, str], run: str, item: str | None = None
) -> Any:
    body = ROUTES[(method, template)]
    if item is None:
        item = "s1" if "/candidates/" in template else "hb-1"
    path = _path(template, item, run)
    if "/compare" in template:
        path += f"?runs={run},{run}"
    kwargs: dict[str, Any] = {"headers": headers}
    if template.endswith("/import"):
        kwargs["content"] = json.dumps({"id": "x"})
        kwargs["headers"] = {**headers, "Content-Type": "application/json"}
    elif body is not None:
        kwargs["json"] = body
    return w.client.request(method.upper(), path, **kwargs)


def _state(w: World, state: str) -> str:
    """The first consortium's round r1 in `state`; returns a run id (or a dummy)."""
    flow.open_round(w)
    flow.post_placements(w)
    flow.register_candidates(w)
    if state == "open":
        return "no-such-run"
    w.client.post("/rounds/r1/close", headers=w.coordinator)
    run = w.client.post("/rounds/r1/runs", json={}, headers=w.coordinator).json()["id"]
    if state == "closed":
        return str(run)
    work(w.settings, once=True)
    if state == "published":
        w.client.post(f"/rounds/r1/runs/{run}/publish", headers=w.coordinator)
    return str(run)


def test_the_matrix_names_every_route(world: World) -> None:
    routes = {(m, p) for p, ops in world.client.app.openapi()["paths"].items() for m in ops}
    assert routes == set(ROUTES)


@pytest.mark.parametrize("state", ["open", "closed", "solved", "published"])
def test_no_token_or_a_bad_one_reaches_nothing(world: World, state: str) -> None:
    run = _state(world, state)
    for method, template in ROUTES:
        for headers in ({}, auth("pe_forged")):
            answer = _call(world, method, template, headers, run)
            expected = 200 if template == "/health" else 401
            assert answer.status_code == expected, (method, template, answer.text)


@pytest.mark.parametrize("state", ["open", "closed", "solved", "published"])
def test_another_consortium_sees_nothing_of_ours(world: World, state: str) -> None:
    run = _state(world, state)
    leaks = []
    for method, template in ROUTES:
        answer = _call(world, method, template, world.other, run)
        text = answer.text
        # our round does not exist for them: 404 (or 422 for a body it cannot read)
        if "{round}" in template and answer.status_code not in (404, 422):
            leaks.append((method, template, answer.status_code))
        if any(f'"{ident}"' in text for ident in FOREIGN_IDS):
            leaks.append((method, template, "foreign id in body"))
    assert leaks == []


@pytest.mark.parametrize("state", ["open", "closed", "solved", "published"])
def test_members_never_reach_other_members_objects(world: World, state: str) -> None:
    run = _state(world, state)
    leaks = []
    # another enterprise's placement, another college's candidate: as if missing
    for method, template in ROUTES:
        if "/placements/{item}" in template:
            answer = _call(world, method, template, world.qianhong, run, item="hb-1")
            if answer.status_code not in (404, 409):  # 409: the round is not open
                leaks.append((method, template, answer.status_code))
        if "/candidates/{item}" in template:
            answer = _call(world, method, template, world.czu, run, item="s1")
            if answer.status_code not in (404, 409):
                leaks.append((method, template, answer.status_code))
    # lists and results hold only what the caller may see
    for who, own in ((world.czcit, {"s1", "s2"}), (world.czu, {"s3", "u4"})):
        listed = world.client.get("/rounds/r1/candidates", headers=who).json()["items"]
        if {c["id"] for c in listed} - own:
            leaks.append(("get", "candidates", "foreign candidate listed"))
        if state == "published":
            rows = world.client.get("/rounds/r1/assignments", headers=who).json()["items"]
            if {a["candidate"] for a in rows} - own:
                leaks.append(("get", "assignments", "foreign candidate"))
    # a batch naming another college's candidate changes nothing of it
    batch = _call(world, "post", "/rounds/{round}/candidates", world.czu, run)
    if batch.status_code not in (404, 409):
        leaks.append(("post", "candidates", batch.status_code))
    # and one naming another enterprise's placement, nothing of it
    batch = _call(world, "post", "/rounds/{round}/placements", world.qianhong, run)
    if batch.status_code not in (404, 409):
        leaks.append(("post", "placements", batch.status_code))
    mine = world.client.get("/rounds/r1/placements", headers=world.qianhong).json()["items"]
    if {p["host"] for p in mine} != {"ent-qianhong"}:
        leaks.append(("get", "placements", "another enterprise's placement"))
    if state != "published":
        for who in (world.hengbang, world.czcit):
            if world.client.get("/rounds/r1/assignments", headers=who).status_code != 409:
                leaks.append(("get", "assignments", "visible before publication"))
    for who in (world.hengbang, world.czcit, world.institute):
        for template in (
            "/rounds/{round}/runs/{run}",
            "/rounds/{round}/runs/{run}/result",
            "/rounds/{round}/runs/{run}/assignments",
            "/rounds/{round}/compare",
            "/rounds/{round}/compare/moves",
            "/rounds/{round}/compare/changes",
        ):
            if _call(world, "get", template, who, run).status_code != 403:
                leaks.append(("get", template, "a member read a run"))
        if _call(world, "post", "/rounds/{round}/runs/{run}/cancel", who, run).status_code != 403:
            leaks.append(("post", "cancel", "a member cancelled a run"))
        for method, template in (
            ("get", "/rounds/{round}/overrides"),
            ("put", "/rounds/{round}/overrides/{candidate}/{placement}"),
            ("delete", "/rounds/{round}/overrides/{candidate}/{placement}"),
            ("post", "/rounds/{round}/rematch"),
            ("post", "/rounds/{round}/second-round"),
        ):
            if _call(world, method, template, who, run).status_code != 403:
                leaks.append((method, template, "a member acted as the coordinator"))
    # after publication, a change only by whom it concerns
    if state == "published":
        for who, body in (
            (world.czu, {"kind": "decline", "candidate": "s1", "reason": "x"}),
            (world.qianhong, {"kind": "withdraw_placement", "placement": "hb-1", "reason": "x"}),
            (world.hengbang, {"kind": "withdraw", "candidate": "s1", "reason": "x"}),
        ):
            answer = world.client.post("/rounds/r1/changes", json=body, headers=who)
            if answer.status_code != 404:
                leaks.append(("post", "changes", f"{body} by another: {answer.status_code}"))
        season = world.client.get("/rounds/r1/season", headers=world.czcit).json()
        if {row.get("affiliation") for row in season["rows"]} - {"col-czcit"}:
            leaks.append(("get", "season", "another college's row"))
    # a college reviews no applicants
    if (
        _call(
            world, "get", "/rounds/{round}/placements/{item}/applicants", world.czcit, run
        ).status_code
        != 403
    ):
        leaks.append(("get", "applicants", "a college reviewed applicants"))
    # the lists' filters never reach past the caller's own
    reach = [
        (world.czcit, "/rounds/r1/candidates", {"college": "col-czu"}),
        (world.czcit, "/rounds/r1/candidates", {"q": "u4"}),
        (world.hengbang, "/rounds/r1/placements", {"host": "ent-qianhong"}),
        (world.qianhong, "/rounds/r1/candidates", {"applied_to": "hb-1"}),
    ]
    if state == "published":
        reach += [
            (world.czcit, "/rounds/r1/assignments", {"college": "col-czu"}),
            (world.czcit, "/rounds/r1/assignments", {"q": "s3"}),
            (world.qianhong, "/rounds/r1/assignments", {"host": "ent-hengbang"}),
        ]
    for who, path, params in reach:
        found = world.client.get(path, params=params, headers=who).json()
        if found["items"] or found["total"]:
            leaks.append(("get", path, f"{params} reached another's"))
    assert leaks == []
