"""E-mail: compose in the recipient's language (reference and link only) and send over SMTP.

SMTP errors are sorted into transient (connection problems, 4xx: retry later) and permanent
(5xx: retrying cannot help).
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.text import MIMEText
from email.utils import make_msgid

from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _

from referral.events.models import OutboxEvent
from referral.notifications.config import setting
from referral.notifications.kinds import Kind, detail_text, title_text
from referral.notifications.links import external, target_path
from referral.notifications.recipients import Subject


class TransientMailError(Exception):
    """Try again later: the server or network is unavailable or asked us to wait (4xx)."""


class PermanentMailError(Exception):
    """Retrying cannot help (5xx): the address or the message is refused."""


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


Composer = Callable[[Kind, OutboxEvent, str, str], "Mail | None"]  # (kind, event, to, locale)
_COMPOSERS: dict[str, Composer] = {}


def register_composer(kind_name: str, composer: Composer) -> None:
    """Let a domain write the message of its own kind (account mail carries a one-time link
    whose token is made only now, at send time, so it never sits in the outbox or broker)."""
    _COMPOSERS[kind_name] = composer


def compose(kind: Kind, event: OutboxEvent, subject: Subject, *, to: str, locale: str,
            mailbox: bool) -> Mail | None:
    """What happened, the opaque reference and a link: never a name, IIN, address or phone.
    None: a registered composer found nothing to send any more."""
    custom = _COMPOSERS.get(kind.name)
    if custom is not None:
        return custom(kind, event, to, locale)
    with force_locale(locale):
        title = title_text(kind, subject.reference)
        why = (_("You receive this message as the shared duty mailbox of your agency.") if mailbox
               else _("You receive this message because of your role in this work."))
        detail = detail_text(kind, event.data or {})
        lines = [
            str(kind.sentence),
            *([detail] if detail else []),
            "",
            _("Reference: %(reference)s", reference=subject.reference),
            _("When: %(when)s", when=format_datetime(event.created_at, "medium")),
            _("Open in the app: %(link)s",
              link=external(target_path(event.subject_type, event.subject_id))),
            "",
            _("Details are shown only in the app, after you log in."),
            why,
            _("Notification settings: %(link)s",
              link=external(target_path("notification_settings", 0))),
        ]
    return Mail(to=to, subject=title, body="\n".join(lines) + "\n")


def _plain(value: str) -> bool:
    return value.isascii() and "\n" not in value and "\r" not in value


def _message(mail: Mail) -> Message:
    """The MIME message. Plain ASCII addresses (the usual case) take the light compat32 classes,
    which cost a fifth of ``EmailMessage``'s header parsing; anything else takes the full
    machinery (SMTPUTF8, and its refusal of line breaks in headers). Either way: text/plain in
    UTF-8, an encoded-word subject if needed."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    if not (_plain(sender) and _plain(mail.to) and "\n" not in mail.subject
            and "\r" not in mail.subject):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, mail.to, mail.subject
        msg["Message-ID"] = make_msgid(domain="referral.local")
        msg.set_content(mail.body)
        return msg
    plain = MIMEText(mail.body, "plain", "utf-8")
    plain["From"], plain["To"] = sender, mail.to
    plain["Subject"] = mail.subject if mail.subject.isascii() else Header(mail.subject, "utf-8")
    plain["Message-ID"] = make_msgid(domain="referral.local")
    return plain


def _classify(code: int, text: str) -> Exception:
    detail = f"{code} {text}"[:250]
    return TransientMailError(detail) if 400 <= code < 500 else PermanentMailError(detail)


# --- one SMTP connection per worker process (per thread), reused while it works ----------------
# Opening a connection costs a TCP handshake, the greeting and EHLO (and STARTTLS, AUTH) each
# time. A reused connection is checked with NOOP after it was idle a while (servers close idle
# sessions); after any error it is dropped, and the next message opens a fresh one.

IDLE_CHECK_SECONDS = 5.0
MESSAGES_PER_CONNECTION = 200  # then reconnect: some servers cap messages per session


@dataclass
class _Held:
    key: tuple
    smtp: smtplib.SMTP
    used_at: float
    sent: int = 0


_HELD: dict[int, _Held] = {}  # by thread: a connection is never used by two threads at once


def _key() -> tuple:
    cfg = current_app.config
    return (os.getpid(), cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]), bool(cfg.get("MAIL_USE_TLS")),
            cfg.get("MAIL_USERNAME") or "")


def _open() -> smtplib.SMTP:
    cfg = current_app.config
    smtp = smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]),
                        timeout=setting("NOTIFY_SMTP_TIMEOUT_SECONDS"))
    try:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


def _alive(held: _Held) -> bool:
    if time.monotonic() - held.used_at < IDLE_CHECK_SECONDS:
        return True
    try:
        return held.smtp.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def _connection() -> _Held:
    key = _key()
    held = _HELD.get(threading.get_ident())
    if held is not None and held.key == key and held.sent >= MESSAGES_PER_CONNECTION:
        close_connection()
        held = None
    elif held is not None and (held.key != key or not _alive(held)):
        close_connection(quit_=False)  # another server now, or a dead session
        held = None
    if held is None:
        held = _Held(key, _open(), time.monotonic())
        _HELD[threading.get_ident()] = held
    return held


def _close(held: _Held, *, quit_: bool) -> None:
    if held.key[0] != os.getpid():
        return  # inherited through fork: the parent's to close
    if quit_:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            held.smtp.quit()
    held.smtp.close()


def close_connection(*, quit_: bool = True) -> None:
    """Forget this thread's connection, saying goodbye to the server first if ``quit_``."""
    held = _HELD.pop(threading.get_ident(), None)
    if held is not None:
        _close(held, quit_=quit_)


def send(mail: Mail) -> None:
    """Hand one message to the SMTP server, or raise Transient/PermanentMailError."""
    try:
        held = _connection()
        held.smtp.send_message(_message(mail))
        held.sent += 1
        held.used_at = time.monotonic()
    except BaseException as err:
        close_connection(quit_=False)  # a session in an unknown state is never reused
        _raise_classified(err)
        raise


def _raise_classified(err: BaseException) -> None:
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(err.recipients.values()))
        raise _classify(code, text.decode(errors="replace")) from err
    if isinstance(err, smtplib.SMTPResponseException):
        text = err.smtp_error.decode(errors="replace") if isinstance(err.smtp_error, bytes) \
            else str(err.smtp_error)
        raise _classify(err.smtp_code, text) from err
    if isinstance(err, smtplib.SMTPException | OSError):  # refused, reset, timed out, closed
        raise TransientMailError(f"{type(err).__name__}: {err}"[:250]) from err
