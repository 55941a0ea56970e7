"""The pages as people use them: headless Chromium (Debian's, never a
downloaded browser, with Debian's CJK fonts) against a real uvicorn and
worker on 127.0.0.1, in Chinese. Each role signs in and does its part of a
round from the files people keep: the coordinator imports the round from
Excel, an enterprise posts and edits placements with Chinese titles, a
college imports 300 candidates from a GBK file (a bad row shown, fixed,
confirmed); the coordinator solves and publishes; the college reads every
explanation as a Chinese sentence and downloads its Excel and CSV.
Screenshots of each page are kept in var/screenshots/."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import load  # bench/load.py: the service's processes
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from api.config import Settings
from api.demo import create_consortium
from matching import csvbundle
from tests.e2e.browsing import SHOTS  # skips without Debian's chromium (fails in CI)
from tests.e2e.browsing import shot as _shot
from tests.e2e.browsing import sign_in as _sign_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    url = f"sqlite:///{tmp_path / 'pages.db'}"
    token = create_consortium(
        Settings(database_url=url), "cz", "常州市合成生物产教联合体", "gov-cz", "常州市人民政府"
    )
    with load.service(url, apis=1, workers=1) as (base,):
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
        for org in (
            {"id": "park-jintan", "kind": "park", "name": "金坛合成生物产业园"},
            {"id": "ent-hengbang", "kind": "enterprise", "name": "恒邦药业"},
            {"id": "ent-qianhong", "kind": "enterprise", "name": "千红制药"},
            {
                "id": "col-czcit",
                "kind": "college",
                "name": "常州信息职业技术学院",
                "level": "higher_vocational",
            },
            {"id": "col-czu", "kind": "college", "name": "常州大学", "level": "undergraduate"},
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


def _round_workbook() -> bytes:
    """The round the coordinator keeps in Excel: Qianhong's placement and a
    candidate of Changzhou University, in the bundle's sheets."""
    doc = {
        "id": "r1",
        "seed": 7,
        "organizations": [
            {"id": "ent-qianhong", "kind": "enterprise", "name": "千红制药"},
            {"id": "col-czu", "kind": "college", "name": "常州大学", "level": "undergraduate"},
        ],
        "links": [],
        "placements": [
            {"id": "qh-1", "host": "ent-qianhong", "kind": "research_host", "capacity": 1,
             "title": "菌种构建科研项目承接", "skills": ["菌种工程"]},
        ],
        "candidates": [
            {"id": "u1", "kind": "student", "college": "col-czu", "name": "王思远",
             "number": "2027000001", "preferences": ["qh-1"]},
        ],
    }  # fmt: skip
    return csvbundle.write_workbook(doc)


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚"


def _college_file(bad_row: int | None) -> bytes:
    """300 candidates as Chinese Excel writes them: GBK, Chinese headers; with
    one bad preference at `bad_row` (the header is row 1)."""
    lines = ["候选人编号,姓名,学号,类型,学历层次,技能,志愿（按顺序）"]
    for i in range(1, 301):
        name = SURNAMES[i % 20] + GIVEN[(i * 7) % 20] + GIVEN[(i * 3) % 20]
        prefs = ["hb-1", "hb-2", "qh-1"] if i % 3 else ["hb-2", "hb-1"]
        if i + 1 == bad_row:
            prefs = ["pl-9999", *prefs]
        lines.append(f"c{i:03d},{name},2027{i:06d},学生,高职,发酵；质量控制,{'；'.join(prefs)}")
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


SENTENCE = re.compile(
    r"^.+：(该岗位已满|该岗位的导师|该岗位的录取排序中没有您|您不满足该岗位的条件|录取您会突破政策配额|综合最优方案)"
)


