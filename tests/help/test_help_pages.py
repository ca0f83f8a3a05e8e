"""The help pages: a guide per role in three languages, the public emergency page, the header
link, the guide shown once at the first login, and the configured rules stated on the page."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from referral.access.permissions import Role
from referral.accounts.first_login import mark_guide_seen
from referral.accounts.models import User
from referral.extensions import db
from referral.help.guides import GUIDE_TITLES, guide_for
from tests.fixtures import PASSWORD, fresh, login, make_user

GUIDES = tuple(GUIDE_TITLES)
ARTICLE = re.compile(r"<article\b.*?</article>", re.S)
BLOCK = re.compile(r"<(p|li|dt|dd|h1|h2)\b[^>]*>(.*?)</\1>", re.S)
TAG = re.compile(r"<[^>]+>")
LATIN_WORD = re.compile(r"\b[A-Za-z]{3,}\b")


def _text(html: str) -> str:
    return " ".join(unescape(TAG.sub(" ", html)).split())


def _article(response: Any) -> str:
    assert response.status_code == 200
    found = ARTICLE.search(response.get_data(as_text=True))
    assert found, "no guide on the page"
    return found.group(0)


def _english_blocks(article: str) -> set[str]:
    """The guide's sentences in English: each paragraph, item and heading that has words."""
    blocks = {_text(inner) for _tag, inner in BLOCK.findall(article)}
    return {b for b in blocks if len(LATIN_WORD.findall(b)) >= 2}


def _as(client: Any, user: User, locale: str) -> None:
    fresh()  # end the read the last login began: requests wrote since
    user.locale = locale
    db.session.commit()
    client.post("/logout")
    assert login(client, user).status_code == 302


@pytest.mark.parametrize("guide", GUIDES)
def test_every_guide_renders_in_each_language_with_nothing_left_in_english(
        ctx, client, world, guide):
    officer = world["officer"]
    _as(client, officer, "en")
    english = _english_blocks(_article(client.get(f"/help/{guide}")))
    assert len(english) >= 15  # the role's first steps and the shared sections
    for locale in ("ru", "kk"):
        _as(client, officer, locale)
        article = _article(client.get(f"/help/{guide}"))
        text = _text(article)
        left = sorted(b for b in english if b in text)
        assert not left, f"{locale}: untranslated {left}"
        assert not LATIN_WORD.findall(text), f"{locale}: Latin words {LATIN_WORD.findall(text)}"


@pytest.mark.parametrize("guide", GUIDES)
def test_the_russian_guide_uses_the_glossary_terms(ctx, client, world, guide):
    _as(client, world["crisis"], "ru")
    text = _text(_article(client.get(f"/help/{guide}")))
    assert "направлени" in text and "пострадавш" in text
    assert "потерпевш" not in text
    _as(client, world["crisis"], "kk")
    text = _text(_article(client.get(f"/help/{guide}")))
    assert "жолдама" in text and "жәбірлен" in text
    assert not re.search(r"зардап\s+шек", text)


def test_every_role_has_a_guide_and_reads_every_guide(ctx, client, world):
    for role in Role:
        assert guide_for(role, "police") in GUIDE_TITLES
        assert guide_for(role, "crisis_center") in GUIDE_TITLES
    own = {"officer": "police", "crisis": "caseworker", "manager": "manager",
           "coordinator": "coordinator", "admin": "administrator"}
    for key, guide in own.items():
        _as(client, world[key], "en")
        assert f'data-guide="{guide}"' in _article(client.get("/help"))
        for other in GUIDES:
            page = _article(client.get(f"/help/{other}"))
            assert f'data-guide="{other}"' in page
            assert ("guide of another role" in page) == (other != guide)
    assert client.get("/help/nobody").status_code == 404


def test_the_header_links_to_help_and_the_login_page_to_the_emergency_numbers(
        ctx, client, world):
    anonymous = client.get("/login").get_data(as_text=True)
    assert 'href="/help/emergency"' in anonymous
    assert 'data-testid="help-link"' not in anonymous
    emergency = client.get("/help/emergency")
    assert emergency.status_code == 200
    for number in ("102", "112", "111"):
        assert f'href="tel:{number}"' in emergency.get_data(as_text=True)
    assert client.get("/help").status_code == 302  # the role guides are for users
    assert client.get("/help/police").status_code == 302
    _as(client, world["coordinator"], "en")
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'<a class="help-link" href="/help" data-testid="help-link">Help</a>', home)
    guide = client.get("/help").get_data(as_text=True)
    assert 'href="tel:112"' in guide and 'data-testid="help-link"' in guide


