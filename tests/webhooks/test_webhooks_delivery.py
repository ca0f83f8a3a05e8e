"""Webhooks end to end in this process: a real HTTP receiver on 127.0.0.1 gets signed POSTs
(verified with the reference ``standardwebhooks`` package), once each, with ids only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from referral.access.scope import acting_as, system_actor
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications import jobs as notification_jobs
from referral.notifications.links import target_path
from referral.notifications.models import Delivery, Notification
from referral.webhooks import delivery, jobs, service, signing
from referral.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from referral.webhooks.urls import UnsafeUrl, check_url
from tests.fixtures import actor, fresh
from tests.webhooks.helpers import (
    bodies,
    endpoint_for,
    manager_of,
    run_due,
    send_and_accept,
    sensitive_case,
)


def _rows() -> list[WebhookDelivery]:
    fresh()
    with acting_as(system_actor("test")):
        return list(db.session.execute(select(WebhookDelivery).order_by(
            WebhookDelivery.id)).scalars())


def test_one_accept_one_signed_delivery_per_endpoint(ctx, world, receiver):
    police, secret = endpoint_for(world["manager"], receiver.url)
    crisis, crisis_secret = endpoint_for(manager_of(world["crisis_agency"]), receiver.url)
    case, _words = sensitive_case(world)
    referral = send_and_accept(world, case)
    assert run_due() == 3  # received (crisis); accepted (police and crisis)
    assert run_due() == 0
    for delivery_id in [row.id for row in _rows()]:
        assert jobs.deliver(delivery_id) is False  # a duplicate message posts nothing
    assert len(receiver.requests) == 3
    by_secret = {police.id: secret, crisis.id: crisis_secret}
    for row, request in zip(_rows(), receiver.requests, strict=True):
        assert row.status == DeliveryStatus.DELIVERED and row.attempts == 1
        payload = Webhook(by_secret[row.endpoint_id]).verify(request.body, request.headers)
        assert payload["type"] == row.event_type
        assert request.headers["webhook-id"] == row.msg_id
    accepted = [b for b in bodies(receiver) if b["type"] == "referral.accepted"]
    assert len(accepted) == 2
    assert accepted[0]["data"]["referral_id"] == referral.id
    assert accepted[0]["data"]["links"]["self"].endswith(f"/api/v1/referrals/{referral.id}")
    assert accepted[0]["data"]["links"]["fhir_task"].endswith(f"/api/v1/fhir/Task/{referral.id}")
    assert [b["type"] for b in bodies(receiver)].count("referral.received") == 1


def test_no_personal_data_in_any_body(ctx, world, receiver):
    endpoint_for(world["manager"], receiver.url)
    endpoint_for(manager_of(world["crisis_agency"]), receiver.url)
    case, words = sensitive_case(world)
    send_and_accept(world, case)
    run_due()
    assert receiver.requests
    for request in receiver.requests:
        text = request.body + " ".join(request.headers.values())
        for word in words:
            assert word not in text, word


def test_an_agency_never_hears_of_another_agencys_referrals(ctx, world, receiver):
    other, _secret = endpoint_for(manager_of(world["other_agency"]), receiver.url)
    case, _words = sensitive_case(world)
    send_and_accept(world, case)
    run_due()
    assert not receiver.requests
    assert not [r for r in _rows() if r.endpoint_id == other.id]


def test_only_subscribed_types_are_sent(ctx, world, receiver):
    endpoint_for(world["manager"], receiver.url, types=["referral.declined"])
    case, _words = sensitive_case(world)
    send_and_accept(world, case)
    assert run_due() == 0 and not receiver.requests


def test_a_failing_receiver_is_retried_given_up_disabled_and_its_owner_told(
        ctx, world, receiver):
    endpoint, _secret = endpoint_for(world["manager"], receiver.url)
    receiver.status = 500
    for _ in range(2):
        case, _words = sensitive_case(world)
        send_and_accept(world, case)
        for _round in range(3):  # the first try and two retries (schedule 0, 0)
            run_due()
    rows = _rows()
    assert [r.status for r in rows] == [DeliveryStatus.GIVEN_UP] * 2
    assert [r.attempts for r in rows] == [3, 3]
    assert rows[0].last_status_code == 500 and rows[0].last_error == "http_error"
    assert len(receiver.requests) == 6
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 2  # stable across tries
    fresh()
    with acting_as(system_actor("test")):
        found = db.session.get(WebhookEndpoint, endpoint.id)
        assert not found.active and found.disabled_reason == "failing"
        event = db.session.execute(select(OutboxEvent).where(
            OutboxEvent.kind == "webhook.endpoint_disabled")).scalar_one()
        told = set(db.session.execute(select(Notification.user_id).where(
            Notification.event_id == event.id)).scalars())
    assert told == {world["manager"].id}
    handed: list[int] = []
    notification_jobs.publish(handed.append)  # the e-mail to the managers, by the outbox
    fresh()
    with acting_as(system_actor("test")):
        mailed = set(db.session.execute(select(Delivery.user_id).where(
            Delivery.event_id == event.id)).scalars())
    assert mailed == {world["manager"].id} and handed
    assert target_path("webhook_endpoint", endpoint.id) == f"/webhooks/{endpoint.id}"
    case, _words = sensitive_case(world)
    send_and_accept(world, case)
    run_due()
    assert len(receiver.requests) == 6  # nothing more goes to a disabled endpoint


def test_the_retry_waits_for_its_time(ctx, world, receiver, app):
    app.config["WEBHOOKS_RETRY_SCHEDULE"] = (300,)
    endpoint_for(world["manager"], receiver.url)
    receiver.status = 503
    send_and_accept(world, sensitive_case(world)[0])
    run_due()
    assert run_due() == 0  # not due yet
    [row] = _rows()
    assert row.status == DeliveryStatus.FAILED
    assert timedelta(seconds=260) < row.next_attempt_at - utcnow() < timedelta(seconds=331)
    receiver.status = 200
    assert run_due(now=utcnow() + timedelta(seconds=400)) == 1
    assert _rows()[0].status == DeliveryStatus.DELIVERED


def test_redirects_are_not_followed(ctx, world, receiver):
    endpoint_for(world["manager"], receiver.url)
    receiver.status = 302
    send_and_accept(world, sensitive_case(world)[0])
    run_due()
    assert len(receiver.requests) == 1
    assert _rows()[0].status == DeliveryStatus.FAILED


def test_a_lost_sending_row_is_handed_on_again(ctx, world, receiver):
    endpoint_for(world["manager"], receiver.url)
    send_and_accept(world, sensitive_case(world)[0])
    [row] = _rows()
    with acting_as(system_actor("test")):
        assert delivery.claim(row.id, now=utcnow()) is not None  # the worker then died
        db.session.commit()
    assert run_due() == 0
    assert run_due(now=utcnow() + timedelta(hours=1)) == 1
    [row] = _rows()
    assert row.status == DeliveryStatus.DELIVERED and row.attempts == 2


def test_a_rolled_secret_signs_beside_the_old_one_for_a_day(ctx, world, receiver):
    endpoint, old = endpoint_for(world["manager"], receiver.url)
    _endpoint, new = service.roll_secret(actor(world["manager"]), endpoint.id)
    db.session.commit()
    send_and_accept(world, sensitive_case(world)[0])
    run_due()
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(request.body, request.headers)
    Webhook(new).verify(request.body, request.headers)


def test_the_secret_is_sealed_at_rest(ctx, world, receiver):
    endpoint, secret = endpoint_for(world["manager"], receiver.url)
    assert secret.startswith("whsec_")
    assert secret not in endpoint.secret_sealed
    assert signing.unseal(endpoint.secret_sealed, endpoint.id) == secret
    assert signing.unseal(endpoint.secret_sealed, endpoint.id + 1) is None


def test_signature_matches_the_reference_implementation():
    secret = signing.new_secret()
    headers = signing.headers([secret], "msg_1", 1_700_000_000, '{"a":1}')
    expected = Webhook(secret).sign("msg_1", _dt(1_700_000_000), '{"a":1}')
    assert headers["webhook-signature"] == expected


def _dt(seconds: int):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, tz=UTC)


@pytest.mark.parametrize("url, allowed", [
    ("https://hooks.example.org/in", True),
    ("http://hooks.example.org/in", False),
    ("ftp://hooks.example.org/in", False),
    ("https://user:pw@hooks.example.org/in", False),
    ("http://localhost:8080/in", True),
    ("http://127.0.0.1/in", True),
])
def test_urls_in_development(app, url, allowed):
    with app.app_context():
        app.config["WEBHOOKS_ALLOW_HTTP_LOCALHOST"] = True
        if allowed:
            assert check_url(url, resolve=False) == url
        else:
            with pytest.raises(UnsafeUrl):
                check_url(url, resolve=False)


@pytest.mark.parametrize("url", [
    "http://localhost/in", "https://127.0.0.1/in", "https://10.0.0.5/in",
    "https://169.254.169.254/latest/meta-data", "https://[::1]/in", "https://192.168.1.1/x"])
def test_production_refuses_http_and_private_addresses(app, url):
    with app.app_context():
        app.config.update(WEBHOOKS_ALLOW_HTTP_LOCALHOST=False, WEBHOOKS_ALLOW_PRIVATE=False)
        with pytest.raises(UnsafeUrl):
            check_url(url)


def test_production_defaults_are_strict(app):
    from referral.webhooks.config import setting

    with app.app_context():
        app.config["ENV_NAME"] = "production"
        assert not setting("WEBHOOKS_ALLOW_HTTP_LOCALHOST")
        assert not setting("WEBHOOKS_ALLOW_PRIVATE")


def test_an_endpoint_failing_for_days_is_disabled_at_its_next_failure(ctx, world, receiver, app):
    app.config["WEBHOOKS_RETRY_SCHEDULE"] = (300,)
    endpoint, _secret = endpoint_for(world["manager"], receiver.url)
    with acting_as(system_actor("test")):
        found = db.session.get(WebhookEndpoint, endpoint.id)
        found.failing_since = utcnow() - timedelta(days=6)
        db.session.commit()
    receiver.status = 500
    send_and_accept(world, sensitive_case(world)[0])
    run_due()
    fresh()
    with acting_as(system_actor("test")):
        assert not db.session.get(WebhookEndpoint, endpoint.id).active


def test_the_command_delivers_what_is_due(app, ctx, world, receiver):
    endpoint_for(world["manager"], receiver.url)
    send_and_accept(world, sensitive_case(world)[0])
    fresh()
    result = app.test_cli_runner().invoke(args=["webhooks", "deliver"])
    assert "1 deliveries attempted" in result.output
    assert len(receiver.requests) == 1
