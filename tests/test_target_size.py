"""Every control in a form or a table is at least 24 × 24 CSS px at 360 px (WCAG 2.2, 2.5.8).

Measured in Chromium on the pages with the most controls: the case form, the risk form, sending
a referral, a referral's actions, the coordinator's review and a conference (tick boxes),
notification settings and the administrators' filters.

What counts: every visible ``input``, ``select``, ``textarea``, ``button``, ``summary`` and ``a``
inside a ``form`` or a ``table``. Exempt, as the criterion itself says:

- a link *inside a sentence*: its parent holds text of its own next to it (a hint's "why"
  link). Its size is set by the line of text around it; enlarging it would break the sentence.
  A link alone in a table cell or next to a form's buttons is a control and is measured;
- what is not shown (hidden inputs, the visually hidden skip link: 1 px boxes).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from referral.access.scope import acting_as, system_actor
from referral.demo import DEMO_PASSWORD, demo_email, seed
from referral.extensions import db

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]

MINIMUM = 24
# user -> pages; "{x}" is the id of the first link on list page LISTS[x] matching its pattern.
PAGES = {
    "police": ["/cases", "/cases/new", "/cases/{case}", "/cases/{case}/edit",
               "/cases/{case}/risk/new", "/referrals/new?case_id={case}",
               "/referrals/outbox", "/notifications/preferences", "/cases/{case}/documents",
               "/cases/{case}/documents/new", "/closure/cases/{case}",
               "/schools/cases/{case}/children"],
    "crisis": ["/referrals/inbox", "/referrals/{referral}"],
    "coordinator": ["/coordination/review", "/coordination/conferences",
                    "/coordination/conferences/{conference}", "/coordination/statistics"],
    "admin": ["/admin/users", "/admin/audit", "/admin/system"],
    "school": ["/schools/notices", "/schools/notices/{notice}"],
}
LISTS = {
    "case": ("/cases", r"^/cases/\d+$"),
    "referral": ("/referrals/inbox", r"^/referrals/\d+$"),
    "conference": ("/coordination/conferences", r"^/coordination/conferences/\d+$"),
    "notice": ("/schools/notices", r"^/schools/notices/\d+$"),
}

SMALL_TARGETS = """(minimum) => {
  const small = [];
  const controls = document.querySelectorAll(
    "form input, form select, form textarea, form button, form summary, form a, " +
    "table input, table select, table button, table summary, table a");
  for (const el of controls) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width <= 1 || box.height <= 1 || style.visibility === "hidden") continue;
    if (!el.checkVisibility()) continue;
    if (el.tagName === "A") {
      // In a sentence: the parent's own text (not the link's) has letters next to it.
      const own = Array.from(el.parentElement.childNodes)
        .filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join("");
      if (/\\p{L}{2,}/u.test(own)) continue;
    }
    if (box.width < minimum - 0.5 || box.height < minimum - 0.5) {
      const label = (el.textContent || el.value || el.name || el.type || "").trim().slice(0, 30);
      small.push(`${el.tagName.toLowerCase()}[${el.type || ""}] "${label}" ` +
                 `${box.width.toFixed(1)}×${box.height.toFixed(1)}`);
    }
  }
  return small;
}"""


@pytest.fixture
def demo(ctx: Any) -> None:
    with acting_as(system_actor("browser test: target size")):
        seed()
        db.session.commit()
    db.session.remove()


def _first_id(page: Any, list_path: str, pattern: str) -> str:
    page.goto(list_path)
    hrefs = page.locator("a[href]").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    found = next((h for h in hrefs if re.match(pattern, h.split("?")[0])), None)
    assert found, f"no link like {pattern} on {list_path}"
    return str(found.split("?")[0].rsplit("/", 1)[1])


@pytest.mark.parametrize("user", PAGES)
def test_every_control_is_at_least_24_px(demo: None, browser: Any, live_server: str,
                                         user: str) -> None:
    context = browser.new_context(base_url=live_server, locale="ru-RU",
                                  viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/login")
        page.locator("#email").fill(demo_email(user))
        page.locator("#password").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            page.locator("button.primary").click()
        ids = {key: _first_id(page, *LISTS[key]) for key in LISTS
               if any("{" + key + "}" in p for p in PAGES[user])}
        small, measured = [], 0
        for template in PAGES[user]:
            path = template.format(**ids)
            response = page.goto(path)
            assert response is not None and response.status == 200, f"{path}: {response}"
            measured += 1
            small.extend(f"{path}: {item}" for item in page.evaluate(SMALL_TARGETS, MINIMUM))
        assert measured == len(PAGES[user])
        assert not small, "controls smaller than 24 × 24 px:\n" + "\n".join(small)
    finally:
        context.close()


def test_the_measure_finds_a_browser_default_check_box(demo: None, browser: Any,
                                                       live_server: str) -> None:
    """Without the shared CSS a check box is Chromium's 13 × 13 px: the measure must see it."""
    context = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/login")
        page.locator("#email").fill(demo_email("police"))
        page.locator("#password").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            page.locator("button.primary").click()
        page.goto("/notifications/preferences")
        assert page.evaluate(SMALL_TARGETS, MINIMUM) == []
        # The page's policy forbids inline style sheets; the CSS object model is not affected.
        page.evaluate("""() => document.querySelectorAll("input[type=checkbox]")
                         .forEach(e => e.style.setProperty("all", "revert"))""")
        small = page.evaluate(SMALL_TARGETS, MINIMUM)
        assert small and all("input[checkbox]" in s and "13.0×13.0" in s for s in small), small
    finally:
        context.close()
