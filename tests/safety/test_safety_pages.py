"""Where re-assessments show up: the officer's home, the coordinator's home and overdue review;
and the e-mail of a due one, which says only that it awaits, with the case's link."""

from __future__ import annotations

from referral.access.scope import acting_as, system_actor
from referral.cases import incidents
from referral.extensions import db
from referral.models_base import utcnow
from referral.notifications import jobs
from referral.safety import notify
from tests.cases import factories as cf
from tests.fixtures import actor, login
from tests.safety.factories import assess, overdue_case


def _overdue_case(world, days: int = 10):
    case, _members = overdue_case(world, days)
    db.session.commit()
    return case


def test_the_officer_sees_a_case_due_after_a_new_incident_on_the_home_page(app, ctx, world,
                                                                          client):
    police = actor(world["officer"])
    case, _ = cf.family_case(police)
    assess(police, case.id, "medium")
    quiet, _ = cf.family_case(police)
    assess(police, quiet.id, "medium")  # due in 30 days: not listed
    incidents.record_incident(police, case.id, cf.incident_input(occurred_at=utcnow()))
    db.session.commit()
    login(client, world["officer"])
    html = client.get("/").get_data(True)
    assert f'data-testid="reassessment-{case.id}"' in html
    assert f'data-testid="reassessment-{quiet.id}"' not in html
    assert "now: a new incident" in html and "A safety plan made with the survivor" in html
    other = app.test_client()
    login(other, world["other"])
    assert f'data-testid="reassessment-{case.id}"' not in other.get("/").get_data(True)


def test_the_coordinator_sees_overdue_reassessments_on_home_and_in_the_review(ctx, world,
                                                                               client):
    case = _overdue_case(world)
    login(client, world["coordinator"])
    home = client.get("/").get_data(True)
    assert f'data-testid="reassessment-{case.id}"' in home and "overdue" in home
    review = client.get("/coordination/review").get_data(True)
    assert 'id="reassessment-overdue"' in review
    assert f'data-testid="reassessment-{case.id}"' in review
    assert "A referral to a crisis center offered" in review  # missing, shown per row


def test_the_email_says_only_that_a_reassessment_awaits(ctx, world, smtp):
    case = _overdue_case(world, days=1)
    with acting_as(system_actor("test sweep")):
        assert notify.remind_reassessments(now=utcnow()) == 1  # due, not yet escalated
    db.session.commit()
    queued: list[int] = []
    jobs.publish(queued.append)
    for delivery_id in queued:
        jobs.deliver(delivery_id)
    mails = [m for m in smtp.messages if world["officer"].email in m.recipients]
    assert len(mails) == 1
    mail = mails[0]
    assert "re-assessment" in mail.subject.lower() and case.reference in mail.subject
    assert f"/cases/{case.id}" in mail.body
    for secret in ("He said he would come back tonight", "Curtain half drawn", "Testova",
                   "Aigul", "Sister in Kaskelen"):
        assert secret not in mail.subject and secret not in mail.body
