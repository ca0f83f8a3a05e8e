"""Every page a user reaches fits a 360 px phone: nothing scrolls sideways.

A crawl, not a list: each demo user in Kazakh (the longest words of the three languages) follows
the links of the pages they can open, so a page added later is measured without editing this
file. A wide table may scroll inside its own box (``.table-wrap``); the page itself must not.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from referral.access.scope import acting_as, system_actor
from referral.demo import DEMO_PASSWORD, demo_email, seed
from referral.extensions import db

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]

WIDTH = 360
PAGES_PER_USER = 45
USERS = ("police", "crisis", "coordinator", "admin", "school")
# Links that end the session, download files or change something when followed.
SKIPPED = ("/logout", "/export", ".csv", ".xlsx", "/static/")


@pytest.fixture
def demo_in_kazakh(ctx: Any) -> None:
    from referral.accounts.models import User

    with acting_as(system_actor("browser test: narrow screens")):
        seed()
        for local in USERS:
            db.session.execute(db.select(User).where(User.email == demo_email(local))
                               ).scalar_one().locale = "kk"
        db.session.commit()
    db.session.remove()


def _same_site_links(page: Any, base: str) -> list[str]:
    hrefs = page.locator("a[href]").evaluate_all("els => els.map(e => e.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != base or any(s in parts.path for s in SKIPPED):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _overflow(page: Any) -> str:
    """What sticks out past the viewport's right edge (empty when the page fits)."""
    return str(page.evaluate(
        """(width) => document.documentElement.scrollWidth <= width ? "" :
           Array.from(document.querySelectorAll("body *"))
             .filter(e => e.getBoundingClientRect().right > width + 1)
             .slice(-3).map(e => e.tagName + "." + e.className + ": "
                               + (e.textContent || "").trim().slice(0, 40)).join(" | ")""",
        WIDTH))


@pytest.mark.parametrize("user", USERS)
def test_no_page_scrolls_sideways_at_360_px(
        demo_in_kazakh: None, browser: Any, live_server: str, user: str) -> None:
    context = browser.new_context(base_url=live_server, locale="kk-KZ",
                                  viewport={"width": WIDTH, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/login")
        page.locator("#email").fill(demo_email(user))
        page.locator("#password").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            page.locator("button.primary").click()
        queue, seen, wide = ["/"], set(), []
        while queue and len(seen) < PAGES_PER_USER:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            response = page.goto(path)
            if response is None or response.status != 200 or "text/html" not in (
                    response.headers.get("content-type") or ""):
                continue
            if problem := _overflow(page):
                wide.append(f"{path}: {problem}")
            queue.extend(link for link in _same_site_links(page, live_server)
                         if link not in seen)
        assert len(seen) >= 10, f"{user} reached only {sorted(seen)}"
        assert not wide, "\n".join(wide)
    finally:
        context.close()
