"""Throughput of every page under gunicorn (2 sync workers) and wrk, as a share of the floor's.

Each page runs right after a floor run (the machine is shared and its speed moves within the
hour: a share of the floor measured beside it compares across runs, requests/s alone does not).
Each page is requested as one logged-in user, cycling over that user's cases, filters, names and
IINs through a generated wrk Lua script (POST bodies carry the session's CSRF token). The CPU
each request cost is read from ``/proc``: the gunicorn workers' and every PostgreSQL process's
user + system time over the run, divided by the requests wrk completed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from bench.generate import PASSWORD
from bench.harness import csrf_token

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")

# The share of the floor's requests/s each kind of page must reach (issue 23).
SHARE_TARGETS = {"referral inbox": 1 / 3, "case page": 1 / 5, "case list with filters": 1 / 5,
                 "overdue review": 1 / 5}
OTHER_PAGES_SHARE = 1 / 6
FLOORS = ("floor", "floor, template compiled per request")
# The floor ladder (bench/harness.py, ``ladder_routes``): the duties every logged-in, audited
# page has before its own work, one more per rung. No target: they bound what pages can reach.
LADDER = (("floor + session", "/_bench/floor-session"),
          ("floor + session + one audit row", "/_bench/floor-audited"),
          ("floor + session + one audit row + page frame", "/_bench/floor-framed"))


@dataclass
class Load:
    """One page as wrk requests it: who (the cookie) and the requests it cycles over."""

    name: str
    role: str
    email: str
    requests: list[tuple[str, str, dict[str, str] | None]]  # method, path, form (+csrf)


def target_share(name: str) -> float | None:
    if name in dict(LADDER):
        return None
    return SHARE_TARGETS.get(name, OTHER_PAGES_SHARE)


def login(base: str, email: str) -> tuple[str, str]:
    """A session cookie and its CSRF token, through the real login form."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    data = urllib.parse.urlencode({"email": email, "password": PASSWORD,
                                   "csrf_token": csrf_token(page)}).encode()
    opener.open(base + "/login", data=data).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    token = csrf_token(opener.open(base + "/notifications").read().decode())
    return cookie, token


def _lua(load: Load | None, cookie: str, token: str) -> str:
    """A wrk script cycling over the load's requests (GET, or POST with a form body)."""
    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["local reqs = {}"]
    for method, path, form in (load.requests if load else []):
        headers = [f'["Cookie"] = {quote(cookie)}'] if cookie else []
        body = "nil"
        if form is not None:
            headers.append('["Content-Type"] = "application/x-www-form-urlencoded"')
            body = quote(urllib.parse.urlencode({**form, "csrf_token": token}))
        lines.append(f"reqs[#reqs + 1] = wrk.format({quote(method)}, {quote(path)}, "
                     f"{{{', '.join(headers)}}}, {body})")
    lines += ["local i = 0", "request = function()", "  i = i + 1",
              "  return reqs[(i % #reqs) + 1]", "end"]
    return "\n".join(lines) + "\n"


