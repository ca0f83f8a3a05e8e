"""Load on the default stack: ``python -m referral.devserver`` (web, Celery worker and beat, as
``make run`` starts them) and N concurrent browser-like clients doing mixed work.

Used by ``tests/test_default_stack_load.py`` and, by hand, for the figures of the closing note:

    .venv/bin/python -m bench.stack_load --clients 8 --seconds 60
    .venv/bin/python -m bench.stack_load --clients 8,16,24,32 --seconds 60      # SQLite ceiling
    .venv/bin/python -m bench.stack_load --database-url postgresql+psycopg://postgres@127.0.0.1/x \\
        --redis-url redis://127.0.0.1:6379/9

Clients are real HTTP sessions (urllib, a cookie jar, the CSRF token read from each form) of the
demo users that ``flask seed-demo`` prints: police officers send referrals from their cases,
crisis-centre and family-centre workers accept, start and complete them, a coordinator reads the
region's lists and exports the statistics, an administrator reads the system and audit pages;
everyone searches, opens cases, reads and clears notifications, and logs out and in again now and
then. Every response is counted; every action a client saw succeed is checked in the database
afterwards (stored exactly once), and the audit chain is verified with ``flask audit verify``.
"""

from __future__ import annotations

import argparse
import html
import http.cookiejar
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
DEMO_DOMAIN = "demo.example.org"
# Who does what: senders use the police agency's demo cases; receivers are the agencies that
# offer psychological support in Almaty. The list is cycled for more clients than roles.
ROLES: tuple[tuple[str, str], ...] = (
    ("police", "sender"), ("crisis", "receiver"), ("police.manager", "sender"),
    ("crisis.manager", "receiver"), ("coordinator", "overseer"), ("crisis2", "receiver"),
    ("family", "receiver"), ("admin", "admin"), ("police", "sender"),
    ("crisis", "receiver"), ("police.manager", "sender"), ("crisis2", "receiver"),
)
RECEIVER_AGENCIES = ("Almaty Crisis Center", "Almaty Women's Support Center",
                     "Auezov Family Support Center")
SEARCH_TERMS = ("Nur", "Aig", "Ali", "Sau", "Дан", "Ас", "KZ-75")
OPEN_STATUSES = ("Awaiting answer", "Accepted", "In progress")


# --- the stack -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    """A running ``python -m referral.devserver`` and what a client needs to know of it."""

    base_url: str
    env: dict[str, str]
    password: str
    emails: list[str]
    process: subprocess.Popen
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def devserver_has_mailbox() -> bool:
    """Whether devserver starts the development SMTP catcher itself (REFERRAL_DEV_MAILBOX)."""
    return "REFERRAL_DEV_MAILBOX" in (ROOT / "referral" / "devserver.py").read_text()


