"""Issue 17's walk, in Chinese, in Debian's Chromium, against a real uvicorn
and worker on the Changzhou round: people of each role sign in with
passwords; the consortium office creates a member's first admin on the
accounts page, that admin adds a staff member, the office's admin disables
them and their sign-in is refused; every step of the round appears on the
audit page with the person's name; the chain verifies; the published
version's bundle, downloaded from the page, checks out with
`python -m matching audit`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import account, shot, sign_in_as  # skips without Debian's chromium

R = "cz-2027"


def _add(page: Page, name: str, login: str, role: str, password: str) -> None:
    form = page.locator("#add-person")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=login]").fill(login)
    form.locator("select[name=role]").select_option(role)
    form.locator("input[name=password]").fill(password)
    form.locator("button").click()
    expect(page.locator(".msg")).to_contain_text(f"已添加账号 {login}")


@pytest.mark.slow
def test_people_sign_in_every_step_is_recorded_and_the_bundle_checks_out(
    changzhou: tuple[str, dict[str, str]], browser: Browser, tmp_path: Path
) -> None:
    base, tokens = changzhou
    # the consortium office's admin (as `make run` prints one per demo role)
    login, password = account(base, tokens["gov-cz"])
    office = sign_in_as(browser, base, login, password)
    expect(office.locator("#nav-me")).to_be_visible()
    office.click("#nav-people")
    # the office creates Hengbang's and czcit's first admins
    for org, name, who in (
        ("ent-hengbang", "恒邦人事 李娜", "hb-lina"),
        ("col-czcit", "信息学院 张伟", "czcit-zhangwei"),
    ):
        office.select_option("#pick-org select[name=org]", org)
        office.click("#pick-org button")
        _add(office, name, who, "admin", who + "-密码2027")
    shot(office, "accounts-office")
    # Hengbang's admin signs in with the password and adds a staff member
    hengbang = sign_in_as(browser, base, "hb-lina", "hb-lina-密码2027")
    expect(hengbang.locator("#nav-me")).to_have_text("恒邦人事 李娜")
    hengbang.click("#nav-people")
    _add(hengbang, "恒邦职员 赵强", "hb-zhaoqiang", "staff", "hb-zhaoqiang-密码")
    staff = sign_in_as(browser, base, "hb-zhaoqiang", "hb-zhaoqiang-密码")
    expect(staff.locator("#nav-people")).to_have_count(0)  # staff manage no accounts
    # the office disables the staff member: the open session ends, signing in is refused
    office.select_option("#pick-org select[name=org]", "ent-hengbang")
    office.click("#pick-org button")
    office.locator("#person-hb-zhaoqiang button.disable").click()
    expect(office.locator("#person-hb-zhaoqiang")).to_contain_text("已停用")
    staff.goto("/ui")
    expect(staff).to_have_url(f"{base}/ui/signin")
    staff.fill("input[name=login]", "hb-zhaoqiang")
    staff.fill("input[name=password]", "hb-zhaoqiang-密码")
    staff.click("#signin-form button")
    expect(staff.locator(".err")).to_contain_text("此账号已停用")
    # a wrong password says nothing of whether the name exists
    staff.fill("input[name=login]", "nobody-at-all")
    staff.fill("input[name=password]", "whatever-it-is")
    staff.click("#signin-form button")
    expect(staff.locator(".err")).to_contain_text("登录名或密码错误")

    # ------------------------------------------------ a round, by these people
    office.goto(f"/ui/rounds/{R}")
    office.click("#close-round")
    office.click("#confirm-form button")
    office.select_option("#solve-form select[name=mechanism]", "stable")
    office.click("#solve-form button[value=solve]")
    expect(office.locator("#progress")).to_have_count(0, timeout=120_000)
    office.locator("#runs a.publish").first.click()
    office.click("#confirm-form button")
    expect(office.locator(".msg")).to_contain_text("已发布")
    czcit = sign_in_as(browser, base, "czcit-zhangwei", "czcit-zhangwei-密码2027")
    czcit.goto(f"/ui/rounds/{R}/after")
    czcit.fill("#find input[name=q]", "2027")  # by number
    czcit.click("#find button")
    row = czcit.locator("#found tr[id^=cand-]").first
    row.locator("input[name=reason]").fill("已与其他单位签约")
    row.locator("button").click()
    expect(czcit.locator(".msg")).to_contain_text("已登记")

    # ------------------------------------------------------ the audit page
    office.click("#nav-audit")
    expect(office.locator("#chain")).to_contain_text("哈希链完整")
    table = office.locator("#audit")
    for who, operation in (
        ("信息学院 张伟", "登记发布后变动"),
        ("恒邦人事 李娜", "添加账号"),
        (office_name(office), "发布结果"),
        (office_name(office), "截止报名"),
        ("求解进程", "求解完成"),
        ("恒邦职员 赵强", "登录被拒绝"),
    ):
        expect(table.locator("tr", has_text=operation).filter(has_text=who).first).to_be_visible()
    shot(office, "audit-office", full=False)
    czcit.click("#nav-audit")
    expect(czcit.locator("#audit")).to_contain_text("信息学院 张伟")
    expect(czcit.locator("#audit")).not_to_contain_text("恒邦")  # its own part only
    expect(czcit.locator("#chain")).to_have_count(0)

    # ---------------------------------- the published bundle checks out
    office.goto(f"/ui/rounds/{R}/after")
    with office.expect_download() as download:
        office.locator("#version-1 a.bundle").click()
    path = tmp_path / "bundle.json"
    download.value.save_as(path)
    done = subprocess.run(
        [sys.executable, "-m", "matching", "audit", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("VERIFIED")


def office_name(page: Page) -> str:
    """The office person's name, as the header shows it."""
    return page.locator("#nav-me").inner_text()
