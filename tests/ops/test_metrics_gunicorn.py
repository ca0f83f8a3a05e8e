"""/metrics under gunicorn with several workers: multiprocess mode sums every worker's counts.

A real gunicorn with the project's gunicorn.conf.py (its hooks empty the directory at start
and mark exited workers dead), as docker-compose.yml's web runs it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from referral.paths import PROJECT_ROOT
from tests.notifications.factories import free_port

REQUESTS = 12


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - localhost
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def _login_count(text: str) -> float:
    match = re.search(r'^referral_http_request_duration_seconds_count\{(?=[^}]*'
                      r'endpoint="accounts\.login")(?=[^}]*method="GET")[^}]*\} (\S+)$',
                      text, re.M)
    return float(match.group(1)) if match else 0.0


def test_counts_of_every_worker_are_summed(database_url, tmp_path: Path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_99999.db").write_bytes(b"left over from an earlier run")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REFERRAL_", "METRICS_"))}
    env.update(REFERRAL_ENV="testing", DATABASE_URL=database_url, REDIS_URL="",
               REFERRAL_INSTANCE_PATH=str(tmp_path), PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         "--workers", "3", "referral:create_app()"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(f"{base}/login")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        before = _login_count(_get(f"{base}/metrics")[1])
        assert before >= 1
        for _ in range(REQUESTS):
            assert _get(f"{base}/login")[0] == 200
        pids = {p.name for p in metrics_dir.glob("*.db")}
        assert "counter_99999.db" not in pids  # emptied at start
        workers_seen = {re.search(r"_(\d+)\.db$", name).group(1) for name in pids}
        # Whichever workers answered, one scrape (answered by any one of them) sees them all.
        for _ in range(3):
            status, text = _get(f"{base}/metrics")
            assert status == 200
            assert _login_count(text) == before + REQUESTS
        assert len(workers_seen) >= 1
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
