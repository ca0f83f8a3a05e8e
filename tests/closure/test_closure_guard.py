"""Closing a case safely: each unmet checklist item refuses with its reason, a measure in force or
an open high-risk referral refuses whatever was signed, and sign-off then close works once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from referral.access.scope import acting_as, system_actor
from referral.cases import measures
from referral.cases import service as cases
from referral.closure import service
from referral.errors import DomainError
from referral.extensions import db
from tests.cases import factories as cf
from tests.fixtures import actor, fresh, login

ALL_MET = service.ChecklistInput(needs_met=True, safety_plan_reviewed=True,
                                 told_can_return=True)


def _close(who, case):
    return cases.change_status(who, case.id, status="closed", reason="safe_no_further_risk")


def _refused(who, case) -> str:
    with pytest.raises(DomainError) as err:
        _close(who, case)
    db.session.rollback()
    return err.value.message


def test_no_checklist_refuses_with_the_way_to_it(world):
    police = actor(world["officer"])
    case = cf.open_case(police)
    db.session.commit()
    message = _refused(police, case)
    assert "checklist has not been filled in" in message and "Closure checklist" in message


@pytest.mark.parametrize("missing, reason", [
    ("needs_met", "needs are not marked as met"),
    ("safety_plan_reviewed", "safety plan has not been reviewed"),
    ("told_can_return", "told she can come back"),
])
def test_each_unmet_item_refuses_with_its_reason(world, missing, reason):
    police = actor(world["officer"])
    case = cf.open_case(police)
    service.save_checklist(police, case.id, service.ChecklistInput(
        **{**ALL_MET.__dict__, missing: False}))
    db.session.commit()
    assert reason in _refused(police, case)


def test_no_contact_for_the_period_counts_as_needs_met(world):
    police = actor(world["officer"])
    case = cf.open_case(police)
    days = service.policy().no_contact_days
    recent = service.ChecklistInput(safety_plan_reviewed=True, told_can_return=True,
                                    last_contact_on=date.today() - timedelta(days=days - 5))
    service.save_checklist(police, case.id, recent)
    items = {i.code: i.met for i in service.checklist_for(police, case.id)[2]}
    assert items["needs_met"] is False
    row = service.save_checklist(police, case.id, service.ChecklistInput(
        **{**recent.__dict__, "last_contact_on": date.today() - timedelta(days=days + 1)}))
    items = {i.code: i.met for i in service.checklist_for(police, case.id)[2]}
    assert items["needs_met"] is True and row.signed_off_at is None


def test_an_open_referral_is_an_unmet_item_and_refuses_sign_off(world):
    from tests.coordination.factories import make_referral

    police = actor(world["officer"])
    case = cf.open_case(police)
    with acting_as(system_actor("test")):
        make_referral(case, world["officer"], world["crisis_agency"], status="accepted")
    service.save_checklist(police, case.id, ALL_MET)
    db.session.commit()
    assert "Open referrals: 1" in _refused(police, case)
    with pytest.raises(DomainError, match="Open referrals: 1"):
        service.sign_off(actor(world["manager"]), case.id)


def test_a_measure_in_force_refuses_even_when_signed_off(world):
    police, manager = actor(world["officer"]), actor(world["manager"])
    case = cf.open_case(police)
    service.save_checklist(police, case.id, ALL_MET)
    service.sign_off(manager, case.id)
    measures.issue_measure(police, case.id, measures.MeasureInput(
        measure_type="protective_order", starts_on=datetime.now(UTC).date()))
    db.session.commit()
    assert "protective measure is still in force" in _refused(police, case)


def test_an_open_high_risk_referral_refuses_even_when_signed_off(world):
    from tests.coordination.factories import make_referral

    police, manager = actor(world["officer"]), actor(world["manager"])
    case = cf.open_case(police)
    service.save_checklist(police, case.id, ALL_MET)
    service.sign_off(manager, case.id)
    with acting_as(system_actor("test")):
        referral = make_referral(case, world["officer"], world["crisis_agency"], status="sent")
        referral.risk_level = "high"
        db.session.flush()
    db.session.commit()
    assert "high-risk referral" in _refused(police, case)


def test_only_the_lead_agencys_manager_signs_off(world):
    police = actor(world["officer"])
    case = cf.open_case(police)
    service.save_checklist(police, case.id, ALL_MET)
    db.session.commit()
    assert "signed off" in _refused(police, case)
    with pytest.raises(DomainError, match="manager"):
        service.sign_off(police, case.id)


def test_sign_off_then_close_works_once(world):
    police, manager = actor(world["officer"]), actor(world["manager"])
    case = cf.open_case(police)
    service.save_checklist(police, case.id, ALL_MET)
    service.sign_off(manager, case.id)
    _close(police, case)
    assert case.status == "closed"
    cases.change_status(police, case.id, status="open")
    db.session.commit()
    assert "signed off" in _refused(police, case)  # the sign-off was spent by the close


def test_the_pages_save_sign_off_and_close(client, world):
    case = cf.open_case(actor(world["officer"]))
    db.session.commit()
    login(client, world["officer"])
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/closure/cases/{case.id}" in page
    client.post(f"/cases/{case.id}/status", data={"status": "closed",
                                                  "reason": "safe_no_further_risk",
                                                  "version": str(case.version)})
    fresh()
    assert cases.get_case_for(actor(world["officer"]), case.id).status == "open"
    db.session.rollback()
    assert client.post(f"/closure/cases/{case.id}", data={
        "needs_met": "y", "safety_plan_reviewed": "y", "told_can_return": "y"}
    ).status_code == 302
    client.post("/logout")
    login(client, world["manager"])
    assert "Sign off" in client.get(f"/closure/cases/{case.id}").get_data(as_text=True)
    assert client.post(f"/closure/cases/{case.id}/sign-off", data={}).status_code == 302
    fresh()
    version = cases.get_case_for(actor(world["manager"]), case.id).version
    db.session.rollback()
    client.post(f"/cases/{case.id}/status", data={"status": "closed",
                                                  "reason": "safe_no_further_risk",
                                                  "version": str(version)})
    fresh()
    assert cases.get_case_for(actor(world["manager"]), case.id).status == "closed"
    db.session.rollback()
    for who in ("crisis", "other", "coordinator"):
        client.post("/logout")
        login(client, world[who])
        assert client.get(f"/closure/cases/{case.id}").status_code == 404, who
