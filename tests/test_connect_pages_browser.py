"""The pages of issue 21 that the demo crawls cannot reach (they need a record made first), in
Chromium at 360 px and in Russian: an endpoint's page and its delivery log, the endpoint form,
the token pages, and an import's dry-run report. No page scrolls sideways and every control is
at least 24 × 24 px, as tests/test_narrow_screens.py and tests/test_target_size.py check for
the rest."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from referral.access.scope import acting_as, system_actor
from referral.demo import DEMO_PASSWORD, demo_email, seed
from referral.extensions import db
from referral.imports.sample import workbook_bytes
from tests.test_narrow_screens import WIDTH, _overflow
from tests.test_target_size import MINIMUM, SMALL_TARGETS

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]


@pytest.fixture
def demo(ctx: Any) -> None:
    with acting_as(system_actor("browser test: connect pages")):
        seed()
        db.session.commit()
    db.session.remove()


def _page(browser: Any, live_server: str, user: str) -> Any:
    context = browser.new_context(base_url=live_server, locale="ru-RU",
                                  viewport={"width": WIDTH, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login")
    page.locator("#email").fill(demo_email(user))
    page.locator("#password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("button.primary").click()
    return page


def _problems(page: Any) -> list[str]:
    found = [f"{page.url}: {item}" for item in page.evaluate(SMALL_TARGETS, MINIMUM)]
    overflow = _overflow(page)
    return found + ([f"{page.url}: scrolls sideways: {overflow}"] if overflow else [])


def test_webhook_and_token_pages_fit_a_phone(demo: None, browser: Any, live_server: str,
                                             app: Any) -> None:
    page = _page(browser, live_server, "police.manager")
    problems: list[str] = []
    try:
        for path in ("/api-tokens/", "/api-tokens/new", "/webhooks", "/webhooks/new"):
            assert page.goto(path).status == 200, path
            problems += _problems(page)
        page.locator("input[name=url]").fill("http://127.0.0.1:9/in")
        page.locator("input[name=description]").fill("Police IS")
        page.locator("input[name=event_types]").first.check()
        with page.expect_navigation():
            page.locator("form button.primary").last.click()
        assert "whsec_" in page.content()
        problems += _problems(page)  # the secret, shown once
        page.goto("/webhooks")
        href = next(h for h in page.locator("a[href]").evaluate_all(
            "els => els.map(e => e.getAttribute('href'))") if re.fullmatch(r"/webhooks/\d+", h))
        page.goto(href)
        with page.expect_navigation():  # a test event: the delivery log gets a row
            page.locator(f"form[action='{href}/test'] button").click()
        assert page.locator("table").count() >= 1
        problems += _problems(page)
        page.goto(href + "/edit")
        problems += _problems(page)
    finally:
        page.context.close()
    assert not problems, "\n".join(problems)


def test_an_import_report_fits_a_phone(demo: None, browser: Any, live_server: str,
                                       tmp_path: Path) -> None:
    upload = tmp_path / "directory.xlsx"
    upload.write_bytes(workbook_bytes())
    page = _page(browser, live_server, "admin")
    try:
        assert page.goto("/admin/imports").status == 200
        problems = _problems(page)
        page.locator("input[type=file]").set_input_files(str(upload))
        with page.expect_navigation():
            page.locator("form button.primary").last.click()
        assert re.search(r"/admin/imports/[\w-]+$", page.url), page.url
        assert page.locator("table").count() >= 1
        problems += _problems(page)
    finally:
        page.context.close()
    assert not problems, "\n".join(problems)
