"""E-mail: compose in the recipient's language (reference and link only) and send over SMTP.

SMTP errors are sorted into transient (connection problems, 4xx: retry later) and permanent
(5xx: retrying cannot help).
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
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


def compose(kind: Kind, event: OutboxEvent, subject: Subject, *, to: str, locale: str,
            mailbox: bool) -> Mail:
    """What happened, the opaque reference and a link: never a name, IIN, address or phone."""
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


def _message(mail: Mail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Message-ID"] = make_msgid(domain="referral.local")
    msg.set_content(mail.body)
    return msg


def _classify(code: int, text: str) -> Exception:
    detail = f"{code} {text}"[:250]
    return TransientMailError(detail) if 400 <= code < 500 else PermanentMailError(detail)


def send(mail: Mail) -> None:
    """Hand one message to the SMTP server, or raise Transient/PermanentMailError."""
    cfg = current_app.config
    try:
        with smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]),
                          timeout=setting("NOTIFY_SMTP_TIMEOUT_SECONDS")) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            smtp.send_message(_message(mail))
    except smtplib.SMTPRecipientsRefused as err:
        code, text = next(iter(err.recipients.values()))
        raise _classify(code, text.decode(errors="replace")) from err
    except smtplib.SMTPResponseException as err:
        text = err.smtp_error.decode(errors="replace") if isinstance(err.smtp_error, bytes) \
            else str(err.smtp_error)
        raise _classify(err.smtp_code, text) from err
    except (smtplib.SMTPException, OSError) as err:  # refused, reset, timed out, disconnected
        raise TransientMailError(f"{type(err).__name__}: {err}"[:250]) from err
