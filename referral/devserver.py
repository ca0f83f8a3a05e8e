"""`make run`: migrate, load the demo, then run web, Celery worker and beat together.

One process supervises the three so that Ctrl+C (or a SIGTERM to this process) stops them all,
and if one of them dies the others are stopped too, with a message saying which. For production
use docker-compose.yml (gunicorn, one worker service, exactly one beat).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
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
    commands = {
        "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2", "--pool=prefork"],
        "beat": [*celery, "beat", "--loglevel=INFO", "--schedule",
                 str(_instance() / "celerybeat-schedule")],
        "web": [str(BIN / "flask"), "--app", "referral", "run", "--host", HOST, "--port", port],
    }
    # Own sessions: Ctrl+C reaches only this supervisor, which stops each child in order (a
    # signal sent to the worker's pool processes behind its back makes its shutdown hang).
    procs = {name: subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
             for name, cmd in commands.items()}
    status = 0
    if _wait_until_up(f"http://{HOST}:{port}/login", procs):
        print(f"\n{logins}\nReferral runs on http://{HOST}:{port} "
              "(web, Celery worker and beat). Ctrl+C stops all three.\n", flush=True)
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
