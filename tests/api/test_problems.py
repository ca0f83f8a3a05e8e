"""Every error under /api/v1 is an RFC 9457 problem document in the caller's language: unknown
paths, wrong methods, 401, 413, 415, 400, 422 with each field, domain refusals and the unexpected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, request
from pydantic import BaseModel, Field

import referral.api.views  # noqa: F401  - every operation declared
from referral.access.permissions import Role
from referral.api.spec import Operation, make_view
from referral.errors import DomainError, IllegalTransition
from referral.extensions import db
from tests.api.helpers import Api, token_for
from tests.fixtures import make_agency, make_user

PROBLEM = "application/problem+json"


def mount(app: Flask, method: str, rule: str, fn: Callable[..., Any], **options: Any) -> str:
    """An operation on ``app`` alone (outside the document and the other apps): its errors are
    the API blueprint's, as the endpoint is ``api.<name>``."""
    op = Operation(endpoint=f"test_{method.lower()}{fn.__name__}", method=method, rule=rule,
                   summary="test", tag="test", **options)
    app.add_url_rule("/api/v1" + rule, f"api.{op.endpoint}", make_view(op, fn),
                     methods=[method])
    return "/api/v1" + rule


class Thing(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    count: int = Field(ge=0)


def _record(record_id: int) -> dict[str, Any]:
    return {"id": record_id}


def _make(body: Thing) -> dict[str, Any]:
    if body.name == "refuse":
        raise DomainError("No such thing may be made.", field="name")
    if body.name == "conflict":
        raise IllegalTransition("Not now.")
    if body.name == "boom":
        raise RuntimeError("unexpected")
    return {"name": body.name}


@pytest.fixture
def api(app, ctx, client) -> Api:
    mount(app, "POST", "/test/things", _make, body=Thing, status=201)
    mount(app, "GET", "/test/records/<int:record_id>", _record)
    mount(app, "PUT", "/test/records/<int:record_id>", _record)
    user = make_user(make_agency("police"), Role.OFFICER)
    return Api(client, token_for(user))


def _is_problem(answer: Any, status: int, slug: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.data
    assert answer.mimetype == PROBLEM
    body = answer.json
    assert body["status"] == status
    assert body["type"].endswith(f"/api/v1/problems/{slug}")
    assert body["title"]
    assert answer.headers["Content-Language"] in ("en", "ru", "kk")
    return body


def test_unknown_path_and_wrong_method_are_problems_with_allow(api):
    _is_problem(api.get("/no-such-thing"), 404, "not-found")
    wrong = api.call("DELETE", "/me")
    _is_problem(wrong, 405, "method-not-allowed")
    assert "GET" in wrong.headers["Allow"]
    assert api.client.get("/api/v1/me").json["type"].endswith("/authentication-required")
    # An id no record can have: 404 whatever the method (Werkzeug would say 405).
    for method in ("GET", "PUT"):
        _is_problem(api.call(method, "/test/records/99999999999"), 404, "not-found")


def test_body_errors_415_400_413_and_422_with_each_field(app, api):
    _is_problem(api.call("POST", "/test/things", data="name=x",
                         headers={"Content-Type": "text/plain"}), 415, "unsupported-media-type")
    _is_problem(api.call("POST", "/test/things", data="{not json",
                         headers={"Content-Type": "application/json"}), 400, "bad-request")
    app.config["MAX_CONTENT_LENGTH"] = 200
    _is_problem(api.post("/test/things", json={"name": "x" * 500, "count": 1}), 413,
                "too-large")
    body = _is_problem(api.post("/test/things", json={"name": "", "extra": 1}), 422,
                       "invalid-request")
    fields = {e["pointer"]: e for e in body["errors"]}
    assert set(fields) == {"/name", "/count"}
    assert fields["/count"]["code"] == "missing" and fields["/count"]["in"] == "body"
    assert api.post("/test/things", json={"name": "ok", "count": 2}).status_code == 201
    huge = _is_problem(api.post("/test/things", json={"name": "ok", "count": 2**31}), 422,
                       "invalid-request")  # no row has such an id: refused before any query
    assert huge["errors"][0]["pointer"] == "/count"


def test_domain_refusals_keep_their_message_and_field(api):
    refused = _is_problem(api.post("/test/things", json={"name": "refuse", "count": 1}), 422,
                          "refused")
    assert refused["field"] == "name" and refused["detail"] == "No such thing may be made."
    _is_problem(api.post("/test/things", json={"name": "conflict", "count": 1}), 409,
                "conflict")


@pytest.mark.app_config(PROPAGATE_UNEXPECTED=False)
def test_the_unexpected_is_a_500_problem_without_details(api):
    body = _is_problem(api.post("/test/things", json={"name": "boom", "count": 1}), 500,
                       "internal-error")
    assert "unexpected" not in str(body) and "RuntimeError" not in str(body)


@pytest.mark.app_config(PROPAGATE_UNEXPECTED=False)
def test_a_failure_before_the_view_is_a_problem_too(app, api):
    def _fail() -> None:
        if request.path.endswith(("/me", "/nothing")):
            raise RuntimeError("before the view")

    app.before_request(_fail)
    _is_problem(api.get("/me"), 500, "internal-error")
    _is_problem(api.get("/nothing"), 500, "internal-error")  # no view: the app's handler


def test_a_russian_caller_reads_russian_and_a_kazakh_one_kazakh(api):
    api.headers["Accept-Language"] = "ru-RU,ru;q=0.9"
    ru = _is_problem(api.post("/test/things", json={}), 422, "invalid-request")
    assert ru["title"] == "Запрос недействителен"
    assert ru["errors"][0]["detail"] == "Это поле обязательно."
    assert api.call("DELETE", "/me").json["title"] == "Метод не разрешён"
    assert api.get("/nothing").headers["Content-Language"] == "ru"
    assert api.get("/me").headers["Content-Language"] == "ru"  # answers that are no problem too
    api.headers["Accept-Language"] = "kk"
    kk = _is_problem(api.post("/test/things", json={}), 422, "invalid-request")
    assert kk["title"] == "Сұрау жарамсыз"
    anonymous = api.client.get("/api/v1/me", headers={"Accept-Language": "kk"})
    assert anonymous.json["title"] == "Аутентификация қажет"
    assert anonymous.headers["Content-Language"] == "kk"


def test_without_accept_language_the_tokens_user_language_counts(app, ctx, client):
    mount(app, "POST", "/test/things", _make, body=Thing)
    user = make_user(make_agency("police"), Role.OFFICER)
    user.locale = "kk"
    db.session.commit()
    api = Api(client, token_for(user))
    answer = api.post("/test/things", json={})
    assert answer.json["title"] == "Сұрау жарамсыз"
    assert answer.headers["Content-Language"] == "kk"
    english = api.post("/test/things", json={}, headers={"Accept-Language": "en"})
    assert english.json["title"] == "The request is not valid"


def test_a_session_cookie_does_not_choose_the_language(app, ctx, client):
    with client.session_transaction() as session:
        session["locale"] = "ru"
    assert client.get("/api/v1/me").json["title"] == "Authentication required"


def test_every_problem_type_has_a_page_in_the_readers_language(api):
    page = api.client.get("/api/v1/problems/idempotency-key-reused",
                          headers={"Accept-Language": "ru"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Idempotency-Key уже использован для другого запроса" in page.get_data(as_text=True)
    assert api.client.get("/api/v1/problems/nothing-like-it").mimetype == PROBLEM
