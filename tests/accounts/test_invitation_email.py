"""Invitations go out by e-mail through the outbox and a real SMTP server; the page keeps a link."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from email.header import decode_header, make_header

import time_machine
from sqlalchemy import select

from referral.accounts.models import Invitation, User
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.models import Delivery, DeliveryStatus
from tests.accounts.account_mail import link_path, send_outbox
from tests.fixtures import fresh, login
from tests.notifications.conftest import smtp  # noqa: F401 - the real SMTP server fixture

NEW = "a long enough passphrase"
INVITEE = "new.person@test.example.org"


def _invite(client, agency_id, *, locale="en"):
    return client.post("/admin/users/new", data={
        "full_name": "Aigerim Newcomer", "email": INVITEE, "agency_id": agency_id,
        "role": "officer", "locale": locale, "setup": "invite", "initial_password": ""})


def _page_path(response) -> str:
    html = response.get_data(as_text=True)
    return re.search(r'data-testid="invite-link">([^<]+)<', html).group(1).replace(
        "http://localhost", "")


def test_an_invitation_is_emailed_and_the_page_keeps_a_fallback_link(
        ctx, app, client, world, smtp):  # noqa: F811
    login(client, world["admin"])
    response = _invite(client, world["police"].id)
    page = response.get_data(as_text=True)
    assert 'data-testid="invite-emailed"' in page
    page_path = _page_path(response)
    fresh()
    event = db.session.execute(select(OutboxEvent).where(
        OutboxEvent.kind == "account.invitation")).scalar_one()
    assert set(event.data) == {"user_id"}  # ids only: no token, no address

    assert send_outbox() == 1
    [mail] = smtp.to(INVITEE)
    assert "Aigerim" not in mail.body and INVITEE not in mail.body
    mail_path = link_path(mail.body)
    assert mail_path.startswith("/invitation/") and mail_path != page_path
    invitation = db.session.execute(select(Invitation)).scalar_one()
    token = mail_path.rsplit("/", 1)[1]
    assert invitation.mail_token_hash == hashlib.sha256(token.encode()).hexdigest()

    guest = app.test_client()
    assert guest.get(mail_path).status_code == 200
    done = guest.post(mail_path, data={"new_password": NEW, "confirm_password": NEW})
    assert done.status_code == 302
    # One invitation: whichever link is used, both are spent.
    assert guest.get(page_path).status_code == 404
    assert guest.get(mail_path).status_code == 404
    fresh()
    user = db.session.execute(select(User).where(User.email == INVITEE)).scalar_one()
    assert login(app.test_client(), user, NEW).status_code == 302


def test_the_invitation_email_is_in_the_invitees_language(ctx, client, world, smtp):  # noqa: F811
    login(client, world["admin"])
    _invite(client, world["police"].id, locale="kk")
    send_outbox()
    [mail] = smtp.to(INVITEE)
    subject = str(make_header(decode_header(mail.subject)))
    assert subject == "Жолдама жүйесі үшін құпиясөзіңізді орнатыңыз"
    assert "жолдама жүйесі" in mail.body.lower()


def test_the_page_link_still_works_when_the_email_never_went(ctx, app, client, world):
    login(client, world["admin"])
    path = _page_path(_invite(client, world["police"].id))
    guest = app.test_client()
    assert guest.post(path, data={"new_password": NEW,
                                  "confirm_password": NEW}).status_code == 302


def test_an_administrators_password_reset_also_emails_a_link(ctx, app, client, world, smtp):  # noqa: F811
    officer = world["officer"]
    login(client, world["admin"])
    response = client.post(f"/admin/users/{officer.id}/reset-password")
    assert 'data-testid="invite-emailed"' in response.get_data(as_text=True)
    assert send_outbox() == 1
    path = link_path(smtp.to(officer.email)[0].body)
    guest = app.test_client()
    assert guest.post(path, data={"new_password": NEW,
                                  "confirm_password": NEW}).status_code == 302
    assert login(app.test_client(), officer, NEW).status_code == 302


def test_an_invitation_expired_before_sending_is_skipped(ctx, client, world, smtp):  # noqa: F811
    login(client, world["admin"])
    with time_machine.travel(utcnow(), tick=False) as traveller:
        _invite(client, world["police"].id)
        traveller.shift(timedelta(days=4))
        send_outbox()
    assert smtp.messages == []
    assert db.session.execute(select(Delivery.status)).scalar_one() == DeliveryStatus.SKIPPED