def _cpu_seconds(pids: list[int], *, reaped: bool = False) -> float:
    """User + system CPU of these processes; with ``reaped``, also that of the ended children
    of the one whose parent is not among them (PostgreSQL's postmaster). A backend that ends
    during a run (an autovacuum worker, a recycled connection) takes its own figure with it;
    the postmaster, which reaps it, inherits the whole of it."""
    stats = {}
    for pid in pids:
        try:
            stats[pid] = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended before this reading: its time is now its parent's
    total = 0
    for fields in stats.values():
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if reaped and int(fields[1]) not in stats:  # the postmaster
            total += int(fields[13]) + int(fields[14])  # cutime, cstime: reaped children
    return total / TICK


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def run_wrk(base: str, path_or_script: str, seconds: int, connections: int,
            workers: list[int]) -> dict[str, Any]:
    """One wrk run; requests/s, latency, errors and CPU per request (worker, PostgreSQL)."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if path_or_script.endswith(".lua"):
        cmd += ["-s", path_or_script, base]
    else:
        cmd.append(base + path_or_script)
    postgres = _postgres_pids()
    before = (_cpu_seconds(workers), _cpu_seconds(postgres, reaped=True))
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    # Backends started during the run are not counted (none: wrk keeps its connections,
    # gunicorn its pool); those that ended are, through the postmaster (``_cpu_seconds``).
    after = (_cpu_seconds(workers), _cpu_seconds(postgres, reaped=True))
    done = int(re.search(r"(\d+) requests in", out).group(1))
    lat = dict(re.findall(r"\s+(50|90|99)%\s+([\d.]+\w+)", out))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    per = 1000 / max(done, 1)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "requests": done, "p50": lat.get("50"), "p99": lat.get("99"),
            "non_2xx": int(errors.group(1)) if errors else 0,
            "cpu_worker_ms": round((after[0] - before[0]) * per, 2),
            "cpu_postgres_ms": round((after[1] - before[1]) * per, 2)}


def start_gunicorn(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "BENCH_DATABASE_URL": url}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "bench.wsgi:app"], cwd=ROOT, env=env, start_new_session=True)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_bench/floor").read()  # noqa: S310
            return server
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def worker_pids(server: subprocess.Popen) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def measure(base: str, loads: list[Load], workers: list[int], *, seconds: int,
            connections: int, rounds: int, say: Any) -> dict[str, Any]:
    """Every load right after a floor run, ``rounds`` times; per load the median share."""
    sessions = {email: login(base, email) for email in {load.email for load in loads}}
    rows: dict[str, Any] = {"pages": []}
    with tempfile.TemporaryDirectory() as tmp:
        scripts = {}
        for n, load in enumerate(loads):
            cookie, token = sessions[load.email]
            scripts[n] = Path(tmp, f"load{n}.lua")
            scripts[n].write_text(_lua(load, cookie, token))
        runs: dict[int, list[tuple[dict, dict]]] = {n: [] for n in scripts}
        old_floor: list[dict] = []
        for _round in range(rounds):
            old_floor.append(run_wrk(base, "/_bench/floor-uncompiled", seconds, connections,
                                     workers))
            for n, load in enumerate(loads):
                floor = run_wrk(base, "/_bench/floor", seconds, connections, workers)
                page = run_wrk(base, str(scripts[n]), seconds, connections, workers)
                runs[n].append((floor, page))
                say(f"{load.name} ({load.role}): {page['rps']:.0f}/s vs floor "
                    f"{floor['rps']:.0f}/s = {page['rps'] / floor['rps']:.3f}; cpu "
                    f"{page['cpu_worker_ms']} + {page['cpu_postgres_ms']} ms; non-2xx "
                    f"{page['non_2xx']}")
    for n, load in enumerate(loads):
        shares = sorted(p["rps"] / f["rps"] for f, p in runs[n])
        mid = sorted(runs[n], key=lambda fp: fp[1]["rps"] / fp[0]["rps"])[len(runs[n]) // 2]
        rows["pages"].append({"name": load.name, "role": load.role, "shares": shares,
                              "share": shares[len(shares) // 2], "floor": mid[0],
                              "page": mid[1], "target": target_share(load.name)})
    floors = [f for n in runs for f, _p in runs[n]]
    rows["floor"] = sorted(floors, key=lambda f: f["rps"])[len(floors) // 2]
    rows["floor_uncompiled"] = sorted(old_floor, key=lambda f: f["rps"])[len(old_floor) // 2]
    return rows


def loads_for(people: dict[str, list[Any]], year: int) -> list[Load]:
    """The pages of the in-process table, each as one user of the same kind."""
    officers = [p for p in people["officer"] if p.case_ids and p.names and p.iins]
    officer, receiver = officers[0], people["receiver"][0]
    manager, admin = people["agency_manager"][0], people["administrator"][0]
    coordinator = next(c for c in people["coordinator"] if c.case_ids)
    filters = ["", "?status=open", "?status=open&risk=high", "?sort=risk", "?page=2",
               "?repeat=1", "?status=closed&page=3", "?risk=medium&sort=oldest"]

    def get(*paths: str) -> list[tuple[str, str, None]]:
        return [("GET", path, None) for path in paths]

    export = {"region": coordinator.region, "start": f"{year}-01-01", "end": f"{year}-12-31",
              "granularity": "month", "fmt": "csv"}
    return [
        *(Load(name, "officer", receiver.email, get(path)) for name, path in LADDER),
        Load("home", "officer", officer.email, get("/")),
        Load("home", "agency manager", manager.email, get("/")),
        Load("home", "coordinator", coordinator.email, get("/")),
        Load("home", "administrator", admin.email, get("/")),
        Load("case list with filters", "officer", officer.email,
             get(*("/cases" + f for f in filters))),
        Load("case list with filters", "coordinator", coordinator.email,
             get(*("/cases" + f for f in filters),
                 *("/cases" + (f + "&" if f else "?") + f"region={coordinator.region}"
                   for f in filters))),
        Load("case search by name", "officer", officer.email,
             [("POST", "/cases/search", {"term": name}) for name in officer.names]),
        Load("case search by IIN", "officer", officer.email,
             [("POST", "/cases/search", {"term": iin}) for iin in officer.iins]),
        Load("case page", "officer", officer.email,
             get(*(f"/cases/{case_id}" for case_id in officer.case_ids))),
        Load("case page", "coordinator", coordinator.email,
             get(*(f"/cases/{case_id}" for case_id in coordinator.case_ids))),
        Load("referral inbox", "officer", receiver.email, get("/referrals/inbox")),
        Load("referral outbox", "officer", officer.email, get("/referrals/outbox")),
        Load("notifications list", "officer", receiver.email, get("/notifications")),
        Load("overdue review", "coordinator", coordinator.email, get("/coordination/review")),
        Load("agency performance", "coordinator", coordinator.email,
             get("/coordination/performance")),
        Load("coverage", "coordinator", coordinator.email, get("/coordination/coverage")),
        Load("statistics export, one region-year (CSV)", "coordinator", coordinator.email,
             [("POST", "/coordination/statistics", export)]),
    ]


def export_and_memory(base: str, email: str, region: str, year: int,
                      server: subprocess.Popen) -> dict[str, Any]:
    """One export through gunicorn, then the workers' peak resident memory."""
    cookie, token = login(base, email)
    data = urllib.parse.urlencode({"csrf_token": token, "region": region,
                                   "start": f"{year}-01-01", "end": f"{year}-12-31",
                                   "granularity": "month", "fmt": "csv"}).encode()
    req = urllib.request.Request(base + "/coordination/statistics", data=data,  # noqa: S310
                                 headers={"Cookie": cookie})
    started = time.perf_counter()
    size = len(urllib.request.urlopen(req).read())  # noqa: S310
    peak = 0.0
    for pid in worker_pids(server):
        status = Path(f"/proc/{pid}/status").read_text()
        peak = max(peak, int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)
    return {"export_via_gunicorn": {"seconds": time.perf_counter() - started, "bytes": size},
            "worker_peak_rss_mb": peak}


