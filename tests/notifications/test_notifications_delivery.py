"""E-mail deliveries through the outbox, with a real SMTP server and no broker (jobs called
directly; the Celery side is tested with a real worker in test_notifications_worker.py).
"""

from __future__ import annotations

from sqlalchemy import select

from referral.access.scope import acting_as
from referral.accounts.models import User
from referral.events.models import OutboxEvent
from referral.events.service import emit
from referral.extensions import db
from referral.notifications import jobs
from referral.notifications.models import Delivery, DeliveryStatus, Notification
from tests.fixtures import actor, fresh, login, make_user
from tests.notifications.factories import (
    SURVIVOR,
    add_survivor,
    free_port,
    make_case,
    make_referral,
)


def _referral_sent(world):
    case = make_case(world["police"], world["officer"])
    add_survivor(case)
    referral = make_referral(case, world["officer"], world["crisis_agency"])
    with acting_as(actor(world["officer"])):
        emit("referral.sent", subject_type="referral", subject_id=referral.id, case_id=case.id,
             sender_agency_id=world["police"].id, receiver_agency_id=world["crisis_agency"].id)
    db.session.commit()
    return case, referral


def _publish() -> list[int]:
    queued: list[int] = []
    jobs.publish(queued.append)
    return queued


def _deliveries():
    fresh()
    return db.session.execute(select(Delivery).order_by(Delivery.id)).scalars().all()


def _personal_data(world) -> list[str]:
    return [*SURVIVOR.values(), world["crisis"].full_name, world["officer"].full_name,
            "Zhaksybekova", "Aigerim"]


def test_one_event_one_email_to_the_right_address_without_personal_data(world, smtp):
    case, referral = _referral_sent(world)
    queued = _publish()
    assert len(queued) == 1
    assert jobs.deliver(queued[0]) is None
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.recipients == [world["crisis"].email]
    assert referral.reference in mail.subject and referral.reference in mail.body
    assert f"/referrals/{referral.id}" in mail.body
    for secret in _personal_data(world):
        assert secret not in mail.subject and secret not in mail.body
    assert _deliveries()[0].status == DeliveryStatus.SENT


def test_publishing_and_delivering_twice_changes_nothing(world, smtp):
    _referral_sent(world)
    first = _publish()
    assert _publish() == []  # the event is published; the delivery is queued already
    jobs.deliver(first[0])
    jobs.deliver(first[0])  # a redelivered message
    assert len(smtp.messages) == 1
    assert len(_deliveries()) == 1


def test_agency_duty_mailbox_gets_its_own_copy(world, smtp):
    world["crisis_agency"].email = "duty@crisis.example.org"
    world["crisis_agency"].languages = "en"  # a mailbox reads the agency's first language
    db.session.commit()
    _referral_sent(world)
    for delivery_id in _publish():
        jobs.deliver(delivery_id)
    assert sorted(r for m in smtp.messages for r in m.recipients) == [
        "crisis@test.example.org", "duty@crisis.example.org"]
    duty = smtp.to("duty@crisis.example.org")[0]
    assert "duty mailbox" in duty.body


def test_email_is_in_the_recipients_language(world, smtp):
    world["crisis"].locale = "ru"
    world["officer"].locale = "en"
    db.session.commit()
    _referral_sent(world)
    event = db.session.execute(select(OutboxEvent)).scalar_one()
    for delivery_id in _publish():
        jobs.deliver(delivery_id)
    body = smtp.messages[0].body
    from flask_babel import force_locale, format_datetime

    with force_locale("ru"):
        russian = format_datetime(event.created_at, "medium")
    with force_locale("en"):
        english = format_datetime(event.created_at, "medium")
    assert russian != english
    assert russian in body and english not in body


def test_survivor_with_do_not_contact_is_never_messaged(world, smtp):
    """The app messages staff only: every automatic message goes to a staff or agency address."""
    world["crisis_agency"].email = "duty@crisis.example.org"
    world["crisis_agency"].languages = "en"  # a mailbox reads the agency's first language
    db.session.commit()
    case, referral = _referral_sent(world)
    from referral.notifications import reminders

    reminders.run_all(now=referral.deadline_at)  # expiry: sender and coordinators told
    db.session.commit()
    for delivery_id in _publish():
        jobs.deliver(delivery_id)
    staff = set(db.session.execute(select(User.email)).scalars())
    addresses = {r for m in smtp.messages for r in m.recipients}
    assert addresses and addresses <= staff | {"duty@crisis.example.org"}
    for mail in smtp.messages:
        assert SURVIVOR["phone"] not in mail.body and SURVIVOR["surname"] not in mail.body


def test_transient_421_is_retried_then_delivered(world, smtp):
    _referral_sent(world)
    smtp.replies.append("421 Service not available, try again later")
    [delivery_id] = _publish()
    delay = jobs.deliver(delivery_id)
    assert delay is not None and delay > 0
    delivery = _deliveries()[0]
    assert delivery.status == DeliveryStatus.PENDING and "421" in delivery.last_error
    assert jobs.deliver(delivery_id) is None
    assert len(smtp.messages) == 1 and _deliveries()[0].status == DeliveryStatus.SENT


