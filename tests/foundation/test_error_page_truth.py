"""The error page tells the truth about the user's change: saved when it was committed, not
saved when it was not, and an earlier action's success message never as a green flash above it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.extensions import db
from referral.referrals import service
from referral.referrals.models import Referral
from referral.referrals.views import detail as referral_views
from referral.web import submit
from tests.fixtures import actor, fresh, login
from tests.referrals.factories import make_case, send

NOT_SAVED = "Nothing you entered was saved"
SAVED = "Your change was saved"
pytestmark = pytest.mark.app_config(PROPAGATE_UNEXPECTED=False)


@pytest.fixture
def in_progress(world):
    """A referral the crisis centre has accepted and started, and its worker logged in."""
    case = make_case(world["police"], world["officer"], risk="high")
    referral = send(world["officer"], case, world["crisis_agency"])
    with acting_as(system_actor("test")):
        service.accept_referral(actor(world["crisis"]), referral_id=referral.id)
        service.start_progress(actor(world["crisis"]), referral_id=referral.id)
    db.session.commit()
    return referral.id


def _status(referral_id: int) -> str:
    fresh()
    with acting_as(system_actor("test")):
        return db.session.execute(
            select(Referral.status).where(Referral.id == referral_id)).scalar_one()


def _complete(client, referral_id: int):
    return client.post(f"/referrals/{referral_id}/complete",
                       data={"complete-outcome": "service_provided", "complete-text": "Done."})


def _boom(*_args, **_kwargs):
    raise RuntimeError("failure after the change (test)")


def test_failure_after_the_commit_says_the_change_was_saved(client, world, in_progress,
                                                            monkeypatch):
    login(client, world["crisis"])
    monkeypatch.setattr(submit, "redirect", _boom)  # fails once the action committed
    response = _complete(client, in_progress)
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert _status(in_progress) == "completed"
    assert SAVED in page
    assert NOT_SAVED not in page


def test_failure_before_the_commit_says_nothing_was_saved(client, world, in_progress,
                                                          monkeypatch):
    login(client, world["crisis"])
    monkeypatch.setattr(service, "complete_referral", _boom)
    response = _complete(client, in_progress)
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert _status(in_progress) == "in_progress"
    assert NOT_SAVED in page
    assert SAVED not in page


def test_an_earlier_success_is_no_green_flash_above_the_error(client, world, in_progress,
                                                               monkeypatch):
    """The issue's case: "Completion recorded" stood above a 500 page saying nothing was saved,
    when the page after the completion failed."""
    login(client, world["crisis"])
    assert _complete(client, in_progress).status_code == 302
    monkeypatch.setattr(referral_views, "_detail_context", _boom)  # the page after it fails
    response = client.get(f"/referrals/{in_progress}")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert _status(in_progress) == "completed"
    assert "flash-success" not in page
    assert NOT_SAVED not in page
    assert 'data-testid="earlier-messages"' in page
    assert "Completion recorded" in page  # stated as what happened before the error