@pytest.mark.slow
def test_a_round_through_the_pages_in_chinese(
    site: tuple[str, dict[str, str]], browser: Browser
) -> None:
    """Issue 13's walk: every role in Chinese, from Excel in to Excel out."""
    base, tokens = site
    coordinator = _sign_in(browser, base, tokens["coordinator"])
    expect(coordinator.locator("svg[aria-label^='产教联合体']")).to_be_visible()
    _shot(coordinator, "coordinator-home")
    coordinator.fill("input[name=id]", "r1")
    coordinator.click("button:text-is('创建')")
    expect(coordinator.locator(".msg")).to_contain_text("已创建匹配轮次")

    # The coordinator imports the round from a workbook, then opens it.
    coordinator.set_input_files(
        "#import-round input[type=file]",
        files=[{"name": "第一轮.xlsx", "mimeType": XLSX, "buffer": _round_workbook()}],
    )
    coordinator.click("#import-round button:text-is('导入')")
    expect(coordinator.locator(".msg")).to_contain_text("已导入匹配轮次：1 个岗位，1 名候选人")
    _shot(coordinator, "coordinator-import")
    coordinator.click("button:text-is('开始报名')")
    expect(coordinator.locator(".msg")).to_contain_text("已开始报名")

    # Hengbang posts two placements with Chinese titles, then edits one.
    hengbang = _sign_in(browser, base, tokens["ent-hengbang"])
    for pid, title, seats in (("hb-1", "发酵工艺实习生", "150"), ("hb-2", "下游纯化学徒", "100")):
        hengbang.goto("/ui/rounds/r1")
        hengbang.click("#new-placement")
        hengbang.fill("input[name=id]", pid)
        hengbang.fill("input[name=title]", title)
        hengbang.fill("textarea[name=description]", "在恒邦药业从事相关工作\n由企业导师指导")
        hengbang.fill("input[name=capacity]", seats)
        hengbang.select_option("select[name=kind]", "internship")
        hengbang.click("#placement-form button:text-is('保存')")
        expect(hengbang.locator(".msg")).to_contain_text(f"已保存岗位 {pid}")
    hengbang.click("#placements a:text-is('发酵工艺实习生')")
    expect(hengbang.locator("h1")).to_contain_text("第 1 版")
    _shot(hengbang, "enterprise-placement-form")
    hengbang.fill("input[name=title]", "发酵工艺实习生（5 吨罐）")
    hengbang.click("#placement-form button:text-is('保存')")
    expect(hengbang.locator("#placements")).to_contain_text("发酵工艺实习生（5 吨罐）")
    hengbang.click("#placements a:text-is('下游纯化学徒')")
    hengbang.click("#placement-form button:text-is('保存')")  # re-saved unchanged
    hengbang.click("#placements a:text-is('下游纯化学徒')")
    expect(hengbang.locator("h1")).to_contain_text("第 1 版")

    # The college imports 300 candidates from a GBK file with Chinese headers:
    # the preview names the bad row and column, nothing is stored; fixed, confirmed.
    czcit = _sign_in(browser, base, tokens["col-czcit"])
    czcit.goto("/ui/rounds/r1")
    czcit.set_input_files(
        "input[type=file]",
        files=[{"name": "学生名单.csv", "mimeType": "text/csv", "buffer": _college_file(37)}],
    )
    czcit.click("button:text-is('预览')")
    problems = czcit.locator("#problems")
    expect(problems).to_contain_text("第 37 行 志愿（按顺序） 列：岗位 'pl-9999' 不存在")
    expect(czcit.locator("#confirm")).to_have_count(0)
    _shot(czcit, "college-preview-with-a-problem")
    czcit.set_input_files(
        "input[type=file]",
        files=[{"name": "学生名单.csv", "mimeType": "text/csv", "buffer": _college_file(None)}],
    )
    czcit.click("button:text-is('预览')")
    expect(czcit.locator("#summary")).to_contain_text("没有问题：新增 300")
    _shot(czcit, "college-preview")
    czcit.click("#confirm button")
    expect(czcit.locator(".msg")).to_contain_text("已导入 300 行（新增 300，修改 0，未变 0）")
    expect(czcit.locator("nav.pager .count").first).to_have_text("第 1–50 条，共 300 条")
    czcit.fill("#search input[name=q]", "2027000037")
    czcit.click("#search button")
    expect(czcit.locator("#candidates tr[data-id], #candidates tr:has(td)")).to_have_count(1)
    expect(czcit.locator("#candidates")).to_contain_text("2027000037")
    _shot(czcit, "college-round")

    # Hengbang sees its applicants by name and college, and nothing else of them.
    hengbang.goto("/ui/rounds/r1")
    hengbang.locator("#placements a.review").first.click()
    expect(hengbang.locator("#applicants")).to_contain_text("常州信息职业技术学院")
    expect(hengbang.locator("#applicants")).not_to_contain_text("2027000001")
    _shot(hengbang, "enterprise-round")

    # The coordinator closes, solves and publishes.
    coordinator.goto("/ui/rounds/r1")
    coordinator.click("text=截止报名（冻结数据快照）")
    expect(coordinator.locator("#consequences")).to_contain_text(
        "截止报名后，企业不能再发布或修改岗位"
    )
    coordinator.click("#confirm-form button")
    expect(coordinator.locator(".msg")).to_contain_text("已截止报名")
    coordinator.select_option("#solve-form select[name=mechanism]", "stable")
    coordinator.click("#solve-form button:text-is('求解')")
    expect(coordinator.locator("#progress")).to_have_count(0, timeout=120_000)
    expect(coordinator.locator("[data-chart=rank-histogram] svg")).to_contain_text("录取志愿位次")
    _shot(coordinator, "coordinator-round")
    coordinator.locator("a.publish").first.click()
    expect(coordinator.locator("#consequences")).to_contain_text("发布后，各院校和科研院所可看到")
    coordinator.click("#confirm-form button")
    expect(coordinator.locator(".msg")).to_contain_text("已发布求解")
    report = coordinator.locator("text=打印报告").get_attribute("href")
    assert report is not None
    coordinator.goto(report)
    expect(coordinator.locator("h1")).to_contain_text("匹配轮次 r1")
    _shot(coordinator, "report")
    coordinator.pdf(path=str(SHOTS / "report.pdf"))  # prints: the report is a PDF away
    assert (SHOTS / "report.pdf").stat().st_size > 10_000

    # The college reads every explanation as a Chinese sentence, a cutoff as a
    # position; its Excel and CSV open in Chinese Excel.
    czcit.goto("/ui/rounds/r1")
    czcit.click("nav.tabs a:text-is('匹配结果')")
    table = czcit.locator("#assignments")
    expect(table).to_contain_text("恒邦药业")
    czcit.select_option("#search select[name=placed]", "false")  # the unplaced, with every reason
    czcit.click("#search button")
    expect(czcit.locator("nav.pager .count").first).to_contain_text("共")
    reasons = czcit.locator("#assignments ul.reasons li").all_inner_texts()
    assert reasons and all(SENTENCE.match(text) for text in reasons), reasons[:5]
    assert not any(re.search(r"\bc\d{3}\b", text) for text in reasons)  # nobody by id
    assert any("该岗位已满，录取的 150 人中最后一名排在您之前" in text for text in reasons)
    _shot(czcit, "college-results", full=False)
    with czcit.expect_download() as download:
        czcit.click("#xlsx")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book.sheetnames[:2] == ["匹配结果", "未录取原因"]
    rows = list(book["匹配结果"].iter_rows(values_only=True))
    assert rows[0][:4] == ("姓名", "学号／工号", "候选人编号", "院校／院所")
    assert len(rows) == 301 and all(r[0] and r[1] for r in rows[1:])
    why = list(book["未录取原因"].iter_rows(values_only=True))
    assert len(why) > 1 and all(SENTENCE.match(str(r[-1])) for r in why[1:])
    with czcit.expect_download() as download:
        czcit.click("#csv")
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Chinese Excel reads it as UTF-8
    downloaded = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    api = [
        a
        for offset in (0, 200)
        for a in httpx.get(
            f"{base}/rounds/r1/assignments",
            params={"limit": 200, "offset": offset},
            headers={"Authorization": f"Bearer {tokens['col-czcit']}"},
        ).json()["items"]
    ]
    assert sorted((r["候选人编号"], r["岗位编号"] or None) for r in downloaded) == sorted(
        (a["candidate"], a["placement"]) for a in api
    )
    assert len(api) == 300

    # English stays a click away, and is remembered.
    czcit.click("#languages a:text-is('English')")
    expect(czcit.locator("h2:has-text('Results')")).to_be_visible()
    expect(czcit.locator("#assignments")).to_contain_text("the placement is full")
    _shot(czcit, "college-results-english", full=False)
    czcit.goto("/ui")
    expect(czcit.locator("html")).to_have_attribute("lang", "en")

    # Hengbang sees who is coming, and nobody else's.
    hengbang.goto("/ui/rounds/r1/results")
    expect(hengbang.locator("h2:has-text('录取名单')")).to_be_visible()
    expect(hengbang.locator("#assignments")).to_contain_text("发酵工艺实习生")
    expect(hengbang.locator("#assignments")).not_to_contain_text("qh-1")


