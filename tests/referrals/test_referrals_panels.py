"""The sender's outcomes panel: newest closings first, read from the index, and never fewer
than there are to show when the newest ones are on cases the reader may not see; one
statement."""

from __future__ import annotations

from referral.access.scope import acting_as
from referral.referrals import panels, service
from tests.fixtures import actor, recorded_statements
from tests.referrals.factories import make_case, send


def _closed_on(world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    service.decline_referral(actor(world["crisis"]), referral_id=referral.id,
                             reason_code="other", text="Full.")
    return referral


def _shown(reader) -> list[int]:
    with acting_as(reader):
        return [r.id for r in panels.outbox_panel(reader)["referrals"]]


def test_newest_outcomes_first_and_restricted_ones_skipped_not_lost(world, monkeypatch):
    police, officer = world["police"], world["officer"]
    visible = [_closed_on(world, make_case(police, officer)) for _ in range(2)]
    hidden = []
    for _ in range(4):  # the newest closings, on cases the manager is not named on
        case = make_case(police, officer, restricted=True, members=(officer, world["crisis"]))
        hidden.append(_closed_on(world, case))
    manager, owner = actor(world["manager"]), actor(officer)
    assert _shown(owner) == [
        r.id for r in reversed(visible + hidden)][:panels.OUTCOMES]
    assert _shown(manager) == [r.id for r in reversed(visible)]
    monkeypatch.setattr(panels, "OUTCOMES", 1)  # the newest four are hidden from the manager
    assert _shown(manager) == [visible[-1].id]
    with recorded_statements() as statements:
        _shown(manager)
    assert len(statements) == 1
