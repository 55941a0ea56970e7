"""Issue 15's walk: the Changzhou round (5,000 candidates, 1,805 placements)
worked through in Chinese by search, filters, sorting and clicks only; no id
is typed by hand. Headless Debian Chromium against a real uvicorn and worker
on SQLite; screenshots in var/screenshots/.

Hengbang orders the 579 applicants of its busiest placement by a rule,
moves three, ties two and saves; a college finds a candidate by name and
changes its choices from the placement picker; the coordinator starts an
`optimal` solve with required stability and a 60 s limit, watches it, cancels
it, solves `stable` and `policy-stable`, compares them and opens who moved."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import shot as _shot  # skips without Debian's chromium
from tests.e2e.browsing import sign_in as _sign_in


def _api(base: str, token: str, path: str, **params: Any) -> Any:
    answer = httpx.get(
        base + path, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _rows(page: Page, table: str) -> list[str]:
    """The ids of the table's rows in the order shown, read in one call."""
    ids: list[str] = page.locator(f"{table} tr[data-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.id)"
    )
    return ids


@pytest.mark.slow
def test_the_changzhou_round_by_search_and_filters_only(
    changzhou: tuple[str, dict[str, str]], browser: Browser
) -> None:
    base, tokens = changzhou

    # -------------------------------------------------------- the enterprise
    hengbang = _sign_in(browser, base, tokens["ent-hengbang"])
    hengbang.goto("/ui/rounds/cz-2027")
    hengbang.click("#placements a.sort:has-text('报名人数')")  # ascending
    hengbang.click("#placements a.sort:has-text('报名人数')")  # descending: the busiest first
    busiest = hengbang.locator("#placements tr:has(td)").first
    expect(busiest).to_contain_text("579")
    _shot(hengbang, "thousands-enterprise-placements")
    busiest.locator("a.review").click()
    hengbang.click("#orders a:text-is('技能匹配度')")  # start from the skills rule
    expect(hengbang.locator("#orders strong")).to_have_text("技能匹配度")
    # the page may still be arriving: all 579 rows, or fail after the wait
    expect(hengbang.locator("#applicants tr[data-id]")).to_have_count(579)
    order = _rows(hengbang, "#applicants")
    rows = hengbang.locator("#applicants tr[data-id]")
    # move three: the 5th down one, the 12th up one, the 40th to the top
    rows.nth(4).locator("button.down").click()
    rows.nth(11).locator("button.up").click()
    rows.nth(39).locator("input.to").fill("1")
    rows.nth(39).locator("input.to").press("Enter")
    moved = [order[39], *order[:4], order[5], order[4], *order[6:10], order[11], order[10]]
    assert _rows(hengbang, "#applicants")[:13] == moved
    # tie two that were apart: the 2nd with the 1st
    untied = rows.nth(1).locator("input[name=tie]")
    assert not untied.is_checked()  # the top of the list was moved there: not tied yet
    untied.check()
    expect(rows.nth(1).locator(".place")).to_have_text("1")
    # find a person among 579 by name, and leave the last one out
    last = rows.nth(578)
    name = last.locator("td").nth(1).inner_text().split()[0]
    hengbang.fill("#find", name)
    expect(last).to_have_class(re.compile(r"\bfound\b"))
    last.locator("input[name=accept]").uncheck()
    expect(last.locator(".place")).to_have_text("—")
    out = hengbang.locator("#applicants tr.left-out").count()  # and whoever fails a condition
    _shot(hengbang, "thousands-enterprise-review", full=False)
    hengbang.click("#save-order")
    expect(hengbang.locator(".msg")).to_contain_text(f"排序 {579 - out} 人，不录取 {out} 人")
    pid = hengbang.url.split("/placements/")[1].split("/")[0]
    saved = _api(base, tokens["ent-hengbang"], f"/rounds/cz-2027/placements/{pid}")
    flat = [x for item in saved["ranking"] for x in (item if isinstance(item, list) else [item])]
    assert saved["ranking"][0][:2] == [order[39], order[0]]  # the two tied, at the top
    assert flat[:13] == moved and len(flat) == 579 - out and order[578] not in flat
    expect(hengbang.locator("#orders strong")).to_have_text("已保存的排序")

    # ------------------------------------------------------------ the college
    people = [
        c
        for offset in (0, 200)
        for c in _api(
            base, tokens["col-czcit"], "/rounds/cz-2027/candidates", limit=200, offset=offset
        )["items"]
    ]
    names = Counter(c["name"] for c in people)
    # whom the placement officer is asked about, by a name no other of its people has
    person = next(c for c in people[17:] if names[c["name"]] == 1 and len(c["preferences"]) > 2)
    czcit = _sign_in(browser, base, tokens["col-czcit"])
    czcit.goto("/ui/rounds/cz-2027")
    czcit.fill("#search input[name=q]", person["name"])
    czcit.click("#search button")
    czcit.locator(f"#candidates a:text-is('{person['name']}')").first.click()
    expect(czcit.locator("h1")).to_contain_text(person["name"])
    before = _rows(czcit, "#chosen")
    czcit.fill("#picker-q", "纯化")
    czcit.select_option("#picker-park", label="金坛合成生物产业园")
    czcit.click("#picker-search")
    expect(czcit.locator("#picker-summary")).to_contain_text("共")
    pick = czcit.locator("#picker-results tr[data-id]:has(button.add:enabled)").first
    added = str(pick.get_attribute("data-id"))
    pick.locator("button.add").click()
    new = czcit.locator(f"#chosen tr[data-id='{added}']")
    for _ in range(len(before)):
        new.locator("button.up").click()
    czcit.locator("#chosen tr[data-id]").last.locator("button.remove").click()
    _shot(czcit, "thousands-college-candidate")
    czcit.click("#save-candidate")
    expect(czcit.locator(".msg")).to_contain_text("已保存候选人")
    stored = _api(base, tokens["col-czcit"], f"/rounds/cz-2027/candidates/{person['id']}")
    chosen = [x for i in stored["preferences"] for x in (i if isinstance(i, list) else [i])]
    assert chosen == [added, *before[:-1]]

    # -------------------------------------------------------- the coordinator
    office = _sign_in(browser, base, tokens["gov-cz"])
    office.goto("/ui/rounds/cz-2027")
    office.click("#close-round")
    expect(office.locator("#consequences")).to_contain_text("5,000 名候选人")
    office.click("#confirm-form button")
    expect(office.locator(".msg")).to_contain_text("已截止报名")
    office.select_option("#solve-form select[name=mechanism]", "optimal")
    office.select_option("#solve-form select[name=stability]", "required")
    office.fill("#solve-form input[name=time_limit]", "60")
    office.click("#solve-form button[value=solve]")
    status = office.locator("#runs [data-follow]").first
    expect(status).to_contain_text("时限 60 秒")
    expect(status).to_contain_text("求解中：运行匹配算法", timeout=60_000)  # the MILP itself
    _shot(office, "thousands-coordinator-solving", full=False)
    office.click("#runs form.cancel button")
    expect(office.locator(".msg")).to_contain_text("已取消求解")
    expect(office.locator("#runs tr").nth(1)).to_contain_text("已取消")
    for mechanism in ("policy-stable", "stable"):
        office.select_option("#solve-form select[name=mechanism]", mechanism)
        office.select_option("#solve-form select[name=stability]", "")
        office.click("#solve-form button[value=solve]")
        expect(office.locator("#progress")).to_have_count(0, timeout=120_000)
    cancelled = _api(base, tokens["gov-cz"], "/rounds/cz-2027/runs", status="cancelled")
    assert cancelled["total"] == 1
    office.select_option("#compare-form select[name=a]", label=office.locator(
        "#compare-form select[name=a] option:has-text('稳定匹配（候选人优先）')"
    ).first.inner_text())  # fmt: skip
    office.select_option("#compare-form select[name=b]", label=office.locator(
        "#compare-form select[name=b] option:has-text('配额内稳定匹配')"
    ).first.inner_text())  # fmt: skip
    office.click("#compare-form button")
    expect(office.locator("#figures")).to_contain_text("配额内稳定匹配")
    expect(office.locator("#changes-park")).to_contain_text("金坛合成生物产业园")
    expect(office.locator("[data-chart=change-park] svg")).to_be_visible()
    _shot(office, "thousands-coordinator-compare")
    office.select_option("#moves-search select[name=park]", label="金坛合成生物产业园")
    office.click("#moves-search button")
    expect(office.locator("#movers tr:has(td)").first).to_contain_text("金坛合成生物产业园")
    count = office.locator("nav.pager .count").first.inner_text()
    assert count.startswith("第 1–") and "共" in count
    _shot(office, "thousands-coordinator-moves")
