"""Regressions for the defects of issue 11, each named after what it was. The
pages' "saving a form unchanged" is in test_pages.py, the demo's port and
SIGTERM in tests/e2e/test_demo.py, the welfare K_p in
tests/unit/test_objective_reference.py."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from api.jobs import work
from matching.model import PlacementKind
from tests.api import flow
from tests.api.conftest import World
from tests.api.test_pages import _signed_in

EXAMPLE = Path(__file__).parents[2] / "fixtures" / "rounds" / "contract-example.json"


def _stored(w: World, headers: dict[str, str]) -> list[dict[str, object]]:
    answer = w.client.get("/rounds/r1/candidates", headers=headers)
    return sorted(answer.json()["items"], key=lambda c: str(c["id"]))


def _preview(c: TestClient, csrf: str, name: str, data: bytes, raw: bool = False) -> str:
    """Upload a file: the preview page (200), or the round's page with why not (303)."""
    answer = c.post(
        "/ui/rounds/r1/candidates/preview",
        data={"csrf": csrf},
        files={"file": (name, data, "application/octet-stream")},
    )
    if answer.status_code == 303:
        return unquote(answer.headers["location"])
    assert answer.status_code == 200, answer.text
    return answer.text if raw else html.unescape(answer.text)


def _upload(c: TestClient, csrf: str, name: str, data: bytes) -> str:
    """Preview a file and confirm it: where the confirmation leads."""
    page = _preview(c, csrf, name, data, raw=True)
    assert 'id="confirm"' in page, page
    found = re.search(r'name="payload" value="([^"]*)"', page)
    assert found is not None
    payload = html.unescape(found.group(1))
    answer = c.post("/ui/rounds/r1/candidates/import", data={"csrf": csrf, "payload": payload})
    assert answer.status_code == 303, answer.text
    return unquote(answer.headers["location"])


# ------------------------------------------------------------- 2. imports


def test_csv_import_with_bad_rows_stores_nothing(world: World) -> None:
    flow.open_round(world)
    flow.post_placements(world)
    c, csrf = _signed_in(world, world.czcit)
    before = _stored(world, world.czcit)
    rows = "id,kind,preferences\nok1,student,hb-1\nbad1,alien,hb-1\nbad2,student,nowhere\n"
    page = _preview(c, csrf, "mixed.csv", rows.encode())
    assert 'id="problems"' in page and 'id="confirm"' not in page
    assert "row 3, column kind:" in page, page
    fixed = rows.replace("alien", "student")
    page = _preview(c, csrf, "mixed.csv", fixed.encode())
    assert "row 4, column preferences: unknown placement 'nowhere'" in page, page
    assert _stored(world, world.czcit) == before  # a preview stores nothing
    where = _upload(c, csrf, "fixed.csv", fixed.replace("nowhere", "qh-1").encode())
    assert "3 rows imported (3 new, 0 changed, 0 unchanged)" in where, where
    assert len(_stored(world, world.czcit)) == len(before) + 3


def test_a_confirmation_after_a_concurrent_edit_stores_nothing(world: World) -> None:
    """The preview was read at a version; an edit in between makes the confirmation 412."""
    flow.open_round(world)
    flow.post_placements(world)
    flow.register_candidates(world)
    c, csrf = _signed_in(world, world.czcit)
    page = _preview(c, csrf, "a.csv", b"id,skills\ns1,qc\n", raw=True)
    payload = re.search(r'name="payload" value="([^"]*)"', page)
    assert payload is not None
    etag = world.client.get("/rounds/r1/candidates/s1", headers=world.czcit).headers["ETag"]
    body = {"kind": "student", "preferences": ["hb-1"], "skills": ["assay"]}
    headers = {**world.czcit, "If-Match": etag}
    assert world.client.put("/rounds/r1/candidates/s1", json=body, headers=headers).is_success
    answer = c.post(
        "/ui/rounds/r1/candidates/import",
        data={"csrf": csrf, "payload": html.unescape(payload.group(1))},
    )
    where = unquote(answer.headers["location"])
    assert "err=nothing imported\ncandidate 's1' changed since version 1: now 2" in where, where
    s1 = world.client.get("/rounds/r1/candidates/s1", headers=world.czcit).json()
    assert s1["skills"] == ["assay"]


