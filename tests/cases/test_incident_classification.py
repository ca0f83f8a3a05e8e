"""GBVIMS classification of incidents (issue 19 §4): type from the facts and the offence,
penetration never lost, case context, non-GBV, and the result shown before saving."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from referral.cases import classification, incidents, people
from referral.cases.classification import Facts
from referral.errors import DomainError
from referral.extensions import db
from tests.cases import factories as f
from tests.fixtures import actor, fresh, login


@pytest.fixture
def police(world):
    return actor(world["officer"])


# Each flag combination that matters, then the offence's own type (its "least" type).
@pytest.mark.parametrize("flags, offence_type, expected", [
    ({"penetration": True}, "", "rape"),  # "sexual" not ticked: still rape
    ({"penetration": True, "physical": True}, "", "rape"),
    ({"sexual": True, "penetration": True, "physical": True}, "", "rape"),
    ({"sexual": True, "physical": True}, "", "sexual_assault"),
    ({"sexual": True}, "", "sexual_assault"),
    ({"physical": True, "economic": True, "forced_marriage": True}, "", "physical_assault"),
    ({"forced_marriage": True, "economic": True}, "", "forced_marriage"),
    ({"economic": True, "psychological": True}, "", "denial_of_resources"),
    ({"psychological": True}, "", "psychological_abuse"),
    ({}, "", "non_gbv"),
    # 125-1 coercion into marriage without the forced-marriage tick
    ({"psychological": True}, "forced_marriage", "forced_marriage"),
    # 120 rape and 121 violent sexual acts when only "physical" is ticked
    ({"physical": True}, "rape", "rape"),
    ({"physical": True}, "sexual_assault", "sexual_assault"),
    # 109-1 battery when only "psychological" is ticked
    ({"psychological": True}, "physical_assault", "physical_assault"),
    # an offence never lowers what the facts give
    ({"penetration": True}, "sexual_assault", "rape"),
    ({"physical": True}, "psychological_abuse", "physical_assault"),
    ({}, "forced_marriage", "forced_marriage"),
])
def test_type_is_the_most_serious_of_facts_and_offence(flags, offence_type, expected):
    assert classification.gbv_type(Facts(**flags), offence_type) == expected


@pytest.mark.parametrize("gbv, relationship, age, forced, expected", [
    ("physical_assault", "former_spouse", 39, False, {"intimate_partner"}),
    ("physical_assault", "common_child_parent", 30, False, {"intimate_partner"}),
    ("physical_assault", "parent", 30, False, set()),
    ("rape", "stepchild", 15, False, {"child_sexual_abuse"}),
    ("sexual_assault", None, 17, False, {"child_sexual_abuse"}),
    ("sexual_assault", None, 18, False, set()),
    ("forced_marriage", None, 17, True, {"early_marriage"}),
    ("physical_assault", "spouse", 16, True, {"intimate_partner", "early_marriage"}),
    ("forced_marriage", None, 25, True, set()),
    ("rape", None, None, False, set()),  # age unknown: nothing guessed
])
def test_context_follows_relationship_and_age(gbv, relationship, age, forced, expected):
    assert classification.derived_contexts(gbv, relationship=relationship, age=age,
                                           forced_marriage=forced) == expected


def test_penetration_is_kept_without_the_sexual_tick(police):
    case, _m = f.family_case(police)
    incident = incidents.record_incident(police, case.id, f.incident_input(
        penetration=True, female_investigator_requested=True))
    assert incident.gbv_type == "rape"
    assert incident.penetration is True and incident.sexual is True
    assert incident.female_investigator_requested is True


@pytest.mark.parametrize("article, flags, expected", [
    ("125-1", {"physical": False, "psychological": True}, "forced_marriage"),
    ("120", {}, "rape"),
    ("121", {}, "sexual_assault"),
    ("109-1", {"physical": False, "psychological": True}, "physical_assault"),
])
def test_the_offence_informs_the_recorded_type(police, article, flags, expected):
    case, _m = f.family_case(police)
    incident = incidents.record_incident(police, case.id, f.incident_input(
        offence_id=f.offence(article).id, **flags))
    assert incident.gbv_type == expected


def test_non_gbv_must_be_stated_and_cannot_contradict(police):
    case, _m = f.family_case(police)
    with pytest.raises(DomainError) as err:
        incidents.record_incident(police, case.id, f.incident_input(physical=False))
    assert err.value.field == "physical"
    with pytest.raises(DomainError) as err:
        incidents.record_incident(police, case.id, f.incident_input(non_gbv=True))
    assert err.value.field == "non_gbv"
    with pytest.raises(DomainError) as err:
        incidents.record_incident(police, case.id, f.incident_input(
            physical=False, non_gbv=True, offence_id=f.offence("120").id))
    assert err.value.field == "non_gbv"
    stated = incidents.record_incident(police, case.id, f.incident_input(
        physical=False, non_gbv=True, offence_id=f.offence("461").id))
    assert stated.gbv_type == "non_gbv"


def test_context_is_derived_and_ticked_and_stored(police):
    case, members = f.family_case(police)  # the survivor is the offender's former spouse
    adult = incidents.record_incident(police, case.id, f.incident_input(
        contexts=frozenset({"harmful_practice"})))
    assert (adult.context_intimate_partner, adult.context_harmful_practice) == (True, True)
    assert not adult.context_child_sexual_abuse and not adult.context_early_marriage
    girl = f.add_person(police, case, people.PersonInput(
        surname="Testova", given_name="Aruzhan", sex="female", birth_date=date(2010, 4, 1)),
        "survivor", relationship_to_offender="stepchild")
    abuse = incidents.record_incident(police, case.id, f.incident_input(
        survivor_participant_id=girl.id, physical=False, sexual=True,
        occurred_at=datetime(2026, 3, 31, 12, tzinfo=UTC)))  # the day before she is 16
    assert (abuse.gbv_type, abuse.context_child_sexual_abuse) == ("sexual_assault", True)
    assert not abuse.context_intimate_partner
    marriage = incidents.record_incident(police, case.id, f.incident_input(
        survivor_participant_id=girl.id, physical=False, forced_marriage=True))
    assert (marriage.gbv_type, marriage.context_early_marriage) == ("forced_marriage", True)
    with pytest.raises(DomainError) as err:
        incidents.record_incident(police, case.id, f.incident_input(
            contexts=frozenset({"made_up"})))
    assert err.value.field == "contexts"


def test_classifying_writes_nothing_and_matches_recording(police):
    case, _m = f.family_case(police)
    data = f.incident_input(physical=True, offence_id=f.offence("120").id)
    shown = incidents.classify_incident(police, case.id, data)
    assert incidents.list_incidents(police, case.id) == []
    recorded = incidents.record_incident(police, case.id, data)
    assert (shown.gbv_type, shown.contexts) == ("rape", frozenset({"intimate_partner"}))
    assert recorded.gbv_type == shown.gbv_type and recorded.context_intimate_partner


def _incident_form(**fields):
    data = {"occurred_at": "2026-03-01T21:30", "reported_by": "police_call", "weapon": "none",
            "offence_id": "", "survivor_participant_id": "", "offender_participant_id": "",
            "physical": "y"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_the_page_shows_the_classification_before_saving(world, client):
    police = actor(world["officer"])
    case, _m = f.family_case(police)
    rape_article = f.offence("120").id
    db.session.commit()
    login(client, world["officer"])
    url = f"/cases/{case.id}/incidents/new"

    def count() -> int:
        fresh()
        return len(incidents.list_incidents(police, case.id))

    # Saving at once only shows what would be recorded: nothing is saved yet.
    page = client.post(url, data=_incident_form(offence_id=str(rape_article), save="1"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and count() == 0
    assert "Classification to be recorded" in html and "Rape" in html
    assert "Intimate-partner violence" in html
    assert 'name="shown" type="hidden" value="rape|intimate_partner|' in html
    shown = f"rape|intimate_partner|{rape_article}:"
    # A change after the preview (another offence) shows the new result instead of saving.
    changed = client.post(url, data=_incident_form(offence_id="", shown=shown, save="1"))
    assert count() == 0 and "Physical assault" in changed.get_data(as_text=True)
    saved = client.post(url, data=_incident_form(offence_id=str(rape_article), shown=shown,
                                                 save="1"))
    assert saved.status_code == 302 and count() == 1
    # Without JavaScript a refused input shows the reason, and no classification.
    refused = client.post(url, data=_incident_form(physical=None, preview="1"))
    assert "Tick at least one type of violence" in refused.get_data(as_text=True)
    assert "Classification to be recorded" not in refused.get_data(as_text=True)
