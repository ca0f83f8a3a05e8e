"""Agency pickers: every agency of the country, grouped by region, the user's region first,
any other region one choice away; a posted agency outside the list shown is still accepted."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from referral.access.scope import acting_as, system_actor
from referral.agencies import pickers
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals.models import Referral
from tests.coordination.factories import make_case as make_coord_case
from tests.coordination.factories import make_referral
from tests.fixtures import actor, fresh, login, make_agency, make_district, recorded_statements
from tests.referrals.factories import make_case


@pytest.fixture
def country(world):
    """Shelters in three regions besides the world's own "Crisis A" (KZ-75)."""
    aral = make_district("KZ-43", "Aral test district")
    far = {
        "kyzylorda": make_agency("crisis_center", "KZ-43", name="Kyzylorda shelter",
                                 services=("shelter",), district=aral),
        "ulytau": make_agency("crisis_center", "KZ-62", name="Ulytau shelter",
                              services=("shelter",)),
        "closed": make_agency("crisis_center", "KZ-62", name="Closed shelter",
                              services=("shelter",)),
    }
    far["closed"].is_active = False
    db.session.commit()
    return {**world, **far}


def _groups(html: str, select_name: str) -> list[tuple[str, list[str]]]:
    """(optgroup label, option labels) of a select, in page order."""
    body = html[html.index(f'name="{select_name}"'):]
    body = body[:body.index("</select>")]
    return [(label, re.findall(r"<option[^>]*>([^<]*)</option>", inner))
            for label, inner in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', body,
                                           re.S)]


def test_send_form_lists_own_region_first_and_others_one_choice_away(client, country):
    case = make_case(country["police"], country["officer"], risk="high")
    db.session.commit()
    login(client, country["officer"])
    url = f"/referrals/new?case_id={case.id}&service=shelter"
    groups = _groups(client.get(url).get_data(as_text=True), "receiver_agency_id")
    assert groups == [("Almaty (city)", ["Crisis A"])]  # own region by default
    html = client.get(url + "&agency_region=KZ-43").get_data(as_text=True)
    assert 'name="agency_region"' in html and 'value="KZ-43" selected' in html
    groups = _groups(html, "receiver_agency_id")
    assert [g for g, _ in groups] == ["Almaty (city)", "Kyzylorda Region"]
    assert groups[1][1] == ["Kyzylorda shelter · Aral test district"]
    groups = _groups(client.get(url + "&agency_region=all").get_data(as_text=True),
                     "receiver_agency_id")
    assert [g for g, _ in groups] == ["Almaty (city)", "Kyzylorda Region", "Ulytau Region"]
    assert all("Closed shelter" not in options for _, options in groups)


def test_region_labels_are_in_the_users_language(client, country):
    country["officer"].locale = "ru"
    case = make_case(country["police"], country["officer"], risk="high")
    db.session.commit()
    login(client, country["officer"])
    html = client.get(f"/referrals/new?case_id={case.id}&service=shelter&agency_region=all"
                      ).get_data(as_text=True)
    labels = [g for g, _ in _groups(html, "receiver_agency_id")]
    assert labels[0] == "город Алматы"
    assert "Кызылординская область" in labels


def test_a_posted_agency_of_another_region_is_accepted(client, country):
    case = make_case(country["police"], country["officer"], risk="high")
    db.session.commit()
    login(client, country["officer"])
    page = client.get(f"/referrals/new?case_id={case.id}&service=shelter").data
    token = re.search(rb'name="token" type="hidden" value="([^"]+)"', page).group(1).decode()
    assert b"Kyzylorda shelter" not in page  # not shown by default ...
    response = client.post(f"/referrals/new?case_id={case.id}", data={
        "token": token, "service_code": "shelter", "urgency": "emergency",
        "receiver_agency_id": str(country["kyzylorda"].id), "reason": "Safer far away.",
        "consented": "yes", "categories": ["identity_contact"]})
    assert response.status_code == 302  # ... but a valid choice all the same
    fresh()
    with acting_as(system_actor("test")):
        sent = db.session.execute(select(Referral)).scalar_one()
    assert sent.receiver_agency_id == country["kyzylorda"].id


