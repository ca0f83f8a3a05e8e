"""Run the benchmark on a generated dataset and write docs/performance.md.

    .venv/bin/python -m bench.run \\
        --database-url postgresql://postgres@127.0.0.1/bench \\
        --small-database-url postgresql://postgres@127.0.0.1/bench_10k \\
        --redis-url redis://127.0.0.1:6379/9

Pages are requested in-process with Flask's test client, as real users (logged in through the
login form) of different agencies and regions; the time is taken server-side around the WSGI
call until the last byte of the body, SQL statements are counted with a
``before_cursor_execute`` listener. Jobs run against the same database. Throughput is measured
with gunicorn (2 workers) under wrk. Figures go between the markers in docs/performance.md; the
rest of that file (the analysis) is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import throughput as bench_throughput
from bench.generate import PASSWORD, read_meta
from bench.harness import csrf_token, make_bench_app

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
TARGET_MEDIAN_MS, TARGET_P95_MS, TARGET_QUERIES = 50.0, 150.0, 10


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


# --- who asks -------------------------------------------------------------------------------------


@dataclass
class Person:
    """A logged-in user of the benchmark with what they may look at."""

    user_id: int
    email: str
    role: str
    agency_id: int
    region: str
    client: Any = None
    token: str = ""
    case_ids: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    iins: list[str] = field(default_factory=list)


def _rows(app: Any, sql: str, **params: Any) -> list[Any]:
    from referral.extensions import db

    with app.app_context():
        rows = db.session.execute(sa.text(sql), params).all()
        db.session.remove()
    return rows


def pick_people(app: Any, seed: int = 7) -> dict[str, list[Person]]:
    """Officers and managers of case-owning and receiving agencies, coordinators, an admin."""
    rng = random.Random(seed)
    agencies = _rows(app, "SELECT id, type, region_code FROM agencies WHERE type <> 'coordination'"
                          " ORDER BY id")
    owners = [a for a in agencies if a.type in ("police", "special_police", "crisis_center",
                                                "family_support")]
    receivers = [a for a in agencies if a.type in ("crisis_center", "ngo", "health",
                                                   "family_support", "social_services")]
    chosen = {"officer": rng.sample(owners, 40), "receiver": rng.sample(receivers, 30)}
    out: dict[str, list[Person]] = {"officer": [], "receiver": [], "agency_manager": [],
                                    "coordinator": [], "administrator": []}
    for group, picked in chosen.items():
        for a in picked:
            base = 4 * (a.id - 1) + 1
            out[group].append(Person(base + 1 + rng.randrange(3), "", "officer", a.id,
                                     a.region_code))
            if group == "officer" and len(out["agency_manager"]) < 20:
                out["agency_manager"].append(Person(base, "", "agency_manager", a.id,
                                                    a.region_code))
    for row in _rows(app, "SELECT u.id, u.agency_id, r.region_code FROM users u JOIN "
                          "coordinator_regions r ON r.user_id = u.id ORDER BY u.id"):
        if not any(p.region == row.region_code for p in out["coordinator"]):
            out["coordinator"].append(Person(row.id, "", "coordinator", row.agency_id,
                                             row.region_code))
    admin = _rows(app, "SELECT id, agency_id FROM users WHERE role = 'administrator' LIMIT 1")[0]
    out["administrator"].append(Person(admin.id, "", "administrator", admin.agency_id, ""))
    ids = [p.user_id for group in out.values() for p in group]
    emails = {r.id: r.email for r in _rows(app, "SELECT id, email FROM users WHERE id IN "
                                                f"({','.join(map(str, ids))})")}
    for group in out.values():
        for p in group:
            p.email = emails[p.user_id]
    for p in out["officer"] + out["receiver"] + out["agency_manager"]:
        cases = [r.id for r in _rows(app, "SELECT id FROM cases WHERE owner_agency_id = :a AND "
                                          "NOT restricted ORDER BY id", a=p.agency_id)]
        recent = cases[-50:]
        p.case_ids = (rng.sample(recent, min(10, len(recent)))
                      + rng.sample(cases, min(10, len(cases))))
        if p.case_ids:
            found = _rows(app, "SELECT p.surname, p.given_name, p.iin FROM case_participants cp "
                               "JOIN people p ON p.id = cp.person_id WHERE cp.role = 'survivor' "
                               f"AND cp.case_id IN ({','.join(map(str, p.case_ids))})")
            p.names = [f"{r.surname} {r.given_name}" for r in found]
            p.iins = [r.iin for r in found if r.iin]
    for p in out["coordinator"]:
        p.case_ids = [r.id for r in _rows(
            app, "SELECT id FROM cases WHERE region_code = :r AND NOT restricted "
                 "ORDER BY id DESC LIMIT 200", r=p.region)][::10]
    return out


def login(app: Any, person: Person) -> None:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    resp = client.post("/login", data={"email": person.email, "password": PASSWORD,
                                       "csrf_token": csrf_token(page)})
    if resp.status_code != 302:
        raise RuntimeError(f"login failed for {person.email}: {resp.status_code}")
    person.client = client
    person.token = csrf_token(client.get("/notifications").get_data(as_text=True))


# --- pages ----------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    role: str
    requests: int
    median_ms: float
    p95_ms: float
    max_ms: float
    queries_median: float
    queries_max: int
    errors: int
    peak_alloc_mb: float = 0.0
    queries_small: float | None = None
    queries_small_max: int | None = None
    note: str = ""
    # Figures kept a few minutes (figures_cache): most requests here read them kept, with
    # fewer statements than the first; the 10k pass computes them each time (see render).
    figures_cached: bool = False


Request = tuple[Any, str, str, dict[str, Any] | None]  # client, method, url, form data


def run_page(app: Any, name: str, role: str, requests: Callable[[int], Request], n: int,
             *, warmup: int = 3, expect: tuple[int, ...] = (200,), memory: int = 3,
             fresh_client: bool = False) -> Result:
    meter = app.extensions["bench_meter"]
    times: list[float] = []
    queries: list[int] = []
    errors = 0
    first_error = ""

    def one(i: int) -> None:
        nonlocal errors, first_error
        client, method, url, data = requests(i)
        resp = client.open(url, method=method, data=data)
        resp.get_data()
        resp.close()
        if resp.status_code not in expect:
            errors += 1
            first_error = first_error or f"{method} {url} -> {resp.status_code}"

    for i in range(warmup):
        one(i)
    for i in range(n):
        one(warmup + i)
        times.append(meter.last_ms)
        queries.append(meter.last_queries)
    peak = 0.0
    if memory:
        tracemalloc.start()
        for i in range(memory):
            tracemalloc.reset_peak()
            one(i)
            peak = max(peak, tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    result = Result(name, role, n, statistics.median(times), pct(times, 0.95), max(times),
                    statistics.median(queries), max(queries), errors, round(peak, 1))
    say(f"{name} ({role}): median {result.median_ms:.1f} ms, p95 {result.p95_ms:.1f} ms, "
        f"{result.queries_median:g}/{result.queries_max} queries, {errors} errors "
        f"{first_error}")
    return result


NO_FIGURES_CACHE = {"COORDINATION_FIGURES_CACHE_SECONDS": 0}


def page_plan(app: Any, people: dict[str, list[Person]], year: int
              ) -> list[tuple[str, str, Callable[[int], Request], dict[str, Any]]]:
    """(page, as whom, request i -> (client, method, url, data), options) for every page."""
    rng = random.Random(11)
    officers = [p for p in people["officer"] if p.case_ids]
    receivers = people["receiver"]
    managers = people["agency_manager"]
    coordinators = people["coordinator"]
    admin = people["administrator"][0]
    everyone = officers + managers + coordinators
    filters = ["", "?status=open", "?status=open&risk=high", "?sort=risk", "?page=2",
               "?repeat=1", "?status=closed&page=3", "?risk=medium&sort=oldest"]
    floor_client = app.test_client()

    def cycle(group: list[Person], i: int) -> Person:
        return group[i % len(group)]

    def login_request(i: int) -> Request:
        person = cycle(everyone, i)
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        return client, "POST", "/login", {"email": person.email, "password": PASSWORD,
                                          "csrf_token": csrf_token(page)}

    def case_list(group: list[Person]) -> Callable[[int], Request]:
        def make(i: int) -> Request:
            p = cycle(group, i)
            query = filters[i % len(filters)]
            if p.role == "coordinator" and i % 2:
                query = (query + "&" if query else "?") + f"region={p.region}"
            return p.client, "GET", "/cases" + query, None
        return make

    def search(kind: str) -> Callable[[int], Request]:
        def make(i: int) -> Request:
            p = cycle([o for o in officers if (o.names if kind == "name" else o.iins)], i)
            terms = p.names if kind == "name" else p.iins
            return p.client, "POST", "/cases/search", {"term": terms[i % len(terms)],
                                                        "csrf_token": p.token}
        return make

    def case_page(group: list[Person]) -> Callable[[int], Request]:
        def make(i: int) -> Request:
            p = cycle(group, i)
            return p.client, "GET", f"/cases/{p.case_ids[(i // len(group)) % len(p.case_ids)]}", \
                None
        return make

    def get(group: list[Person], url: str | Callable[[Person, int], str]) -> Callable[
            [int], Request]:
        def make(i: int) -> Request:
            p = cycle(group, i)
            return p.client, "GET", url(p, i) if callable(url) else url, None
        return make

    def export(i: int) -> Request:
        p = cycle(coordinators, i)
        return p.client, "POST", "/coordination/statistics", {
            "csrf_token": p.token, "region": p.region, "start": f"{year}-01-01",
            "end": f"{year}-12-31", "granularity": "month", "fmt": "csv"}

    del rng
    return [
        ("floor (bare template, no query)", "anonymous",
         lambda i: (floor_client, "GET", "/_bench/floor", None), {}),
        ("login (POST, argon2id)", "all roles", login_request, {"expect": (302,)}),
        ("home", "officer", get(officers, "/"), {}),
        ("home", "agency manager", get(managers, "/"), {}),
        ("home", "coordinator", get(coordinators, "/"), {}),
        ("home", "administrator", get([admin], "/"), {}),
        ("case list with filters", "officer", case_list(officers), {}),
        ("case list with filters", "coordinator", case_list(coordinators), {}),
        ("case search by name", "officer", search("name"), {}),
        ("case search by IIN", "officer", search("iin"), {}),
        ("case page", "officer", case_page(officers), {}),
        ("case page", "coordinator", case_page(coordinators), {}),
        ("referral inbox", "officer", get(receivers, "/referrals/inbox"), {}),
        ("referral outbox", "officer", get(officers, "/referrals/outbox"), {}),
        ("notifications list", "officer", get(receivers + officers, "/notifications"), {}),
        ("overdue review", "coordinator", get(coordinators, "/coordination/review"), {}),
        ("agency performance", "coordinator", get(coordinators, "/coordination/performance"),
         {"cached": True}),
        ("coverage", "coordinator", get(coordinators, "/coordination/coverage"),
         {"cached": True}),
        ("statistics export, one region-year (CSV)", "coordinator", export,
         {"export": True, "cached": True}),
        # The same three with the figures computed on every request (figures_cache off): what
        # the first reader of a region in five minutes waits.
        ("agency performance, computed each time", "coordinator",
         get(coordinators, "/coordination/performance"), {"config": NO_FIGURES_CACHE}),
        ("coverage, computed each time", "coordinator", get(coordinators, "/coordination/coverage"),
         {"config": NO_FIGURES_CACHE}),
        ("statistics export, computed each time", "coordinator", export,
         {"export": True, "config": NO_FIGURES_CACHE}),
    ]


def measure_pages(url: str, n: int, *, export_n: int, memory: int = 3, only: str = "",
                  cache: bool = True) -> list[Result]:
    app = make_bench_app(url)
    meta = read_meta(app)
    year = datetime.fromisoformat(meta["anchor"]).year - 1
    say("choosing users and logging them in")
    people = pick_people(app)
    for group in people.values():
        for person in group:
            login(app, person)
    results = []
    for name, role, make, options in page_plan(app, people, year):
        if only and only not in name:
            continue
        count = export_n if options.get("export") else n
        config = {**options.get("config", {}), **({} if cache else NO_FIGURES_CACHE)}
        saved = {key: app.config.get(key) for key in config}
        app.config.update(config)
        try:
            result = run_page(app, name, role, make, count,
                              expect=options.get("expect", (200,)), memory=memory)
        finally:
            app.config.update(saved)
        result.figures_cached = bool(options.get("cached")) and cache
        results.append(result)
    return results


# --- jobs -----------------------------------------------------------------------------------------


def deadline_sweep(url: str, runs: int = 5) -> dict[str, Any]:
    """reminders.run_all at the anchor (1,000 x scale due), rolled back after each run."""
    from referral.extensions import db
    from referral.notifications import reminders

    app = make_bench_app(url)
    meta = read_meta(app)
    anchor = datetime.fromisoformat(meta["anchor"])
    meter = app.extensions["bench_meter"]
    out: dict[str, Any] = {}
    with app.app_context():
        total = db.session.execute(sa.text("SELECT count(*) FROM referrals")).scalar_one()
        for label, now in (("due", anchor), ("idle", anchor - timedelta(hours=1))):
            times, counts, queries = [], {}, 0
            for _ in range(runs):
                meter.queries = 0
                started = time.perf_counter()
                counts = reminders.run_all(now=now)
                db.session.flush()
                times.append(time.perf_counter() - started)
                queries = meter.queries
                db.session.rollback()
            out[label] = {"median_s": statistics.median(times), "max_s": max(times),
                          "counts": counts, "queries": queries, "runs": runs}
            say(f"deadline sweep ({label}): median {statistics.median(times):.3f} s, {counts}, "
                f"{queries} queries")
        out["referrals"] = total
    return out


def audit_verify(url: str) -> dict[str, Any]:
    """The whole chain, walked by one process and then by two (``flask audit verify``'s
    default on this 2-core machine)."""
    from referral.audit.verify import verify_chain

    app = make_bench_app(url)
    out: dict[str, Any] = {}
    with app.app_context():
        for workers in (1, 2):
            started = time.perf_counter()
            report = verify_chain(workers=workers)
            elapsed = time.perf_counter() - started
            rate = report.rows_checked / elapsed
            say(f"audit verify ({workers} process(es)): {report.rows_checked:,} rows in "
                f"{elapsed:.1f} s = {rate:,.0f} rows/s, ok={report.ok}")
            out[str(workers)] = {"rows": report.rows_checked, "seconds": elapsed,
                                 "rows_per_s": rate, "ok": report.ok}
    return {**out["2"], "by_workers": out}


def _wait_for_worker(celery: Any, redis_url: str, timeout: float = 90.0) -> None:
    """Until both worker processes have taken a message: the dispatch is timed from a running
    worker, not from its start-up (a fixed pause was too short on a busy machine)."""
    import redis

    heartbeat = celery.tasks.get("referral.heartbeat")
    if heartbeat is None:
        from workers import tasks  # noqa: F401 - registers the tasks
        heartbeat = celery.tasks["referral.heartbeat"]
    for _ in range(4):
        heartbeat.apply_async(retry=False)
    queue = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while queue.llen("celery") and time.monotonic() < deadline:
        time.sleep(0.1)
    if queue.llen("celery"):
        raise RuntimeError("the Celery worker did not start within 90 s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def outbox_dispatch(url: str, redis_url: str, events: int = 1000) -> dict[str, Any]:
    """Events -> publish (in-app rows, deliveries, Redis) -> Celery worker -> SMTP sink."""
    import redis
    from aiosmtpd.controller import Controller

    from referral.access.scope import acting_as, system_actor
    from referral.events.service import emit
    from referral.extensions import db
    from referral.notifications import jobs
    from workers import celery_init_app

    class Sink:
        def __init__(self) -> None:
            self.count = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            self.count += 1
            return "250 OK"

    handler = Sink()
    smtp_port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    redis.Redis.from_url(redis_url).flushdb()
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url,
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
           "SECRET_KEY": "bench-secret-key-not-for-production-0123456789"}
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "workers.make_celery", "worker",
         "--concurrency=2", "--pool=prefork", "--loglevel=WARNING", "--without-heartbeat",
         "--without-mingle", "--without-gossip"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    app = make_bench_app(url, REDIS_URL=redis_url, CELERY_BROKER_URL=redis_url,
                         MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_port)
    celery = celery_init_app(app)
    deliver = celery.tasks.get("referral.notifications.deliver")
    if deliver is None:
        from workers import tasks  # noqa: F401 - registers the tasks
        deliver = celery.tasks["referral.notifications.deliver"]

    def enqueue(delivery_id: int) -> None:
        deliver.apply_async(args=[int(delivery_id)], retry=False)

    try:
        _wait_for_worker(celery, redis_url)
        with app.app_context():
            rows = db.session.execute(sa.text(
                "SELECT id, case_id, sender_agency_id, receiver_agency_id FROM referrals "
                "WHERE status IN ('accepted', 'in_progress') ORDER BY id DESC LIMIT :n"),
                {"n": events}).all()
            with acting_as(system_actor("bench dispatch")):
                first = None
                for r in rows:
                    ev = emit("referral.accepted", subject_type="referral", subject_id=r.id,
                              case_id=r.case_id, sender_agency_id=r.sender_agency_id,
                              receiver_agency_id=r.receiver_agency_id)
                    first = first or ev.id
            db.session.commit()
            started = time.perf_counter()
            publish_s = 0.0
            while True:
                t = time.perf_counter()
                jobs.publish(enqueue)
                publish_s += time.perf_counter() - t
                left = db.session.execute(sa.text(
                    "SELECT (SELECT count(*) FROM outbox_events WHERE id >= :f AND published_at "
                    "IS NULL) + (SELECT count(*) FROM deliveries WHERE event_id >= :f AND status "
                    "IN ('pending', 'sending'))"), {"f": first}).scalar_one()
                db.session.commit()
                if not left:
                    break
                if time.perf_counter() - started > 600:
                    raise RuntimeError("dispatch did not finish in 10 minutes")
                time.sleep(0.2)
            elapsed = time.perf_counter() - started
            done = dict(db.session.execute(sa.text(
                "SELECT status, count(*) FROM deliveries WHERE event_id >= :f GROUP BY status"),
                {"f": first}).all())
            in_app = db.session.execute(sa.text(
                "SELECT count(*) FROM notifications WHERE event_id >= :f"), {"f": first}
            ).scalar_one()
            for table in ("notifications", "deliveries"):
                db.session.execute(sa.text(f"DELETE FROM {table} WHERE event_id >= :f"),
                                   {"f": first})
            db.session.execute(sa.text("DELETE FROM outbox_events WHERE id >= :f"),
                               {"f": first})
            db.session.commit()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        controller.stop()
    sent = done.get("sent", 0)
    out = {"events": len(rows), "emails_sent": sent, "smtp_received": handler.count,
           "in_app": in_app, "statuses": done, "seconds": elapsed, "publish_seconds": publish_s,
           "emails_per_s": sent / elapsed, "notifications_per_s": (sent + in_app) / elapsed}
    say(f"outbox dispatch: {out}")
    return out


# --- throughput under gunicorn and wrk: bench/throughput.py ------------------------------------


def throughput(url: str, *, seconds: int, rounds: int, only: str = "") -> dict[str, Any]:
    app = make_bench_app(url)
    return bench_throughput.throughput(url, pick_people(app), read_meta(app)["anchor"],
                                       _free_port(), seconds=seconds, rounds=rounds, only=only,
                                       say=say)


# --- report ---------------------------------------------------------------------------------------


def calibration(rounds: int = 3) -> float:
    """Seconds for a fixed Python loop (5 M multiply-adds), best of ``rounds``: the machine's
    speed at the time, to compare runs on a shared machine whose speed moves by a third within
    the hour (docs/performance.md, seventh round)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for i in range(5_000_000):
            total += i * i
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def environment() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")
    mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem / 2**20, 1),
            "python": platform.python_version(), "load_before": os.getloadavg(),
            "calibration_before": calibration(),
            "when": datetime.now().isoformat(timespec="minutes")}


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _same_statements(p: Result) -> bool:
    """No N+1: the same statements per request at 10,000 and 1,000,000 cases. A page whose
    figures are kept (figures_cache) reads them kept at 1M and computes them at 10k (fewer
    statements at 1M, never more)."""
    if p.queries_small is None:
        return True
    if p.figures_cached:
        return p.queries_median <= p.queries_small
    return p.queries_small == p.queries_median


