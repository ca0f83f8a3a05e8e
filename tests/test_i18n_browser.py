"""Browser journeys in Russian and Kazakh: the browser's Accept-Language picks the language.

The expected words come from the catalogues themselves, so the test checks that the pages use the
translation and that the English original is gone.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from referral.access.scope import acting_as, system_actor
from referral.demo import DEMO_PASSWORD, demo_email, seed
from referral.extensions import db

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]

TRANSLATIONS = Path(__file__).resolve().parent.parent / "referral" / "translations"
BROWSER_LOCALES = {"ru": "ru-RU", "kk": "kk-KZ"}


def _translation(lang: str, msgid: str) -> str:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    message = catalog.get(msgid)
    assert message is not None and message.string, f"{lang}: {msgid!r} is not translated"
    return str(message.string)


@pytest.fixture(scope="module")
def compiled() -> None:
    """The .mo files are gitignored: compile them (quietly) before the server uses them."""
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "compile", "-d", str(TRANSLATIONS)],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def demo(ctx: Any) -> None:
    from referral.accounts.models import User

    with acting_as(system_actor("browser test: i18n demo data")):
        seed()
        # The demo accounts are seeded with an English setting, which would win over the browser's
        # Accept-Language; this officer has no setting, so the browser's language decides.
        police = db.session.execute(
            db.select(User).where(User.email == demo_email("police"))
        ).scalar_one()
        police.locale = None
        db.session.commit()
    db.session.remove()


@pytest.fixture(params=sorted(BROWSER_LOCALES))
def localized_page(
    request: pytest.FixtureRequest, browser: Any, live_server: str
) -> Iterator[tuple[Any, str]]:
    context = browser.new_context(base_url=live_server, locale=BROWSER_LOCALES[request.param])
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg, request.param
    context.close()


def _text(page: Any) -> str:
    return str(page.locator("body").inner_text())


def test_pages_render_in_the_browsers_language(
    compiled: None, demo: None, localized_page: tuple[Any, str]
) -> None:
    page, lang = localized_page
    log_in, log_out = _translation(lang, "Log in"), _translation(lang, "Log out")

    page.goto("/login")
    assert log_in in _text(page)
    page.locator("input[name=email]").fill(demo_email("police"))
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=log_in).click()
    page.wait_for_url(re.compile(r"/$"))

    for path in ("/", "/cases"):
        if path != "/":
            page.goto(path)
        text = _text(page)
        assert log_out in text, f"{lang} {path}: {log_out!r} missing"
        assert "Log out" not in text, f"{lang} {path}: English 'Log out' left"

    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    text = _text(page)
    assert _translation(lang, "Page not found") in text
    assert "Page not found" not in text
    assert log_out in text and "Log out" not in text
