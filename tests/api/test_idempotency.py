"""Idempotency-Key: a retried POST creates one record and gets the first answer again; the key
with another request is refused; concurrent calls with one key run once; keys expire."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select, update

import referral.api.views  # noqa: F401  - every operation declared
from referral.access.permissions import Role
from referral.access.scope import acting_as, system_actor
from referral.api import idempotency
from referral.api.models import IdempotentRequest
from referral.api.spec import Reply
from referral.cases.models import Case
from referral.errors import DomainError
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.rules import registered_rules
from tests.api.helpers import Api, token_for
from tests.api.test_problems import mount
from tests.fixtures import make_agency, make_user

MADE: list[str] = []
_lock = threading.Lock()


class Order(BaseModel):
    name: str
    slow: bool = False


def _make(body: Order) -> Reply:
    if body.name == "refuse":
        raise DomainError("Not this one.")
    if body.name == "boom":
        raise RuntimeError("unexpected")
    if body.slow:
        time.sleep(0.6)
    with _lock:
        MADE.append(body.name)
        number = len(MADE)
    return Reply({"number": number, "name": body.name}, status=201,
                 headers={"Location": f"/api/v1/orders/{number}", "ETag": '"1"'})


@pytest.fixture
def api(app, ctx, client) -> Api:
    MADE.clear()
    mount(app, "POST", "/test/orders", _make, body=Order, status=201, idempotent=True)
    return Api(client, token_for(make_user(make_agency("police"), Role.OFFICER)))


def _rows() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(IdempotentRequest)).scalar_one()


def test_a_retry_replays_the_first_answer_and_creates_nothing(api):
    key = {"Idempotency-Key": "order-1"}
    first = api.post("/test/orders", json={"name": "a"}, headers=key)
    again = api.post("/test/orders", json={"name": "a"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json == {"number": 1, "name": "a"}
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == '"1"'
    assert MADE == ["a"] and _rows() == 1
    other = api.post("/test/orders", json={"name": "a"}, headers={"Idempotency-Key": "order-2"})
    assert other.json["number"] == 2  # another key is another request
    assert api.post("/test/orders", json={"name": "a"}).json["number"] == 3  # no key: no memory


def test_the_same_key_with_another_request_is_refused(api):
    key = {"Idempotency-Key": "order-1"}
    api.post("/test/orders", json={"name": "a"}, headers=key)
    reused = api.post("/test/orders", json={"name": "b"}, headers=key)
    assert reused.status_code == 422 and reused.json["type"].endswith("/idempotency-key-reused")
    elsewhere = api.post("/test/orders?x=1", json={"name": "a"}, headers=key)
    assert elsewhere.status_code == 422
    assert MADE == ["a"]


def test_each_token_has_its_own_keys(api, client):
    other = Api(client, token_for(make_user(make_agency("crisis_center"), Role.OFFICER)))
    key = {"Idempotency-Key": "shared-key"}
    assert api.post("/test/orders", json={"name": "a"}, headers=key).json["number"] == 1
    assert other.post("/test/orders", json={"name": "a"}, headers=key).json["number"] == 2


def test_refusals_of_rules_are_kept_but_invalid_bodies_and_failures_are_not(app, api):
    key = {"Idempotency-Key": "k-1"}
    invalid = api.post("/test/orders", json={"nom": "a"}, headers=key)
    assert invalid.status_code == 422 and _rows() == 0  # field validation: key released
    assert api.post("/test/orders", json={"name": "a"}, headers=key).status_code == 201
    refuse = {"Idempotency-Key": "k-2"}
    assert api.post("/test/orders", json={"name": "refuse"}, headers=refuse).status_code == 422
    kept = api.post("/test/orders", json={"name": "refuse"}, headers=refuse)
    assert kept.status_code == 422 and kept.headers["Idempotent-Replayed"] == "true"
    assert kept.json["type"].endswith("/refused")
    app.config["PROPAGATE_UNEXPECTED"] = False
    boom = {"Idempotency-Key": "k-3"}
    assert api.post("/test/orders", json={"name": "boom"}, headers=boom).status_code == 500
    assert _rows() == 2  # the 500 released its key
    assert api.post("/test/orders", json={"name": "boom"}, headers=boom).status_code == 500


def test_a_malformed_key_is_a_bad_request(api):
    for key in ("", "x" * 256, "with space", "ключ"):
        answer = api.call("POST", "/test/orders", json={"name": "a"},
                          headers={"Idempotency-Key": key.encode().decode("latin-1")})
        assert answer.status_code == 400, key
    assert MADE == []


def test_a_call_still_running_answers_409_with_retry_after(api):
    key = {"Idempotency-Key": "running"}
    api.post("/test/orders", json={"name": "a"}, headers=key)
    db.session.execute(update(IdempotentRequest).values(status=idempotency.IN_PROGRESS))
    db.session.commit()
    busy = api.post("/test/orders", json={"name": "a"}, headers=key)
    assert busy.status_code == 409 and busy.headers["Retry-After"] == "1"
    assert busy.json["type"].endswith("/idempotency-key-in-use")
    # Still "running" after minutes: its process died; the key is released and the call runs.
    db.session.execute(update(IdempotentRequest).values(
        created_at=utcnow() - idempotency.ABANDONED_AFTER - timedelta(seconds=1)))
    db.session.commit()
    assert api.post("/test/orders", json={"name": "a"}, headers=key).json["number"] == 2


def test_keys_expire_after_a_day_and_the_sweep_deletes_them(api):
    key = {"Idempotency-Key": "old"}
    api.post("/test/orders", json={"name": "a"}, headers=key)
    db.session.execute(update(IdempotentRequest).values(
        created_at=utcnow() - idempotency.TTL - timedelta(minutes=1)))
    db.session.commit()
    # Older than a day but not yet swept: treated as absent, so the call runs again.
    assert api.post("/test/orders", json={"name": "a"}, headers=key).json["number"] == 2
    assert idempotency.purge_expired(now=utcnow()) == 0
    assert idempotency.purge_expired(now=utcnow() + idempotency.TTL + timedelta(minutes=1)) == 1
    db.session.commit()
    assert _rows() == 0
    assert "api_idempotency_keys" in dict(registered_rules())


def _concurrent(app: Any, secret: str, body: dict[str, Any], n: int) -> list[Any]:
    barrier = threading.Barrier(n)
    answers: list[Any] = [None] * n

    def call(i: int) -> None:
        api = Api(app.test_client(), secret)
        barrier.wait()
        answers[i] = api.post("/test/orders", json=body, headers={"Idempotency-Key": "once"})

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


@pytest.mark.postgres
def test_concurrent_calls_with_one_key_run_once(app, ctx):
    MADE.clear()
    mount(app, "POST", "/test/orders", _make, body=Order, status=201, idempotent=True)
    secret = token_for(make_user(make_agency("police"), Role.OFFICER))
    answers = _concurrent(app, secret, {"name": "a", "slow": True}, 4)
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) == 1 and statuses.count(409) == 3, statuses
    assert MADE == ["a"] and _rows() == 1
    replay = Api(app.test_client(), secret).post(
        "/test/orders", json={"name": "a", "slow": True}, headers={"Idempotency-Key": "once"})
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"


def test_a_retried_case_creation_opens_one_case(ctx, client):
    api = Api(client, token_for(make_user(make_agency("police"), Role.OFFICER)))
    key = {"Idempotency-Key": "new-case-1"}
    first = api.post("/cases", json={"region_code": "KZ-75"}, headers=key)
    again = api.post("/cases", json={"region_code": "KZ-75"}, headers=key)
    assert first.status_code == 201, first.data
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    db.session.rollback()
    with acting_as(system_actor("test: count cases")):
        assert db.session.execute(select(func.count()).select_from(Case)).scalar_one() == 1


def test_a_search_is_never_stored_under_its_key(app, ctx, client):
    """The IIN search is a POST that only reads: its answer names people, so it is not kept for
    a day in the idempotency table; a retry simply searches again."""
    from tests.cases import factories as cf
    from tests.fixtures import actor

    agency = make_agency("police")
    officer = make_user(agency, Role.OFFICER)
    cf.family_case(actor(officer))
    db.session.commit()
    api = Api(client, token_for(officer))
    headers = {"Idempotency-Key": "search-1"}
    first = api.post("/cases/search", json={"iin": cf.SURVIVOR.iin}, headers=headers)
    again = api.post("/cases/search", json={"iin": cf.SURVIVOR.iin}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert "Idempotent-Replayed" not in again.headers
    assert _rows() == 0