def _ok(good: bool) -> str:
    return "yes" if good else "**no**"


def _floor_gauge(floor: Result | None) -> str:
    """The floor page is the better gauge for pages: a shared machine's slow hours slowed the
    framework's own work (templates, routing) 2.5 times and the arithmetic loop 1.3 times
    (docs/performance.md, eighth round)."""
    if floor is None:
        return ""
    return (f" The floor page's median, {floor.median_ms:.1f} ms, tracks pages more closely: "
            "compare pages across runs by their multiple of it (\"Median × floor\").")


def render(data: dict[str, Any]) -> str:
    env = data["environment"]
    meta = data.get("meta", {})
    pages = [Result(**r) for r in data.get("pages", [])]
    floor = next((p for p in pages if p.name.startswith("floor")), None)
    before = ", ".join(f"{x:.2f}" for x in env["load_before"])
    after = ", ".join(f"{x:.2f}" for x in env.get("load_after", ()))
    lines = [START, "", f"Generated by `python -m bench.run` on {env['when']} "
             f"({env['cpu']}, {env['cores']} cores, {env['memory_gb']} GB RAM, Python "
             f"{env['python']}; load average before {before}, after {after}).", ""]
    if "calibration_before" in env:
        lines[-1:-1] = [f"Machine speed: a fixed Python loop (5 M multiply-adds, best of 3) "
                        f"took {env['calibration_before']:.3f} s before the run and "
                        f"{env.get('calibration_after', float('nan')):.3f} s after (lower is "
                        f"faster).{_floor_gauge(floor)}", ""]
    if meta:
        counts = meta.get("counts", {})
        lines += ["Dataset: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())
                                          if v >= 1000) + f"; anchor {meta.get('anchor')}, "
                  f"generated in {meta.get('timings', {}).get('total', 0):.0f} s "
                  f"(load {meta.get('timings', {}).get('load', 0):.0f} s, indexes "
                  f"{meta.get('timings', {}).get('indexes', 0):.0f} s, vacuum/analyse "
                  f"{meta.get('timings', {}).get('vacuum_analyze', 0):.0f} s).", ""]
    if pages:
        lines += ["### Pages (1,000,000 cases, PostgreSQL, in-process, server time)", "",
                  "| Page | As | Requests | Median ms | p95 ms | Median × floor | SQL / request "
                  "(1M) | SQL / request (10k) | Peak Python alloc MB | Target met |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for p in pages:
            ratio = p.median_ms / floor.median_ms if floor else None
            small = "—" if p.queries_small is None else f"{p.queries_small:g} (max " \
                f"{p.queries_small_max})"
            if p.name.startswith("floor"):
                met = "—"
            elif "export" in p.name:
                met = _ok(p.median_ms < 5000 and p.queries_max <= TARGET_QUERIES)
            else:
                met = _ok(p.median_ms < TARGET_MEDIAN_MS and p.p95_ms < TARGET_P95_MS
                          and p.queries_max <= TARGET_QUERIES and _same_statements(p))
            err = f" ({p.errors} errors)" if p.errors else ""
            lines.append(f"| {p.name}{err} | {p.role} | {p.requests} | {_fmt(p.median_ms)} | "
                         f"{_fmt(p.p95_ms)} | {_fmt(ratio)} | {p.queries_median:g} (max "
                         f"{p.queries_max}) | {small} | {_fmt(p.peak_alloc_mb)} | {met} |")
        if any(p.figures_cached for p in pages):
            lines += ["", "Rows without \"computed each time\": most requests read figures kept "
                      "for the region (up to five minutes, `figures_cache`), with fewer statements "
                      "than the first; the 10k column counts them computed, so there the 1M "
                      "median must not exceed it. The \"computed each time\" rows compare equal "
                      "counts, like every other page."]
        lines.append("")
    jobs = data.get("jobs", {})
    if jobs:
        lines += ["### Jobs", "", "| Job | Figure | Target | Met |", "|---|---|---|---|"]
        sweep = jobs.get("sweep")
        if sweep:
            due = sweep["due"]
            lines.append(f"| Deadline sweep, {sum(due['counts'].values()):,} due of "
                         f"{sweep['referrals']:,} referrals ({due['counts']}) | median "
                         f"{due['median_s']:.3f} s over {due['runs']} runs, {due['queries']} SQL "
                         f"| < 1 s | {_ok(due['median_s'] < 1)} |")
            idle = sweep["idle"]
            lines.append(f"| Deadline sweep, nothing due | median {idle['median_s']:.3f} s, "
                         f"{idle['queries']} SQL | — | — |")
        disp = jobs.get("dispatch")
        if disp:
            lines.append(f"| Outbox dispatch (publish → Redis → Celery worker ×2 → SMTP) | "
                         f"{disp['events']:,} events → {disp['emails_sent']:,} e-mails + "
                         f"{disp['in_app']:,} in-app rows in {disp['seconds']:.1f} s: "
                         f"{disp['emails_per_s']:.0f} e-mails/s, "
                         f"{disp['notifications_per_s']:.0f} notifications/s | ≥ 200 /s | "
                         f"{_ok(disp['notifications_per_s'] >= 200)} |")
        ver = jobs.get("verify")
        for workers, run in sorted((ver or {}).get("by_workers", {}).items()):
            lines.append(f"| Audit-chain verify, {workers} process(es) | {run['rows']:,} rows "
                         f"in {run['seconds']:.1f} s = {run['rows_per_s']:,.0f} rows/s (chain "
                         f"ok: {run['ok']}) | ≥ 100,000 rows/s | "
                         f"{_ok(run['rows_per_s'] >= 100_000)} |")
        lines.append("")
    thr = data.get("throughput")
    if thr and "pages" in thr:
        lines += bench_throughput.render(thr, _ok)
    elif thr:
        lines += [f"Throughput: {thr['skipped']}", ""]
    lines.append(END)
    return "\n".join(lines)


def write_doc(block: str) -> None:
    text = DOC.read_text("utf-8") if DOC.exists() else "# Performance\n\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n## Figures\n\n" + block + "\n"
    DOC.write_text(text, "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark pages and jobs; write the report.")
    parser.add_argument("--database-url", required=True, help="the 1M-case dataset")
    parser.add_argument("--small-database-url", help="the 10k-case dataset (query counts)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--export-requests", type=int, default=200)
    parser.add_argument("--only", default="", help="pages whose name contains this")
    parser.add_argument("--skip", default="", help="comma list: pages,jobs,sweep,dispatch,"
                                                    "verify,throughput")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--wrk-rounds", type=int, default=3)
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "latest.json"))
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite the report")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    data: dict[str, Any] = {"environment": environment(), "wrk_connections": 4}
    data["meta"] = read_meta(make_bench_app(args.database_url))
    if "pages" not in skip:
        pages = measure_pages(args.database_url, args.requests, export_n=args.export_requests,
                              only=args.only)
        if args.small_database_url:
            say("query counts on the 10k-case dataset")
            # Every figure computed each time: the statements of a first reader, to compare.
            small = {(p.name, p.role): p for p in measure_pages(
                args.small_database_url, 20, export_n=5, memory=0, only=args.only,
                cache=False)}
            for p in pages:
                s = small.get((p.name, p.role))
                if s:
                    p.queries_small, p.queries_small_max = s.queries_median, s.queries_max
        data["pages"] = [asdict(p) for p in pages]
    jobs: dict[str, Any] = {}
    if "jobs" not in skip and "sweep" not in skip:
        jobs["sweep"] = deadline_sweep(args.database_url)
    if "jobs" not in skip and "dispatch" not in skip:
        jobs["dispatch"] = outbox_dispatch(args.database_url, args.redis_url)
    if "jobs" not in skip and "verify" not in skip:
        jobs["verify"] = audit_verify(args.database_url)
    data["jobs"] = jobs
    if "throughput" not in skip:
        data["throughput"] = throughput(args.database_url, seconds=args.wrk_seconds,
                                        rounds=args.wrk_rounds, only=args.only)
    data["environment"]["load_after"] = os.getloadavg()
    data["environment"]["calibration_after"] = calibration()
    data["environment"]["bench_process_peak_rss_mb"] = resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(data, indent=1, default=str), "utf-8")
    if not args.no_doc:
        write_doc(render(data))
        say(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
