"""Page wiring: send form (one referral for a double submit), inbox order, actions, 404s,
the directory's order, gaps and address rule."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from referral.access.scope import acting_as, system_actor
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals import service
from referral.referrals.models import Referral
from tests.fixtures import actor, fresh, login, make_agency, make_district
from tests.referrals.factories import make_case, send


@pytest.fixture
def case(world):
    case = make_case(world["police"], world["officer"], risk="high")
    db.session.commit()
    return case


def _token(html: bytes) -> str:
    return re.search(rb'name="token" type="hidden" value="([^"]+)"', html).group(1).decode()


def _count() -> int:
    fresh()
    with acting_as(system_actor("test")):
        return db.session.execute(select(func.count()).select_from(Referral)).scalar_one()


def test_send_form_double_submit_creates_one_referral(client, world, case):
    login(client, world["officer"])
    page = client.get(f"/referrals/new?case_id={case.id}&service=shelter")
    assert page.status_code == 200
    assert b'value="emergency" selected' in page.data or b'selected value="emergency"' in page.data
    form = {"token": _token(page.data), "service_code": "shelter",
            "receiver_agency_id": str(world["crisis_agency"].id), "urgency": "emergency",
            "reason": "Threats to kill last night.", "consented": "yes",
            "categories": ["identity_contact", "risk_assessment"]}
    first = client.post(f"/referrals/new?case_id={case.id}", data=form)
    second = client.post(f"/referrals/new?case_id={case.id}", data=form)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _count() == 1


def test_send_form_keeps_what_was_typed_on_error(client, world, case):
    login(client, world["officer"])
    page = client.get(f"/referrals/new?case_id={case.id}")
    response = client.post(f"/referrals/new?case_id={case.id}", data={
        "token": _token(page.data), "service_code": "shelter",
        "receiver_agency_id": str(world["crisis_agency"].id), "urgency": "emergency",
        "reason": "Typed reason stays.", "consented": "no"})
    assert response.status_code == 200
    assert b"Typed reason stays." in response.data
    assert b"legal ground" in response.data
    assert _count() == 0


def test_inbox_lists_new_referrals_by_deadline(client, world, case):
    calm = make_case(world["police"], world["officer"], risk="standard")
    routine = send(world["officer"], calm, world["crisis_agency"])
    emergency = send(world["officer"], case, world["crisis_agency"])
    db.session.commit()
    login(client, world["crisis"])
    html = client.get("/referrals/inbox").data.decode()
    assert html.index(emergency.reference) < html.index(routine.reference)
    assert "left" in html


def test_accept_and_complete_through_pages(client, world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    db.session.commit()
    login(client, world["crisis"])
    url = f"/referrals/{referral.id}"
    assert client.post(f"{url}/accept", data={"accept-assignee_user_id": world["crisis"].id}
                       ).status_code == 302
    assert client.post(f"{url}/start", data={}).status_code == 302
    assert client.post(f"{url}/complete", data={"complete-outcome": "service_provided",
                                                "complete-text": "Safe now."}).status_code == 302
    fresh()
    with acting_as(system_actor("test")):
        assert service.load_referral(referral.id).status == "completed"


def test_refused_action_shows_the_message(client, world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    db.session.commit()
    login(client, world["crisis"])
    response = client.post(f"/referrals/{referral.id}/complete",
                           data={"complete-outcome": "service_provided"})
    assert response.status_code == 200
    assert b"cannot be completed" in response.data


def test_every_referral_route_answers_404_to_another_agency(app, client, world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    db.session.commit()
    login(client, world["other"])
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("referrals.") and "referral_id" in rule.arguments:
            url = rule.rule.replace("<int:referral_id>", str(referral.id))
            method = "POST" if "POST" in rule.methods else "GET"
            assert client.open(url, method=method).status_code == 404, url
    assert client.get(f"/referrals/new?case_id={case.id}").status_code == 404


def test_directory_orders_nearby_first_and_shows_gaps(client, world):
    near = make_district("KZ-75", "Near district")
    remote = make_district("KZ-75", "Far steppe", remote=True)
    world["police"].district_id = near.id
    local = make_agency("crisis_center", "KZ-75", name="Local shelter", services=("shelter",),
                        shelter_places=3, district=near, address="1 Hidden street")
    make_agency("crisis_center", "KZ-43", name="Distant shelter", services=("shelter",))
    db.session.commit()
    login(client, world["officer"])
    html = client.get("/directory?service=shelter").data.decode()
    assert html.index("Local shelter") < html.index("Crisis A") < html.index("Distant shelter")
    assert "Far steppe" in html and remote.name_en in html
    assert "1 Hidden street" not in html  # a crisis centre's address is not for everyone
    assert "3 free of 3" in html
    client.post("/logout")
    login(client, world["coordinator"])
    assert "1 Hidden street" in client.get("/directory?service=shelter").data.decode()
    assert local.id


def test_sender_sees_the_outcome_in_the_outbox(client, world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    crisis = actor(world["crisis"])
    service.accept_referral(crisis, referral_id=referral.id)
    service.start_progress(crisis, referral_id=referral.id)
    service.complete_referral(crisis, referral_id=referral.id, outcome="goals_met")
    db.session.commit()
    login(client, world["officer"])
    html = client.get("/referrals/outbox").data.decode()
    assert referral.reference in html and "Goals of the plan met" in html


def test_home_panels_summarise_inbox_and_outcomes(world, case):
    from referral.referrals import panels

    referral = send(world["officer"], case, world["crisis_agency"])
    crisis = actor(world["crisis"])
    with acting_as(crisis):
        inbox = panels.inbox_panel(crisis)
    assert inbox["count"] == 1 and inbox["referrals"][0].id == referral.id
    service.decline_referral(crisis, referral_id=referral.id, reason_code="no_capacity")
    officer = actor(world["officer"])
    with acting_as(officer):
        assert [r.id for r in panels.outbox_panel(officer)["referrals"]] == [referral.id]


def test_coordinator_extends_an_expired_referral_through_the_page(client, world, case):
    referral = send(world["officer"], case, world["crisis_agency"])
    service.expire_overdue_referrals(now=referral.deadline_at + timedelta(minutes=1))
    db.session.commit()
    login(client, world["coordinator"])
    assert referral.reference.encode() in client.get("/referrals/region").data
    page = client.get(f"/referrals/{referral.id}")
    assert b"Extend the deadline" in page.data and b"Accept referral" not in page.data
    later = (utcnow() + timedelta(days=1)).astimezone(ZoneInfo("Asia/Almaty"))
    response = client.post(f"/referrals/{referral.id}/extend", data={
        "extend-deadline_at": later.strftime("%Y-%m-%dT%H:%M"), "extend-text": "Holiday."})
    assert response.status_code == 302
    fresh()
    with acting_as(system_actor("test")):
        row = service.load_referral(referral.id)
    assert row.status == "sent"
    assert abs((row.deadline_at - later).total_seconds()) < 60
