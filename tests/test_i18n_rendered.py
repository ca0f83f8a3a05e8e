"""Every page a demo user reaches reads in Russian and Kazakh: no English word, no raw code.

tests/test_i18n_completeness.py checks the catalogue and the templates' literal text; this test
checks what is actually rendered, where codes printed raw (``high``, ``case.view``, ``KZ-75``,
``user:6``, ``ConnectionRefusedError``) slip past any catalogue. Each demo user's pages are
crawled with the test client (tests/crawl.py) in both languages; the visible text (and the
attributes a user reads) is stripped of tags and of the demo's own data, then searched for

- English words: words of the catalogue's English msgids (so ``Risk``, ``high``, ``officer``),
  less a short allow-list of names and abbreviations;
- raw codes: dotted action codes, snake_case enum values, ISO region codes, ``user:6``-style
  recipients and exception class names.

Demo data is data, not interface: agency and people's names, e-mail addresses, phone numbers
and free text typed into the demo are masked by their exact values from the database.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import String, Text, select

from referral.access.scope import acting_as, system_actor
from referral.api.models import ApiToken
from referral.demo import demo_email, seed
from referral.extensions import db
from tests.crawl import DEMO_USERS, crawl, log_in, shape

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ru", "kk")

INVISIBLE = re.compile(r"<!--.*?-->|<script\b.*?</script>|<style\b.*?</style>|<head\b.*?</head>",
                       re.S | re.I)
READ_ATTRIBUTES = re.compile(r"""\b(?:title|placeholder|aria-label|alt)\s*=\s*(["'])(.*?)\1""",
                             re.S | re.I)
TAG = re.compile(r"<[^>]*>", re.S)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"\bhttps?://\S+")
LATIN_WORD = re.compile(r"\b[A-Za-z][A-Za-z']*[A-Za-z]\b")
RAW_CODES = {
    "action code": re.compile(r"\b[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*\b"),
    "snake_case value": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "region code": re.compile(r"\bKZ-\d+\b(?!-\d)"),  # not a case reference KZ-75-2026-…
    "recipient key": re.compile(r"\b(?:user|agency):\d+\b"),
    "exception name": re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b"),
    "time zone name": re.compile(r"\b(?:Asia|Europe|America)/[A-Za-z_]+\b"),
}
# Latin words that are right in a Russian or Kazakh page: language names (the switcher shows
# each in its own language) and abbreviations with no translation.
ALLOWED = frozenset({
    "english", "csv", "xlsx", "excel", "utc", "smtp", "sms", "pdf", "ok",
    "jpeg", "png", "heic", "docx", "odt",  # file formats' names (documents)
    "ctrl", "cmd",  # key names on the keyboard
    "gbvims",  # the international classification's own name (offences page)
    "javascript", "pin",  # names of a technology and of a security key's code
    "api",  # "API-токены": the abbreviation is the word used in Russian and Kazakh too
    "openapi",  # the name of the API description format
})


def _english_words() -> frozenset[str]:
    """Lowercased words of three or more letters in the catalogue's English msgids."""
    with (ROOT / "referral/translations/messages.pot").open("rb") as fh:
        catalogue = read_po(fh)
    words: set[str] = set()
    for message in catalogue:
        for msgid in message.id if isinstance(message.id, tuple) else (message.id,):
            text = re.sub(r"%\(\w+\)[sd]|%[sd]|\{\w*\}", " ", msgid or "")
            words.update(w.lower() for w in LATIN_WORD.findall(text) if len(w) >= 3)
    return frozenset(words - ALLOWED)


ENGLISH = _english_words()


def _demo_strings() -> list[str]:
    """Every text value stored in the demo database that has a space or a capital (names,
    addresses, free text), longest first. Codes (``high``, ``officer``, ``KZ-75``) are single
    words without capitals or fixed code shapes: they are never masked, so one printed raw
    still fails the test; a stored value that is itself an interface text is not masked either."""
    values: set[str] = set()
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            for value in row:
                if isinstance(value, str) and len(value) >= 3 and (
                        " " in value.strip() or re.search(r"[A-Z].*[a-z]", value)) \
                        and not RAW_CODES["region code"].fullmatch(value):
                    values.add(value.strip())
    # An API token's first characters identify it ("rfa_…"): data shown as stored, not a code.
    values.update(db.session.execute(select(ApiToken.prefix)).scalars())
    return sorted(values, key=len, reverse=True)


def visible_text(html: str, masked: list[str]) -> str:
    """What a reader sees or hears, with the demo's data blanked out."""
    attributes = " ".join(value for _q, value in READ_ATTRIBUTES.findall(html))
    text = unescape(TAG.sub(" ", INVISIBLE.sub(" ", html)) + " " + attributes)
    text = URL.sub(" ", EMAIL.sub(" ", text))
    for value in masked:
        if value in text:
            text = text.replace(value, " ")
    return re.sub(r"\s+", " ", text)


def problems(text: str) -> list[str]:
    found = sorted({w for w in LATIN_WORD.findall(text) if w.lower() in ENGLISH})
    out = [f"English: {', '.join(found)}"] if found else []
    for name, pattern in RAW_CODES.items():
        codes = sorted(set(pattern.findall(text)))
        if codes:
            at = pattern.search(text)
            context = text[max(at.start() - 40, 0):at.end() + 20] if at else ""
            out.append(f"{name}: {', '.join(codes)} (…{context}…)")
    return out


