"""`make run`: migrate, load the demo, then run web, Celery worker and beat together.

One process supervises the three so that Ctrl+C stops them all. For production use
docker-compose.yml (gunicorn, one worker service, exactly one beat).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _flask(*args: str) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "referral", *args], check=True, cwd=ROOT)


def main() -> int:
    os.environ.setdefault("FLASK_APP", "referral")
    _flask("db", "upgrade")
    _flask("seed-demo")
    celery = [str(BIN / "celery"), "-A", "workers.make_celery"]
    procs = [
        subprocess.Popen([*celery, "worker", "--loglevel=INFO", "--concurrency=2",
                          "--pool=prefork"], cwd=ROOT),
        subprocess.Popen([*celery, "beat", "--loglevel=INFO",
                          "--schedule", str(ROOT / "instance" / "celerybeat-schedule")], cwd=ROOT),
        subprocess.Popen([str(BIN / "flask"), "--app", "referral", "run", "--host", "127.0.0.1",
                          "--port", os.environ.get("PORT", "5000")], cwd=ROOT),
    ]
    print("\nReferral runs on http://127.0.0.1:5000 (web, Celery worker and beat). Ctrl+C stops.\n")
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
