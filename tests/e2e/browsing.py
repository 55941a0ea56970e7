"""What every browser test shares: Debian's Chromium (never a downloaded
browser; in CI its absence fails, elsewhere the tests skip), a person signed
in to the pages in Chinese, and screenshots kept in var/screenshots/."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parents[2] / "var" / "screenshots"

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail("Debian's chromium is missing: `make test` installs it", pytrace=False)
    pytest.skip("no /usr/bin/chromium (`make test` installs it)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

# Every assertion of a page waits up to 20 s, not Playwright's 5: the suite
# runs the service beside another worker's on two cores, and a CI machine
# under that load has taken longer than 5 s to draw /docs. A page that never
# shows what is expected still fails.
expect.set_options(timeout=20_000)


def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless (the `browser` fixture of tests/e2e/conftest.py)."""
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def account(base: str, token: str, role: str = "admin") -> tuple[str, str]:
    """A new person of the organization whose token this is (the token acts
    as its admin): their sign-in name and password."""
    headers = {"Authorization": f"Bearer {token}"}
    org = httpx.get(f"{base}/me", headers=headers, timeout=30).json()["organization"]
    login, password = f"{org['id']}-{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    answer = httpx.post(
        f"{base}/organizations/{org['id']}/people",
        json={"login": login, "name": f"{org.get('name') or org['id']}职员", "role": role,
              "password": password},
        headers=headers,
        timeout=30,
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return login, password


def sign_in(browser: Browser, base: str, token: str) -> Page:
    """A person of the token's organization, in their browser: Chinese
    (zh-CN), as the people of Changzhou use it, signed in with a password."""
    return sign_in_as(browser, base, *account(base, token))


def sign_in_as(browser: Browser, base: str, login: str, password: str) -> Page:
    context = browser.new_context(base_url=base, accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.goto("/ui")
    expect(page).to_have_url(f"{base}/ui/signin")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("#signin-form button")
    expect(page.locator(".msg")).to_contain_text("已登录")
    return page


def shot(page: Page, name: str, full: bool = True) -> None:
    """The page as a person sees it (a long page: its first 3,000 pixels)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate("document.documentElement.scrollHeight") if full else 900
    page.screenshot(
        path=str(SHOTS / f"{name}.png"),
        clip={
            "x": 0,
            "y": 0,
            "width": page.viewport_size["width"] if page.viewport_size else 1280,
            "height": min(height, 3000),
        },
        full_page=True,
    )
