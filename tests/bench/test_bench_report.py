"""The benchmark's report judges statement counts like for like (no N+1)."""

from __future__ import annotations

from dataclasses import asdict

from bench.run import Result, _same_statements


def _page(median: float, small: float | None, *, cached: bool = False) -> Result:
    return Result("page", "coordinator", 200, 20.0, 40.0, 60.0, median, int(median) + 1, 0,
                  queries_small=small, queries_small_max=None if small is None else int(small),
                  figures_cached=cached)


def test_a_page_must_run_the_same_statements_at_both_sizes():
    assert _same_statements(_page(6, 6))
    assert not _same_statements(_page(7, 6))  # one more at 1M: a query per row somewhere
    assert not _same_statements(_page(5, 6))
    assert _same_statements(_page(6, None))  # no 10k pass


def test_kept_figures_may_take_fewer_statements_at_1m_never_more():
    assert _same_statements(_page(4, 6, cached=True))  # read kept at 1M, computed at 10k
    assert _same_statements(_page(6, 6, cached=True))
    assert not _same_statements(_page(7, 6, cached=True))


def test_the_report_gives_the_machine_speed_when_measured():
    from bench.run import calibration, render

    env = {"when": "2026-11-29T06:00", "cpu": "x", "cores": 2, "memory_gb": 1.0,
           "python": "3.11", "load_before": (1.0, 1.0, 1.0), "load_after": (1.0, 1.0, 1.0)}
    assert "Machine speed" not in render({"environment": env})  # a run from before it
    seconds = calibration(rounds=1)
    assert 0 < seconds < 60
    report = render({"environment": {**env, "calibration_before": seconds,
                                     "calibration_after": 0.5}})
    assert f"took {seconds:.3f} s before the run and 0.500 s after" in report
    assert "floor page" not in report  # no pages measured: nothing to compare by
    floor = Result("floor (bare template, no query)", "anonymous", 200, 0.8, 1.2, 1.5, 0, 0, 0)
    with_floor = render({"environment": {**env, "calibration_before": seconds},
                         "pages": [asdict(floor)]})
    assert "The floor page's median, 0.8 ms" in with_floor
