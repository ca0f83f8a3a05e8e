"""Second factors in Chromium: an authenticator app, a recovery code, a passkey.

WebAuthn needs a secure context and a relying-party id that is a domain: http://localhost is
both (an IP address is refused as an rp id), so these pages are opened on localhost and the
app's PUBLIC_BASE_URL is set to that origin. The passkey is Chromium's virtual authenticator
(DevTools protocol), as a phone or security key would answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.accounts.factor_helpers import code
from tests.fixtures import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]


@pytest.fixture
def local_page(app: Any, browser: Any, live_server: str) -> Iterator[Any]:
    origin = live_server.replace("127.0.0.1", "localhost")
    app.config["PUBLIC_BASE_URL"] = origin
    context = browser.new_context(base_url=origin, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _log_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def _log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login$"))


def test_authenticator_app_and_a_recovery_code_that_works_once(local_page, world):
    page, email = local_page, world["officer"].email
    _log_in(page, email)
    page.goto("/account/second-factor")
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(code(secret))
    page.get_by_role("button", name="Confirm").click()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    _log_out(page)

    _log_in(page, email)
    expect(page.get_by_role("heading", name="Second step of login")).to_be_visible()
    page.get_by_label("One-time code").fill(code(secret, steps=1))  # the confirming step is spent
    page.get_by_role("button", name="Continue").click()
    page.goto("/account/second-factor")
    expect(page.get_by_role("heading", name="Sign-in security", level=1)).to_be_visible()
    _log_out(page)

    for attempt in range(2):
        _log_in(page, email)
        page.get_by_label("One-time code").fill(codes[4])
        page.get_by_role("button", name="Continue").click()
        if attempt == 0:
            page.goto("/account/second-factor")
            expect(page.get_by_text("9 unused recovery codes left of 10.")).to_be_visible()
            _log_out(page)
    expect(page.get_by_role("alert")).to_contain_text("or it was used already")
    assert "/login/second-factor" in page.url


def test_passkey_enrolment_and_login_with_a_virtual_authenticator(local_page, world):
    page, email = local_page, world["crisis"].email
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})
    _log_in(page, email)
    page.goto("/account/second-factor/passkeys/new")
    page.get_by_label("Name of this passkey").fill("Work laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    _log_out(page)

    _log_in(page, email)
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/account/second-factor")
    listed = page.locator("ul.passkeys li")
    expect(listed).to_contain_text("Work laptop")
    expect(listed).to_contain_text("Last used")


def test_the_pages_fit_a_narrow_screen_in_kazakh(local_page, ctx, world):
    from referral.accounts import second_factor as sf
    from referral.extensions import db

    page, user = local_page, world["manager"]
    user.locale = "kk"
    db.session.commit()
    page.set_viewport_size({"width": 360, "height": 740})
    _log_in(page, user.email)
    wide = "() => document.documentElement.scrollWidth"
    for path in ("/account/second-factor", "/account/second-factor/passkeys/new"):
        page.goto(path)
        assert page.evaluate(wide) <= 360, path
    page.goto("/account/second-factor")
    page.locator("form[action$='/totp/start'] button").click()
    page.wait_for_url(re.compile(r"/totp$"))
    assert page.evaluate(wide) <= 360
    db.session.rollback()
    secret = sf.open_secret(sf.pending_totp(user.id).secret, user.id)
    page.locator("input[name=one_time_code]").fill(code(secret))
    page.locator("form button.primary").click()
    page.wait_for_selector("[data-testid=recovery-codes]")
    assert page.evaluate(wide) <= 360
    page.goto("/account/second-factor")
    page.locator("details summary").first.click()
    assert page.evaluate(wide) <= 360
    page.locator("form[action$='/logout'] button").click()
    _log_in(page, user.email)
    assert "/login/second-factor" in page.url and page.evaluate(wide) <= 360
