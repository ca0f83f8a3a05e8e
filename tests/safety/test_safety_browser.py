"""Browser journey at 360 px (Chromium, CSRF on), in Russian and Kazakh: an officer sees the
risk re-assessment due and the measures missing on a high-risk case, makes a safety plan with
the survivor, prints it in the survivor's language, and finds the plan no longer missing."""

from __future__ import annotations

import re

import pytest

from referral.extensions import db
from tests.cases import factories as f
from tests.cases.test_cases_browser import log_in
from tests.fixtures import actor
from tests.safety.factories import assess

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]

WORDS = {"ru": {"due": "Следующая повторная оценка риска", "plan": "План безопасности",
                "print": "Мой план безопасности", "rules": "Текстовые сообщения: можно"},
         "kk": {"due": "Қауіпті келесі қайта бағалау", "plan": "Қауіпсіздік жоспары",
                "print": "Менің қауіпсіздік жоспарым", "rules": "Мәтіндік хабарламалар: болады"}}
PRINTED_IN = {"ru": "kk", "kk": "ru"}  # the survivor reads another language than the officer


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_officer_makes_prints_and_sees_a_safety_plan(page, world, language):
    words, printed = WORDS[language], WORDS[PRINTED_IN[language]]
    case, _members = f.family_case(actor(world["officer"]))
    assess(actor(world["officer"]), case.id, "high")
    world["officer"].locale = language
    db.session.commit()
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, world["officer"])
    page.goto(f"/cases/{case.id}")
    safety = page.locator("#safety")
    assert words["due"] in safety.get_by_test_id("reassessment-due").inner_text()
    assert safety.get_by_test_id("missing-measures").locator("li").count() == 3
    _fits(page)

    safety.locator("a.button").click()
    page.wait_for_url(re.compile(r"/safety/survivors/\d+/plan$"))
    _fits(page)
    page.locator("textarea[name=main_concern]").fill("Он обещал вернуться ночью")
    page.locator("input[name=code_signal]").fill("Штора наполовину")
    page.locator("input[name=text_allowed]").check()
    page.locator("select[name=partner_knows]").select_option("no")
    page.locator("form.form-grid button[type=submit]").click()
    page.wait_for_url(re.compile(r"/safety/plans/\d+$"))
    assert "Он обещал вернуться ночью" in page.locator("main").inner_text()
    assert words["rules"] in page.get_by_test_id("contact-rules").inner_text()
    _fits(page)

    page.locator("select[name=lang]").select_option(PRINTED_IN[language])
    page.locator("form[action$='/print'] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/print\?lang={PRINTED_IN[language]}$"))
    printout = page.locator("article.printout").inner_text()
    assert printed["print"] in printout and "Штора наполовину" in printout
    assert case.reference not in page.content() and "Testova" not in page.content()
    assert page.locator("html").get_attribute("lang") == language  # the page around it
    _fits(page)

    page.goto(f"/cases/{case.id}")
    safety = page.locator("#safety")
    assert words["plan"] in safety.inner_text()
    assert safety.get_by_test_id("missing-measures").locator("li").count() == 2