def stack_env(instance: Path, port: int, *, database_url: str = "", redis_url: str = "",
              smtp: tuple[str, int] | None = None, mailbox: bool = True) -> dict[str, str]:
    """The environment for devserver: the caller's, minus anything that would point the stack
    elsewhere, plus the instance folder, port, database, Redis and mail settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("REFERRAL_", "TEST_", "SMTP_", "PYTEST", "FLASK_"))
           and k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "PORT")}
    # PYTHONPATH: this tree's code in every process (flask, celery), whatever is installed.
    env.update(REFERRAL_INSTANCE_PATH=str(instance), PORT=str(port), PYTHONUNBUFFERED="1",
               PYTHONPATH=str(ROOT))
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    if not mailbox:
        env["REFERRAL_DEV_MAILBOX"] = "off"
    if smtp is not None:
        env["SMTP_HOST"], env["SMTP_PORT"] = smtp[0], str(smtp[1])
    return env


@contextmanager
def running_stack(env: dict[str, str], *, startup_seconds: float = 120) -> Iterator[Stack]:
    """Start devserver as ``make run`` does, wait for its "runs on" line, stop it afterwards
    (SIGTERM: devserver stops web, worker and beat in order)."""
    port = int(env["PORT"])
    log_path = Path(env["REFERRAL_INSTANCE_PATH"]) / "devserver.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([PYTHON, "-m", "referral.devserver"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + startup_seconds
        while "Referral runs on" not in log_path.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("devserver did not start:\n" + log_path.read_text()[-4000:])
            time.sleep(0.3)
        out = log_path.read_text(errors="replace")
        password = re.search(r"password for all: (\S+?)\)", out).group(1)  # type: ignore[union-attr]
        emails = re.findall(rf"^\s+(\S+@{re.escape(DEMO_DOMAIN)})\s", out, re.MULTILINE)
        yield Stack(f"http://127.0.0.1:{port}", env, password, emails, process, log_path)
    finally:
        stop_stack(process)


def stop_stack(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group devserver leads (own session)
            process.wait(timeout=10)


def flask_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "flask"), "--app", "referral", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


# --- HTML ------------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """Each form's action and the values a browser would submit unchanged (hidden inputs,
    checked boxes, selected options, textareas)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get"),
                               "fields": {}})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields.setdefault(a["name"], a.get("value", "on"))
            elif kind != "submit":
                fields.setdefault(a["name"], a.get("value", ""))
        elif tag == "select" and a.get("name"):
            self._select, self._first_option = a["name"], None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
                fields.setdefault(self._select, value)
            if "selected" in a:
                fields[self._select] = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            fields.setdefault(a["name"], "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data.strip("\n")


def forms_of(page: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def form_for(page: str, action_suffix: str = "", *, having: str = "") -> dict[str, Any] | None:
    """The first POST form whose action ends with ``action_suffix`` and that has a field
    named ``having``."""
    for form in forms_of(page):
        if (form["method"].lower() == "post" and form["action"].endswith(action_suffix)
                and (not having or having in form["fields"])):
            return form
    return None


# --- clients ---------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # every hop is a response of its own, counted and checked


@dataclass
class Tally:
    """What all clients saw, shared between their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # 5xx and dropped connections
    not_found: Counter = field(default_factory=Counter)  # 404s by path (a race, or a bug)
    sends: dict[tuple[str, str], int] = field(default_factory=dict)  # (user, token) -> id
    moves: list[tuple[int, str]] = field(default_factory=list)  # (referral id, action)
    exports: int = 0
    slowest: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return len(self.errors)


class Client:
    def __init__(self, base_url: str, tally: Tally, email: str, password: str) -> None:
        self.base, self.tally, self.email, self.password = base_url, tally, email, password
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect)
        self.logged_in = False

    def request(self, path: str, data: dict[str, Any] | None = None,
                follow: bool = True) -> tuple[int, str, str]:
        """(status, body, location) of ``path``; redirects followed (each hop counted)."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        started = time.monotonic()
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                status, location = response.status, response.headers.get("Location", "")
                page = response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            status, location = err.code, err.headers.get("Location", "")
            page = err.read().decode("utf-8", "replace")
        except OSError as err:  # refused, reset, timed out: as bad as a 500 for the user
            with self.tally.lock:
                self.tally.statuses["conn"] += 1
                self.tally.errors.append(f"{'POST' if data else 'GET'} {path}: {err!r}")
            return 0, "", ""
        elapsed = time.monotonic() - started
        with self.tally.lock:
            self.tally.statuses[status] += 1
            self.tally.slowest = max(self.tally.slowest, elapsed)
            if status >= 500:
                self.tally.errors.append(f"{'POST' if data else 'GET'} {path}: {status}")
            elif status == 404:
                shape = re.sub(r"[0-9]+", "N", path)
                self.tally.not_found[f"{'POST' if data else 'GET'} {shape}"] += 1
        if status in (301, 302, 303) and location:
            target = urllib.parse.urlsplit(location)
            if target.path == "/login":
                self.logged_in = False  # the session is gone: the work loop logs in again
        if follow and status in (301, 302, 303) and location:
            follow_status, page, _ = self.request(target.path + (
                f"?{target.query}" if target.query else ""))
            return follow_status, page, location
        return status, page, location

    def post_form(self, page: str, action_suffix: str = "", *, having: str = "",
                  path: str = "", **values: Any) -> tuple[int, str, str]:
        """Submit a form of ``page`` (``form_for``) as a browser would; a form without an
        action posts to ``path``, the page's own address."""
        form = form_for(page, action_suffix, having=having)
        if form is None:
            return 0, "", ""
        fields = dict(form["fields"])
        fields.update(values)
        return self.request(form["action"] or path, fields, follow=False)

    def login(self) -> bool:
        _, page, _ = self.request("/login")
        status, _, location = self.post_form(page, having="email", path="/login",
                                             email=self.email, password=self.password)
        self.logged_in = status == 302
        if self.logged_in:
            self.request(urllib.parse.urlsplit(location).path or "/")
        return self.logged_in

    def logout(self) -> None:
        _, page, _ = self.request("/notifications")
        self.post_form(page, "/logout")


def _links(page: str, pattern: str) -> list[str]:
    return list(dict.fromkeys(re.findall(pattern, page)))


def _open_referrals(page: str) -> list[str]:
    """Links of inbox rows whose status is still open."""
    rows = re.findall(r"<tr[^>]*referral-row.*?</tr>", page, re.DOTALL)
    found = []
    for row in rows:
        link = re.search(r'href="(/referrals/\d+)"', row)
        if link and any(f"<td>{status}</td>" in row for status in OPEN_STATUSES):
            found.append(link.group(1))
    return found


def _common(client: Client, rng: random.Random) -> None:
    """What every user does between their own tasks."""
    pick = rng.random()
    if pick < 0.3:
        _, page, _ = client.request("/notifications")
        if rng.random() < 0.5:
            client.post_form(page, "/notifications/read-all")
    elif pick < 0.5:
        _, page, _ = client.request("/cases")
        cases = _links(page, r'href="(/cases/\d+)"')
        if cases:
            client.request(rng.choice(cases))
        if form_for(page, "/cases/search"):
            client.post_form(page, "/cases/search", term=rng.choice(SEARCH_TERMS))
    elif pick < 0.6:
        client.request("/")
    elif pick < 0.65:
        client.request("/directory?service=psychological")


def _sender(client: Client, rng: random.Random) -> None:
    _, page, _ = client.request("/cases")
    cases = [int(c) for c in re.findall(r'href="/cases/(\d+)"', page)]
    if not cases:
        return
    case_id = rng.choice(cases)
    client.request(f"/cases/{case_id}")
    _, form_page, _ = client.request(f"/referrals/new?case_id={case_id}&service=psychological")
    form = form_for(form_page, having="token")
    if form is None:
        return
    agencies = [value for value, label in re.findall(
        r'<option value="(\d+)">([^<]*)</option>', form_page.split('name="receiver_agency_id"')[-1]
        .split("</select>")[0]) if html.unescape(label).startswith(RECEIVER_AGENCIES)]
    if not agencies:
        return
    token = form["fields"].get("token", "")
    values = dict(form["fields"], service_code="psychological",
                  receiver_agency_id=rng.choice(agencies), urgency="routine",
                  reason="Load test: counselling requested.", consented="yes",
                  categories=["identity_contact", "incident_details"])
    # Now and then the same form twice (a double click): one referral all the same.
    for _ in range(2 if rng.random() < 0.15 else 1):
        status, _, location = client.request("/referrals/new?case_id=" + str(case_id),
                                             values, follow=False)
        found = re.search(r"/referrals/(\d+)$", location)
        if status == 302 and found:
            with client.tally.lock:
                client.tally.sends[(client.email, token)] = int(found.group(1))
            client.request(found.group(0))


def _receiver(client: Client, rng: random.Random) -> None:
    _, page, _ = client.request("/referrals/inbox")
    open_ones = _open_referrals(page)
    if not open_ones:
        return
    path = rng.choice(open_ones)
    referral_id = int(path.rsplit("/", 1)[1])
    _, detail, _ = client.request(path)
    for action, values in (("accept", {}), ("start", {}),
                           ("complete", {"complete-outcome": "service_provided",
                                         "complete-text": "Load test: sessions held."})):
        if form_for(detail, f"/referrals/{referral_id}/{action}") is None:
            continue
        status, _, location = client.post_form(detail, f"/referrals/{referral_id}/{action}",
                                               **values)
        if status == 302 and location.endswith(f"/referrals/{referral_id}"):
            with client.tally.lock:
                client.tally.moves.append((referral_id, action))
            client.request(f"/referrals/{referral_id}")
        return


def _overseer(client: Client, rng: random.Random) -> None:
    pick = rng.random()
    if pick < 0.3:
        client.request("/coordination/review")
    elif pick < 0.55:
        _, page, _ = client.request("/referrals/region")
        links = _links(page, r'href="(/referrals/\d+)"')
        if links:
            client.request(rng.choice(links))
    elif pick < 0.75:
        _, page, _ = client.request("/coordination/statistics")
        status, body, _ = client.post_form(page, having="fmt", path="/coordination/statistics",
                                           fmt="csv")
        if status == 200 and body:
            with client.tally.lock:
                client.tally.exports += 1
    else:
        client.request("/coordination/performance")


def _admin(client: Client, rng: random.Random) -> None:
    client.request(rng.choice(("/admin/system", "/admin/audit", "/admin/users")))


WORK = {"sender": _sender, "receiver": _receiver, "overseer": _overseer, "admin": _admin}


def run_clients(stack: Stack, clients: int, seconds: float, *, seed: int = 17) -> Tally:
    """``clients`` threads, each one demo user's session, working until ``seconds`` have passed."""
    tally = Tally()
    deadline = time.monotonic() + seconds

    def work(index: int) -> None:
        local, role = ROLES[index % len(ROLES)]
        rng = random.Random(seed * 1000 + index)
        client = Client(stack.base_url, tally, f"{local}@{DEMO_DOMAIN}", stack.password)
        while time.monotonic() < deadline:
            if not client.logged_in and not client.login():
                time.sleep(0.2)
                continue
            WORK[role](client, rng)
            _common(client, rng)
            if rng.random() < 0.05:  # log out and in again: session rows, last-login stamps
                client.logout()
                client.login()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return tally


# --- after the run ---------------------------------------------------------------------------


def database_url_of(env: dict[str, str]) -> str:
    if env.get("DATABASE_URL"):
        return env["DATABASE_URL"]
    return f"sqlite:///{Path(env['REFERRAL_INSTANCE_PATH']) / 'referral.sqlite'}"


def stored_problems(env: dict[str, str], tally: Tally) -> list[str]:
    """Each action a client saw succeed is stored exactly once (its row, its history entry, its
    audit row); no referral has a step twice."""
    problems: list[str] = []
    engine = create_engine(database_url_of(env))
    try:
        with engine.connect() as conn:
            for (email, token), referral_id in tally.sends.items():
                ids = conn.execute(text(
                    "SELECT r.id FROM referrals r JOIN users u ON u.id = r.sender_user_id "
                    "WHERE r.idempotency_key = :t AND u.email = :e"),
                    {"t": token, "e": email}).scalars().all()
                if ids != [referral_id]:
                    problems.append(f"send {token}: stored as {ids}, client saw {referral_id}")
            wanted = Counter(tally.moves) + Counter((i, "send") for i in tally.sends.values())
            for (referral_id, action), seen in wanted.items():
                history = conn.execute(text(
                    "SELECT count(*) FROM referral_history WHERE referral_id = :r "
                    "AND action = :a"), {"r": referral_id, "a": action}).scalar_one()
                audited = conn.execute(text(
                    "SELECT count(*) FROM audit_events WHERE object_type = 'referral' "
                    "AND object_id = :r AND action = :a"),
                    {"r": str(referral_id), "a": f"referral.{action}"}).scalar_one()
                if action != "send" and seen != 1:
                    problems.append(f"referral {referral_id} {action}: succeeded {seen} times")
                if history != 1 or audited != 1:
                    problems.append(f"referral {referral_id} {action}: {history} history rows, "
                                    f"{audited} audit rows")
            twice = conn.execute(text(
                "SELECT referral_id, action, count(*) FROM referral_history "
                "WHERE action IN ('send', 'accept', 'start', 'complete') "
                "GROUP BY referral_id, action HAVING count(*) > 1")).all()
            problems += [f"referral {r} has {a} {n} times" for r, a, n in twice]
    finally:
        engine.dispose()
    return problems


def audit_verified(env: dict[str, str]) -> tuple[bool, str]:
    done = flask_command(env, "audit", "verify")
    return done.returncode == 0, (done.stdout + done.stderr).strip()


# --- PostgreSQL and Redis for a run ------------------------------------------------------------


def fresh_postgres_database(url: str) -> str:
    """Drop and create the database ``url`` names (the load test's own, beside the suite's)."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()
    return url


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


@contextmanager
def smtp_catcher() -> Iterator[tuple[tuple[str, int], list[Any]]]:
    """An aiosmtpd server on a free port that keeps what it receives (when devserver does not
    start its own development mailbox)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    caught: list[Any] = []

    class Keep(Sink):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            caught.append(envelope)
            return "250 OK"

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield ("127.0.0.1", port), caught
    finally:
        controller.stop()


@dataclass
class Outcome:
    clients: int
    seconds: float
    tally: Tally
    problems: list[str]
    audit_ok: bool
    audit_text: str
    mails_caught: int | None
    log_tail: str
    log_errors: Counter  # exception lines of the stack's log, counted

    def summary(self) -> str:
        t = self.tally
        return (f"{self.clients} clients, {self.seconds:.0f} s: {t.requests} requests "
                f"{dict(t.statuses)}, "
                f"{t.server_errors} 5xx/dropped, {len(t.sends)} sent, "
                f"{Counter(a for _, a in t.moves)} moves, {t.exports} exports, "
                f"slowest {t.slowest:.2f} s, audit {'intact' if self.audit_ok else 'BROKEN'}, "
                f"{len(self.problems)} storage problems"
                + (f", {self.mails_caught} mails caught" if self.mails_caught is not None else ""))


def run_once(*, clients: int, seconds: float, mailbox: bool, database_url: str = "",
             redis_url: str = "", workdir: Path | None = None) -> Outcome:
    """Start the stack, load it, stop it, check what was stored."""
    with tempfile.TemporaryDirectory(prefix="stack-load-", dir=workdir) as tmp:
        instance = Path(tmp) / "instance"
        instance.mkdir()
        if database_url:
            fresh_postgres_database(database_url)
        if redis_url:
            flush_redis(redis_url)
        with _mail(mailbox) as (smtp, caught):
            env = stack_env(instance, free_port(), database_url=database_url,
                            redis_url=redis_url, smtp=smtp, mailbox=mailbox)
            with running_stack(env) as stack:
                tally = run_clients(stack, clients, seconds)
            log = stack.log_text()
            if os.environ.get("STACK_LOAD_KEEP_LOG"):  # for a look at what the stack logged
                Path(os.environ["STACK_LOAD_KEEP_LOG"]).write_text(log)
        if caught is None and (instance / "dev-mailbox").is_dir():  # devserver's own catcher
            caught = [p for p in (instance / "dev-mailbox").rglob("*") if p.is_file()]
        problems = stored_problems(env, tally)
        audit_ok, audit_text = audit_verified(env)
        errors = Counter(re.findall(r"^(\w[\w.]*(?:Error|Exception|Locked)\w*: .{0,90})", log,
                                    re.MULTILINE))
        return Outcome(clients, seconds, tally, problems, audit_ok, audit_text,
                       None if caught is None else len(caught), log[-6000:], errors)


@contextmanager
def _mail(mailbox: bool) -> Iterator[tuple[tuple[str, int] | None, list[Any] | None]]:
    """present: devserver's own catcher, or one here if devserver has none; absent: a port
    nothing listens on, so every e-mail fails and is retried (the retry case)."""
    if not mailbox:
        yield ("127.0.0.1", free_port()), None
    elif devserver_has_mailbox():
        yield None, None
    else:
        with smtp_catcher() as (address, caught):
            yield address, caught


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="8", help="a count, or counts: 8,16,32")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--no-mailbox", action="store_true", help="no SMTP server (retries)")
    parser.add_argument("--database-url", default="", help="PostgreSQL (dropped and created)")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--stop-at-first-error", action="store_true")
    args = parser.parse_args()
    failed = False
    for count in (int(c) for c in args.clients.split(",")):
        outcome = run_once(clients=count, seconds=args.seconds, mailbox=not args.no_mailbox,
                           database_url=args.database_url, redis_url=args.redis_url)
        print(outcome.summary(), flush=True)
        if outcome.tally.not_found:
            print("    404:", dict(outcome.tally.not_found))
        for line in outcome.tally.errors[:20] + outcome.problems[:20]:
            print("   ", line)
        if not outcome.audit_ok:
            print("   ", outcome.audit_text)
        for line, count in outcome.log_errors.most_common(10):
            print(f"    log: {count} x {line}")
        bad = outcome.tally.server_errors or outcome.problems or not outcome.audit_ok
        failed = failed or bool(bad)
        if bad and args.stop_at_first_error:
            break
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
