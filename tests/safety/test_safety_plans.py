"""Safety plans: versions kept and readable, shared only within consent, audited, and a printout
that holds the plan and nothing else of the case."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.audit.models import AuditEvent
from referral.errors import NotVisible, StaleEdit
from referral.extensions import db
from referral.referrals import service as referrals
from referral.safety import service
from tests.cases import factories as cf
from tests.fixtures import actor, fresh, login
from tests.referrals.factories import consent, send
from tests.safety.factories import assess, plan_input


@pytest.fixture
def planned(ctx, world):
    police = actor(world["officer"])
    case, members = cf.family_case(police)
    survivor = members["survivor"]
    assess(police, case.id, "high")
    plan = service.save_plan(police, survivor.id, plan_input(), based_on=None)
    db.session.commit()
    return {"case": case, "survivor": survivor, "plan": plan, "police": police}


def _actions(plan_id: int) -> list[str]:
    with acting_as(system_actor("test")):
        return list(db.session.execute(select(AuditEvent.action).where(
            AuditEvent.object_type == "safety_plan", AuditEvent.object_id == str(plan_id))
            .order_by(AuditEvent.id)).scalars())


def test_each_review_is_a_new_version_and_the_older_stays_readable(planned):
    police, survivor, first = planned["police"], planned["survivor"], planned["plan"]
    second = service.save_plan(police, survivor.id, plan_input(main_concern="Moved to sister"),
                               based_on=first.id)
    db.session.commit()
    fresh()
    assert (first.number, second.number) == (1, 2)
    assert service.current_plan(police, survivor.id).id == second.id
    old = service.get_plan_for(police, first.id)
    assert not old.is_current and old.main_concern == "He said he would come back tonight"
    assert [v.number for v in service.versions(police, survivor.id)] == [2, 1]
    db.session.commit()
    with pytest.raises(StaleEdit):  # a form opened on version 1 is now stale
        service.save_plan(police, survivor.id, plan_input(), based_on=first.id)
    db.session.rollback()
    assert _actions(first.id) == ["safety_plan.save", "safety_plan.view"]


def test_a_plan_needs_the_survivors_main_concern_and_a_survivor(planned, world):
    police = planned["police"]
    with pytest.raises(Exception, match="main concern"):
        service.save_plan(police, planned["survivor"].id, plan_input(main_concern=" "),
                          based_on=planned["plan"].id)
    db.session.rollback()
    case, members = cf.family_case(police)
    with pytest.raises(NotVisible):
        service.save_plan(police, members["offender"].id, plan_input(), based_on=None)


@pytest.mark.parametrize(("categories", "reads"), [
    (("identity_contact",), False),  # contact details without the risk: no plan
    (("risk_assessment",), False),  # the risk without the survivor's contact: no plan
    (("identity_contact", "risk_assessment"), True)])
def test_a_receiving_agency_reads_the_plan_only_within_consent(planned, world, categories,
                                                               reads):
    crisis = actor(world["crisis"])
    referral = send(world["officer"], planned["case"], world["crisis_agency"],
                    consent_input=consent(*categories))
    referrals.accept_referral(crisis, referral_id=referral.id)
    db.session.commit()
    if reads:
        assert service.get_plan_for(crisis, planned["plan"].id).id == planned["plan"].id
    else:
        with pytest.raises(NotVisible):
            service.get_plan_for(crisis, planned["plan"].id)
    db.session.rollback()
    with pytest.raises(NotVisible):  # another region's police never
        service.get_plan_for(actor(world["other"]), planned["plan"].id)


def test_the_printout_holds_the_plan_and_nothing_else_of_the_case(planned, world, client):
    from referral.cases import people

    police, case, survivor = planned["police"], planned["case"], planned["survivor"]
    people.save_safe_contact(police, survivor.id, people.SafeContactInput(
        safe_phone="+7 701 555 0101", code_word="Tulips"), expected_version=None)
    db.session.commit()
    login(client, world["officer"])
    for lang, heading in (("en", "My safety plan"), ("ru", "Мой план безопасности"),
                          ("kk", "Менің қауіпсіздік жоспарым")):
        html = client.get(f"/safety/plans/{planned['plan'].id}/print?lang={lang}").get_data(True)
        assert heading in html and "He said he would come back tonight" in html
        assert f'lang="{lang}"' in html
        for other in (case.reference, "Testova", "Aigul", "Testov", "Marat", "Police A",
                      world["officer"].full_name, "+7 701 555 0101", "Tulips",
                      survivor.person.iin or "no iin", case.address or "no address"):
            assert other not in html, other
    fresh()
    assert _actions(planned["plan"].id)[-1] == "safety_plan.print"


def test_the_case_page_shows_the_plan_its_contact_rules_and_the_due_reassessment(planned, world,
                                                                                  client):
    login(client, world["officer"])
    html = client.get(f"/cases/{planned['case'].id}").get_data(True)
    assert 'data-testid="contact-rules"' in html and "Text messages" in html
    assert "Next risk re-assessment due" in html
    assert "A referral to a crisis center offered" in html
    assert "A safety plan made with the survivor" not in html
    assert f"/safety/plans/{planned['plan'].id}" in html
    page = client.get(f"/safety/plans/{planned['plan'].id}").get_data(True)
    assert "Curtain half drawn" in page and "Version 1" in page


def test_the_plan_form_saves_a_version_and_refuses_a_stale_one(planned, world, client):
    login(client, world["officer"])
    url = f"/safety/survivors/{planned['survivor'].id}/plan"
    form = client.get(url).get_data(True)
    assert "He said he would come back tonight" in form  # opened on the current version
    data = {"based_on": str(planned["plan"].id), "main_concern": "Afraid at night",
            "partner_knows": "yes", "voicemail_allowed": "y"}
    saved = client.post(url, data=data)
    assert saved.status_code == 302 and "/safety/plans/" in saved.headers["Location"]
    again = client.post(url, data=data)
    assert again.status_code == 200 and "Someone else saved" in again.get_data(True)
    fresh()
    current = service.current_plan(planned["police"], planned["survivor"].id)
    assert (current.number, current.main_concern, current.voicemail_allowed) == (
        2, "Afraid at night", True)


@pytest.mark.postgres
def test_two_reviews_saved_at_once_keep_one_current_version(app, planned, world):
    """Both forms were opened on version 1: one review becomes version 2, the other is told
    someone saved first (no error page, no second current version)."""
    from tests.fixtures import run_in_threads

    survivor_id, first_id = planned["survivor"].id, planned["plan"].id
    outcomes: list[str] = []

    def review(n: int) -> None:
        with app.app_context():
            try:
                service.save_plan(actor(world["officer"]), survivor_id,
                                  plan_input(main_concern=f"Review {n}"), based_on=first_id)
                db.session.commit()
                outcomes.append("saved")
            except StaleEdit:
                db.session.rollback()
                outcomes.append("stale")
            finally:
                db.session.remove()

    assert run_in_threads(review, 2) == []
    fresh()
    current = service.current_plan(planned["police"], survivor_id)
    assert sorted(outcomes) == ["saved", "stale"]
    assert current.number == 2 and current.main_concern.startswith("Review")
