"""Bad input never reaches a 500 (issue 17): every route of ``app.url_map`` gets hostile values.

The walk logs in as an officer, a coordinator and an administrator (CSRF on, as in production)
over a world holding one row of each kind a route can name, and sends each route: ids beyond the
database's integer range in every ``<int:…>`` (404), query strings of oversize and odd numbers and
extreme dates, form bodies whose every field holds an oversize number, a long text, an extreme
date or a NUL, bytes that are not UTF-8 (400) and bodies that are not a form (400). No answer may
be a 5xx; unexpected exceptions are not propagated, so a 500 is seen as the user would see it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter, Rule

import referral
from referral.access.permissions import Role
from referral.cases import notes
from referral.cases.models import CaseNote
from referral.coordination.service import actions as action_service
from referral.coordination.service import conferences
from referral.extensions import db
from referral.web.forms import HIDDEN_MAX, MULTI_LINE_MAX, SINGLE_LINE_MAX
from tests.cases.factories import SURVIVOR, add_person, as_system
from tests.coordination.factories import (
    NOW,
    make_assessment,
    make_case,
    make_incident,
    make_measure,
    make_referral,
)
from tests.fixtures import PASSWORD, actor, fresh, make_user
from tests.foundation.factories import csrf_token_from, login_with_csrf

pytestmark = pytest.mark.app_config(WTF_CSRF_ENABLED=True, PROPAGATE_UNEXPECTED=False)

# Past PostgreSQL's integer, past 64 bits, past the digits Python's int() reads.
OVERSIZE_IDS = ("2147483648", "18446744073709551616", "9" * 5000)
HUGE = "9" * 25
QUERY = {
    **{name: HUGE for name in ("agency", "district", "page", "before", "case_id", "previous",
                               "actor", "object_id", "use_person")},
    "region": "KZ-75", "status": "open", "risk": "high", "sort": "oldest", "repeat": "1",
    "from": "0001-01-01", "to": "9999-12-31", "since": "0001-01-01", "until": "9999-12-31",
    "start": "0001-01-01", "end": "9999-12-31", "granularity": "week", "service": "shelter",
    "urgency": "urgent", "section": "overdue", "closed": "1", "type": "protective_order",
    "role": "child", "next": "/cases",
}
ODD_NUMBERS = {"agency": "1e99", "district": "²", "page": "-" + HUGE, "before": "٣" * 30,
               "case_id": "0x10", "actor": " 7 ", "start": "2026-02-30"}
# A text longer than any String column (the longest holds 400) yet within most multi-line
# limits, so that it reaches the services where a form lets it through.
LONG_TEXT = "x" * 601
FORM_VALUES = (HUGE, LONG_TEXT, "0001-01-01", "9999-12-31T23:59", "a\x00b")
NOT_UTF8_FORM = b"csrf_token=%s&body=%%FF%%FE&text=%%C3%%28"
SKIPPED_POSTS = {"accounts.logout"}  # would end the walk's own session


def _query(values: dict[str, str]) -> dict[str, str]:
    """``values``, and an oversize number for every other name the code reads from the query
    string (found in the source, so a parameter added later is walked too)."""
    found: set[str] = set()
    for source in Path(referral.__file__).parent.rglob("*.py"):
        found.update(re.findall(r'args\.get\(\s*"([a-z_]+)"', source.read_text("utf-8")))
    return {**{name: HUGE for name in found}, **values}


def _forms() -> list[FlaskForm]:
    """One instance of every form the app defines (the app has imported every domain's views;
    the risk form's class is built on demand). Needs a request context."""
    from referral.cases.forms import risk_form_class

    risk_form_class()
    forms = []
    pending = list(FlaskForm.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("referral."):
            forms.append(cls(formdata=None))
    return forms


def _form_field_names(app: Flask) -> list[str]:
    """The name of every field of every form, and of the few values views read directly."""
    names: set[str] = {"use_person", "confirm_new", "language", "next"}
    with app.test_request_context():
        for form in _forms():
            names.update(field.name for field in form)
    names.discard("csrf_token")
    return sorted(names)


@pytest.fixture
def hostile_world(world: dict[str, Any]) -> dict[str, Any]:
    """One row of each kind a route names, and the users who walk the routes."""
    w = dict(world)
    officer, coordinator = w["officer"], w["coordinator"]
    spare_agency = w["other_agency"]
    spare_user = make_user(spare_agency, Role.OFFICER, email="spare@test.example.org")
    case = make_case(w["police"], officer, risk_level="high", members=(officer,))
    survivor = add_person(actor(officer), case, SURVIVOR, "survivor",
                          relationship_to_offender="former_spouse")
    note = notes.add_note(actor(officer), case.id, "First note")
    with as_system():
        make_incident(case, officer, occurred_at=NOW - timedelta(days=4))  # for the case page
        assessment = make_assessment(case, officer, level="high")
        measure = make_measure(case, officer, starts_on=NOW.date(),
                               ends_on=NOW.date() + timedelta(days=30))
        referral = make_referral(case, officer, w["crisis_agency"])
    coord = actor(coordinator)
    conference = conferences.schedule_conference(
        coord, region_code="KZ-75", scheduled_at=NOW + timedelta(days=3), location="Room 4")
    item = conferences.add_case_to_agenda(coord, conference_id=conference.id, case_id=case.id)
    action = action_service.assign_action(
        coord, item_id=item.id, agency_id=w["police"].id, owner_user_id=officer.id,
        description="Check the order", due_on=NOW.date() + timedelta(days=7), today=NOW.date())
    db.session.commit()
    w["ids"] = {
        "case_id": case.id, "participant_id": survivor.id, "note_id": note.id,
        "assessment_id": assessment.id, "measure_id": measure.id,
        "referral_id": referral.id, "conference_id": conference.id, "item_id": item.id,
        "action_id": action.id, "agency_id": spare_agency.id, "user_id": spare_user.id,
        "active": 1,
    }
    return w


class Walker:
    """A logged-in client that records every answer of 500 or more."""

    def __init__(self, app: Flask, email: str) -> None:
        self.client = app.test_client()
        response = login_with_csrf(self.client, email, PASSWORD)
        assert response.status_code == 302, f"{email} could not log in"
        # Every page's layout holds a form (language, log out) with the session's token.
        self.token = csrf_token_from(self.client.get("/account/password").get_data(as_text=True))
        self.failures: list[str] = []
        self.count = 0

    def send(self, method: str, path: str, *, expect: int | None = None, **kwargs: Any) -> int:
        response = self.client.open(path, method=method, **kwargs)
        self.count += 1
        shown = f"{method} {path[:90]} {str(kwargs.get('data', ''))[:60]!r}"
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} {shown}")
        elif expect is not None and response.status_code != expect:
            self.failures.append(f"{response.status_code} (expected {expect}) {shown}")
        return response.status_code


def _routes(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


_PLACEHOLDER = 7654321


def _path(rule: Rule, ids: dict[str, int], **override: str) -> str:
    """The rule's path with real ids; ``override`` puts raw text in place of one variable (a
    5,000-digit number cannot go through the converter that builds URLs)."""
    values: dict[str, Any] = {}
    for name, converter in rule._converters.items():
        values[name] = ids.get(name, 1) if isinstance(converter, IntegerConverter) else "x"
    values.update({name: _PLACEHOLDER for name in override})
    built = rule.build(values, append_unknown=False)
    assert built is not None
    path = built[1]
    for text in override.values():
        path = path.replace(str(_PLACEHOLDER), text, 1)
    return path


def _walk(app: Flask, walker: Walker, ids: dict[str, int], fields: list[str]) -> None:
    query, odd = _query(QUERY), _query(ODD_NUMBERS)
    for rule in _routes(app):
        methods = rule.methods or set()
        path = _path(rule, ids)
        # A route this user may not use (403, or 404 for a row outside their scope) answers
        # the same to every other value: the walk moves on, to stay quick.
        if "GET" in methods and walker.send("GET", path, query_string=query) not in (403, 404):
            walker.send("GET", path, query_string=odd)
        if "POST" in methods and rule.endpoint not in SKIPPED_POSTS:
            for value in FORM_VALUES:
                data = {name: value for name in fields}
                data["csrf_token"] = walker.token
                if walker.send("POST", path, data=data) in (403, 404):
                    break


def test_every_route_answers_hostile_input_without_a_server_error(
        app: Flask, hostile_world: dict[str, Any]) -> None:
    w = hostile_world
    fields = _form_field_names(app)
    walkers = {who: Walker(app, w[who].email) for who in ("officer", "coordinator", "admin")}

    admin = walkers["admin"]
    for rule in _routes(app):
        if rule.endpoint.startswith("api."):
            continue  # bearer-token only (401 here); schemathesis fuzzes the API with a token
        int_names = [n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        method = "GET" if "GET" in (rule.methods or set()) else "POST"
        for name in int_names:
            for value in OVERSIZE_IDS:
                admin.send(method, _path(rule, w["ids"], **{name: value}), expect=404,
                           data={"csrf_token": admin.token} if method == "POST" else None)
        path = _path(rule, w["ids"])
        admin.send(method, path + "?q=%FF%FE", expect=400,
                   data={"csrf_token": admin.token} if method == "POST" else None)
        if "POST" in (rule.methods or set()):
            admin.send("POST", path, expect=400, data=NOT_UTF8_FORM % admin.token.encode(),
                       content_type="application/x-www-form-urlencoded")
            admin.send("POST", path, expect=400, json={"body": {"nested": [1]}},
                       headers={"X-CSRFToken": admin.token})
    for path in ("/cases?q=a%00b", "/cases/%FF", "/invitation/a%00b", "/invitation/%C3%28"):
        admin.send("GET", path, expect=400)
    for content_type in ("text/plain", "multipart/form-data", "application/xml"):
        admin.send("POST", "/account/password", expect=400, data=b"x=1",
                   content_type=content_type, headers={"X-CSRFToken": admin.token})

    for walker in walkers.values():
        _walk(app, walker, w["ids"], fields)

    failures = [f for walker in walkers.values() for f in walker.failures]
    total = sum(walker.count for walker in walkers.values())
    assert not failures, f"{len(failures)} of {total} requests failed:\n" + "\n".join(failures)


def _note_count() -> int:
    with as_system():
        return db.session.scalar(select(func.count()).select_from(CaseNote)) or 0


def test_a_nul_in_a_note_is_refused_beside_the_field_and_not_stored(
        app: Flask, hostile_world: dict[str, Any]) -> None:
    case_id = hostile_world["ids"]["case_id"]
    walker = Walker(app, hostile_world["officer"].email)
    before = _note_count()
    response = walker.client.post(f"/cases/{case_id}/notes", data={
        "body": "Called the survivor\x00 at noon", "csrf_token": walker.token})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "invisible control characters" in html
    assert "Called the survivor" in html  # the form keeps what was typed
    fresh()
    assert _note_count() == before

    walker.client.post("/language", data={"language": "ru", "csrf_token": walker.token})
    html = walker.client.post(f"/cases/{case_id}/notes", data={
        "body": "Позвонила\x1b[31m", "csrf_token": walker.token}).get_data(as_text=True)
    assert "управляющие символы" in html

    # Tab and line breaks (CRLF, as a browser sends a textarea) are text, not control characters.
    response = walker.client.post(f"/cases/{case_id}/notes", data={
        "body": "Line one\r\n\tLine two", "csrf_token": walker.token})
    assert response.status_code == 302
    fresh()
    assert _note_count() == before + 1
    with as_system():  # (SQLite's LIKE stops at a NUL: compare in Python)
        bodies = db.session.execute(select(CaseNote.body)).scalars().all()
    assert "Line one\r\n\tLine two" in bodies
    assert not [body for body in bodies if "\x00" in body or "\x1b" in body]


def test_every_text_field_states_its_limit_and_the_server_enforces_it(
        app: Flask, hostile_world: dict[str, Any]) -> None:
    from wtforms import HiddenField, StringField

    with app.test_request_context():
        checked = 0
        for form in _forms():
            for field in form:
                if isinstance(field, StringField) and field.name != "csrf_token":
                    name = f"{type(form).__name__}.{field.name}"
                    assert field.flags.maxlength, f"{name} has no limit"
                    if not isinstance(field, HiddenField):
                        assert f'maxlength="{field.flags.maxlength}"' in str(field()), name
                    checked += 1
        assert checked > 50
    assert SINGLE_LINE_MAX <= 200 and HIDDEN_MAX <= 64 and MULTI_LINE_MAX <= 5000

    # A text the browser counts as at most 2,000 characters is accepted (CRLF counts as one);
    # one over the limit is refused in the user's language.
    case_id = hostile_world["ids"]["case_id"]
    walker = Walker(app, hostile_world["officer"].email)
    walker.client.post("/language", data={"language": "kk", "csrf_token": walker.token})
    page = walker.client.get(f"/cases/{case_id}/people/new").get_data(as_text=True)
    assert re.search(r'name="note"[^>]*maxlength="2000"|maxlength="2000"[^>]*name="note"', page)
    response = walker.client.post(f"/cases/{case_id}/people/new", data={
        "csrf_token": walker.token, "role": "child", "surname": "Ж" * 121, "given_name": "Dana"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "120" in page and "Field cannot be longer" not in page  # WTForms' own, in Kazakh


def test_fields_without_their_own_rules_get_the_defaults(app: Flask) -> None:
    """A form written without limits (as a new one may be) still refuses what it must."""
    from werkzeug.datastructures import MultiDict
    from wtforms import DateField, IntegerField, StringField, TextAreaField

    from referral.web.widgets import SelectField

    class Bare(FlaskForm):
        class Meta:
            csrf = False

        name = StringField("Name")
        story = TextAreaField("Story")
        count = IntegerField("Count")
        when = DateField("When")
        agency = SelectField("Agency", coerce=int, validate_choice=False)

    with app.test_request_context(headers={"Accept-Language": "ru"}):
        ok = Bare(MultiDict({"name": "Айгуль", "story": "a\r\n\tb", "count": "3",
                             "when": "2026-03-01", "agency": "5"}))
        assert ok.validate(), ok.errors
        assert 'maxlength="200"' in str(ok.name()) and 'maxlength="5000"' in str(ok.story())
        bad = Bare(MultiDict({"name": "a\tb", "story": "x" * 5001 + "\r", "count": "9" * 20,
                              "when": "0001-01-01", "agency": "9" * 20}))
        assert not bad.validate()
        assert set(bad.errors) == {"name", "story", "count", "when", "agency"}
        assert bad.agency.data is None and bad.when.data is None
        assert "одной строкой" in bad.errors["name"][0]
        assert "управляющие символы" in " ".join(bad.errors["story"])
        assert bad.errors["count"] == ["Слишком большое число."]
        # CRLF counts as one character, as the browser counts it for maxlength.
        assert Bare(MultiDict({"story": "x\r\n" * 2500})).validate()
        assert not Bare(MultiDict({"story": "x\r\n" * 2501})).validate()


def test_no_form_accepts_more_text_than_its_column_holds(app: Flask) -> None:
    """A field named as a column of its domain's tables fits one of them (PostgreSQL refuses a
    longer value with an error, SQLite stores it): the form's limit is the column's or less."""
    import importlib

    from sqlalchemy import String, Text
    from wtforms import StringField

    too_long = []
    pairs = 0
    with app.test_request_context():
        for form in _forms():
            domain = type(form).__module__.split(".")[1]
            try:
                models = importlib.import_module(f"referral.{domain}.models")
            except ImportError:
                continue
            tables = {getattr(m, "__table__", None) for m in vars(models).values()} - {None}
            for field in form:
                if not isinstance(field, StringField) or field.name == "csrf_token":
                    continue
                columns = [t.c[field.name] for t in tables if field.name in t.c]
                texts = [c for c in columns if isinstance(c.type, String | Text)]
                if not texts:
                    continue
                pairs += 1
                if all(c.type.length and c.type.length < field.flags.maxlength for c in texts):
                    too_long.append(f"{type(form).__name__}.{field.name}: "
                                    f"{field.flags.maxlength} > {[str(c) for c in texts]}")
    assert pairs > 30
    assert not too_long


def test_a_refused_request_says_why_in_the_users_language(
        app: Flask, hostile_world: dict[str, Any]) -> None:
    walker = Walker(app, hostile_world["officer"].email)
    response = walker.client.get("/cases?q=%FF%FE")
    assert response.status_code == 400
    assert "not valid text" in response.get_data(as_text=True)

    walker.client.post("/language", data={"language": "ru", "csrf_token": walker.token})
    response = walker.client.post("/account/password", json={"password": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-testid="error-reason"' in html
    assert "request was not sent" not in html  # the reason in Russian, not English
    # Werkzeug's own English descriptions are never shown as the reason.
    response = walker.client.get("/logout")  # POST only: 405, Werkzeug's English text
    assert response.status_code == 405
    assert 'data-testid="error-reason"' not in response.get_data(as_text=True)