def test_chinese_headers_gbk_and_excel_are_understood(world: World) -> None:
    flow.open_round(world)
    flow.post_placements(world)
    c, csrf = _signed_in(world, world.czcit)
    rows = (
        "候选人编号,姓名,学号,类型,志愿\n"
        "cz-1,张伟,2027001,学生,hb-1;qh-1\ncz-2,李娜,2027002,学徒,qh-1\n"
    )
    page = _preview(c, csrf, "名单.csv", rows.encode("gbk"))
    assert "候选人编号 → id" in page and "学号 → number" in page and "张伟" in page, page
    where = _upload(c, csrf, "名单.csv", rows.encode("gbk"))
    assert "2 rows imported" in where, where
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["学号", "技能", "备注"], [3, "qc、assay", "x"], ["2027009", "qc", ""]):
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    page = _preview(c, csrf, "名单.xlsx", data.getvalue())
    assert "Columns ignored: 备注" in page, page
    where = _upload(c, csrf, "名单.xlsx", data.getvalue())
    assert "2 rows imported" in where, where
    stored = {x["id"]: x for x in _stored(world, world.czcit)}
    assert stored["cz-1"]["kind"] == "student" and stored["cz-1"]["name"] == "张伟"
    # a file of 学号 only: the number is the id (a number in Excel all the same)
    assert stored["3"]["skills"] == ["qc", "assay"] and stored["3"]["number"] == "3"
    assert stored["2027009"]["skills"] == ["qc"]
    assert stored["cz-2"]["kind"] == "apprentice" and stored["cz-2"]["number"] == "2027002"


def test_a_number_is_one_persons_within_its_college(world: World) -> None:
    flow.open_round(world)
    flow.post_placements(world)
    c, csrf = _signed_in(world, world.czcit)
    rows = "id,number,preferences\na1,2027001,hb-1\na2,2027001,hb-1\n"
    page = _preview(c, csrf, "twins.csv", rows.encode())
    assert "row 3, column number: number '2027001' is also candidate 'a1'" in page, page
    _upload(c, csrf, "one.csv", b"id,number,preferences\na1,2027001,hb-1\n")
    page = _preview(c, csrf, "later.csv", b"id,number,preferences\na3,2027001,hb-1\n")
    assert "is also candidate 'a1'" in page, page
    # another college may use the same number
    czu, czu_csrf = _signed_in(world, world.czu)
    answer = czu.post(
        "/ui/rounds/r1/candidates/preview",
        data={"csrf": czu_csrf},
        files={"file": ("u.csv", b"id,number,preferences\nu9,2027001,hb-1\n", "text/csv")},
    )
    assert 'id="confirm"' in answer.text


def test_the_template_has_the_readers_headers(world: World) -> None:
    flow.open_round(world)
    c, _ = _signed_in(world, world.czcit)
    english = load_workbook(io.BytesIO(c.get("/ui/rounds/r1/candidates/template.xlsx").content))
    c.cookies.set("lang", "zh_CN", path="/ui")
    chinese = load_workbook(io.BytesIO(c.get("/ui/rounds/r1/candidates/template.xlsx").content))
    head = [cell.value for cell in next(english.worksheets[0].iter_rows(max_row=1))]
    assert head[:3] == ["id", "name", "number"]
    head = [cell.value for cell in next(chinese.worksheets[0].iter_rows(max_row=1))]
    assert head[:3] == ["候选人编号", "姓名", "学号"]


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("empty.csv", b"", "empty"),
        ("header.csv", b"id,kind\n", "no rows"),
        ("noid.csv", b"name,kind\nx,student\n", "no id column"),
        ("broken.xlsx", b"PK\x03\x04 not really a workbook", "not an Excel workbook"),
        ("binary.csv", b"\xff\xfe\x80\x81\x00", "neither UTF-8 nor GBK"),
    ],
)
def test_files_that_cannot_be_read_are_refused_with_a_reason(
    world: World, name: str, data: bytes, says: str
) -> None:
    flow.open_round(world)
    c, csrf = _signed_in(world, world.czcit)
    where = _preview(c, csrf, name, data)
    assert "err=nothing imported" in where and says in where, where
    assert _stored(world, world.czcit) == []


# ------------------------------------------------ 3. edits that break close


def test_ids_longer_than_the_engine_takes_are_refused_at_the_door(world: World) -> None:
    flow.open_round(world)
    c = world.client
    for length in (201, 60_000):  # (the test client refuses URLs past 64 KiB)
        pid = "p" * length
        answer = c.put(
            f"/rounds/r1/placements/{pid}",
            json={"kind": "internship", "capacity": 1},
            headers=world.hengbang,
        )
        assert answer.status_code == 422, length
        assert answer.json()["errors"][0]["field"].endswith("item")
        answer = c.put(
            f"/rounds/r1/candidates/{pid}",
            json={"kind": "student", "preferences": []},
            headers=world.czcit,
        )
        assert answer.status_code == 422
    assert c.get("/rounds/r1", headers=world.coordinator).json()["counts"] == {
        "placements": 0,
        "seats": 0,
        "candidates": 0,
    }


