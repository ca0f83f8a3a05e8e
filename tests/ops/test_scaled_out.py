"""Scaled out, with real processes: two gunicorn instances (one SECRET_KEY), two Celery workers
(two node names) and one beat, against PostgreSQL, Redis and a real SMTP server (aiosmtpd).

A user logged in on instance A is logged in on B (the session is a signed cookie, its record
in the shared database); a referral sent on A is accepted on B; every e-mail arrives exactly
once although two workers take tasks from the one queue; a back-dated referral gets its
reminder exactly once although the sweep runs every few seconds (REFERRAL_REMINDER_SWEEP_SECONDS).
Webhook deliveries are claimed the same way (a conditional UPDATE); tests/webhooks checks each
is posted once, with a real worker.

Its own database beside the suite's (``<test database>_scaled``, as the load test does), since
the suite resets its own; processes are started in their own sessions and their process groups
killed afterwards, whatever happened.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import stack_load
from bench.stack_load import Client, Tally, form_for
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, base_config

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
SECRET = "scaled-out-test-secret-0123456789-abcdefghijklmnop"  # noqa: S105 - test-only
SWEEP_SECONDS = 3
REMINDER = "Reminder: referral"


def _scaled_database_url() -> str:
    url = make_url(TEST_DATABASE_URL)
    return url.set(database=f"{url.database}_scaled").render_as_string(hide_password=False)


def _world(database_url: str) -> dict[str, Any]:
    """Migrate the fresh database and add two agencies, an officer, a crisis worker, two cases."""
    from referral import create_app
    from referral.extensions import db
    from tests.conftest import _migrate
    from tests.coordination.factories import make_case
    from tests.fixtures import PASSWORD, make_agency, make_user

    app = create_app(base_config(database_url, REDIS_URL=TEST_REDIS_URL,
                                 CELERY_BROKER_URL=TEST_REDIS_URL))
    _migrate(app)
    with app.app_context():
        police = make_agency("police", "KZ-75", name="Police Scaled")
        crisis = make_agency("crisis_center", "KZ-75", name="Crisis Scaled",
                             services=("psychological", "shelter"))
        officer = make_user(police, email="officer@scaled.example.org")
        worker = make_user(crisis, email="crisis@scaled.example.org")
        cases = [make_case(police, officer).id for _ in range(2)]
        db.session.commit()
        found = {"officer": officer.email, "crisis": worker.email, "crisis_id": crisis.id,
                 "cases": cases, "password": PASSWORD}
        db.session.remove()
        db.engine.dispose()
    return found


@contextmanager
def _process(name: str, command: list[str], env: dict[str, str], logs: Path,
             started: list[tuple[str, subprocess.Popen, Path]]) -> Iterator[subprocess.Popen]:
    log_path = logs / f"{name}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    started.append((name, process, log_path))
    try:
        yield process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group (gunicorn's and Celery's children too), then SIGKILL."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # children left behind, if any
    if process.poll() is None:
        process.wait(timeout=10)


def _wait(what: str, check: Any, seconds: float, started: list) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        for name, process, log_path in started:
            if process.poll() is not None:
                raise AssertionError(f"{name} exited while waiting for {what}:\n"
                                     + log_path.read_text(errors="replace")[-3000:])
        time.sleep(0.5)
    logs = "\n".join(f"--- {name}\n{path.read_text(errors='replace')[-1500:]}"
                     for name, _, path in started)
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def _up(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + "/login", timeout=2) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def _delivered(caught: list[Any]) -> Counter:
    """(recipient, subject) of every message the SMTP server received."""
    found: Counter = Counter()
    for envelope in list(caught):
        message = message_from_bytes(envelope.content)
        subject = str(make_header(decode_header(message["Subject"] or "")))
        for recipient in envelope.rcpt_tos:
            found[(recipient, subject)] += 1
    return found


def _send(client: Client, case_id: int, crisis_id: int) -> int:
    path = f"/referrals/new?case_id={case_id}&service=psychological"
    status, page, _ = client.request(path)
    assert status == 200, page[-500:]
    form = form_for(page, having="token")
    assert form is not None, "the send form"
    values = dict(form["fields"], service_code="psychological", receiver_agency_id=crisis_id,
                  urgency="routine", reason="Counselling requested.", consented="yes",
                  categories=["identity_contact"])
    status, page, location = client.request(f"/referrals/new?case_id={case_id}", values,
                                            follow=False)
    sent = re.search(r"/referrals/(\d+)$", location)
    assert status == 302 and sent, (status, page[-1000:])
    return int(sent.group(1))


def test_two_web_two_workers_one_beat(tmp_path: Path) -> None:
    database_url = stack_load.fresh_postgres_database(_scaled_database_url())
    stack_load.flush_redis(TEST_REDIS_URL)
    world = _world(database_url)
    logs = tmp_path / "logs"
    logs.mkdir()
    started: list[tuple[str, subprocess.Popen, Path]] = []
    ports = [stack_load.free_port(), stack_load.free_port()]
    with ExitStack() as stack:
        smtp, caught = stack.enter_context(stack_load.smtp_catcher())
        env = stack_load.stack_env(tmp_path, ports[0], database_url=database_url,
                                   redis_url=TEST_REDIS_URL, smtp=smtp)
        env.update(SECRET_KEY=SECRET, SMTP_TLS="false", TRUSTED_PROXIES="1",
                   PUBLIC_BASE_URL=f"http://127.0.0.1:{ports[0]}",
                   REFERRAL_REMINDER_SWEEP_SECONDS=str(SWEEP_SECONDS))
        env.pop("PORT", None)
        celery = [str(BIN / "celery"), "-A", "workers.make_celery"]
        for index, port in enumerate(ports, start=1):
            stack.enter_context(_process(f"web{index}", [
                str(BIN / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}",
                "--timeout", "60", "--access-logfile", "-", "referral:create_app()"],
                env, logs, started))
        for index in (1, 2):
            stack.enter_context(_process(f"worker{index}", [
                *celery, "worker", "--loglevel=INFO", "--concurrency=1",
                "-n", f"scaled{index}@%h", "--without-gossip", "--without-mingle"],
                env, logs, started))
        stack.enter_context(_process("beat", [
            *celery, "beat", "--loglevel=INFO", "--schedule", str(tmp_path / "beat-schedule")],
            env, logs, started))
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base in bases:
            _wait(f"{base} to answer", lambda base=base: _up(base), 60, started)

        tally = Tally()
        # Logged in on A: the same cookie is a valid session on B.
        officer_a = Client(bases[0], tally, world["officer"], world["password"])
        assert officer_a.login()
        officer_b = Client(bases[1], tally, world["officer"], world["password"])
        officer_b.opener = officer_a.opener  # one browser, one cookie jar
        status, page, location = officer_b.request("/cases", follow=False)
        assert status == 200 and "/login" not in location, (status, location)

        # Sent on A, accepted on B by the receiving agency's worker (logged in on B).
        first = _send(officer_a, world["cases"][0], world["crisis_id"])
        crisis_b = Client(bases[1], tally, world["crisis"], world["password"])
        assert crisis_b.login()
        status, detail, _ = crisis_b.request(f"/referrals/{first}")
        assert status == 200
        status, _, location = crisis_b.post_form(detail, f"/referrals/{first}/accept")
        assert status == 302 and location.endswith(f"/referrals/{first}"), (status, location)

        # Sent on B, then back-dated: 90 % of its answer window gone, the sweep reminds.
        second = _send(officer_b, world["cases"][1], world["crisis_id"])
        engine = create_engine(database_url)
        try:
            with engine.begin() as conn:
                conn.execute(text(
                    "UPDATE referrals SET sent_at = now() - :gone, deadline_at = now() + :left "
                    "WHERE id = :id"),
                    {"gone": timedelta(hours=90), "left": timedelta(hours=10), "id": second})
        finally:
            engine.dispose()
        assert tally.errors == []

        def all_arrived() -> Counter | None:
            found = _delivered(caught)
            subjects = [s for _, s in found]
            to_crisis = [s for r, s in found if r == world["crisis"]]
            to_officer = [s for r, s in found if r == world["officer"]]
            if (sum(REMINDER in s for s in to_crisis) >= 1 and len(to_crisis) >= 3
                    and len(to_officer) >= 1 and len(subjects) >= 4):
                return found
            return None

        _wait("the e-mails and the reminder", all_arrived, 75, started)
        # Two more sweeps and a publish run: nothing is sent again.
        time.sleep(2 * SWEEP_SECONDS + 4)
        delivered = _delivered(caught)
        print(dict(delivered))  # shown with -s or on failure
        assert all(count == 1 for count in delivered.values()), delivered
        to_crisis = Counter(s for r, s in delivered if r == world["crisis"])
        assert sum(REMINDER in s for s in to_crisis) == 1, to_crisis
        assert sum("accepted" in s.lower() for r, s in delivered if r == world["officer"]) == 1
        assert len(caught) == sum(delivered.values())  # one recipient per message

        # Both web instances answered requests, both workers are up, one beat sent the sweeps.
        logs_by_name = {name: path.read_text(errors="replace") for name, _, path in started}
        assert all(" 200 " in logs_by_name[f"web{i}"] or '"status": 200' in logs_by_name[f"web{i}"]
                   for i in (1, 2)), "both instances served"
        assert all("ready" in logs_by_name[f"worker{i}"] for i in (1, 2))
        assert "referral.notifications.sweep" in logs_by_name["beat"]