def _newcomer(world: dict[str, Any], **fields: Any) -> User:
    user = make_user(world["crisis_agency"], Role.OFFICER, email="new@test.example.org",
                     guide_seen_at=None, **fields)
    db.session.commit()
    return user


def _seen_at(user_id: int) -> Any:
    fresh()
    return db.session.execute(select(User.guide_seen_at).where(User.id == user_id)).scalar_one()


def test_the_first_login_shows_the_guide_once_and_never_again(ctx, client, world):
    user = _newcomer(world)
    response = login(client, user)
    assert response.headers["Location"] == "/help?first=1"
    assert _seen_at(user.id) is not None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="first-login"' in page and 'data-guide="caseworker"' in page
    assert 'href="/"' in page  # on to the home page
    client.post("/logout")
    assert login(client, user).headers["Location"] == "/"
    client.post("/logout")
    assert login(client, user).headers["Location"] == "/"


def test_the_first_login_keeps_the_page_asked_for_one_click_away(ctx, client, world):
    user = _newcomer(world)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "next": "/referrals"})
    assert response.headers["Location"] == "/help?first=1&next=%2Freferrals"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="button" href="/referrals"' in page
    # Only a same-site path is offered on.
    page = _article(client.get("/help?first=1&next=//evil.example"))
    assert "evil.example" not in page and 'class="button" href="/"' in page


def test_a_forced_password_change_comes_first_then_the_guide(ctx, client, world):
    user = _newcomer(world, must_change_password=True)
    assert login(client, user).headers["Location"] == "/account/password"
    assert _seen_at(user.id) is None
    new = "my very own passphrase"
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": new, "confirm_password": new})
    assert response.headers["Location"] == "/help?first=1"
    client.post("/logout")
    assert login(client, user.email, new).headers["Location"] == "/"


def test_only_one_of_two_marks_sends_to_the_guide(ctx, world):
    user = _newcomer(world)
    assert mark_guide_seen(user.id) is True
    assert mark_guide_seen(user.id) is False
    db.session.commit()
    assert _seen_at(user.id) is not None


def _windows(client: Any) -> str:
    article = _article(client.get("/help"))
    found = re.search(r'data-testid="answer-windows">(.*?)</ul>', article, re.S)
    assert found
    return _text(found.group(1)).replace(" :", ":")


def test_the_guide_states_the_configured_answer_windows_and_reminders(app, ctx, client, world):
    _as(client, world["crisis"], "en")
    assert _windows(client) == "Emergency: 2 h Urgent: 24 h Routine: 72 h"
    text = _text(_article(client.get("/help")))
    assert "have passed: 50%, 80%." in text
    assert "no progress recorded for 5 days" in text
    assert "24 hours after it was marked high-risk" in text
    app.config["REFERRAL_DEADLINES"] = {"emergency": timedelta(hours=1),
                                        "urgent": timedelta(hours=12), "routine": 48}
    app.config["NOTIFY_PENDING_THRESHOLDS"] = (75, 25)
    app.config["NOTIFY_NO_PROGRESS_DAYS"] = 1
    assert _windows(client) == "Emergency: 1 h Urgent: 12 h Routine: 48 h"
    text = _text(_article(client.get("/help")))
    assert "have passed: 25%, 75%." in text
    assert "no progress recorded for 1 day," in text
    assert "the receiving agency then has 1 h to answer" in text


@pytest.mark.app_config(REFERRAL_DEADLINES={"emergency": timedelta(minutes=90),
                                            "urgent": 6, "routine": timedelta(days=5)})
def test_the_russian_guide_states_the_configured_windows_too(ctx, client, world):
    _as(client, world["officer"], "ru")
    windows = _windows(client)
    assert "1.5" in windows and "6" in windows and "120" in windows
