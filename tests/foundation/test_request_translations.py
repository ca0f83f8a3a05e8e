"""The request's catalogue is kept per locale: a forced locale (e-mails in the recipient's
language) and a refresh still translate into the language in force at each call."""

from __future__ import annotations

from flask import session
from flask_babel import force_locale, gettext, refresh

from referral.web.translations import RequestDomain


def _in(app, language):
    return app.test_request_context("/", headers={"Accept-Language": language})


def test_messages_follow_the_locale_in_force(app):
    with _in(app, "ru"):
        russian = gettext("Log out")
        assert russian != "Log out"
        with force_locale("kk"):
            kazakh = gettext("Log out")
        assert kazakh not in ("Log out", russian)
        assert gettext("Log out") == russian
        with force_locale("en"):
            assert gettext("Log out") == "Log out"
        assert gettext("Log out") == russian


def test_a_refresh_finds_the_catalogue_again(app):
    """The language switch: the session's choice changes mid-request, then a refresh."""
    with _in(app, "ru"):
        russian = gettext("Log out")
        session["locale"] = "kk"
        assert gettext("Log out") == russian  # the request's locale until refreshed
        refresh()
        assert gettext("Log out") not in (russian, "Log out")


def test_the_app_uses_the_request_domain(app):
    assert isinstance(app.extensions["babel"].instance.domain_instance, RequestDomain)