def test_connection_refused_is_transient(app, world):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens
    _referral_sent(world)
    [delivery_id] = _publish()
    assert jobs.deliver(delivery_id) is not None
    assert _deliveries()[0].status == DeliveryStatus.PENDING


def _admin_alerts(world):
    fresh()
    return db.session.execute(select(Notification).where(
        Notification.user_id == world["admin"].id,
        Notification.kind == "system.delivery_failed")).scalars().all()


def test_permanent_550_fails_at_once_and_alerts_administrators(world, smtp):
    _referral_sent(world)
    smtp.replies.append("550 No such user here")
    [delivery_id] = _publish()
    assert jobs.deliver(delivery_id) is None
    delivery = _deliveries()[0]
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert "550" in delivery.last_error
    assert [a.subject_id for a in _admin_alerts(world)] == [delivery_id]
    assert smtp.messages == []


def test_after_the_last_retry_the_delivery_fails_and_administrators_are_alerted(
        app, world, smtp):
    app.config.update(NOTIFY_MAX_ATTEMPTS=3)
    _referral_sent(world)
    smtp.replies.extend(["451 Try later"] * 3)
    [delivery_id] = _publish()
    delays = [jobs.deliver(delivery_id) for _ in range(3)]
    assert delays[0] is not None and delays[1] is not None and delays[2] is None
    assert _deliveries()[0].status == DeliveryStatus.FAILED
    assert len(_admin_alerts(world)) == 1


def test_backoff_grows_with_jitter_and_stays_capped(app, ctx):
    from referral.notifications.delivery import backoff_seconds

    app.config.update(NOTIFY_RETRY_BASE_SECONDS=5, NOTIFY_RETRY_CAP_SECONDS=60)
    first, third = backoff_seconds(1), backoff_seconds(3)
    assert 2.5 <= first <= 5 and 10 <= third <= 20
    assert all(30 <= backoff_seconds(20) <= 60 for _ in range(20))
    assert len({backoff_seconds(4) for _ in range(10)}) > 1  # jitter


def test_broker_down_leaves_deliveries_for_the_next_run(world, smtp):
    _referral_sent(world)

    def broker_down(_delivery_id):
        raise ConnectionRefusedError("broker unavailable")

    jobs.publish(broker_down)
    delivery = _deliveries()[0]
    assert delivery.status == DeliveryStatus.PENDING and delivery.queued_at is None
    queued = _publish()  # the broker is back
    assert queued == [delivery.id]
    jobs.deliver(queued[0])
    assert len(smtp.messages) == 1


def test_lost_messages_are_handed_on_again(app, world, smtp):
    from datetime import timedelta

    from referral.models_base import utcnow

    _referral_sent(world)
    [delivery_id] = _publish()  # ...and the message is lost
    assert _publish() == []
    later = utcnow() + timedelta(seconds=app.config.get("NOTIFY_REQUEUE_AFTER_SECONDS", 600) + 1)
    assert jobs.publish(lambda _id: None, now=later) == 1


def test_administrator_retries_a_failed_delivery(client, world, smtp):
    _referral_sent(world)
    smtp.replies.append("550 Mailbox unavailable")
    [delivery_id] = _publish()
    jobs.deliver(delivery_id)
    login(client, world["admin"])
    page = client.get("/admin/system").get_data(as_text=True)
    # the failure in words an administrator reads, not the server's raw reply
    assert "The mail server refused the address (code 550)" in page
    assert "Mailbox unavailable" not in page
    assert client.post(f"/admin/system/deliveries/{delivery_id}/retry").status_code == 302
    fresh()
    assert _publish() == [delivery_id]
    jobs.deliver(delivery_id)
    assert len(smtp.messages) == 1 and _deliveries()[0].status == DeliveryStatus.SENT


def test_retry_button_is_not_for_other_roles(client, world, smtp):
    _referral_sent(world)
    smtp.replies.append("550 Mailbox unavailable")
    [delivery_id] = _publish()
    jobs.deliver(delivery_id)
    login(client, world["officer"])
    assert client.post(f"/admin/system/deliveries/{delivery_id}/retry").status_code == 404
    assert _deliveries()[0].status == DeliveryStatus.FAILED


def test_deactivated_user_gets_no_email(world, smtp):
    colleague = make_user(world["crisis_agency"])
    db.session.commit()
    _referral_sent(world)
    queued = _publish()
    colleague.is_active_account = False
    db.session.commit()
    for delivery_id in queued:
        jobs.deliver(delivery_id)
    assert [m.recipients for m in smtp.messages] == [[world["crisis"].email]]


def test_an_event_of_an_unknown_kind_is_published_without_messages(world):
    with acting_as(actor(world["officer"])):
        emit("nobody.listens", subject_type="case", subject_id=1)
    db.session.commit()
    assert _publish() == []
    fresh()
    assert db.session.execute(select(OutboxEvent.published_at)).scalar_one() is not None
