"""Home panels of cases: the first rows in order and the whole count, for every role that has
them (a coordinator's count is a subquery of its own, an agency's a window count)."""

from __future__ import annotations

from referral.access.scope import acting_as
from referral.cases import risk
from referral.cases import service as cases
from referral.cases.panels import LIMIT
from referral.extensions import db
from tests.cases import factories as f
from tests.closure.factories import signed_off
from tests.fixtures import actor


def _by_name(reader) -> dict:
    from referral.cases.panels import _high_risk

    with acting_as(reader):
        return _high_risk(reader)


def test_the_high_risk_panel_shows_the_first_rows_and_counts_them_all(world):
    police = actor(world["officer"])
    high = []
    for _ in range(LIMIT + 3):
        case = f.open_case(police)
        risk.record_assessment(police, case.id, f.answers(15))
        high.append(case)
    f.open_case(police)  # not high risk
    closed, sealed = high[0], high[1]
    signed_off(closed.id)
    cases.change_status(police, closed.id, status="closed", reason="moved_away")
    cases.set_restriction(police, sealed.id, restricted=True, member_ids=[])
    db.session.commit()
    for name, expected in (("officer", LIMIT + 2), ("manager", LIMIT + 1),
                           ("coordinator", LIMIT + 1)):
        panel = _by_name(actor(world[name]))
        assert panel["total"] == expected, name
        assert len(panel["cases"]) == LIMIT
        assert closed not in panel["cases"]
        flagged = [c.high_risk_flagged_at for c in panel["cases"]]
        assert flagged == sorted(flagged, reverse=True)
    assert _by_name(actor(world["other"]))["total"] == 0
