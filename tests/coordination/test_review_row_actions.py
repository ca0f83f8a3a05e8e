"""The overdue review's row actions: extend by the standard period and escalate are one
confirmed POST each from the row (CSRF, audit, result shown after the redirect); another
region's coordinator gets 404."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.access.permissions import Role
from referral.access.scope import acting_as, system_actor
from referral.audit.models import AuditEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals.models import Referral, ReferralHistory
from tests.coordination.factories import make_case, make_referral
from tests.fixtures import fresh, login, make_user
from tests.foundation.factories import csrf_token_from, login_with_csrf, without_csrf_tokens


@pytest.fixture
def overdue(world):
    case = make_case(world["police"], world["officer"], risk_level="high")
    now = utcnow()
    referral = make_referral(case, world["officer"], world["crisis_agency"], status="sent",
                             urgency="urgent", sent_at=now - timedelta(days=2),
                             deadline=timedelta(hours=24))
    db.session.commit()
    return referral


def _load(referral_id: int) -> Referral:
    fresh()
    with acting_as(system_actor("test")):
        return db.session.get(Referral, referral_id)


def _audit(action: str, referral_id: int) -> list[AuditEvent]:
    fresh()
    return list(db.session.execute(select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.object_id == str(referral_id))).scalars())


def test_the_row_offers_confirmed_buttons_not_links(client, world, overdue):
    login(client, world["coordinator"])
    html = client.get("/coordination/").get_data(as_text=True)
    row = html[html.index(f'data-testid="referral-{overdue.id}"'):]
    row = row[:row.index("</tr>")]
    for name, url in (("extend", f"/coordination/referrals/{overdue.id}/extend-standard"),
                      ("escalate", f"/coordination/referrals/{overdue.id}/escalate-now")):
        block = row[row.index(f'data-testid="{name}-{overdue.id}"'):]
        block = block[:block.index("</details>")]
        assert "<summary" in block and f'action="{url}"' in block
        assert 'method="post"' in block and 'name="confirm" value="1"' in block
        assert 'name="csrf_token"' in block
    assert "Confirm: extend by 24 h" in row
    assert f"/coordination/referrals/{overdue.id}/reassign" in row  # reassigning keeps its form


def test_extend_from_the_row_gives_the_standard_period_and_shows_the_result(
        client, world, overdue):
    login(client, world["coordinator"])
    before = utcnow()
    response = client.post(f"/coordination/referrals/{overdue.id}/extend-standard",
                           data={"confirm": "1"},
                           headers={"Referer": "http://localhost/coordination/?urgency=urgent"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/coordination/?urgency=urgent")
    referral = _load(overdue.id)
    assert referral.status == "sent"
    assert before + timedelta(hours=24) <= referral.deadline_at <= utcnow() + timedelta(hours=24)
    assert len(_audit("referral.extend_deadline", overdue.id)) == 1
    with acting_as(system_actor("test")):
        note = db.session.execute(select(ReferralHistory.note).where(
            ReferralHistory.referral_id == overdue.id,
            ReferralHistory.action == "extend_deadline")).scalar_one()
    assert note == "Extended by the standard period from the overdue review."
    html = client.get("/coordination/").get_data(as_text=True)
    assert f"Referral {overdue.reference}: new deadline" in html  # the flash, after redirect
    # No longer overdue: due within the next day, so the row is in "About to expire".
    due_soon = html[html.index('data-testid="section-due_soon"'):]
    assert f'data-testid="referral-{overdue.id}"' in due_soon[:due_soon.index("</table>")]


def test_extend_keeps_a_deadline_still_ahead_and_adds_to_it(client, world, overdue):
    with acting_as(system_actor("test")):
        row = db.session.get(Referral, overdue.id)
        row.deadline_at = utcnow() + timedelta(hours=5)
        db.session.commit()
    login(client, world["coordinator"])
    client.post(f"/coordination/referrals/{overdue.id}/extend-standard",
                data={"confirm": "1", "text": "Agency closed for the holiday."})
    referral = _load(overdue.id)
    assert referral.deadline_at >= utcnow() + timedelta(hours=28)
    with acting_as(system_actor("test")):
        assert db.session.execute(select(ReferralHistory.note).where(
            ReferralHistory.referral_id == overdue.id,
            ReferralHistory.action == "extend_deadline")).scalar_one() == \
            "Agency closed for the holiday."


def test_escalate_from_the_row_is_recorded_and_shown_on_the_row(client, world, overdue):
    login(client, world["coordinator"])
    response = client.post(f"/coordination/referrals/{overdue.id}/escalate-now",
                           data={"confirm": "1"})
    assert response.status_code == 302
    assert _load(overdue.id).escalated_at is not None
    assert len(_audit("referral.escalate", overdue.id)) == 1
    html = client.get("/coordination/").get_data(as_text=True)
    assert f"Referral {overdue.reference} escalated to the agency&#39;s manager." in html
    row = html[html.index(f'data-testid="referral-{overdue.id}"'):]
    assert 'data-testid="escalated"' in row[:row.index("</tr>")]


@pytest.mark.parametrize("action", ["extend-standard", "escalate-now"])
def test_without_the_confirm_button_nothing_changes(client, world, overdue, action):
    login(client, world["coordinator"])
    response = client.post(f"/coordination/referrals/{overdue.id}/{action}", data={})
    assert response.status_code == 302
    referral = _load(overdue.id)
    assert referral.escalated_at is None and referral.deadline_at == overdue.deadline_at
    assert "The action was not confirmed" in client.get("/coordination/").get_data(as_text=True)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_csrf_is_required(client, world, overdue):
    login_with_csrf(client, world["coordinator"].email, "correct horse battery staple")
    url = f"/coordination/referrals/{overdue.id}/escalate-now"
    assert client.post(url, data={"confirm": "1"}).status_code == 400
    assert _load(overdue.id).escalated_at is None
    page = client.get("/coordination/").get_data(as_text=True)
    assert without_csrf_tokens(page) != page
    token = csrf_token_from(page)
    assert client.post(url, data={"confirm": "1", "csrf_token": token}).status_code == 302
    assert _load(overdue.id).escalated_at is not None


@pytest.mark.parametrize("action", ["extend-standard", "escalate-now"])
def test_another_regions_coordinator_gets_404(client, world, overdue, action):
    outsider = make_user(world["other_agency"], Role.COORDINATOR, regions=("KZ-43",))
    db.session.commit()
    login(client, outsider)
    response = client.post(f"/coordination/referrals/{overdue.id}/{action}",
                           data={"confirm": "1"})
    assert response.status_code == 404
    referral = _load(overdue.id)
    assert referral.escalated_at is None and referral.deadline_at == overdue.deadline_at


def test_a_refused_move_is_explained(client, world, overdue):
    with acting_as(system_actor("test")):
        db.session.get(Referral, overdue.id).status = "completed"
        db.session.commit()
    login(client, world["coordinator"])
    client.post(f"/coordination/referrals/{overdue.id}/extend-standard", data={"confirm": "1"})
    html = client.get("/coordination/").get_data(as_text=True)
    assert re.search(r'class="flash[^"]*error', html)
    assert _load(overdue.id).status == "completed"
