"""Coordinator pages: they render, they are scoped, and their forms call the services."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.coordination.models import ConferenceAction
from referral.coordination.service import actions as action_service
from referral.coordination.service import conferences as conference_service
from referral.extensions import db
from referral.models_base import utcnow
from tests.coordination.factories import make_case, make_referral
from tests.fixtures import actor, fresh, login

PAGES = ["/coordination/", "/coordination/conferences", "/coordination/conferences/new",
         "/coordination/performance", "/coordination/coverage", "/coordination/statistics",
         "/coordination/performance?granularity=week&start=2026-01-01&end=2026-03-01"]


@pytest.fixture
def setup(world):
    w = dict(world)
    crisis = db.session.get(type(w["police"]), w["crisis"].agency_id)
    case = make_case(w["police"], w["officer"], risk_level="high")
    now = utcnow()
    referral = make_referral(case, w["officer"], crisis, status="expired",
                             sent_at=now - timedelta(days=2), deadline=timedelta(hours=24))
    conference = conference_service.schedule_conference(
        actor(w["coordinator"]), region_code="KZ-75", scheduled_at=now + timedelta(days=2))
    item = conference_service.add_case_to_agenda(actor(w["coordinator"]),
                                                 conference_id=conference.id, case_id=case.id)
    db.session.commit()
    w.update(case=case, referral=referral, conference=conference, item=item, crisis_agency=crisis)
    return w


def test_coordinator_pages_render(client, setup):
    w = setup
    login(client, w["coordinator"])
    for url in PAGES + [f"/coordination/conferences/{w['conference'].id}",
                        f"/coordination/conferences/{w['conference'].id}/minutes",
                        f"/coordination/agenda/{w['item'].id}/actions/new",
                        f"/coordination/referrals/{w['referral'].id}/reassign",
                        f"/coordination/referrals/{w['referral'].id}/extend",
                        f"/coordination/referrals/{w['referral'].id}/escalate"]:
        response = client.get(url)
        assert response.status_code == 200, url
    home = client.get("/").get_data(as_text=True)
    assert "Overdue review" in home
    review = client.get("/coordination/").get_data(as_text=True)
    # No chart on the review (the bell's icon is an svg on every page: look for a chart).
    assert w["referral"].reference in review and "chart-svg" not in review
    perf = client.get("/coordination/performance").get_data(as_text=True)
    assert "chart-svg" in perf and "<script" not in perf


@pytest.mark.parametrize("who", ["officer", "admin", "other"])
def test_others_get_404(client, setup, who):
    w = setup
    login(client, w[who])
    for url in PAGES + [f"/coordination/conferences/{w['conference'].id}/minutes",
                        f"/coordination/agenda/{w['item'].id}/actions/new",
                        f"/coordination/referrals/{w['referral'].id}/reassign"]:
        assert client.get(url).status_code == 404, url


def test_assign_action_through_the_form_and_officer_sees_it(client, setup):
    w = setup
    login(client, w["coordinator"])
    due = (utcnow() + timedelta(days=5)).date().isoformat()
    response = client.post(f"/coordination/agenda/{w['item'].id}/actions/new", data={
        "assignee": f"{w['police'].id}:{w['officer'].id}", "description": "Visit the family",
        "due_on": due})
    assert response.status_code == 302
    # A refused form is shown again with what was typed.
    again = client.post(f"/coordination/agenda/{w['item'].id}/actions/new", data={
        "assignee": f"{w['police'].id}:", "description": "Typed text kept", "due_on": "2001-01-01"})
    assert again.status_code == 200 and "Typed text kept" in again.get_data(as_text=True)
    client.post("/logout")
    login(client, w["officer"])
    assert "Visit the family" in client.get("/").get_data(as_text=True)
    fresh()
    with acting_as(system_actor("test")):
        action = db.session.execute(select(ConferenceAction)).unique().scalar_one()
    assert client.post(f"/coordination/actions/{action.id}/complete").status_code == 302
    fresh()
    assert action_service.list_agency_actions(actor(w["officer"])) == []


def test_export_download_csv_suppressed(client, setup):
    w = setup
    login(client, w["coordinator"])
    today = utcnow().date()
    response = client.post("/coordination/statistics", data={
        "start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat(),
        "granularity": "month", "fmt": "csv", "region": ""})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "measure" and all(r[-1] == "<5" for r in rows[1:])
    assert w["case"].reference not in response.get_data(as_text=True)
    xlsx = client.post("/coordination/statistics", data={
        "start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat(),
        "granularity": "month", "fmt": "xlsx", "region": ""})
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_add_to_next_conference_from_the_review(client, setup):
    w = setup
    other_case = make_case(w["police"], w["officer"], risk_level="high")
    db.session.commit()
    login(client, w["coordinator"])
    response = client.post(f"/coordination/cases/{other_case.id}/next-conference")
    assert response.status_code == 302
    fresh()
    refs = [i.case_reference for i in conference_service.list_agenda(
        actor(w["coordinator"]), w["conference"].id)]
    assert other_case.reference in refs


@pytest.mark.parametrize("who", ["kz43_coord", "other", "crisis", "admin"])
def test_every_coordination_route_with_an_id_answers_404_outside_scope(app, client, setup, who):
    """Another region's coordinator, another agency's officer, a non-attending agency and an
    administrator: every route that takes an id answers 404, GET and POST alike."""
    from referral.access.permissions import Role
    from tests.fixtures import make_user

    w = setup
    w["kz43_coord"] = make_user(w["other_agency"], Role.COORDINATOR, regions=("KZ-43",))
    action = action_service.assign_action(
        actor(w["coordinator"]), item_id=w["item"].id, agency_id=w["police"].id,
        owner_user_id=None, description="x", due_on=(utcnow() + timedelta(days=3)).date())
    db.session.commit()
    ids = {"conference_id": w["conference"].id, "item_id": w["item"].id,
           "referral_id": w["referral"].id, "case_id": w["case"].id, "action_id": action.id}
    login(client, w[who])
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("coordination.") or not rule.arguments:
            continue
        url = rule.rule
        for name, value in ids.items():
            url = url.replace(f"<int:{name}>", str(value))
        for method in sorted(rule.methods & {"GET", "POST"}):
            assert client.open(url, method=method).status_code == 404, (method, url)
            checked += 1
    assert checked >= 15
