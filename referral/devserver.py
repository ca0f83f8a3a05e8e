"""`make run`: migrate, load the demo, then run web, Celery worker and beat together, with a
development mailbox (an SMTP catcher, referral/notifications/devmail.py) that they send to.

One process supervises them so that Ctrl+C (or a SIGTERM to this process) stops them all,
and if one of them dies the others are stopped too, with a message saying which. For production
use docker-compose.yml (gunicorn, one worker service, exactly one beat, a real SMTP server).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def _flask(*args: str, capture: bool = False) -> str:
    done = subprocess.run([str(BIN / "flask"), "--app", "referral", *args], check=True, cwd=ROOT,
                          capture_output=capture, text=True)
    return done.stdout if capture else ""


def _instance() -> Path:
    """The app's instance folder (REFERRAL_INSTANCE_PATH, as create_app reads it)."""
    path = Path(os.environ.get("REFERRAL_INSTANCE_PATH") or ROOT / "instance")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _free_port() -> int:
    """A port nothing listens on now (the catcher binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def dev_mailbox(environ: Mapping[str, str], instance: Path) -> tuple[list[str] | None,
                                                                        dict[str, str]]:
    """The SMTP catcher's command and the settings that point web, worker and beat at it.

    Without it the worker retries every e-mail against an SMTP server nobody started and each
    one ends as an administrator alert. Not started with REFERRAL_DEV_MAILBOX=off, nor when
    SMTP_HOST is set (the e-mail then goes to that server, as configured).
    """
    if environ.get("REFERRAL_DEV_MAILBOX", "").strip().lower() == "off" or environ.get("SMTP_HOST"):
        return None, {}
    port, maildir = _free_port(), instance / "dev-mailbox"
    command = [sys.executable, "-m", "referral.notifications.devmail", "--host", HOST,
               "--port", str(port), "--maildir", str(maildir)]
    return command, {"SMTP_HOST": HOST, "SMTP_PORT": str(port),
                     "REFERRAL_DEV_MAILBOX_DIR": str(maildir)}


def _wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 20) -> None:
    """Let the catcher listen before the worker's first e-mail (else a needless retry)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None and not _signals:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)


_signals: list[float] = []


def _on_signal(_signum: int, _frame: FrameType | None) -> None:
    """Note Ctrl+C / SIGTERM instead of raising, so the shutdown below is never cut short."""
    _signals.append(time.monotonic())


def _asked_again(since: float) -> bool:
    """A second Ctrl+C, not the echo of the first (make or timeout may relay it at once)."""
    return any(t > since + 1 for t in _signals)


def _wait_until_up(url: str, procs: dict[str, subprocess.Popen], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not _signals:
        if any(p.poll() is not None for p in procs.values()):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own localhost URL
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    return False


def _shutdown(procs: dict[str, subprocess.Popen]) -> None:
    """SIGTERM each child (Celery's warm shutdown), then kill what is left after 15 s or at a
    second Ctrl+C."""
    started = time.monotonic()
    for p in procs.values():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    while any(p.poll() is None for p in procs.values()):
        if time.monotonic() > deadline or _asked_again(started):
            for p in procs.values():
                if p.poll() is None:
                    p.kill()
        time.sleep(0.2)


def main() -> int:
    os.environ.setdefault("FLASK_APP", "referral")
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    port = os.environ.get("PORT", "5000")
    _flask("db", "upgrade")
    logins = _flask("seed-demo", capture=True)
    celery = [str(BIN / "celery"), "-A", "workers.make_celery"]
    mailbox, mail_env = dev_mailbox(os.environ, _instance())
    commands = {
        **({"mailbox": mailbox} if mailbox else {}),
        "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2", "--pool=prefork"],
        "beat": [*celery, "beat", "--loglevel=INFO", "--schedule",
                 str(_instance() / "celerybeat-schedule")],
        "web": [str(BIN / "flask"), "--app", "referral", "run", "--host", HOST, "--port", port],
    }
    # Own sessions: Ctrl+C reaches only this supervisor, which stops each child in order (a
    # signal sent to the worker's pool processes behind its back makes its shutdown hang).
    # Links in e-mails lead to this server, whichever PORT it was given.
    links = {"PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL") or f"http://{HOST}:{port}"}
    procs: dict[str, subprocess.Popen] = {}
    for name, cmd in commands.items():
        procs[name] = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True,
                                       env={**os.environ, **mail_env, **links})
        if name == "mailbox":
            _wait_for_port(int(mail_env["SMTP_PORT"]), procs[name])
    status = 0
    if _wait_until_up(f"http://{HOST}:{port}/login", procs):
        print(f"\n{logins}\nReferral runs on http://{HOST}:{port} "
              f"({', '.join(procs)}). Ctrl+C stops them all.\n", flush=True)
        if mailbox:
            print(f"E-mail is caught, not sent: administrators read it at "
                  f"http://{HOST}:{port}/admin/dev-mailbox\n", flush=True)
    while not _signals and all(p.poll() is None for p in procs.values()):
        time.sleep(0.5)
    if not _signals:
        died = [name for name, p in procs.items() if p.poll() is not None]
        print(f"\n{', '.join(died)} stopped unexpectedly; stopping the others.", file=sys.stderr)
        status = 1
    _shutdown(procs)
    return status


if __name__ == "__main__":
    sys.exit(main())
