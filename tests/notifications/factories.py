"""Factories and real parts for the notification tests: cases, referrals, an SMTP sink, a worker."""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

from flask_babel import lazy_gettext as _l

from referral.accounts.models import User
from referral.agencies.models import Agency
from referral.cases.models import (
    Case,
    CaseMember,
    CaseParticipant,
    Person,
    ProtectiveMeasure,
    SafeContact,
)
from referral.extensions import db
from referral.notifications.kinds import register_kind
from referral.referrals.models import Referral

_seq = itertools.count(1)
# A Monday, 11:00 in Almaty.
NOW = datetime(2026, 3, 16, 6, 0, tzinfo=UTC)

# A kind of our own, so the machinery is tested apart from any domain's events.
TEST_KIND = "test.ping"
register_kind(TEST_KIND, _l("Test event %(reference)s"), _l("Something happened."),
              ("receiver_agency",), mailbox=True)

# Personal data that must never leave the app in an e-mail.
SURVIVOR = {"surname": "Zhaksybekova", "given_name": "Aigerim", "iin": "900101400123",
            "phone": "+7 701 555 0199", "address": "Abay avenue 150, flat 42"}


def make_case(owner: Agency, creator: User, *, risk_level: str | None = "standard",
              restricted: bool = False, members: tuple[User, ...] = (),
              high_risk_flagged_at: datetime | None = None, status: str = "open") -> Case:
    case = Case(reference=f"{owner.region_code}-2026-{next(_seq):06d}",
                region_code=owner.region_code, owner_agency_id=owner.id, created_by_id=creator.id,
                status=status, risk_level=risk_level, restricted=restricted,
                high_risk_flagged_at=high_risk_flagged_at, address=SURVIVOR["address"],
                languages="kk,ru")
    db.session.add(case)
    db.session.flush()
    for user in members:
        db.session.add(CaseMember(case_id=case.id, user_id=user.id))
    db.session.flush()
    return case


def add_survivor(case: Case, *, do_not_contact: bool = True) -> CaseParticipant:
    """A survivor with a phone and a "do not contact" flag: no automatic message may reach her."""
    person = Person(surname=SURVIVOR["surname"], given_name=SURVIVOR["given_name"],
                    iin=SURVIVOR["iin"], created_by_agency_id=case.owner_agency_id)
    db.session.add(person)
    db.session.flush()
    participant = CaseParticipant(case_id=case.id, person_id=person.id, role="survivor",
                                  phone=SURVIVOR["phone"])
    db.session.add(participant)
    db.session.flush()
    db.session.add(SafeContact(case_id=case.id, participant_id=participant.id,
                               safe_phone=SURVIVOR["phone"], do_not_contact=do_not_contact))
    db.session.flush()
    return participant


def make_referral(case: Case, sender: User, receiver: Agency, *, status: str = "sent",
                  sent_at: datetime = NOW, window: timedelta = timedelta(hours=10),
                  **fields: Any) -> Referral:
    referral = Referral(
        reference=f"R-2026-{next(_seq):06d}", idempotency_key=uuid.uuid4().hex, case_id=case.id,
        region_code=case.region_code,
        sender_agency_id=sender.agency_id, sender_user_id=sender.id,
        receiver_agency_id=receiver.id, service_code="shelter", urgency="urgent", status=status,
        sent_at=sent_at, deadline_at=sent_at + window, **fields)
    db.session.add(referral)
    db.session.flush()
    return referral


def make_measure(case: Case, recorder: User, *, ends_on: date) -> ProtectiveMeasure:
    measure = ProtectiveMeasure(case_id=case.id, measure_type="protective_order",
                                starts_on=ends_on - timedelta(days=30), ends_on=ends_on,
                                recorded_by_id=recorder.id)
    db.session.add(measure)
    db.session.flush()
    return measure


def wait_for(predicate: Callable[[], Any], *, timeout: float = 20.0, what: str = "") -> Any:
    """Poll until ``predicate()`` is truthy (a worker runs in another thread)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or predicate}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- a real SMTP server --------------------------------------------------------------------------


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_payload(decode=True).decode()


@dataclass
class SmtpSink:
    """An aiosmtpd handler that records messages; ``replies`` scripts refusals (e.g. "421 …")."""

    messages: list[Received] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(0)
        if self.replies:
            return self.replies.pop(0)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      message_from_bytes(envelope.original_content)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.recipients]
