"""Consent follows the agency: after a reassignment the new agency reads no case data until the
sending agency records the survivor's consent for it; only the sender may record it."""

from __future__ import annotations

import pytest

from referral.access.scope import acting_as
from referral.cases import service as cases_service
from referral.cases.scope import visible_categories
from referral.errors import DomainError, IllegalTransition
from referral.extensions import db
from referral.referrals import service
from tests.fixtures import actor, fresh, login, make_agency, make_user
from tests.referrals.factories import consent, make_case, no_consent, send


@pytest.fixture
def moved(world):
    """A referral reassigned from Crisis A to Crisis B, and a Crisis B officer."""
    second = make_agency("crisis_center", "KZ-75", name="Crisis B", services=("shelter",),
                         shelter_places=5)
    staff = make_user(second, "officer")
    case = make_case(world["police"], world["officer"])
    referral = send(world["officer"], case, world["crisis_agency"],
                    consent_input=consent("identity_contact", "risk_assessment"))
    service.reassign_referral(actor(world["coordinator"]), referral_id=referral.id,
                              receiver_agency_id=second.id, text="Closer to the family.")
    service.accept_referral(actor(staff), referral_id=referral.id)
    db.session.commit()
    return {"referral": referral, "case": case, "staff": staff, "agency": second}


def _categories(user, case_id) -> set[str]:
    who = actor(user)
    case = cases_service.get_case_for(who, case_id)
    with acting_as(who):
        found = set(visible_categories(who, case))
    db.session.commit()  # the read is audited: end the write, as a request does
    return found


def test_the_new_agency_reads_case_data_only_after_consent_is_recorded(world, moved):
    assert _categories(moved["staff"], moved["case"].id) == set()
    service.record_consent(actor(world["officer"]), referral_id=moved["referral"].id,
                           consent=consent("identity_contact"))
    db.session.commit()
    assert _categories(moved["staff"], moved["case"].id) == {"identity_contact"}
    with pytest.raises(DomainError, match="already in force"):
        service.record_consent(actor(world["officer"]), referral_id=moved["referral"].id,
                               consent=consent("identity_contact"))


def test_only_the_sender_records_consent_and_only_real_consent(world, moved):
    with pytest.raises(IllegalTransition, match="sending agency"):
        service.record_consent(actor(moved["staff"]), referral_id=moved["referral"].id,
                               consent=consent("identity_contact"))
    with pytest.raises(DomainError):
        service.record_consent(actor(world["officer"]), referral_id=moved["referral"].id,
                               consent=no_consent())
    with pytest.raises(DomainError):
        service.record_consent(actor(world["officer"]), referral_id=moved["referral"].id,
                               consent=service.ConsentInput(consented=True, categories=()))


def test_the_referral_page_offers_the_form_and_keeps_a_refused_one(client, world, moved):
    login(client, world["officer"])
    page = client.get(f"/referrals/{moved['referral'].id}").data.decode()
    assert "Record the survivor's consent for Crisis B" in page
    url = f"/referrals/{moved['referral'].id}/consent/record"
    refused = client.post(url, data={"record-consent-consent_until": "2001-01-01"})
    assert refused.status_code == 200
    assert 'value="2001-01-01"' in refused.data.decode()
    done = client.post(url, data={"record-consent-categories": ["identity_contact"]})
    assert done.status_code == 302
    fresh()
    assert _categories(moved["staff"], moved["case"].id) == {"identity_contact"}
    again = client.get(f"/referrals/{moved['referral'].id}").data.decode()
    assert "Record the survivor's consent" not in again
