"""The pages' own guards, in process: the session cookie, CSRF on every form,
and each organization seeing only what the API lets it see."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from fastapi.testclient import TestClient

from api import i18n
from api.pages import COOKIE
from tests.api import flow
from tests.api.conftest import World, account


def _english(c: TestClient) -> TestClient:
    """These tests read the pages' English (the switch's cookie); test_i18n reads the Chinese."""
    c.cookies.set(i18n.COOKIE, "en", path="/ui")
    return c


def _signed_in(w: World, headers: dict[str, str]) -> tuple[TestClient, str]:
    login, password = account(w.client, headers)
    c = _english(TestClient(w.client.app, follow_redirects=False))
    answer = c.post("/ui/signin", data={"login": login, "password": password})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/ui?msg=")
    cookie = answer.headers["set-cookie"]
    assert f"{COOKIE}=ps_" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    page = c.get("/ui")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text)
    assert csrf is not None
    return c, csrf.group(1)


def test_without_a_session_every_page_goes_to_sign_in(world: World) -> None:
    c = _english(TestClient(world.client.app, follow_redirects=False))
    for path in ("/ui", "/ui/rounds/r1", "/ui/rounds/r1/export.xlsx"):
        answer = c.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/ui/signin"
    c.cookies.set(COOKIE, "pe_forged", path="/ui")
    assert c.get("/ui").headers["location"] == "/ui/signin"
    bad = c.post("/ui/signin", data={"login": "nobody", "password": "pe_forged"})
    assert "wrong" in bad.headers["location"]


def test_forms_without_the_csrf_token_change_nothing(world: World) -> None:
    c, csrf = _signed_in(world, world.coordinator)
    for forged in ("", "0" * 64, csrf[:-1] + ("0" if csrf[-1] != "0" else "1")):
        answer = c.post("/ui/rounds", data={"csrf": forged, "id": "sneaky"})
        assert answer.status_code in (403, 422)
    assert world.client.get("/rounds", headers=world.coordinator).json()["items"] == []
    ok = c.post("/ui/rounds", data={"csrf": csrf, "id": "r1", "seed": "3"})
    assert ok.status_code == 303
    assert [
        r["id"] for r in world.client.get("/rounds", headers=world.coordinator).json()["items"]
    ] == ["r1"]
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


def test_a_filter_offers_colleges_in_pinyin_order(world: World) -> None:
    """The college filter lists colleges and institutes together, by name in
    拼音 order (丁 before 严 before 艾 in code-point order)."""
    flow.open_round(world)
    named = [("col-y", "college", "严州学院"), ("ri-a", "institute", "艾博研究院")]
    for ident, kind, name in [*named, ("col-d", "college", "丁香学院")]:
        org = {"id": ident, "kind": kind, "name": name}
        assert world.client.post("/organizations", json=org, headers=world.coordinator).is_success
    c, _ = _signed_in(world, world.coordinator)
    page = c.get("/ui/rounds/r1/candidates").text
    shown = re.findall(r"<option[^>]*>([^<]*(?:学院|研究院))</option>", page)
    assert shown == ["艾博研究院", "丁香学院", "严州学院"]


def test_the_members_page_names_organizations_not_people(world: World) -> None:
    """In Chinese an organization has a 单位名称; 姓名 is a person's name (found
    looking at the members page of the Changzhou demo)."""
    c, _ = _signed_in(world, world.coordinator)
    c.cookies.set(i18n.COOKIE, "zh_CN", path="/ui")
    page = c.get("/ui/organizations").text
    assert "单位名称" in page and "单位名称或编号" in page
    assert "姓名" not in page


def test_an_enterprise_edit_through_a_page_uses_the_etag(world: World) -> None:
    flow.open_round(world)
    flow.post_placements(world)
    c, csrf = _signed_in(world, world.hengbang)
    form = {"csrf": csrf, "id": "hb-1", "kind": "internship", "capacity": "5", "skills": "qc"}
    # without the version it was read at, a form only creates
    refused = c.post("/ui/rounds/r1/placements", data=form)
    assert "already%20exists" in refused.headers["location"]
    assert c.post("/ui/rounds/r1/placements", data={**form, "version": "1"}).status_code == 303
    stale = c.post("/ui/rounds/r1/placements", data={**form, "version": "1", "capacity": "7"})
    assert "changed%20since" in stale.headers["location"]
    stored = world.client.get("/rounds/r1/placements/hb-1", headers=world.hengbang).json()
    assert stored["capacity"] == 5 and stored["version"] == 2
    # a college cannot post a placement through the pages either
    college, college_csrf = _signed_in(world, world.czcit)
    answer = college.post(
        "/ui/rounds/r1/placements", data={**form, "id": "col-1", "csrf": college_csrf}
    )
    assert "not%20allowed" in answer.headers["location"]


class _Form(HTMLParser):
    """The fields a browser would send for the form with id `form_id` (a name
    given more than once: a list of its values; a checkbox only if checked)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.fields: dict[str, Any] = {}
        self._select: str | None = None
        self._first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            name, value = a["name"], a.get("value") or ""
            if name in self.fields:
                before = self.fields[name]
                self.fields[name] = (
                    [*before, value] if isinstance(before, list) else [before, value]
                )
            else:
                self.fields[name] = value
        elif tag == "select" and a.get("name"):
            self._select, self._first = a["name"], None
        elif tag == "option" and self._select:
            value = a.get("value")
            self._pending = (value, "selected" in a)
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[a["name"]] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data
        elif self._select and getattr(self, "_pending", None):
            value, selected = self._pending
            text = data if value is None else value
            if self._first is None:
                self._first = text
            if selected:
                self.fields[self._select] = text
            self._pending = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            self.fields.setdefault(self._select, self._first or "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _fields(c: TestClient, path: str, form_id: str) -> dict[str, Any]:
    page = c.get(path)
    assert page.status_code == 200, page.text
    parser = _Form(form_id)
    parser.feed(page.text)
    assert parser.fields, f"no form {form_id} on {path}"
    return parser.fields


def test_saving_every_form_unchanged_leaves_the_record_identical(world: World) -> None:
    """Issue 11, item 1: a form edit changes only what the person changed."""
    flow.open_round(world)
    flow.post_placements(world)
    flow.register_candidates(world)
    api = world.client
    placement = "/rounds/r1/placements/hb-1"
    etag = {"If-Match": '"1"'}
    rich = {
        "kind": "apprenticeship",
        "capacity": 3,
        "skills": ["qc", "fermentation"],
        "requirements": {"min_level": "higher_vocational", "skills": ["qc"]},
        "ranking": [["s2", "s1"], "s3"],
    }
    assert api.put(placement, json=rich, headers={**world.hengbang, **etag}).status_code == 200
    candidate = "/rounds/r1/candidates/s1"
    person = {
        "kind": "apprentice",
        "tier": "young_reserve",
        "level": "secondary_vocational",
        "skills": ["assay", "qc"],
        "preferences": [["hb-1", "qh-1"]],
    }
    assert api.put(candidate, json=person, headers={**world.czcit, **etag}).status_code == 200
    hengbang, _ = _signed_in(world, world.hengbang)
    czcit, _ = _signed_in(world, world.czcit)
    cases = [
        (hengbang, world.hengbang, placement, "/ui/rounds/r1/placements/hb-1/edit",
         "placement-form"),
        (hengbang, world.hengbang, placement, "/ui/rounds/r1/placements/hb-1/applicants",
         "ranking-form"),
        (hengbang, world.hengbang, "/rounds/r1/placements/hb-2",
         "/ui/rounds/r1/placements/hb-2/applicants", "ranking-form"),
        (czcit, world.czcit, candidate, "/ui/rounds/r1/candidates/s1/edit", "candidate-form"),
        (czcit, world.czcit, "/rounds/r1/candidates/s2", "/ui/rounds/r1/candidates/s2/edit",
         "candidate-form"),
    ]  # fmt: skip
    for client, headers, record, page, form_id in cases:
        before = api.get(record, headers=headers).json()
        fields = _fields(client, page, form_id)
        action = {
            "placement-form": "/ui/rounds/r1/placements",
            "candidate-form": "/ui/rounds/r1/candidates",
        }.get(form_id, f"/ui/rounds/r1/placements/{record.rsplit('/', 1)[1]}/ranking")
        answer = client.post(action, data=fields)
        assert answer.status_code == 303 and "err=" not in answer.headers["location"], (
            form_id,
            answer.headers["location"],
        )
        assert api.get(record, headers=headers).json() == before, form_id


def test_withdrawing_from_a_form_uses_the_version_it_showed(world: World) -> None:
    flow.open_round(world)
    flow.post_placements(world)
    flow.register_candidates(world)
    api = world.client
    for headers, record in (
        (world.czcit, "/rounds/r1/candidates/s1"),
        (world.hengbang, "/rounds/r1/placements/hb-2"),
    ):
        client, _ = _signed_in(world, headers)
        page = f"/ui{record}/edit"
        fields = _fields(client, page, "withdraw")
        action = page.removesuffix("/edit") + "/withdraw"
        stale = client.post(action, data={**fields, "version": "7"})
        assert "changed%20since" in stale.headers["location"]
        assert api.get(record, headers=headers).status_code == 200
        done = client.post(action, data=fields)
        assert "withdrawn" in done.headers["location"], done.headers["location"]
        assert api.get(record, headers=headers).status_code == 404


def test_saving_an_imported_placement_unchanged_leaves_it_identical(world: World) -> None:
    """A placement stored by an import (no requirements: no key) and re-saved
    from its form (which sends an empty list of required skills) is unchanged:
    found re-saving the Changzhou demo's pl-0002, which went from version 1 to 2."""
    import json

    c = world.client
    c.post("/rounds", json={"id": "r1"}, headers=world.coordinator)
    doc = {
        "id": "r1",
        "organizations": [
            {"id": "ent-hengbang", "kind": "enterprise"},
            {"id": "col-czcit", "kind": "college"},
        ],
        "placements": [
            {"id": "p1", "host": "ent-hengbang", "kind": "internship", "capacity": 2,
             "skills": ["qc"]},
        ],
        "candidates": [
            {"id": "s1", "kind": "student", "college": "col-czcit", "preferences": ["p1"]}
        ],
    }  # fmt: skip
    answer = c.post(
        "/rounds/r1/import",
        content=json.dumps(doc),
        headers={**world.coordinator, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    c.post("/rounds/r1/open", headers=world.coordinator)
    before = c.get("/rounds/r1/placements/p1", headers=world.hengbang).json()
    hengbang, _ = _signed_in(world, world.hengbang)
    fields = _fields(hengbang, "/ui/rounds/r1/placements/p1/edit", "placement-form")
    assert hengbang.post("/ui/rounds/r1/placements", data=fields).status_code == 303
    assert c.get("/rounds/r1/placements/p1", headers=world.hengbang).json() == before