def _with_mentor(w: World) -> None:
    """r1 imported with a mentor m1 who ranks s1 then s2 (and not s3)."""
    doc = {
        "id": "r1",
        "organizations": [
            {"id": "ent-hengbang", "kind": "enterprise"},
            {"id": "col-czcit", "kind": "college"},
            {"id": "studio", "kind": "studio"},
        ],
        "mentors": [{"id": "m1", "capacity": 2, "ranking": ["s1", "s2"]}],
        "placements": [{"id": "p1", "host": "ent-hengbang", "kind": "internship", "capacity": 2}],
        "candidates": [
            {"id": s, "kind": "student", "college": "col-czcit", "preferences": ["p1"]}
            for s in ("s1", "s2", "s3")
        ],
    }
    w.client.post("/rounds", json={"id": "r1"}, headers=w.coordinator)
    answer = w.client.post(
        "/rounds/r1/import",
        content=json.dumps(doc),
        headers={**w.coordinator, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    w.client.post("/rounds/r1/open", headers=w.coordinator)


def test_a_ranking_against_its_mentor_is_refused(world: World) -> None:
    _with_mentor(world)
    c = world.client
    body = {"kind": "internship", "capacity": 1, "mentor": "m1"}
    for ranking, message in (
        (["s2", "s1"], "ranks 's2' above 's1', contradicting the ranking of mentor 'm1'"),
        (["s3"], "ranks 's3', whom its mentor 'm1' does not rank"),
    ):
        answer = c.put(
            "/rounds/r1/placements/p1",
            json={**body, "ranking": ranking},
            headers={**world.hengbang, "If-Match": '"1"'},
        )
        assert answer.status_code == 422
        assert answer.json()["errors"] == [
            {"field": "placements['p1'].ranking", "message": message}
        ]
    ok = c.put(
        "/rounds/r1/placements/p1",
        json={**body, "ranking": ["s1", "s2"]},
        headers={**world.hengbang, "If-Match": '"1"'},
    )
    assert ok.status_code == 200
    assert c.post("/rounds/r1/close", headers=world.coordinator).status_code == 200


def test_the_coordinator_can_withdraw_anything_in_its_round(world: World) -> None:
    flow.open_round(world)
    flow.post_placements(world)
    flow.register_candidates(world)
    c = world.client
    for path in ("/rounds/r1/placements/hb-1", "/rounds/r1/candidates/s1"):
        etag = c.get(path, headers=world.coordinator).headers["etag"]
        answer = c.delete(path, headers={**world.coordinator, "If-Match": etag})
        assert answer.status_code == 204, (path, answer.text)
        assert c.get(path, headers=world.coordinator).status_code == 404
    assert c.post("/rounds/r1/close", headers=world.coordinator).status_code == 200


# ------------------------------------------------ 4. stale runs


def test_a_run_of_an_earlier_snapshot_cannot_be_published(world: World) -> None:
    c = world.client
    stale = flow.full_round(world)
    first = c.get("/rounds/r1", headers=world.coordinator).json()["snapshot_hash"]
    assert c.post("/rounds/r1/open", headers=world.coordinator).status_code == 200
    etag = c.get("/rounds/r1/candidates/s1", headers=world.czcit).headers["etag"]
    c.delete("/rounds/r1/candidates/s1", headers={**world.czcit, "If-Match": etag})
    c.post("/rounds/r1/close", headers=world.coordinator)
    second = c.get("/rounds/r1", headers=world.coordinator).json()["snapshot_hash"]
    assert first != second
    answer = c.post(f"/rounds/r1/runs/{stale}/publish", headers=world.coordinator)
    assert answer.status_code == 409
    assert first in answer.json()["detail"] and second in answer.json()["detail"]
    fresh = c.post("/rounds/r1/runs", json={}, headers=world.coordinator).json()["id"]
    work(world.settings, once=True)
    assert c.post(f"/rounds/r1/runs/{fresh}/publish", headers=world.coordinator).status_code == 200
    rows = c.get("/rounds/r1/assignments", headers=world.hengbang).json()["items"]
    assert "s1" not in {r["candidate"] for r in rows}


def test_reopening_and_closing_unchanged_keeps_runs_publishable(world: World) -> None:
    c = world.client
    run = flow.full_round(world)
    c.post("/rounds/r1/open", headers=world.coordinator)
    c.post("/rounds/r1/close", headers=world.coordinator)
    assert c.post(f"/rounds/r1/runs/{run}/publish", headers=world.coordinator).status_code == 200
    assert c.post("/rounds/r1/open", headers=world.coordinator).status_code == 409


# ------------------------------------------------ 6. numbers


@pytest.mark.parametrize(
    ("where", "value", "field"),
    [
        ("capacity", "1" + "0" * 30, "placements['p1'].capacity"),
        ("seed", "1" + "0" * 30, "seed"),
        ("capacity", "9" * 5000, "round"),
    ],
)
def test_huge_integers_are_refused_naming_the_field(
    world: World, where: str, value: str, field: str
) -> None:
    world.client.post("/rounds", json={"id": "r1"}, headers=world.coordinator)
    doc = json.loads(EXAMPLE.read_text())
    marker = 987654321
    if where == "seed":
        doc["seed"] = marker
    else:
        doc["placements"][0]["capacity"] = marker
    text = json.dumps(doc).replace(str(marker), value)
    answer = world.client.post(
        "/rounds/r1/import",
        content=text,
        headers={**world.coordinator, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == field


def test_a_seed_past_32_bits_is_stored(world: World) -> None:
    answer = world.client.post(
        "/rounds", json={"id": "r1", "seed": 2**62}, headers=world.coordinator
    )
    assert answer.status_code == 201
    assert world.client.get("/rounds/r1", headers=world.coordinator).json()["seed"] == 2**62


# ------------------------------------------------ 8. preconditions


def test_every_edit_and_delete_needs_the_current_version(world: World) -> None:
    flow.open_round(world)
    flow.post_placements(world)
    flow.register_candidates(world)
    c = world.client
    body = {"kind": "student", "preferences": ["hb-1"]}
    url = "/rounds/r1/candidates/s1"
    assert c.get(url, headers=world.czcit).headers["etag"] == '"1"'
    assert c.put(url, json=body, headers=world.czcit).status_code == 428
    assert c.put(url, json=body, headers={**world.czcit, "If-Match": '"9"'}).status_code == 412
    assert c.delete(url, headers=world.czcit).status_code == 428
    assert c.delete("/rounds/r1/placements/hb-2", headers=world.hengbang).status_code == 428
    done = c.put(url, json=body, headers={**world.czcit, "If-Match": '"1"'})
    assert done.status_code == 200 and done.headers["etag"] == '"2"'
    # the same body again changes nothing, the version included
    again = c.put(url, json=body, headers={**world.czcit, "If-Match": '"2"'})
    assert again.status_code == 200 and again.headers["etag"] == '"2"'
    assert c.delete(url, headers={**world.czcit, "If-Match": '"1"'}).status_code == 412
    assert c.delete(url, headers={**world.czcit, "If-Match": '"2"'}).status_code == 204


# ------------------------------------------------ 9, 10, 12. pages and files


def test_every_kind_offered_by_the_placement_form_is_accepted(world: World) -> None:
    flow.open_round(world)
    c, csrf = _signed_in(world, world.hengbang)
    page = c.get("/ui/rounds/r1/new-placement").text
    offered = [k.value for k in PlacementKind]
    for kind in offered:
        assert f'<option value="{kind}">{kind.replace("_", " ")}</option>' in page, page
    assert '<option value="research">' not in page
    for n, kind in enumerate(offered):
        form = {"csrf": csrf, "id": f"p{n}", "kind": kind, "capacity": "1"}
        answer = c.post("/ui/rounds/r1/placements", data=form)
        assert "msg=" in answer.headers["location"], unquote(answer.headers["location"])


def test_the_coordinators_workbook_names_hosts_and_colleges(world: World) -> None:
    run = flow.full_round(world)
    c, _ = _signed_in(world, world.coordinator)
    answer = c.get(f"/ui/rounds/r1/export.xlsx?run={run}")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content))
    rows = list(book["results"].iter_rows(values_only=True))
    assert rows[0][:8] == (
        "name",
        "number",
        "candidate id",
        "college or institute",
        "placement title",
        "placement id",
        "host",
        "park",
    )
    assigned = [r for r in rows[1:] if r[5]]
    assert assigned and all(r[3] and r[6] for r in assigned)
    assert book.sheetnames[:3] == ["results", "reasons", "policy quotas"]


def test_the_solve_banner_says_queued_not_done(world: World) -> None:
    flow.open_round(world)
    flow.post_placements(world)
    flow.register_candidates(world)
    world.client.post("/rounds/r1/close", headers=world.coordinator)
    c, csrf = _signed_in(world, world.coordinator)
    answer = c.post("/ui/rounds/r1/action", data={"csrf": csrf, "action": "solve"})
    where = unquote(answer.headers["location"])
    assert "queued" in where and "done" not in where
    again = c.post("/ui/rounds/r1/action", data={"csrf": csrf, "action": "solve"})
    assert "already queued" in unquote(again.headers["location"])


def test_downloads_of_a_chinese_round_have_a_usable_name(world: World) -> None:
    c = world.client
    c.post("/rounds", json={"id": "常州2027"}, headers=world.coordinator)
    doc = json.loads(EXAMPLE.read_text())
    c.post(
        "/rounds/常州2027/import",
        content=json.dumps(doc),
        headers={**world.coordinator, "Content-Type": "application/json"},
    )
    c.post("/rounds/常州2027/open", headers=world.coordinator)
    c.post("/rounds/常州2027/close", headers=world.coordinator)
    run = c.post("/rounds/常州2027/runs", json={}, headers=world.coordinator).json()["id"]
    work(world.settings, once=True)
    c.post(f"/rounds/常州2027/runs/{run}/publish", headers=world.coordinator)
    answer = c.get("/rounds/常州2027/assignments?format=csv", headers=world.coordinator)
    assert answer.status_code == 200
    assert (
        "filename*=UTF-8''%E5%B8%B8%E5%B7%9E2027-assignments.csv"
        in (answer.headers["content-disposition"])
    )


# ------------------------------------------------ 11. the API's documentation


def test_the_docs_are_served_without_a_cdn(world: World) -> None:
    page = world.client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/static-offline-docs/{asset}" in page.text
        assert world.client.get(f"/static-offline-docs/{asset}").status_code == 200


def test_a_file_of_thousands_is_confirmed_whole(world: World) -> None:
    """The preview's rows travel back in one form field, larger than a form's
    usual 1 MB limit (found benchmarking 5,000 rows: 400 "Field exceeded
    maximum size of 1024KB")."""
    flow.open_round(world)
    flow.post_placements(world)
    c, csrf = _signed_in(world, world.czcit)
    lines = ["候选人编号,姓名,学号,技能,志愿（按顺序）"]
    lines += [
        f"c{i:05d},欧阳子涵,2027{i:07d},发酵工艺；下游纯化；菌种构建,hb-1；qh-1"
        for i in range(4000)
    ]
    where = _upload(c, csrf, "名单.csv", "\n".join(lines).encode("gbk"))
    assert "4,000 rows imported (4,000 new" in where, where


def test_a_national_id_column_is_never_read(world: World) -> None:
    """PIPL: a file that carries 身份证号 or a phone number gets them neither read nor stored."""
    flow.open_round(world)
    flow.post_placements(world)
    c, csrf = _signed_in(world, world.czcit)
    rows = "候选人编号,姓名,身份证号,手机号码,志愿\nz1,张伟,320402200001011234,13800000000,hb-1\n"
    page = _preview(c, csrf, "名单.csv", rows.encode("gbk"))
    assert 'id="refused"' in page and "身份证号、手机号码" in page
    assert "320402200001011234" not in page and "13800000000" not in page
    _upload(c, csrf, "名单.csv", rows.encode("gbk"))
    stored = world.client.get("/rounds/r1/candidates/z1", headers=world.czcit).json()
    assert "320402200001011234" not in str(stored) and stored["name"] == "张伟"


def test_what_the_engine_refuses_in_a_name_or_a_skill_is_refused_at_the_door(
    world: World,
) -> None:
    """A control character in an organization's name or a skill would make the
    round fail at close (and its workbook unwritable): refused at the write
    (found by the generated requests: a name Excel cannot hold)."""
    flow.open_round(world)
    flow.post_placements(world)
    flow.register_candidates(world)
    c = world.client
    answer = c.post(
        "/organizations",
        json={"id": "ent-x", "kind": "enterprise", "name": "恒\x0b邦"},
        headers=world.coordinator,
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"].endswith("name")
    answer = c.put(
        "/rounds/r1/placements/hb-9",
        json={"kind": "internship", "capacity": 1, "skills": ["发酵\x1f"]},
        headers=world.hengbang,
    )
    assert answer.status_code == 422
    # what is stored still closes, and its workbook is written
    assert c.post("/rounds/r1/close", headers=world.coordinator).status_code == 200
    book = c.get("/rounds/r1/document?format=xlsx", headers=world.coordinator)
    assert book.status_code == 200
