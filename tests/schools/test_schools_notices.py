"""School notices: made by an incident with children, due before the next school day, seen by
the school alone, answered by "received", escalated to the coordinators once when unanswered."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from referral.access.scope import acting_as, system_actor
from referral.audit.models import AuditEvent
from referral.errors import NotVisible
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications import reminders
from referral.notifications.kinds import get_kind
from referral.notifications.mailer import compose
from referral.notifications.recipients import load_subject, resolve
from referral.schools import service
from referral.schools.models import SchoolNotice
from tests.fixtures import actor, fresh, login
from tests.schools.factories import incident_at, linked_case

ALMATY = ZoneInfo("Asia/Almaty")
FRIDAY_EVENING = datetime(2026, 12, 4, 19, 30, tzinfo=ALMATY)
MONDAY_EIGHT = datetime(2026, 12, 7, 8, 0, tzinfo=ALMATY)


def _notices() -> list[SchoolNotice]:
    with acting_as(system_actor("test")):
        return list(db.session.execute(select(SchoolNotice).order_by(SchoolNotice.id)).scalars())


def _events(kind: str) -> list[OutboxEvent]:
    with acting_as(system_actor("test")):
        return list(db.session.execute(select(OutboxEvent).where(OutboxEvent.kind == kind))
                    .scalars())


def test_a_friday_evening_incident_makes_a_notice_due_monday_at_eight(world, schools):
    case, members = linked_case(world["officer"], schools["school"])
    incident_at(world["officer"], case, FRIDAY_EVENING)
    [notice] = _notices()
    assert notice.due_at == MONDAY_EIGHT
    assert (notice.school_agency_id, notice.participant_id) == (schools["school"].id,
                                                                members["child"].id)
    assert notice.child_name == "Testova Dana" and notice.child_birth_date.year == 2015
    assert (notice.police_reference, notice.child_present) == ("KUSP-123", True)
    assert notice.incident_date == FRIDAY_EVENING.date()
    assert notice.legal_ground == "child_at_risk" and notice.calendar_version
    assert notice.contact_name == world["officer"].full_name
    with acting_as(system_actor("test")):
        [created] = db.session.execute(select(AuditEvent).where(
            AuditEvent.action == "school_notice.create")).scalars()
    assert "Dana" not in str(created.details)


def test_no_school_linked_no_notice(world, schools):
    from tests.cases import factories as cf

    case, _members = cf.family_case(actor(world["officer"]))
    db.session.commit()
    incident_at(world["officer"], case, FRIDAY_EVENING)
    assert _notices() == []


def test_the_school_sees_only_its_notice(world, schools):
    case, _ = linked_case(world["officer"], schools["school"])
    incident_at(world["officer"], case, FRIDAY_EVENING)
    [notice] = _notices()
    teacher, other = actor(schools["teacher"]), actor(schools["other_teacher"])
    assert [n.id for n in service.list_notices(teacher)] == [notice.id]
    assert service.list_notices(other) == []
    with pytest.raises(NotVisible):
        service.get_notice_for(other, notice.id)
    for who in ("crisis", "other", "admin"):
        assert service.list_notices(actor(world[who])) == [], who
    # the sending agency and the region's coordinator follow it
    assert [n.id for n in service.list_notices(actor(world["coordinator"]))] == [notice.id]
    assert [n.id for n in service.list_notices(actor(world["officer"]))] == [notice.id]
    # the list names children: each listing is audited with the notices it showed
    with acting_as(system_actor("test")):
        listed = db.session.execute(select(AuditEvent.details).where(
            AuditEvent.action == "school_notice.list").order_by(AuditEvent.id)).scalars().all()
    assert listed[0] == {"notices": [notice.id]} and listed[1] == {"notices": []}


def test_the_school_page_shows_the_notice_and_nothing_of_the_case(client, world, schools):
    case, _ = linked_case(world["officer"], schools["school"])
    incident_at(world["officer"], case, FRIDAY_EVENING)
    [notice] = _notices()
    login(client, schools["teacher"])
    page = client.get(f"/schools/notices/{notice.id}").get_data(as_text=True)
    assert "Testova Dana" in page and "KUSP-123" in page
    assert case.reference not in page and "Aigul" not in page and "Marat" not in page
    assert f"/cases/{case.id}" not in page
    assert client.get(f"/cases/{case.id}").status_code == 404
    client.post("/logout")
    login(client, schools["other_teacher"])
    assert client.get(f"/schools/notices/{notice.id}").status_code == 404
    assert client.post(f"/schools/notices/{notice.id}/received").status_code == 404


def test_the_school_e_mail_says_only_that_a_notice_awaits(world, schools, ctx):
    case, _ = linked_case(world["officer"], schools["school"])
    incident_at(world["officer"], case, FRIDAY_EVENING)
    [event] = _events("school_notice.sent")
    kind = get_kind("school_notice.sent")
    subject = load_subject(event)
    assert subject.case_id is None
    assert schools["teacher"].id in resolve(event, kind, subject).user_ids
    mail = compose(kind, event, subject, to="teacher@test.example.org", locale="ru",
                   mailbox=False)
    for secret in ("Dana", "Testova", "KUSP", case.reference, "2015"):
        assert secret not in mail.body + mail.subject, secret
    assert f"/schools/notices/{event.subject_id}" in mail.body
    service.set_contact(actor(schools["head"]), user_id=schools["teacher"].id)
    recipients = resolve(event, kind, load_subject(event)).user_ids
    assert recipients == {schools["teacher"].id}  # the designated contact alone, once named


def test_unanswered_at_the_deadline_escalates_once_and_received_stops_it(world, schools):
    case, _ = linked_case(world["officer"], schools["school"])
    incident_at(world["officer"], case, FRIDAY_EVENING)
    second_case, _ = linked_case(world["officer"], schools["school"])
    incident_at(world["officer"], second_case, FRIDAY_EVENING)
    first, second = _notices()
    service.mark_received(actor(schools["teacher"]), second.id)
    db.session.commit()
    reminders.run_all(now=MONDAY_EIGHT - timedelta(minutes=1))
    assert _events("escalation.school_notice_unanswered") == []
    for _ in range(2):
        counts = reminders.run_all(now=MONDAY_EIGHT + timedelta(minutes=5))
        db.session.commit()
    assert counts["school_notices"] == 0
    [escalated] = _events("escalation.school_notice_unanswered")
    assert escalated.subject_id == first.id
    kind = get_kind(escalated.kind)
    assert world["coordinator"].id in resolve(escalated, kind, load_subject(escalated)).user_ids


def test_received_is_the_schools_answer_audited(client, world, schools):
    case, _ = linked_case(world["officer"], schools["school"])
    incident_at(world["officer"], case, FRIDAY_EVENING)
    [notice] = _notices()
    with pytest.raises(NotVisible):
        service.mark_received(actor(world["officer"]), notice.id)
    db.session.rollback()
    login(client, schools["teacher"])
    assert client.post(f"/schools/notices/{notice.id}/received").status_code == 302
    fresh()
    [notice] = _notices()
    assert notice.status == "received" and notice.received_by_id == schools["teacher"].id
    with acting_as(system_actor("test")):
        assert db.session.execute(select(AuditEvent).where(
            AuditEvent.action == "school_notice.received")).scalar_one()


def test_a_manager_names_the_safeguarding_contact(client, world, schools):
    login(client, schools["head"])
    assert client.get("/schools/contact").status_code == 200
    assert client.post("/schools/contact", data={"user_id": str(world["officer"].id)}
                       ).status_code == 200  # not of the school: refused on the page
    assert client.post("/schools/contact", data={"user_id": str(schools["teacher"].id)}
                       ).status_code == 302
    fresh()
    assert service.contact_of(schools["school"].id).user_id == schools["teacher"].id
    client.post("/logout")
    login(client, world["manager"])  # a police manager: not a school
    assert client.get("/schools/contact").status_code == 404


def test_the_lead_agency_links_a_child_to_a_school_of_the_region(client, world, schools):
    from tests.cases import factories as cf

    case, members = cf.family_case(actor(world["officer"]))
    db.session.commit()
    login(client, world["officer"])
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/schools/cases/{case.id}/children" in page
    form = client.get(f"/schools/cases/{case.id}/children").get_data(as_text=True)
    assert "School A" in form and "Testova Dana" in form
    assert client.post(f"/schools/cases/{case.id}/children", data={
        "participant_id": str(members["child"].id),
        "school_agency_id": str(schools["school"].id)}).status_code == 302
    assert client.post(f"/schools/cases/{case.id}/children", data={
        "participant_id": str(members["survivor"].id),
        "school_agency_id": str(schools["school"].id)}).status_code == 200
    fresh()
    _case, rows = service.children_of(actor(world["officer"]), case.id)
    assert [(r.participant.id, r.school.id) for r in rows] == [(members["child"].id,
                                                               schools["school"].id)]


def test_the_home_panel_counts_the_schools_waiting_notices(client, world, schools):
    case, _ = linked_case(world["officer"], schools["school"])
    incident_at(world["officer"], case, FRIDAY_EVENING)
    login(client, schools["teacher"])
    assert "Awaiting your confirmation: 1." in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login(client, world["officer"])
    assert "panel-school-notices" not in client.get("/").get_data(as_text=True)
    client.post("/logout")
    fresh()
    with acting_as(system_actor("test")):  # the deadline passes
        db.session.execute(update(SchoolNotice).values(due_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    login(client, world["coordinator"])
    home = client.get("/").get_data(as_text=True)
    assert "panel-school-notices" in home and "Not confirmed in time" in home
