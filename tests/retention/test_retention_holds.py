"""Legal holds: placed and released by coordinators and managers of the lead agency, with a
reason, audited; nobody else (404); listed on the "Legal holds" page."""

from __future__ import annotations

from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.audit.models import AuditEvent
from referral.extensions import db
from referral.retention.models import LegalHold
from tests.cases import factories as cf
from tests.fixtures import actor, fresh, login


def _audit(action: str) -> list[AuditEvent]:
    with acting_as(system_actor("test")):
        return list(db.session.execute(select(AuditEvent).where(
            AuditEvent.action == action)).scalars())


def test_a_manager_places_and_a_coordinator_releases_a_hold(ctx, client, world):
    case = cf.open_case(actor(world["officer"]))
    db.session.commit()
    login(client, world["manager"])
    page = client.get(f"/cases/{case.id}")
    assert f"/retention/cases/{case.id}/hold" in page.get_data(as_text=True)
    empty = client.post(f"/retention/cases/{case.id}/hold", data={"reason": ""})
    assert empty.status_code == 200  # the form again, with the error
    done = client.post(f"/retention/cases/{case.id}/hold", data={"reason": "Court case 12"})
    assert done.status_code == 302
    fresh()
    with acting_as(system_actor("test")):
        hold = db.session.execute(select(LegalHold)).scalar_one()
    assert hold.in_force and hold.placed_by_id == world["manager"].id
    [placed] = _audit("legal_hold.place")
    assert placed.object_id == str(case.id) and "Court" not in str(placed.details)
    listing = client.get("/retention/holds").get_data(as_text=True)
    assert case.reference in listing and "Court case 12" in listing
    client.post("/logout")
    login(client, world["coordinator"])
    assert client.post(f"/retention/holds/{hold.id}/release",
                       data={"release_reason": "Ended"}).status_code == 302
    fresh()
    with acting_as(system_actor("test")):
        hold = db.session.get(LegalHold, hold.id)
        assert hold.released_by_id == world["coordinator"].id
        assert hold.release_reason == "Ended"
    assert len(_audit("legal_hold.release")) == 1


def test_officers_and_other_agencies_get_404(ctx, client, world):
    case = cf.open_case(actor(world["officer"]))
    db.session.commit()
    for who in ("officer", "other", "crisis", "admin"):
        login(client, world[who])
        assert client.get(f"/retention/cases/{case.id}/hold").status_code == 404, who
        assert client.post(f"/retention/cases/{case.id}/hold",
                           data={"reason": "x"}).status_code == 404, who
        client.post("/logout")
    fresh()
    with acting_as(system_actor("test")):
        assert db.session.execute(select(LegalHold)).first() is None


def test_the_report_page_shows_references_and_counts_only(ctx, client, world):
    login(client, world["admin"])
    page = client.get("/retention/")
    assert page.status_code == 200
    assert "94-V" in page.get_data(as_text=True)
    client.post("/logout")
    login(client, world["officer"])
    assert client.get("/retention/").status_code == 404
