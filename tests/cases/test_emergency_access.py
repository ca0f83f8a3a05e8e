"""Emergency ("break the glass") access: a front-line officer opens a case of another agency,
read-only and for a limited time, with a reason; every read is audited, the owner's managers
and the region's coordinators are told, and a coordinator reviews it. Sealed cases never open.
Runs on SQLite and (with TEST_DATABASE_URL) on PostgreSQL."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from referral.audit.models import AuditEvent
from referral.cases import emergency, notes
from referral.cases import service as cases
from referral.cases.emergency_models import EmergencyAccess
from referral.errors import DomainError, NotVisible, ReadOnlyAccess, StaleEdit
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications.models import Notification
from tests.cases import factories as f
from tests.fixtures import PASSWORD, actor, fresh, login, make_agency, make_user

REASON = "Survivor at the crisis center door, injured, needs the safety plan"


@pytest.fixture
def case(world):
    made, _members = f.family_case(actor(world["officer"]))
    db.session.commit()
    return made


def _audits(action: str) -> list[AuditEvent]:
    return list(db.session.execute(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)).scalars())


def _grants() -> list[EmergencyAccess]:
    with f.as_system():
        return list(db.session.execute(select(EmergencyAccess)).scalars())


def test_a_reason_opens_a_case_of_another_agency_read_only(world, case):
    crisis = actor(world["crisis"])
    with pytest.raises(NotVisible):
        cases.get_case_for(crisis, case.id)
    [grant] = emergency.start_emergency_access(crisis, term=case.reference, reason=REASON)
    db.session.commit()
    assert grant.ends_at - grant.started_at == timedelta(hours=4)
    assert cases.get_case_for(crisis, case.id).id == case.id
    shown, people = cases.open_case_page(crisis, case.id)
    assert {p.role for p in people} >= {"survivor", "alleged_offender"}  # every category read
    # read-only: every write refused with a clear message, on the case and from it
    for write in (lambda: cases.writable_case(crisis, case.id),
                  lambda: cases.writable_case(crisis, case.id, "notes"),
                  lambda: notes.add_note(crisis, case.id, "a note"),
                  lambda: cases.change_status(crisis, case.id, status="monitoring")):
        with pytest.raises(ReadOnlyAccess, match="emergency access"):
            write()
    assert not cases.can_contribute(crisis, shown, "notes")
    from referral.referrals.service import load_case_for_sending

    with pytest.raises(ReadOnlyAccess):
        load_case_for_sending(crisis, case.id)
    # the same request again opens nothing twice
    assert emergency.start_emergency_access(crisis, term=case.reference, reason=REASON) == [grant]
    assert len(_grants()) == 1


def test_opening_by_iin_and_every_read_audited_as_emergency(world, case):
    crisis = actor(world["crisis"])
    [grant] = emergency.start_emergency_access(crisis, term=f.SURVIVOR.iin, reason=REASON)
    db.session.commit()
    [opened] = _audits("case.emergency_access")
    assert (opened.object_id, opened.actor_user_id) == (str(case.id), world["crisis"].id)
    for _ in range(2):
        cases.open_case_page(crisis, case.id)
        db.session.commit()
    views = _audits("case.emergency_view")
    assert len(views) == 2
    assert all(v.details == {"emergency_access_id": grant.id} for v in views)
    # the owner's own reads are plain views
    cases.get_case_for(actor(world["officer"]), case.id)
    db.session.commit()
    assert len(_audits("case.emergency_view")) == 2


def test_the_owners_managers_and_the_coordinator_are_told_at_once_with_ids_only(world, case):
    crisis = actor(world["crisis"])
    [grant] = emergency.start_emergency_access(crisis, term=case.reference, reason=REASON)
    db.session.commit()
    event = db.session.execute(select(OutboxEvent).where(
        OutboxEvent.kind == "case.emergency_access")).scalar_one()
    assert (event.subject_type, event.subject_id) == ("case", case.id)
    assert event.data == {"owner_agency_id": world["police"].id, "emergency_access_id": grant.id}
    told = set(db.session.execute(select(Notification.user_id).where(
        Notification.kind == "case.emergency_access")).scalars())
    assert told == {world["manager"].id, world["coordinator"].id}
    assert world["officer"].id not in told and world["crisis"].id not in told
    police = actor(world["officer"])
    entries = cases.list_timeline(police, cases.get_case_for(police, case.id))
    assert entries[0].kind == "case.emergency_access" and entries[0].object_id == grant.id


def test_sealed_cases_never_open_unless_the_user_is_named(world, case):
    police, crisis_user = actor(world["officer"]), world["crisis"]
    cases.set_restriction(police, case.id, restricted=True, member_ids=[])
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        emergency.start_emergency_access(actor(crisis_user), term=case.reference, reason=REASON)
    with pytest.raises(DomainError) as unknown:
        emergency.start_emergency_access(actor(crisis_user), term="KZ-75-2020-999999",
                                         reason=REASON)
    assert refused.value.message == unknown.value.message  # nothing confirms the sealed case
    assert _grants() == []
    with pytest.raises(NotVisible):
        cases.get_case_for(actor(crisis_user), case.id)
    # named on it: they read it as before (no emergency needed, none opened)
    cases.set_restriction(police, case.id, restricted=True, member_ids=[crisis_user.id])
    db.session.commit()
    assert cases.get_case_for(actor(crisis_user), case.id).id == case.id


def test_a_grant_past_its_end_answers_404_again(world, case, client):
    crisis = actor(world["crisis"])
    [grant] = emergency.start_emergency_access(crisis, term=case.reference, reason=REASON)
    with f.as_system():
        db.session.execute(update(EmergencyAccess).where(EmergencyAccess.id == grant.id)
                           .values(ends_at=utcnow() + timedelta(seconds=1.5)))
    db.session.commit()
    assert cases.get_case_for(crisis, case.id)
    db.session.commit()
    time.sleep(1.6)  # the same actor's rules are cached: the time is read at each execution
    with pytest.raises(NotVisible):
        cases.get_case_for(crisis, case.id)
    db.session.rollback()
    login(client, world["crisis"])
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_who_may_break_the_glass(world, case):
    health = make_user(make_agency("health", "KZ-75"), "officer")
    db.session.commit()
    for who in (health, world["coordinator"], world["admin"]):
        with pytest.raises(NotVisible):
            emergency.start_emergency_access(actor(who), term=case.reference, reason=REASON)
    with pytest.raises(DomainError):  # a reason is required
        emergency.start_emergency_access(actor(world["crisis"]), term=case.reference, reason="x")
    with pytest.raises(DomainError):  # the owner already sees it: nothing to open
        emergency.start_emergency_access(actor(world["officer"]), term=case.reference,
                                         reason=REASON)


def test_listed_on_the_coordinators_review_until_marked_reviewed(world, case):
    [grant] = emergency.start_emergency_access(actor(world["crisis"]), term=case.reference,
                                               reason=REASON)
    db.session.commit()
    coordinator = actor(world["coordinator"])
    [row] = emergency.list_for_review(coordinator)
    assert (row.grant.id, row.reference) == (grant.id, case.reference)
    elsewhere = make_user(world["other_agency"], "coordinator", regions=("KZ-43",))
    assert emergency.list_for_review(actor(elsewhere)) == []
    with pytest.raises(NotVisible):
        emergency.mark_reviewed(actor(elsewhere), grant.id)
    with pytest.raises(NotVisible):
        emergency.mark_reviewed(actor(world["manager"]), grant.id)
    emergency.mark_reviewed(coordinator, grant.id)
    db.session.commit()
    assert emergency.list_for_review(coordinator) == []
    [reviewed] = _audits("case.emergency_access_reviewed")
    assert reviewed.actor_user_id == world["coordinator"].id
    with pytest.raises(StaleEdit):
        emergency.mark_reviewed(coordinator, grant.id)


def test_the_pages_search_reason_password_banner_refusal_review(world, case, client):
    login(client, world["crisis"])
    page = client.post("/cases/search", data={"term": case.reference}).get_data(as_text=True)
    assert "Emergency access" in page and 'name="reason"' in page
    wrong = client.post("/cases/emergency", data={"term": case.reference, "reason": REASON,
                                                  "password": "not my password at all"})
    assert wrong.status_code == 200 and "The password is not correct." in wrong.get_data(True)
    fresh()
    assert _grants() == []
    opened = client.post("/cases/emergency", data={"term": case.reference, "reason": REASON,
                                                   "password": PASSWORD})
    assert opened.status_code == 302 and opened.location.endswith(f"/cases/{case.id}")
    detail = client.get(f"/cases/{case.id}")
    assert detail.status_code == 200
    assert 'data-testid="emergency-banner"' in detail.get_data(as_text=True)
    refused = client.get(f"/cases/{case.id}/edit")
    assert refused.status_code == 403
    assert "emergency access" in refused.get_data(as_text=True)
    assert 'data-testid="emergency-banner"' not in client.get("/cases").get_data(as_text=True)
    client.post(f"/cases/{case.id}/notes", data={"body": "written in an emergency"})
    fresh()
    with f.as_system():
        from referral.cases.models import CaseNote

        assert db.session.execute(select(CaseNote).where(
            CaseNote.body == "written in an emergency")).first() is None
    # the coordinator's review lists it and marks it reviewed
    coord = client.application.test_client()
    login(coord, world["coordinator"])
    review = coord.get("/coordination/review").get_data(as_text=True)
    assert "Emergency access to review" in review and case.reference in review
    [grant] = _grants()
    done = coord.post(f"/cases/emergency/{grant.id}/reviewed")
    assert done.status_code == 302
    fresh()
    [grant] = _grants()
    assert grant.reviewed_by_id == world["coordinator"].id
    assert 'data-testid="emergency-row"' not in coord.get("/coordination/review").get_data(True)


def test_the_owner_sees_no_emergency_offer_for_its_own_search(world, case, client):
    login(client, world["coordinator"])
    page = client.post("/cases/search", data={"term": case.reference}).get_data(as_text=True)
    assert 'name="reason"' not in page
