"""The pages as people use them: headless Chromium (Debian's, never a
downloaded browser) against a real uvicorn and worker on 127.0.0.1. Each role
signs in and does its part of a round; each sees only its own; the
coordinator solves twice, compares and publishes; a college downloads its CSV
and its rows match the API. Screenshots of the main pages are kept in
var/screenshots/ as test artifacts."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import load  # bench/load.py: the service's processes
import pytest

from api.config import Settings
from api.demo import create_consortium

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parents[2] / "var" / "screenshots"

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail("Debian's chromium is missing: `make test` installs it", pytrace=False)
    pytest.skip("no /usr/bin/chromium (`make test` installs it)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    url = f"sqlite:///{tmp_path / 'pages.db'}"
    token = create_consortium(Settings(database_url=url), "cz", "Changzhou", "gov-cz", "City")
    with load.service(url, apis=1, workers=1) as (base,):
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
        for org in (
            {"id": "park-jintan", "kind": "park"},
            {"id": "ent-hengbang", "kind": "enterprise", "name": "Hengbang"},
            {"id": "ent-qianhong", "kind": "enterprise", "name": "Qianhong"},
            {"id": "col-czcit", "kind": "college", "level": "higher_vocational"},
            {"id": "col-czu", "kind": "college", "level": "undergraduate"},
        ):
            assert api.post("/organizations", json=org).status_code == 201
        api.post(
            "/links",
            json={"source": "ent-hengbang", "target": "park-jintan", "kind": "located_in"},
        )
        tokens = {"coordinator": token}
        for org in ("ent-hengbang", "ent-qianhong", "col-czcit", "col-czu"):
            tokens[org] = api.post("/tokens", json={"organization": org}).json()["token"]
        api.close()
        yield base, tokens


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _sign_in(browser: Browser, base: str, token: str) -> Page:
    page = browser.new_context(base_url=base, accept_downloads=True).new_page()
    page.goto("/ui")
    expect(page).to_have_url(f"{base}/ui/signin")
    page.fill("input[name=token]", token)
    page.click("button:has-text('Sign in')")
    expect(page.locator(".msg")).to_contain_text("signed in as")
    return page


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.slow
def test_a_round_through_the_pages(site: tuple[str, dict[str, str]], browser: Browser) -> None:
    base, tokens = site
    coordinator = _sign_in(browser, base, tokens["coordinator"])
    expect(coordinator.locator("svg[aria-label^='Consortium']")).to_be_visible()
    _shot(coordinator, "coordinator-home")
    coordinator.fill("input[name=id]", "r1")
    coordinator.click("button:text-is('Create')")
    coordinator.click("button:has-text('Open')")
    expect(coordinator.locator(".msg")).to_contain_text("round opened")

    # Enterprises post placements, each from its own form page; each sees only its own.
    hengbang = _sign_in(browser, base, tokens["ent-hengbang"])
    for pid, seats in (("hb-1", "2"), ("hb-2", "1")):
        hengbang.goto("/ui/rounds/r1")
        hengbang.click("#new-placement")
        hengbang.fill("input[name=id]", pid)
        hengbang.fill("input[name=capacity]", seats)
        hengbang.select_option("select[name=kind]", "research_host")
        hengbang.click("#placement-form button:text-is('Save')")
        expect(hengbang.locator(".msg")).to_contain_text(f"placement {pid} saved")
    qianhong = _sign_in(browser, base, tokens["ent-qianhong"])
    qianhong.goto("/ui/rounds/r1/new-placement")
    qianhong.fill("input[name=id]", "qh-1")
    qianhong.fill("input[name=capacity]", "1")
    qianhong.click("#placement-form button:text-is('Save')")
    expect(qianhong.locator("main")).not_to_contain_text("hb-1")

    # Colleges register candidates: one by the form, the rest from a CSV.
    czcit = _sign_in(browser, base, tokens["col-czcit"])
    czcit.goto("/ui/rounds/r1")
    czcit.click("#new-candidate")
    czcit.fill("input[name=id]", "s1")
    czcit.select_option("select[name=tier]", "young_reserve")
    czcit.fill("textarea[name=preferences]", "hb-1\nqh-1")
    czcit.click("#candidate-form button:text-is('Save')")
    expect(czcit.locator(".msg")).to_contain_text("candidate s1 saved")
    rows = "学号,类型,志愿\ns2,学生,hb-1;hb-2\ns3,学生,qh-1;hb-1\n"
    czcit.set_input_files(
        "input[type=file]",
        files=[{"name": "ours.csv", "mimeType": "text/csv", "buffer": rows.encode("gbk")}],
    )
    czcit.click("button:text-is('Import')")
    expect(czcit.locator(".msg")).to_contain_text("2 rows imported from ours.csv (2 new")
    # an edit from the candidate's own page keeps what the form does not change
    czcit.click("#candidates a:text-is('s1')")
    expect(czcit.locator("select[name=tier]")).to_have_value("young_reserve")
    czcit.fill("input[name=skills]", "qc")
    czcit.click("#candidate-form button:text-is('Save')")
    expect(czcit.locator("#candidates")).to_contain_text("young_reserve")
    _shot(czcit, "college-round")
    czu = _sign_in(browser, base, tokens["col-czu"])
    czu.goto("/ui/rounds/r1/new-candidate")
    czu.fill("input[name=id]", "u1")
    czu.fill("textarea[name=preferences]", "hb-1\nhb-2")
    czu.click("#candidate-form button:text-is('Save')")
    expect(czu.locator("main")).not_to_contain_text("s1")

    # Hengbang orders its applicants, two of them tied.
    hengbang.goto("/ui/rounds/r1")
    order = hengbang.locator("textarea[aria-label='ranking of hb-1']")
    expect(order).to_have_value("s1\ns2\ns3\nu1")
    order.fill("u1\ns3 = s2\ns1")
    hengbang.locator("#ranking-hb-1 button").click()
    expect(hengbang.locator(".msg")).to_contain_text("ranking of hb-1 saved")
    expect(hengbang.locator("textarea[aria-label='ranking of hb-1']")).to_have_value(
        "u1\ns3 = s2\ns1"
    )
    _shot(hengbang, "enterprise-round")

    # The coordinator closes, solves twice, compares and publishes.
    coordinator.goto("/ui/rounds/r1")
    coordinator.click("text=Close (freeze the snapshot)")
    for mechanism in ("stable", "optimal"):
        coordinator.select_option("select[name=mechanism]", mechanism)
        coordinator.click("button:has-text('Solve')")
        expect(coordinator.locator("#progress")).to_have_count(0, timeout=120_000)
    expect(coordinator.locator("text=compare with")).to_have_count(1)
    coordinator.click("text=compare with")
    expect(coordinator.locator("h2:has-text('Compared')")).to_be_visible()
    expect(coordinator.locator("[data-chart=rank-histogram] svg")).to_be_visible()
    _shot(coordinator, "coordinator-round")
    coordinator.locator("button:has-text('Publish')").first.click()
    expect(coordinator.locator(".msg")).to_contain_text("published")
    report = coordinator.locator("text=Printable report").get_attribute("href")
    assert report is not None
    coordinator.goto(report)
    expect(coordinator.locator("h1")).to_contain_text("Placement round r1")
    _shot(coordinator, "report")
    coordinator.pdf(path=str(SHOTS / "report.pdf"))  # prints: the report is a PDF away
    assert (SHOTS / "report.pdf").stat().st_size > 10_000

    # The college sees its own assignments, and its CSV matches the API.
    czcit.goto("/ui/rounds/r1")
    table = czcit.locator("#assignments")
    expect(table).to_contain_text("s1")
    expect(table).not_to_contain_text("u1")
    with czcit.expect_download() as download:
        czcit.click("#csv")
    downloaded = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    api = httpx.get(
        f"{base}/rounds/r1/assignments",
        headers={"Authorization": f"Bearer {tokens['col-czcit']}"},
    ).json()["assignments"]
    assert [(r["candidate"], r["placement"] or None) for r in downloaded] == [
        (a["candidate"], a["placement"]) for a in api
    ]
    assert {r["candidate"] for r in downloaded} == {"s1", "s2", "s3"}
    _shot(czcit, "college-results")

    # Hengbang sees who is coming, and nobody else's.
    hengbang.goto("/ui/rounds/r1")
    expect(hengbang.locator("h2:has-text('Who is coming')")).to_be_visible()
    expect(hengbang.locator("main")).not_to_contain_text("qh-1")


def test_the_api_documentation_works_offline(
    site: tuple[str, dict[str, str]], browser: Browser
) -> None:
    """/docs draws Swagger UI with every non-local request blocked (issue 11,
    item 11: it loaded its assets from a CDN, unreachable here and unreliable
    in mainland China)."""
    base, _ = site
    page = browser.new_context(base_url=base).new_page()
    blocked: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith(base) or url.startswith("data:"):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page.route("**/*", guard)
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Placement engine")
    expect(page.locator(".opblock-tag").first).to_be_visible()
    _shot(page, "api-docs")
    assert blocked == []
