"""Issue 13 in process: the pages' language, names and what each organization
may see of people (PIPL), the placements' batch, a round as a workbook and
back, an enterprise's placement file."""

from __future__ import annotations

import html
import io
import re
from urllib.parse import unquote

from fastapi.testclient import TestClient
from openpyxl import Workbook

from api import i18n
from api.pages import COOKIE
from tests.api import flow
from tests.api.conftest import World, account

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page_client(w: World, headers: dict[str, str], **cookies: str) -> tuple[TestClient, str]:
    """Signed in, with no language chosen yet (the browser's Accept-Language decides)."""
    c = TestClient(w.client.app, follow_redirects=False)
    login, password = account(w.client, headers)
    c.post("/ui/signin", data={"login": login, "password": password})
    for name, value in cookies.items():
        c.cookies.set(name, value, path="/ui")
    page = c.get("/ui").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    assert csrf is not None and COOKIE in c.cookies
    return c, csrf.group(1)


# ------------------------------------------------------------------ language


def test_chinese_first_english_on_request(world: World) -> None:
    c = TestClient(world.client.app, follow_redirects=False)
    page = c.get("/ui/signin")
    assert '<html lang="zh-CN">' in page.text and "登录" in page.text
    page = c.get("/ui/signin", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page.text and "Sign in" in page.text
    # the switch: remembered in a cookie, back to the page it was pressed on
    switched = c.get("/ui/language", params={"to": "en", "next": "/ui/signin"})
    assert switched.headers["location"] == "/ui/signin"
    assert f"{i18n.COOKIE}=en" in switched.headers["set-cookie"]
    assert "Sign in" in c.get("/ui/signin", headers={"Accept-Language": "zh-CN"}).text
    # never a way off the site, never a language it does not have
    for bad in ("//evil.example/ui", "https://evil.example", "/api"):
        answer = c.get("/ui/language", params={"to": "en", "next": bad})
        assert answer.headers["location"] == "/ui"
    assert "set-cookie" not in c.get("/ui/language", params={"to": "xx"}).headers


def test_the_apis_problems_read_in_chinese_on_the_pages(world: World) -> None:
    flow.open_round(world)
    c, csrf = _page_client(world, world.hengbang)
    form = {"csrf": csrf, "id": "hb-9", "kind": "internship", "capacity": "1", "mentor": "nope"}
    where = unquote(c.post("/ui/rounds/r1/placements", data=form).headers["location"])
    assert "岗位 'hb-9' 的信息有误" in where and "导师 'nope' 不存在" in where, where
    # the API itself keeps its English, field and id
    answer = world.client.put(
        "/rounds/r1/placements/hb-9",
        json={"kind": "internship", "capacity": 1, "mentor": "nope"},
        headers=world.hengbang,
    )
    assert answer.json()["errors"] == [
        {"field": "placements['hb-9'].mentor", "message": "unknown mentor 'nope'"}
    ]


def test_names_titles_and_numbers_are_shown_beside_ids(world: World) -> None:
    flow.open_round(world)
    world.client.put(
        "/rounds/r1/placements/hb-1",
        json={"kind": "internship", "capacity": 1, "title": "发酵工艺实习生"},
        headers=world.hengbang,
    )
    world.client.put(
        "/rounds/r1/candidates/s1",
        json={"kind": "student", "name": "张伟", "number": "2027001", "preferences": ["hb-1"]},
        headers=world.czcit,
    )
    c, _ = _page_client(world, world.czcit)
    page = c.get("/ui/rounds/r1").text
    assert "张伟" in page and "2027001" in page and "发酵工艺实习生" in page
    assert '<span class="id">s1</span>' in page


# ------------------------------------------------------------------ privacy


def test_an_enterprise_sees_its_applicants_names_colleges_levels_tiers_and_skills_only(
    world: World,
) -> None:
    flow.open_round(world)
    flow.post_placements(world)
    world.client.put(
        "/rounds/r1/candidates/s1",
        json={
            "kind": "student",
            "name": "张伟",
            "number": "2027001",
            "tier": "young_reserve",
            "level": "higher_vocational",
            "skills": ["qc"],
            "preferences": ["hb-1", "qh-1"],
        },
        headers=world.czcit,
    )
    seen = world.client.get("/rounds/r1/candidates", headers=world.hengbang).json()["items"]
    assert seen == [
        {
            "id": "s1",
            "kind": "student",
            "name": "张伟",
            "college": "col-czcit",
            "level": "higher_vocational",
            "skills": ["qc"],
            "tier": "young_reserve",  # issue 15: a host weighs the talent tier
            "applied_to": ["hb-1"],
        }
    ]
    # its college sees all of it
    own = world.client.get("/rounds/r1/candidates/s1", headers=world.czcit).json()
    assert own["number"] == "2027001" and own["tier"] == "young_reserve"


def test_who_is_coming_carries_no_number_and_a_college_no_other_candidate(
    world: World,
) -> None:
    run = flow.full_round(world)
    world.client.post(f"/rounds/r1/runs/{run}/publish", headers=world.coordinator)
    coming = world.client.get("/rounds/r1/assignments", headers=world.hengbang).json()["items"]
    assert coming and all("number" not in a or a["number"] is None
                                         for a in coming)  # fmt: skip
    mine = world.client.get("/rounds/r1/assignments", headers=world.czcit).json()["items"]
    ids = {a["candidate"] for a in mine}
    for a in mine:
        for e in a["explanations"] or []:
            assert "cutoff" not in e and set(e.values()).isdisjoint(ids - {a["candidate"]})


# ------------------------------------------------------------------ placements, a batch


def test_placements_in_a_batch_all_or_none(world: World) -> None:
    flow.open_round(world)
    c, h = world.client, world.hengbang
    two = [
        {"id": "hb-1", "kind": "internship", "capacity": 2, "title": "发酵工艺实习生"},
        {"id": "hb-2", "kind": "apprenticeship", "capacity": 1},
    ]
    preview = c.post("/rounds/r1/placements?dry_run=true", json={"placements": two}, headers=h)
    assert preview.json() == {"created": 2, "changed": 0, "unchanged": 0}
    assert (
        c.get("/rounds/r1/placements", headers=h).json()["items"] == []
    )  # a preview stores nothing
    done = c.post("/rounds/r1/placements", json={"placements": two}, headers=h)
    assert done.json() == {"created": 2, "changed": 0, "unchanged": 0}
    # a stored placement names the version it was read at
    again = c.post("/rounds/r1/placements", json={"placements": two}, headers=h)
    assert again.status_code == 428
    versioned = [{**p, "version": 1} for p in two]
    assert c.post("/rounds/r1/placements", json={"placements": versioned}, headers=h).json() == {
        "created": 0,
        "changed": 0,
        "unchanged": 2,
    }
    # one bad row: nothing of the batch is stored
    bad = [{**versioned[0], "capacity": 5}, {"id": "hb-3", "kind": "internship", "capacity": 1,
                                               "mentor": "nobody"}]  # fmt: skip
    answer = c.post("/rounds/r1/placements", json={"placements": bad}, headers=h)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "placements['hb-3'].mentor"
    assert c.get("/rounds/r1/placements/hb-1", headers=h).json()["capacity"] == 2
    # another enterprise's placement is as missing as one that does not exist
    theirs = [{"id": "hb-1", "kind": "internship", "capacity": 1}]
    answer = c.post("/rounds/r1/placements", json={"placements": theirs}, headers=world.qianhong)
    assert answer.status_code == 404


def test_an_enterprise_imports_its_placements_from_excel(world: World) -> None:
    flow.open_round(world)
    c, csrf = _page_client(world, world.hengbang)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ["岗位编号", "岗位名称", "岗位类型", "名额", "期望技能", "最低学历层次"],
        ["hb-1", "发酵工艺实习生", "实习岗位", 3, "发酵、质量控制", ""],
        ["hb-2", "菌种构建科研项目承接", "科研项目承接", 0, "菌种工程", "本科"],
    ):
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    files = {"file": ("岗位.xlsx", data.getvalue(), XLSX)}
    page = c.post("/ui/rounds/r1/placements/preview", data={"csrf": csrf}, files=files).text
    assert "第 3 行 名额 列：应不小于 1" in html.unescape(page), page
    sheet["D3"] = 2
    data = io.BytesIO()
    book.save(data)
    files = {"file": ("岗位.xlsx", data.getvalue(), XLSX)}
    page = c.post("/ui/rounds/r1/placements/preview", data={"csrf": csrf}, files=files).text
    payload = re.search(r'name="payload" value="([^"]*)"', page)
    assert payload is not None, page
    done = c.post(
        "/ui/rounds/r1/placements/import",
        data={"csrf": csrf, "payload": html.unescape(payload.group(1))},
    )
    assert "已导入 2 行" in unquote(done.headers["location"])
    stored = {
        p["id"]: p
        for p in world.client.get("/rounds/r1/placements", headers=world.hengbang).json()["items"]
    }
    assert stored["hb-1"]["title"] == "发酵工艺实习生" and stored["hb-1"]["kind"] == "internship"
    assert stored["hb-1"]["skills"] == ["发酵", "质量控制"]
    assert stored["hb-2"]["kind"] == "research_host"
    assert stored["hb-2"]["requirements"] == {"min_level": "undergraduate"}


# ------------------------------------------------------------------ a round as a workbook


def test_a_round_leaves_and_comes_back_as_a_workbook(world: World) -> None:
    run = flow.full_round(world)
    assert run
    c = world.client
    doc = c.get("/rounds/r1/document", headers=world.coordinator).json()
    book = c.get("/rounds/r1/document?format=xlsx", headers=world.coordinator)
    assert book.headers["content-type"] == XLSX
    assert c.post("/rounds", json={"id": "r2"}, headers=world.coordinator).status_code == 201
    answer = c.post(
        "/rounds/r2/import",
        content=book.content,
        headers={**world.coordinator, "Content-Type": XLSX},
    )
    assert answer.status_code == 200, answer.text
    back = c.get("/rounds/r2/document", headers=world.coordinator).json()
    assert {**back, "id": "r1"} == doc
    # the document is the coordinator's alone
    assert c.get("/rounds/r1/document", headers=world.czcit).status_code == 403
