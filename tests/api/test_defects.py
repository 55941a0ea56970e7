"""Regressions for the defects of issue 11, each named after what it was. The
pages' "saving a form unchanged" is in test_pages.py, the demo's port and
SIGTERM in tests/e2e/test_demo.py, the welfare K_p in
tests/unit/test_objective_reference.py."""

from __future__ import annotations

import io
import json
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
    return sorted(answer.json(), key=lambda c: str(c["id"]))


def _upload(c: TestClient, csrf: str, name: str, data: bytes) -> str:
    answer = c.post(
        "/ui/rounds/r1/candidates/import",
        data={"csrf": csrf},
        files={"file": (name, data, "application/octet-stream")},
    )
    assert answer.status_code == 303, answer.text
    return unquote(answer.headers["location"])


# ------------------------------------------------------------- 2. imports


def test_csv_import_with_bad_rows_stores_nothing(world: World) -> None:
    flow.open_round(world)
    flow.post_placements(world)
    c, csrf = _signed_in(world, world.czcit)
    before = _stored(world, world.czcit)
    rows = "id,kind,preferences\nok1,student,hb-1\nbad1,alien,hb-1\nbad2,student,nowhere\n"
    where = _upload(c, csrf, "mixed.csv", rows.encode())
    assert "err=nothing imported" in where
    assert "line 3 (bad1) kind" in where, where
    fixed = rows.replace("alien", "student")
    where = _upload(c, csrf, "mixed.csv", fixed.encode())
    assert "line 4 (bad2) preferences: unknown placement 'nowhere'" in where, where
    assert _stored(world, world.czcit) == before


def test_chinese_headers_gbk_and_excel_are_understood(world: World) -> None:
    flow.open_round(world)
    flow.post_placements(world)
    c, csrf = _signed_in(world, world.czcit)
    rows = "学号,类型,志愿\ncz-1,学生,hb-1;qh-1\ncz-2,学徒,qh-1\n"
    where = _upload(c, csrf, "名单.csv", rows.encode("gbk"))
    assert "2 rows imported" in where and "学号 → id" in where, where
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["学号", "技能", "备注"], [3, "qc、assay", "x"], ["cz-1", "qc", ""]):
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    where = _upload(c, csrf, "名单.xlsx", data.getvalue())
    assert "2 rows imported" in where and "columns ignored: 备注" in where, where
    stored = {x["id"]: x for x in _stored(world, world.czcit)}
    assert stored["cz-1"]["kind"] == "student" and stored["cz-1"]["skills"] == ["qc"]
    # the workbook had no preference column: cz-1 keeps its preferences
    assert stored["cz-1"]["preferences"] == ["hb-1", "qh-1"]
    assert stored["cz-2"]["kind"] == "apprentice"
    assert stored["3"]["skills"] == ["qc", "assay"]  # a number in Excel is an id all the same


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
    where = _upload(c, csrf, name, data)
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
    rows = c.get("/rounds/r1/assignments", headers=world.hengbang).json()["assignments"]
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
        assert f"<option>{kind}</option>" in page
    assert "<option>research</option>" not in page
    for n, kind in enumerate(offered):
        form = {"csrf": csrf, "id": f"p{n}", "kind": kind, "capacity": "1"}
        answer = c.post("/ui/rounds/r1/placements", data=form)
        assert "msg=" in answer.headers["location"], unquote(answer.headers["location"])


def test_the_coordinators_workbook_names_hosts_and_colleges(world: World) -> None:
    run = flow.full_round(world)
    c, _ = _signed_in(world, world.coordinator)
    answer = c.get(f"/ui/rounds/r1/export.xlsx?run={run}")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content))["assignments"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("candidate", "affiliation", "placement", "host")
    assigned = [r for r in rows[1:] if r[2]]
    assert assigned and all(r[1] and r[3] for r in assigned)


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
