"""SVG chart geometry: bars proportional to values on a round axis; gaps in lines skipped."""

from __future__ import annotations

from referral.coordination.views import charts


def test_nice_axis_maximum():
    assert [charts.nice_max(v) for v in (0, 1, 3, 7, 12, 45, 101)] == [1, 1, 5, 10, 20, 50, 200]


def test_bars_are_proportional_and_labelled():
    chart = charts.bar_chart("t", ["2026-01", "2026-02"], [("Received", [10, 5]),
                                                           ("Accepted", [4, 0])])
    heights = {b.label: round(b.height, 3) for b in chart.bars}
    full = heights["2026-01 · Received: 10"]
    assert heights["2026-02 · Received: 5"] == round(full / 2, 3)
    assert heights["2026-01 · Accepted: 4"] == round(full * 0.4, 3)
    assert heights["2026-02 · Accepted: 0"] == 0
    assert [t.label for t in chart.ticks] == ["0", "2", "4", "6", "8", "10"]
    assert [name for name, _ in chart.legend] == ["Received", "Accepted"]


def test_line_skips_missing_values():
    chart = charts.line_chart("t", ["a", "b", "c"], [("Median", [2.0, None, 4.0])])
    assert len(chart.lines[0].dots) == 2 and chart.lines[0].points.count(",") == 2


def test_svg_is_rendered_without_script(client, world):
    from tests.fixtures import login

    login(client, world["coordinator"])
    html = client.get("/coordination/coverage").get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and "<script" not in html
    assert 'aria-describedby="coverage-table"' in html and 'id="coverage-table"' in html