@pytest.fixture
def demo(ctx: Any) -> list[str]:
    """The demo, with a failed e-mail delivery (its raw error is what the health page words)."""
    from referral.accounts.models import User
    from referral.events.models import OutboxEvent
    from referral.notifications.models import Delivery

    with acting_as(system_actor("test: rendered languages")):
        seed()
        event_id = db.session.execute(select(OutboxEvent.id).limit(1)).scalar()
        user = db.session.execute(select(User).where(User.email == demo_email("crisis"))
                                  ).scalar_one()
        if event_id is not None:
            db.session.add(Delivery(event_id=event_id, recipient=f"user:{user.id}",
                                    user_id=user.id, status="failed", attempts=5,
                                    last_error="ConnectionRefusedError: [Errno 111] "
                                               "Connection refused"))
        db.session.commit()
        masked = _demo_strings()
    db.session.remove()
    return masked


def _set_locale(user: str, language: str) -> None:
    from referral.accounts.models import User

    db.session.execute(select(User).where(User.email == demo_email(user))
                       ).scalar_one().locale = language
    db.session.commit()
    db.session.remove()


# Pages of the first walk-through's findings: the crawl must reach them (shapes: ids are N).
MUST_VISIT = {
    "police": {"/", "/referrals/outbox", "/referrals/N", "/referrals/new?case_id=N"},
    "crisis": {"/", "/referrals/inbox", "/referrals/N"},
    "coordinator": {"/", "/coordination/review", "/coordination/conferences",
                    "/coordination/conferences/N"},
    "admin": {"/", "/admin/users", "/admin/audit", "/admin/system"},
    "school": {"/", "/schools/notices", "/schools/notices/N"},
}


@pytest.mark.parametrize("user", DEMO_USERS)
def test_every_page_reads_in_russian_and_kazakh(demo: list[str], app: Any, user: str) -> None:
    failures, visited, shapes = [], 0, set()
    for language in LANGUAGES:
        _set_locale(user, language)
        client = app.test_client()
        log_in(client, user)
        for path, html in crawl(client):
            visited += 1
            shapes.add(shape(path))
            assert f'<html lang="{language}"' in html, f"{path} not in {language}"
            found = problems(visible_text(html, demo))
            if found:
                failures.append(f"[{language}] {path}: " + "; ".join(found))
    assert visited >= 2 * 8, f"{user} reached only {visited} pages"
    assert MUST_VISIT[user] <= shapes, f"{user} never reached {MUST_VISIT[user] - shapes}"
    assert not failures, f"{user}: English or raw codes on {len(failures)} pages:\n" + \
        "\n".join(failures)


def test_the_checker_catches_what_it_is_for() -> None:
    """The patterns themselves: each kind of leak of the first walk-through is found."""
    text = visible_text(
        "<p>Риск: high · Роль: officer · case.view · KZ-75 · user:6 · (Asia/Almaty) · "
        "ConnectionRefusedError · agency_manager <a title='Notifications'>х</a></p>", [])
    found = " ".join(problems(text))
    for leak in ("high", "officer", "case.view", "KZ-75", "user:6", "Asia/Almaty",
                 "ConnectionRefusedError", "agency_manager", "Notifications"):
        assert leak in found, leak
    assert problems(visible_text("<p>Риск: высокий · <a href='mailto:a.b@x.org'>a.b@x.org</a>"
                                 "</p>", [])) == []


def test_every_recorded_audit_action_has_a_label() -> None:
    """The audit viewer's labels cover every code the code base records (found in the source:
    the literal first argument of ``audit.record`` and ``AuditEntry``, both branches of a
    conditional), so a new action cannot show up raw."""
    import ast

    from referral.audit.labels import ACTION_LABELS, OBJECT_LABELS
    from referral.referrals.lifecycle import Action

    codes: set[str] = set()
    for source in (ROOT / "referral").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
            if name not in ("record", "AuditEntry", "_close"):
                continue
            argument = node.args[-1] if name == "_close" else node.args[0]
            codes.update(sub.value for sub in ast.walk(argument)
                         if isinstance(sub, ast.Constant) and isinstance(sub.value, str)
                         and re.fullmatch(r"[a-z_]+(?:\.[a-z_]+)?", sub.value))
    # f"referral.{move.action}": the lifecycle's actions and the moves recorded by name.
    codes |= {f"referral.{a.value}" for a in Action} | {
        "referral.send", "referral.open", "referral.reassigned_in"}
    codes |= {f"access_request.{s}" for s in ("granted", "refused")}
    missing = sorted(c for c in codes if c not in ACTION_LABELS)
    assert not missing, f"audit actions without a label in referral/audit/labels.py: {missing}"
    assert {"case", "referral", "user", "agency"} <= set(OBJECT_LABELS)


def test_codes_become_words_and_unknown_codes_stay_codes(app: Any) -> None:
    """The label functions behind the audit log, the health page and the filters."""
    from flask_babel import force_locale

    from referral.audit.labels import action_label, object_label, outcome_label
    from referral.notifications.health import describe_error
    from referral.web.labels import region_name, risk_label, role_label, timezone_label

    with app.test_request_context(), force_locale("ru"):
        assert action_label("case.view") == "Случай просмотрен"
        assert action_label("case.access") == "Попытка открыть: случай"
        assert action_label("someday.new_code") == "someday.new_code"
        assert object_label("case", 14) == "случай #14"
        assert outcome_label("denied") == "Отказано"
        assert describe_error("ConnectionRefusedError: [Errno 111] Connection refused") \
            == "Не удаётся подключиться к почтовому серверу"
        refused = describe_error("550 5.1.1 <x@y.kz>: Recipient address rejected")
        assert "550" in refused and "Recipient" not in refused
        assert "Error" not in describe_error("OSError: something odd")
        assert risk_label("high") == "Высокий" and role_label("officer").startswith("Специалист")
        assert timezone_label("Asia/Almaty") == "время Алматы"
        assert region_name("KZ-99") == "KZ-99"  # no such region: the code, not an error
    with app.test_request_context(), force_locale("kk"):
        assert timezone_label() == "Алматы уақыты"
