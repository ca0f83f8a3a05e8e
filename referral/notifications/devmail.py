"""The development mailbox: a local SMTP catcher that keeps every message, and its reader.

`make run` starts the catcher (``python -m referral.notifications.devmail --port N --maildir
PATH``) beside the web, worker and beat, and points the app at it: the demo's e-mail is then
delivered, never lost or retried, and administrators read it on a development-only page. The
messages are kept as a Maildir (one file per message, written to ``tmp/`` and renamed into
``new/``), so the catcher and the web processes need no shared state but the folder, and any
mail client can open it too.

Production never uses this: the page refuses production configuration (``enabled``), and
production's SMTP settings point at a real server.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from flask import Flask

# The envelope recipients, added as the first header: the To header may differ (or be absent).
ENVELOPE_HEADER = "X-Dev-Envelope-To"
# Names the catcher writes: <nanoseconds>.<pid>.<random hex>; other Maildir writers' names may
# carry ":2,<flags>" (a client that moved the file into cur/), which the key leaves out.
_KEY = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
LIST_LIMIT = 200


def enabled(app: Flask) -> bool:
    """The page exists only outside production, and only when a catcher's folder is set."""
    return app.config.get("ENV_NAME") != "production" and bool(app.config.get("DEV_MAILBOX_DIR"))


# --- the catcher ---------------------------------------------------------------------------------


def _ensure(maildir: Path) -> None:
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)


def store(maildir: Path, raw: bytes, *, recipients: list[str]) -> str:
    """Keep one message as it arrived, preceded by its envelope recipients; returns its key.

    Written under ``tmp/`` and renamed into ``new/``: a reader never sees half a message."""
    _ensure(maildir)
    key = f"{time.time_ns()}.{os.getpid()}.{uuid.uuid4().hex}"
    envelope = ", ".join(r.replace("\r", "").replace("\n", "") for r in recipients)
    data = f"{ENVELOPE_HEADER}: {envelope}\r\n".encode() + raw
    partial = maildir / "tmp" / key
    partial.write_bytes(data)
    partial.rename(maildir / "new" / key)
    return key


class MaildirHandler:
    """aiosmtpd handler: every message is accepted and stored (nothing is relayed)."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        _ensure(maildir)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        store(self.maildir, raw, recipients=list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def serve(host: str, port: int, maildir: Path) -> Any:
    """Start the catcher in a thread (aiosmtpd's Controller); raises if the port is taken."""
    from aiosmtpd.controller import Controller

    # SMTPUTF8 on: an address outside ASCII is caught too, as a real server would take it.
    controller = Controller(MaildirHandler(maildir), hostname=host, port=port,
                            enable_SMTPUTF8=True)
    controller.start()
    return controller


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args(argv)
    controller = serve(args.host, args.port, args.maildir)
    stop = threading.Event()
    # SIGTERM from the supervisor (devserver) or Ctrl+C: stop the server thread and leave.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"Development mailbox: SMTP on {args.host}:{args.port}, messages kept in "
          f"{args.maildir}", flush=True)
    while not stop.wait(0.5):
        pass
    controller.stop()
    return 0


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaughtMail:
    key: str
    received_at: datetime
    recipients: str
    sender: str
    subject: str
    body: str = ""


def _files(maildir: Path) -> list[tuple[float, str, Path]]:
    """(received time, key, path) of every message in new/ and cur/."""
    found = []
    for sub in ("new", "cur"):
        try:
            entries = list(os.scandir(maildir / sub))
        except FileNotFoundError:
            continue
        for entry in entries:
            key = entry.name.split(":", 1)[0]
            if entry.is_file() and _KEY.match(key):
                try:
                    found.append((entry.stat().st_mtime, key, Path(entry.path)))
                except FileNotFoundError:  # moved by a mail client meanwhile
                    continue
    return found


def _read(path: Path, key: str, mtime: float, *, with_body: bool) -> CaughtMail:
    message = cast(EmailMessage, message_from_bytes(path.read_bytes(), policy=policy.default))
    body = ""
    if with_body:
        part = message.get_body(preferencelist=("plain", "html"))
        try:
            body = part.get_content() if part is not None else ""
        except (LookupError, ValueError):  # an unknown charset: show what can be shown
            body = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    return CaughtMail(
        key=key, received_at=datetime.fromtimestamp(mtime, UTC),
        recipients=str(message.get(ENVELOPE_HEADER) or message.get("To") or ""),
        sender=str(message.get("From") or ""), subject=str(message.get("Subject") or ""),
        body=body)


def list_mail(maildir: Path, *, limit: int = LIST_LIMIT) -> tuple[list[CaughtMail], int]:
    """The newest ``limit`` messages, newest first (headers only), and how many there are."""
    files = _files(maildir)
    newest = sorted(files, reverse=True)[:limit]
    return [_read(path, key, mtime, with_body=False) for mtime, key, path in newest], len(files)


def get_mail(maildir: Path, key: str) -> CaughtMail | None:
    """One message with its decoded body, or None for an unknown key."""
    if not _KEY.match(key):
        return None
    for mtime, found, path in _files(maildir):
        if found == key:
            try:
                return _read(path, key, mtime, with_body=True)
            except FileNotFoundError:
                return None
    return None


if __name__ == "__main__":
    raise SystemExit(main())