def throughput(url: str, people: dict[str, list[Any]], anchor: str, port: int, *,
               seconds: int = 10, connections: int = 4, rounds: int = 3, only: str = "",
               say: Any = print) -> dict[str, Any]:
    if not shutil.which("wrk"):
        return {"skipped": "wrk not installed (apt-get install -y wrk)"}
    year = datetime.fromisoformat(anchor).year - 1
    loads = [load for load in loads_for(people, year) if only in load.name]
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(url, port)
    try:
        out = measure(base, loads, worker_pids(server), seconds=seconds,
                      connections=connections, rounds=rounds, say=say)
        coordinator = next(c for c in people["coordinator"] if c.case_ids)
        out.update(export_and_memory(base, coordinator.email, coordinator.region, year, server))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    out.update(seconds=seconds, connections=connections, rounds=rounds)
    return out


def render(thr: dict[str, Any], fmt_ok: Any) -> list[str]:
    """The throughput section of docs/performance.md."""
    floor, old = thr["floor"], thr["floor_uncompiled"]
    lines = [f"### Throughput (gunicorn, 2 sync workers, `wrk -t2 -c{thr['connections']} "
             f"-d{thr['seconds']}s` on loopback, each page right after a floor run, "
             f"{thr['rounds']} rounds)", "",
             "Share: the page's requests/s over the floor's in the same round (the median "
             "round). CPU per request: the gunicorn workers' and all PostgreSQL processes' user "
             "+ system time during the page's run (`/proc/<pid>/stat`), over the requests "
             "completed. The \"floor + …\" rows are the floor ladder: the floor with, one "
             "more per row, the duties every logged-in page has before its own work (the "
             "session and its user; one audit row committed in the request; the page frame). "
             "A page cannot beat the rungs its duties include.", "",
             "| Page | As | Requests/s | Floor requests/s | Share of floor (rounds) | Target | "
             "CPU ms / request (worker + PostgreSQL) | p50 | p99 | Non-2xx | Met |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
             f"| floor (template compiled once, no query) | anonymous | {floor['rps']:,.0f} | "
             f"— | 1 | — | {floor['cpu_worker_ms']:.2f} + {floor['cpu_postgres_ms']:.2f} | "
             f"{floor['p50']} | {floor['p99']} | {floor['non_2xx']} | — |",
             f"| floor, template compiled per request (the old floor) | anonymous | "
             f"{old['rps']:,.0f} | — | — | — | {old['cpu_worker_ms']:.2f} + "
             f"{old['cpu_postgres_ms']:.2f} | {old['p50']} | {old['p99']} | {old['non_2xx']} "
             f"| — |"]
    for row in thr["pages"]:
        page, shares = row["page"], ", ".join(f"{s:.3f}" for s in row["shares"])
        target = row.get("target")
        met = "—" if target is None else fmt_ok(
            row["share"] >= target and page["non_2xx"] == 0)
        lines.append(
            f"| {row['name']} | {row['role']} | {page['rps']:,.0f} | {row['floor']['rps']:,.0f}"
            f" | {row['share']:.3f} ({shares}) | "
            f"{'—' if target is None else f'1/{round(1 / target)}'} | "
            f"{page['cpu_worker_ms']:.2f} + {page['cpu_postgres_ms']:.2f} | {page['p50']} | "
            f"{page['p99']} | {page['non_2xx']} | {met} |")
    exp = thr.get("export_via_gunicorn", {})
    lines += ["", "Login is left out: nearly all its cost is the argon2id hash of the password, "
              "slow by design (the in-process table above gives its time).",
              "", f"Statistics export of one region-year through gunicorn: "
              f"{exp.get('seconds', 0):.2f} s, {exp.get('bytes', 0):,} bytes. Peak resident "
              f"memory of a gunicorn worker after all of the above: "
              f"{thr.get('worker_peak_rss_mb', 0):.0f} MB (target < 200 MB: "
              f"{fmt_ok(thr.get('worker_peak_rss_mb', 999) < 200)}).", ""]
    return lines
