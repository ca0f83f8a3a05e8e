"""The throughput benchmark's pieces that need no server: the wrk script, the targets, the
report's verdicts (bench/throughput.py; the figures themselves are docs/performance.md's)."""

from __future__ import annotations

from bench import throughput as t
from bench.run import _ok


def test_the_wrk_script_cycles_over_the_pages_requests_with_the_session():
    load = t.Load("case search by IIN", "officer", "o@example.org",
                  [("GET", "/cases/7", None), ("POST", "/cases/search", {"term": "850101"})])
    script = t._lua(load, 'session=a"b', "tok")
    assert script.count("wrk.format(") == 2
    assert '["Cookie"] = "session=a\\"b"' in script
    assert '"term=850101&csrf_token=tok"' in script
    assert "application/x-www-form-urlencoded" in script
    assert "return reqs[(i % #reqs) + 1]" in script


def test_each_page_has_its_target_share_of_the_floor():
    assert t.target_share("referral inbox") == 1 / 3
    for page in ("case page", "case list with filters", "overdue review"):
        assert t.target_share(page) == 1 / 5
    assert t.target_share("notifications list") == 1 / 6


def _run(rps: float, non_2xx: int = 0) -> dict:
    return {"rps": rps, "requests": int(rps * 10), "p50": "1ms", "p99": "2ms",
            "non_2xx": non_2xx, "cpu_worker_ms": 1.0, "cpu_postgres_ms": 0.5}


def test_the_report_judges_each_page_by_its_share_and_errors():
    floor = _run(1000)
    pages = [{"name": "referral inbox", "role": "officer", "shares": [0.30, 0.34, 0.40],
              "share": 0.34, "floor": floor, "page": _run(340), "target": 1 / 3},
             {"name": "case page", "role": "officer", "shares": [0.19], "share": 0.19,
              "floor": floor, "page": _run(190), "target": 1 / 5},
             {"name": "coverage", "role": "coordinator", "shares": [0.5], "share": 0.5,
              "floor": floor, "page": _run(500, non_2xx=3), "target": 1 / 6}]
    lines = t.render({"floor": floor, "floor_uncompiled": _run(500), "pages": pages,
                      "seconds": 10, "connections": 4, "rounds": 3}, _ok)
    rows = {line.split(" | ")[0].lstrip("| "): line for line in lines if line.startswith("| ")}
    assert rows["referral inbox"].endswith("| yes |")
    assert "0.340 (0.300, 0.340, 0.400)" in rows["referral inbox"]
    assert rows["case page"].endswith("| **no** |")  # 0.19 < 1/5
    assert rows["coverage"].endswith("| **no** |")  # errors: not met whatever the share


def test_the_floor_ladder_is_reported_without_a_target():
    floor = _run(1000)
    ladder = [{"name": name, "role": "officer", "shares": [0.4], "share": 0.4, "floor": floor,
               "page": _run(400), "target": t.target_share(name)} for name, _path in t.LADDER]
    lines = t.render({"floor": floor, "floor_uncompiled": _run(500), "pages": ladder,
                      "seconds": 10, "connections": 4, "rounds": 1}, _ok)
    rows = [line for line in lines if line.startswith("| floor + ")]
    assert len(rows) == len(t.LADDER) == 3
    assert all(row.endswith("| 0 | — |") and "| 0.400 (0.400) | — |" in row for row in rows)


def test_cpu_of_a_process_that_ended_is_counted_through_its_parent():
    """A PostgreSQL backend that ends during a run must not take its CPU out of the figure
    (a run once reported −0.18 ms of PostgreSQL CPU per request)."""
    import subprocess
    import sys

    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass"
    parent = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, sys, time\n"
        f"subprocess.run([sys.executable, '-c', {burn!r}])\n"
        "print('reaped', flush=True)\ntime.sleep(30)")], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "reaped"
        alone = t._cpu_seconds([parent.pid])
        with_reaped = t._cpu_seconds([parent.pid], reaped=True)
        assert with_reaped - alone >= 0.25
        assert t._cpu_seconds([parent.pid, 2 ** 22 + 7], reaped=True) == with_reaped  # gone
    finally:
        parent.kill()
        parent.wait()
