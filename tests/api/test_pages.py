"""The pages' own guards, in process: the session cookie, CSRF on every form,
and each organization seeing only what the API lets it see."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.pages import COOKIE
from tests.api import flow
from tests.api.conftest import World


def _signed_in(w: World, headers: dict[str, str]) -> tuple[TestClient, str]:
    token = headers["Authorization"].removeprefix("Bearer ")
    c = TestClient(w.client.app, follow_redirects=False)
    answer = c.post("/ui/signin", data={"token": token})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/ui?msg=")
    cookie = answer.headers["set-cookie"]
    assert f"{COOKIE}={token}" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    page = c.get("/ui")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text)
    assert csrf is not None
    return c, csrf.group(1)


def test_without_a_session_every_page_goes_to_sign_in(world: World) -> None:
    c = TestClient(world.client.app, follow_redirects=False)
    for path in ("/ui", "/ui/rounds/r1", "/ui/rounds/r1/export.xlsx"):
        answer = c.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/ui/signin"
    c.cookies.set(COOKIE, "pe_forged", path="/ui")
    assert c.get("/ui").headers["location"] == "/ui/signin"
    bad = c.post("/ui/signin", data={"token": "pe_forged"})
    assert "not%20valid" in bad.headers["location"]


def test_forms_without_the_csrf_token_change_nothing(world: World) -> None:
    c, csrf = _signed_in(world, world.coordinator)
    for forged in ("", "0" * 64, csrf[:-1] + ("0" if csrf[-1] != "0" else "1")):
        answer = c.post("/ui/rounds", data={"csrf": forged, "id": "sneaky"})
        assert answer.status_code in (403, 422)
    assert world.client.get("/rounds", headers=world.coordinator).json() == []
    ok = c.post("/ui/rounds", data={"csrf": csrf, "id": "r1", "seed": "3"})
    assert ok.status_code == 303
    assert [r["id"] for r in world.client.get("/rounds", headers=world.coordinator).json()] == [
        "r1"
    ]
    # another organization's CSRF token is no good here
    _, theirs = _signed_in(world, world.hengbang)
    assert c.post("/ui/rounds", data={"csrf": theirs, "id": "r2"}).status_code == 403


def test_each_organization_sees_its_own(world: World) -> None:
    flow.open_round(world)
    flow.post_placements(world)
    flow.register_candidates(world)
    hengbang, _ = _signed_in(world, world.hengbang)
    page = hengbang.get("/ui/rounds/r1").text
    assert "hb-1" in page and "qh-1" not in page.split("Our placements")[1].split("<h3")[0]
    czcit, _ = _signed_in(world, world.czcit)
    page = czcit.get("/ui/rounds/r1").text
    assert "s1" in page and "s3" not in page and "u4" not in page
    # a round of another consortium is as missing as a round that does not exist
    other, _ = _signed_in(world, world.other)
    answer = other.get("/ui/rounds/r1")
    assert answer.status_code == 303 and "not%20found" in answer.headers["location"]


def test_an_enterprise_edit_through_a_page_uses_the_etag(world: World) -> None:
    flow.open_round(world)
    flow.post_placements(world)
    c, csrf = _signed_in(world, world.hengbang)
    form = {"csrf": csrf, "id": "hb-1", "kind": "internship", "capacity": "5", "skills": "qc"}
    assert c.post("/ui/rounds/r1/placements", data=form).status_code == 303
    stored = world.client.get("/rounds/r1/placements/hb-1", headers=world.hengbang).json()
    assert stored["capacity"] == 5 and stored["version"] == 2
    # a college cannot post a placement through the pages either
    college, college_csrf = _signed_in(world, world.czcit)
    answer = college.post("/ui/rounds/r1/placements", data={**form, "csrf": college_csrf})
    assert "not%20allowed" in answer.headers["location"]
