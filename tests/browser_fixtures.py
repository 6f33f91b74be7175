"""Browser-test fixtures (registered by tests/conftest.py for every test folder): Playwright
driving Debian's Chromium (never a downloaded browser).

``page`` is a desktop-sized page, ``phone`` a phone-sized one (390×844, touch).  Both talk to
pytest-django's live server; ``site_url(society)`` gives a society's address on it (Chromium
resolves every *.localhost name to the loopback address).  Screenshots go to test-artifacts/.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(browser, **options):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(15000)
    return context, context.new_page()


@pytest.fixture
def page(browser):
    context, page = _page(browser, viewport={"width": 1280, "height": 900})
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context, page = _page(
        browser, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield page
    context.close()


@pytest.fixture
def site_url(live_server):
    port = live_server.url.rsplit(":", 1)[1]

    def url(society=None, path="/"):
        host = f"{society.slug}.{settings.BASE_DOMAIN}" if society else settings.BASE_DOMAIN
        return f"http://{host}:{port}{path}"

    return url


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def log_in(page, url: str, email: str, password: str) -> None:
    """Log in through the login form at ``url`` (its ``?next=`` decides where the page lands)."""
    page.goto(url)
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("[data-testid=login-submit]")