def test_a_form_shown_again_keeps_the_chosen_agency_of_another_region(client, country):
    case = make_case(country["police"], country["officer"], risk="high")
    db.session.commit()
    login(client, country["officer"])
    response = client.post(f"/referrals/new?case_id={case.id}&service=shelter", data={
        "token": "t-1", "service_code": "shelter", "urgency": "emergency",
        "receiver_agency_id": str(country["ulytau"].id), "reason": "", "consented": "yes"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'selected value="{country["ulytau"].id}"' in html or \
        f'value="{country["ulytau"].id}" selected' in html
    fresh()
    with acting_as(system_actor("test")):
        assert db.session.execute(select(func.count()).select_from(Referral)).scalar_one() == 0


def test_the_picker_is_one_statement_whatever_the_regions_shown(ctx, country):
    officer = actor(country["officer"])
    counts = []
    for show in ("", "KZ-43", pickers.ALL):
        fresh()
        with acting_as(officer), recorded_statements() as statements:
            picker = pickers.agency_picker(officer, show=show, service_code="shelter",
                                           receiving=True)
        counts.append(sum(s.lstrip().upper().startswith("SELECT") for s in statements))
        assert picker.groups[0].code == "KZ-75" and picker.groups[0].home
        assert len(picker.regions) >= 17  # every region is one choice away
    assert counts == [1, 1, 1]
    assert country["police"].id not in picker.ids  # never the user's own agency


def test_a_coordinator_reassigns_to_another_region_from_the_grouped_list(client, country):
    case = make_coord_case(country["police"], country["officer"], risk_level="high")
    referral = make_referral(case, country["officer"], country["crisis_agency"],
                             status="expired", sent_at=utcnow() - timedelta(days=3))
    db.session.commit()
    login(client, country["coordinator"])
    url = f"/coordination/referrals/{referral.id}/reassign"
    html = client.get(url).get_data(as_text=True)
    assert 'name="agency_region"' in html
    assert _groups(html, "receiver_agency_id") == []  # Crisis A is the receiver already
    groups = _groups(client.get(url + "?agency_region=all").get_data(as_text=True),
                     "receiver_agency_id")
    assert [g for g, _ in groups] == ["Kyzylorda Region", "Ulytau Region"]
    response = client.post(url, data={"receiver_agency_id": str(country["ulytau"].id)})
    assert response.status_code == 302
    fresh()
    with acting_as(system_actor("test")):
        receivers = set(db.session.execute(select(Referral.receiver_agency_id)).scalars())
    assert country["ulytau"].id in receivers


def test_review_and_performance_filters_group_agencies_by_region(client, country):
    login(client, country["coordinator"])
    for url in ("/coordination/", "/coordination/performance"):
        groups = _groups(client.get(url).get_data(as_text=True), "agency")
        assert [g for g, _ in groups] == ["Almaty (city)"], url  # the coordinator's region
        assert "Crisis A" in groups[0][1] and "Police A" in groups[0][1]


def test_case_list_lead_agency_filter_is_grouped_and_follows_the_region(client, country):
    login(client, country["officer"])
    groups = _groups(client.get("/cases").get_data(as_text=True), "agency")
    assert [g for g, _ in groups] == ["Almaty (city)"]
    assert "Police A" in groups[0][1]
    groups = _groups(client.get("/cases?region=KZ-62").get_data(as_text=True), "agency")
    assert groups == [("Ulytau Region", ["Closed shelter", "Ulytau shelter"])]


def test_directory_districts_are_grouped_own_region_first(client, country):
    make_district("KZ-75", "Home test district")
    db.session.commit()
    login(client, country["officer"])
    html = client.get("/directory").get_data(as_text=True)
    assert _groups(html, "district") == [("Almaty (city)", ["Home test district"])]
    regions = html[html.index('name="region"'):]
    regions = re.findall(r"<option[^>]*>([^<]*)</option>", regions[:regions.index("</select>")])
    assert regions[:2] == ["all regions", "Almaty (city)"]  # the user's region first
    html = client.get("/directory?region=KZ-43").get_data(as_text=True)
    assert _groups(html, "district") == [("Kyzylorda Region", ["Aral test district"])]
    assert "Ulytau shelter" in html or "Kyzylorda shelter" in html


def test_the_referral_pages_reassign_panel_is_grouped_and_switches_region(client, country):
    """A coordinator reassigning from the referral's own page gets the same picker: the current
    receiver left out, the own region first, another region one switch away (panel kept open)."""
    from tests.referrals.factories import send

    case = make_case(country["police"], country["officer"], risk="high")
    referral = send(country["officer"], case, country["crisis_agency"])
    db.session.commit()
    login(client, country["coordinator"])
    url = f"/referrals/{referral.id}"
    html = client.get(url).get_data(as_text=True)
    panel = re.compile(r'<details class="panel action" open id="action-reassign">')
    assert 'id="action-reassign"' in html and not panel.search(html)
    shown = _groups(html, "reassign-receiver_agency_id")
    assert all("Crisis A" not in options for _, options in shown)
    html = client.get(url + "?agency_region=KZ-43").get_data(as_text=True)
    assert panel.search(html)
    groups = _groups(html, "reassign-receiver_agency_id")
    assert "Kyzylorda Region" in [g for g, _ in groups]
    assert ["Kyzylorda shelter · Aral test district"] in [options for _, options in groups]
