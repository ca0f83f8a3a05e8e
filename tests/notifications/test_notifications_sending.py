"""Sending: one SMTP connection reused per worker process, reopened after an error or a silence
the server ended; the message in the recipient's language; the claim read with the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.header import decode_header, make_header
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from referral.access.scope import acting_as
from referral.events.service import emit
from referral.extensions import db
from referral.notifications import delivery, jobs, mailer, service
from referral.notifications.kinds import get_kind, title_text
from referral.notifications.models import Delivery, DeliveryStatus
from tests.fixtures import actor, fresh
from tests.notifications.factories import SmtpSink, free_port, make_case, make_referral


class CountingSink(SmtpSink):
    """An SMTP sink that also counts the sessions opened (one EHLO each)."""

    sessions: int = 0

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,  # noqa: N802
                          responses: list[str]) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses


def _serve(sink: SmtpSink) -> Any:
    from aiosmtpd.controller import Controller

    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    return controller


@pytest.fixture
def counting_smtp(app) -> Iterator[CountingSink]:
    sink = CountingSink(port=free_port())
    controller = _serve(sink)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port)
    yield sink
    mailer.close_connection(quit_=False)
    controller.stop()


REFERENCES: list[str] = []


def _sent_referrals(world, n: int) -> list[int]:
    """``n`` referrals sent to the crisis agency, published: their delivery ids."""
    ids: list[int] = []
    REFERENCES.clear()
    for _ in range(n):
        case = make_case(world["police"], world["officer"])
        referral = make_referral(case, world["officer"], world["crisis_agency"])
        REFERENCES.append(referral.reference)
        with acting_as(actor(world["officer"])):
            emit("referral.sent", subject_type="referral", subject_id=referral.id,
                 case_id=case.id, sender_agency_id=world["police"].id,
                 receiver_agency_id=world["crisis_agency"].id)
    db.session.commit()
    jobs.publish(ids.append)
    return ids


def test_one_connection_carries_many_messages(world, counting_smtp):
    for delivery_id in _sent_referrals(world, 3):
        assert jobs.deliver(delivery_id) is None
    assert len(counting_smtp.messages) == 3
    assert counting_smtp.sessions == 1


def test_a_connection_is_dropped_after_an_error_and_reopened(world, counting_smtp):
    first, second = _sent_referrals(world, 2)
    counting_smtp.replies.append("451 Try again later")
    assert jobs.deliver(first) is not None  # transient: retried later
    assert jobs.deliver(second) is None
    assert jobs.deliver(first) is None
    assert len(counting_smtp.messages) == 2
    assert counting_smtp.sessions == 2  # a session in an unknown state is never reused


def test_a_connection_the_server_closed_is_noticed_and_reopened(app, world, monkeypatch):
    """The server went away while the worker was idle: NOOP finds out, a new session sends."""
    sink = CountingSink(port=free_port())
    controller = _serve(sink)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port)
    first, second = _sent_referrals(world, 2)
    try:
        assert jobs.deliver(first) is None
        controller.stop()  # closes the session the worker holds
        controller = _serve(sink)
        monkeypatch.setattr(mailer, "IDLE_CHECK_SECONDS", 0.0)
        assert jobs.deliver(second) is None
    finally:
        mailer.close_connection(quit_=False)
        controller.stop()
    fresh()
    assert set(db.session.execute(select(Delivery.status)).scalars()) == {DeliveryStatus.SENT}
    assert len(sink.messages) == 2 and sink.sessions == 2


def test_a_subject_in_russian_arrives_intact(world, counting_smtp):
    world["crisis"].locale = "ru"
    db.session.commit()
    [delivery_id] = _sent_referrals(world, 1)
    jobs.deliver(delivery_id)
    [mail] = counting_smtp.messages
    with force_locale("ru"):
        expected = title_text(get_kind("referral.sent"), REFERENCES[0])
    assert not expected.isascii()
    assert str(make_header(decode_header(mail.subject))) == expected


def test_email_turned_off_after_publishing_is_not_sent(world, counting_smtp):
    [delivery_id] = _sent_referrals(world, 1)
    with acting_as(actor(world["crisis"])):
        service.set_email_preference(actor(world["crisis"]), enabled=False)
    db.session.commit()
    assert jobs.deliver(delivery_id) is None
    fresh()
    assert db.session.get(Delivery, delivery_id).status == DeliveryStatus.SKIPPED
    assert counting_smtp.messages == []


def test_a_message_that_cannot_be_prepared_keeps_its_claim(world, counting_smtp, monkeypatch):
    [delivery_id] = _sent_referrals(world, 1)

    def broken(*_args: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(delivery, "prepare_mail", broken)
    with pytest.raises(RuntimeError):
        jobs.deliver(delivery_id)
    fresh()
    claimed = db.session.get(Delivery, delivery_id)
    assert claimed.status == DeliveryStatus.SENDING and claimed.attempts == 1
    assert counting_smtp.messages == []