def test_chinese_renders_as_glyphs_not_boxes(
    site: tuple[str, dict[str, str]], browser: Browser
) -> None:
    """With fonts-noto-cjk installed, each Chinese character of a page draws as
    its own glyph: a missing font draws every one as the same box (tofu)."""
    base, _ = site
    page = browser.new_context(base_url=base, locale="zh-CN").new_page()
    page.goto("/ui/signin")
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '匹配')")
    text = "产教联合体岗位匹配"
    page.evaluate(
        """text => {
            const box = document.createElement('div');
            box.id = 'glyphs';
            for (const ch of text) {
                const s = document.createElement('span');
                s.textContent = ch;
                s.style.cssText = 'display:inline-block;width:40px;height:40px;font-size:32px';
                box.appendChild(s);
            }
            document.querySelector('main').appendChild(box);
        }""",
        text,
    )
    shots = [s.screenshot() for s in page.locator("#glyphs span").all()]
    assert len(shots) == len(text)
    assert len(set(shots)) == len(set(text)), "Chinese characters render as identical boxes"
    width = page.evaluate(
        """() => {
            const c = document.createElement('canvas').getContext('2d');
            c.font = '32px "Noto Sans CJK SC"';
            return c.measureText('匹').width;
        }"""
    )
    assert width > 28  # a full-width glyph, as wide as it is tall


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
