"""Browser tests: Playwright driving Debian's Chromium against a live server,
with a real Celery worker and beat where a journey needs the clock to move.

Screenshots of each journey's last page land in test-artifacts/e2e/ (the run
prints the folder at the end)."""

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.integration.conftest import beat, celery_env, start_worker  # noqa: F401 - fixtures

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOW_TO_INSTALL = "browser tests need Debian's Chromium: run `make test` as root, or `sudo apt-get install chromium`"


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=HOW_TO_INSTALL)
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    if ARTIFACTS.exists() and any(ARTIFACTS.iterdir()):
        terminalreporter.write_line(f"browser screenshots: {ARTIFACTS}")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"],
        )  # fmt: skip
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server, request):
    """``new_page(locale="en")``: a fresh browser session; each page's last view is saved as a screenshot.
    ``user_agent``: what the browser calls itself (a share link does not count a known bot's visit)."""
    contexts = []

    def make(locale="en", width=1280, height=1000, user_agent=None):
        options = {"user_agent": user_agent} if user_agent else {}  # headless Chromium names itself a bot
        context = browser.new_context(
            base_url=live_server.url, locale=locale, viewport={"width": width, "height": height}, **options
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        contexts.append((context, page))
        return page

    yield make
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    for i, (context, page) in enumerate(contexts):
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}-{i + 1}.png"), full_page=True)
        finally:
            context.close()


def log_in(page, username, password):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.locator('form[action$="/accounts/login/"] button[type=submit]').click()
    page.wait_for_url(re.compile(r"^(?!.*accounts/login).*$"))


def use_language(page, locale):
    """Switch the site to ``locale`` with the footer's language form, as a reader does
    (Django's set_language stores it in the django_language cookie)."""
    page.goto("/")
    page.select_option("#language-select", locale)
    with page.expect_navigation():
        page.locator("form.language-form button[type=submit]").click()
    assert page.locator("html").get_attribute("lang") == locale


def translated(locale, msgid, *, context=None, plural=None, count=None, same_as_english_ok=False, **params):
    """The words a template shows for ``msgid`` in ``locale``, from the project's catalogs
    (``context`` for pgettext, ``plural`` and ``count`` for ngettext, ``params`` filled in
    as blocktranslate does). Outside English the words must differ from the English ones:
    a page that still shows English is not translated (``same_as_english_ok`` for a msgid
    with no words, such as "%(quantity)s × %(price)s")."""
    from django.utils import translation

    def words(language):
        with translation.override(language):
            if plural is not None:
                if context:
                    return translation.npgettext(context, msgid, plural, count)
                return translation.ngettext(msgid, plural, count)
            return translation.pgettext(context, msgid) if context else translation.gettext(msgid)

    text = words(locale)
    if not locale.startswith("en") and not same_as_english_ok:
        assert text != words("en"), f"no {locale} translation of {msgid!r}"
    return text % params if params else text
