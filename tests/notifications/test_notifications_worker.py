"""The Celery side with real parts: a worker in this process on the machine's Redis, and a real
SMTP server. Nothing here runs eagerly.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import timedelta
from typing import Any

import pytest
from celery.signals import before_task_publish, task_postrun
from sqlalchemy import func, select

from referral.access.scope import acting_as, system_actor
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications import jobs
from referral.notifications.models import Delivery, DeliveryStatus, Notification
from referral.referrals.models import Referral
from tests.fixtures import actor, fresh, login
from tests.notifications.factories import (
    SURVIVOR,
    TEST_KIND,
    add_survivor,
    make_case,
    make_referral,
    wait_for,
)

pytestmark = pytest.mark.redis

PUBLISH, SWEEP, DELIVER = ("referral.notifications.publish", "referral.notifications.sweep",
                           "referral.notifications.deliver")
CLOSED_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


@pytest.fixture
def wire() -> Any:
    """Every task message published in this process, as (task name, args, kwargs)."""
    seen: list[tuple[str, Any, Any]] = []

    def record(sender: str | None = None, body: Any = None, headers: Any = None,
               **_: Any) -> None:
        args, kwargs, _embed = body
        seen.append((headers.get("task") or sender, args, kwargs))

    before_task_publish.connect(record, weak=False)
    yield seen
    before_task_publish.disconnect(record)


@pytest.fixture
def finished() -> Any:
    """Names of the tasks the worker has finished, in order."""
    done: list[str] = []

    def record(sender: Any = None, **_: Any) -> None:
        done.append(sender.name)

    task_postrun.connect(record, weak=False)
    yield done
    task_postrun.disconnect(record)


def _assert_ids_only(messages: list[tuple[str, Any, Any]]) -> None:
    assert messages
    for _name, args, kwargs in messages:
        assert all(isinstance(a, int) for a in args), args
        assert kwargs == {}


def _case_with_survivor(world):
    case = make_case(world["police"], world["officer"])
    add_survivor(case)
    db.session.commit()
    return case


def _send_referral_in_app(client, world, case) -> Any:
    login(client, world["officer"])
    return client.post(f"/referrals/new?case_id={case.id}&service=shelter", data={
        "token": secrets.token_urlsafe(16), "service_code": "shelter",
        "receiver_agency_id": world["crisis_agency"].id, "urgency": "urgent",
        "reason": "Needs a safe place tonight", "consented": "yes",
        "categories": ["identity_contact"]})


def _emails_to(smtp, address: str) -> list:
    return smtp.to(address)


def test_a_referral_sent_in_the_app_produces_exactly_one_email(
        client, world, smtp, celery_app, worker, wire, finished):
    case = _case_with_survivor(world)
    response = _send_referral_in_app(client, world, case)
    page = response.get_data(as_text=True)
    assert response.status_code == 302, page[page.find("<main"):][:3000]
    fresh()
    with acting_as(system_actor("test")):
        referral = db.session.execute(select(Referral)).scalar_one()
    celery_app.send_task(PUBLISH)
    wait_for(lambda: smtp.messages, what="the e-mail")
    celery_app.send_task(PUBLISH)  # the next beat finds nothing more to send
    wait_for(lambda: finished.count(PUBLISH) == 2, what="the second publish")
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.recipients == [world["crisis"].email]
    assert referral.reference in mail.subject
    for secret in [*SURVIVOR.values(), world["officer"].full_name, "Needs a safe place"]:
        assert secret not in mail.subject and secret not in mail.body
    _assert_ids_only([m for m in wire if m[0] == DELIVER])


def test_broker_down_at_submit_the_action_succeeds_and_the_email_follows(
        app, client, world, smtp, redis_db, monkeypatch, wire):
    import kombu
    import redis

    from tests.conftest import TEST_REDIS_URL
    from workers import celery_init_app

    app.config["CELERY_BROKER_URL"] = CLOSED_BROKER
    celery_init_app(app)  # the app is wired to a broker that is down
    case = _case_with_survivor(world)
    touched: list[str] = []
    real_kombu, real_redis = kombu.Connection.__init__, redis.connection.Connection.connect
    monkeypatch.setattr(kombu.Connection, "__init__", lambda self, *a, **k: (
        touched.append("kombu"), real_kombu(self, *a, **k))[1])
    # Only connections to the broker count: the login's rate limiter keeps its counts in the
    # application's own Redis (REDIS_URL), which is up.
    monkeypatch.setattr(redis.connection.Connection, "connect", lambda self, *a, **k: (
        touched.append("redis") if getattr(self, "port", None) == 1 else None,
        real_redis(self, *a, **k))[1])
    response = _send_referral_in_app(client, world, case)
    assert response.status_code == 302
    assert touched == [] and wire == []  # the request never talked to the broker
    monkeypatch.undo()
    fresh()
    assert db.session.execute(select(func.count()).select_from(Notification).where(
        Notification.user_id == world["crisis"].id)).scalar_one() == 1  # in-app at once
    # The broker comes back: the worker and the next beat deliver exactly one e-mail.
    app.config["CELERY_BROKER_URL"] = TEST_REDIS_URL
    revived = celery_init_app(app)
    from celery.contrib.testing.worker import start_worker

    with start_worker(revived, pool="solo", perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=20):
        revived.send_task(PUBLISH)
        revived.send_task(PUBLISH)
        wait_for(lambda: smtp.messages, what="the e-mail after the broker returned")
        wait_for(lambda: _delivery_statuses() == [DeliveryStatus.SENT], what="sent")
    assert len(smtp.messages) == 1


def _delivery_statuses() -> list[str]:
    fresh()
    return db.session.execute(select(Delivery.status).order_by(Delivery.id)).scalars().all()


def _ping(world):
    case = make_case(world["police"], world["officer"])
    with acting_as(actor(world["officer"])):
        emit(TEST_KIND, subject_type="case", subject_id=case.id, case_id=case.id,
             receiver_agency_id=world["crisis_agency"].id)
    db.session.commit()


def test_smtp_421_then_accepting_is_retried_and_delivered(
        world, smtp, celery_app, worker, wire, finished):
    smtp.replies.extend(["421 Service not available, closing channel"] * 2)
    _ping(world)
    celery_app.send_task(PUBLISH)
    wait_for(lambda: smtp.messages, what="delivery after two refusals")
    wait_for(lambda: _delivery_statuses() == [DeliveryStatus.SENT], what="sent")
    fresh()
    assert db.session.execute(select(Delivery.attempts)).scalar_one() == 3
    assert finished.count(DELIVER) == 3
    assert len(smtp.messages) == 1
    _assert_ids_only([m for m in wire if m[0] == DELIVER])  # the retries carry ids only too


def test_smtp_550_fails_at_once_and_alerts_administrators(
        world, smtp, celery_app, worker, finished):
    smtp.replies.append("550 Requested action not taken: mailbox unavailable")
    _ping(world)
    celery_app.send_task(PUBLISH)
    wait_for(lambda: _delivery_statuses() == [DeliveryStatus.FAILED], what="failed")
    fresh()
    assert db.session.execute(select(Delivery.attempts)).scalar_one() == 1
    alerts = db.session.execute(select(Notification).where(
        Notification.user_id == world["admin"].id,
        Notification.kind == "system.delivery_failed")).scalars().all()
    assert len(alerts) == 1
    assert finished.count(DELIVER) == 1 and smtp.messages == []


def test_a_redelivered_task_sends_once(world, smtp, celery_app, worker, finished):
    import workers.tasks as tasks

    _ping(world)
    [delivery_id] = _queued_without_broker()
    for _ in range(3):  # the same message delivered again (visibility timeout, lost ack)
        tasks.deliver.apply_async(args=[delivery_id])
    wait_for(lambda: finished.count(DELIVER) == 3, what="three deliver runs")
    assert len(smtp.messages) == 1


def _queued_without_broker() -> list[int]:
    queued: list[int] = []
    jobs.publish(queued.append)
    return queued


def test_duplicated_beat_gives_one_reminder_and_one_escalation(
        world, smtp, celery_app, worker, finished):
    now = utcnow()
    case = make_case(world["police"], world["officer"], risk_level="high",
                     high_risk_flagged_at=now - timedelta(days=3))
    make_referral(case, world["officer"], world["crisis_agency"],
                  sent_at=now - timedelta(hours=6), window=timedelta(hours=10))
    db.session.commit()
    for _ in range(3):  # three beats fire at once
        celery_app.send_task(SWEEP)
    wait_for(lambda: finished.count(SWEEP) == 3, what="three sweeps")
    for _ in range(2):
        celery_app.send_task(PUBLISH)
    wait_for(lambda: finished.count(PUBLISH) == 2, what="two publishes")
    wait_for(lambda: set(_delivery_statuses()) == {DeliveryStatus.SENT}, what="deliveries")
    reminders = [m for m in smtp.messages if "awaits an answer" in m.subject]
    escalations = [m for m in smtp.messages if "has no accepted referral" in m.subject]
    assert [m.recipients for m in reminders] == [[world["crisis"].email]]
    assert [m.recipients for m in escalations] == [[world["coordinator"].email]]


def _raw_messages(redis_client) -> list[dict]:
    return [json.loads(raw) for raw in redis_client.lrange("celery", 0, -1)]


def test_every_message_on_the_wire_carries_ids_only(
        client, world, smtp, celery_app, redis_db, finished):
    """A full workflow; then read the messages as they sit in Redis, before any worker runs."""
    import workers.tasks as tasks
    from referral.referrals import service as referral_service

    case = _case_with_survivor(world)
    assert _send_referral_in_app(client, world, case).status_code == 302
    fresh()
    with acting_as(system_actor("test")):
        referral_id = db.session.execute(select(Referral.id)).scalar_one()
    with acting_as(actor(world["crisis"])) as crisis:
        referral_service.accept_referral(crisis, referral_id=referral_id)
        referral_service.start_progress(crisis, referral_id=referral_id)
        db.session.commit()
    late = make_referral(case, world["officer"], world["crisis_agency"],
                         sent_at=utcnow() - timedelta(days=2), window=timedelta(hours=24))
    db.session.commit()
    jobs.sweep_reminders()  # expires the late one: sender and coordinator told
    tasks.publish.apply_async()  # a beat message, as the scheduler sends it
    tasks.sweep.apply_async()
    jobs.publish(tasks._enqueue)  # deliveries for every event, handed to Redis by id
    raw = _raw_messages(redis_db)
    assert len(raw) >= 5
    secrets_ = [*SURVIVOR.values(), world["officer"].full_name, world["crisis"].full_name,
                world["crisis"].email, "Needs a safe place"]
    for message in raw:
        assert message["content-type"] == "application/json"
        args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        assert all(isinstance(a, int) for a in args) and kwargs == {}
        text = json.dumps(message) + base64.b64decode(message["body"]).decode()
        for secret in secrets_:
            assert secret not in text
    delivers = [m for m in raw if m["headers"]["task"] == DELIVER]
    assert {json.loads(base64.b64decode(m["body"]))[0][0] for m in delivers} == set(
        db.session.execute(select(Delivery.id)).scalars())
    with acting_as(system_actor("test")):
        assert db.session.execute(select(Referral.status).where(
            Referral.id == late.id)).scalar_one() == "expired"
