"""The safety section and the legal hold read in the case page's own statement
(referral.cases.page_reads): the page keeps to ten statements, audit included, for the case's
owner, its manager and the region's coordinator; what they see is what the sections' own
statements give; anyone who does not read every category gets the sections as before."""

from __future__ import annotations

from referral.access.scope import acting_as
from referral.cases import page_reads
from referral.cases import service as cases
from referral.extensions import db
from referral.referrals.service import answering
from referral.retention import service as retention
from referral.safety import status
from tests.fixtures import actor, fresh, login, recorded_statements
from tests.referrals.factories import send
from tests.safety.factories import overdue_case

WRITES_AND_READS = ("SELECT", "INSERT", "UPDATE", "WITH", "DELETE")


def _held_case(world):
    """A case with a survivor's safety plan, an overdue re-assessment and a hold in force."""
    case, members = overdue_case(world, days=3)
    retention.place_hold(actor(world["manager"]), case.id, reason="Court case 7")
    db.session.commit()
    return case, members


def _statements(client, url: str) -> tuple[str, list[str]]:
    with recorded_statements() as sent:
        page = client.get(url)
    assert page.status_code == 200
    seen = [" ".join(s.split()) for s in sent]
    return page.get_data(as_text=True), [
        s for s in seen if s.split(" ", 1)[0].upper() in WRITES_AND_READS]


def test_whole_readers_get_the_page_in_ten_statements_with_plan_due_and_hold(app, world,
                                                                           client):
    case, _members = _held_case(world)
    for who, sees_hold in (("officer", False), ("manager", True), ("coordinator", True)):
        login(client, world[who])
        client.get("/")  # the first page after login records the session's use
        html, statements = _statements(client, f"/cases/{case.id}")
        # The audit of the view is one statement on PostgreSQL, an insert and an update here.
        audit = [s for s in statements if "audit_events" in s or "audit_chain_head" in s]
        assert audit, who
        assert len(statements) - len(audit) + 1 <= 10, (who, "\n".join(
            s[:90] for s in statements))
        assert not [s for s in statements if s.startswith(
            ("SELECT reassessment_schedules", "SELECT legal_holds"))], who
        assert "Safety plan of" in html and 'data-testid="reassessment-due"' in html, who
        # Every joined table carries its scope rule (the case rule's "scope_case" condition).
        [page_statement] = [s for s in statements if "LEFT OUTER JOIN safety_plans" in s]
        for table in ("safety_plans", "reassessment_schedules") + (
                ("legal_holds",) if sees_hold else ()):
            assert f"scope_case.id = {table}.case_id" in page_statement, (who, table)
        assert ("Court case 7" in html) is sees_hold, who
        assert ("Release the legal hold" in html) is sees_hold, who
        client.post("/logout")


def test_the_joined_sections_equal_what_their_own_statements_read(app, world):
    case, members = _held_case(world)
    for who in ("officer", "coordinator", "manager"):
        reader = actor(world[who])
        with app.test_request_context(f"/cases/{case.id}"):
            loaded, _people = cases.open_case_page(reader, case.id, with_parts=True)
            joined = status.case_safety(reader, loaded)
            hold = retention.case_hold(reader, case.id)
        with app.test_request_context(f"/cases/{case.id}"):
            own = status.case_safety(reader, cases.load_case(reader, case.id))
            with acting_as(reader):
                own_hold = retention.active_hold(case.id)
        assert (joined.due.due_at, joined.due.basis, joined.due.missing) == (
            own.due.due_at, own.due.basis, own.due.missing), who
        assert joined.reads_plans and set(joined.plans) == set(own.plans) == {
            members["survivor"].id}, who
        if who == "officer":  # officers neither place nor release holds: nothing joined
            assert hold is not None and hold.id == own_hold.id  # read on its own, as before
        else:
            assert hold is not None and hold.id == own_hold.id, who
            assert hold.placed_by.full_name == world["manager"].full_name
    db.session.rollback()


def test_nothing_is_held_for_an_agency_the_case_is_shared_with(app, world, client):
    case, _members = _held_case(world)
    referral = send(world["officer"], case, world["crisis_agency"])
    reader = actor(world["crisis"])
    answering.accept_referral(reader, referral_id=referral.id)
    db.session.commit()
    with app.test_request_context(f"/cases/{case.id}"):
        cases.open_case_page(reader, case.id, with_parts=True)
        assert page_reads.held(reader, case.id, status.PAGE_PART) is page_reads.MISSING
        assert page_reads.held(reader, case.id, retention.PAGE_PART) is page_reads.MISSING
    owner = actor(world["officer"])
    with app.test_request_context(f"/cases/{case.id}"):
        cases.open_case_page(owner, case.id, with_parts=True)
        assert page_reads.held(owner, case.id, status.PAGE_PART) is not page_reads.MISSING
        # What the owner's statement read is never handed to another actor of the request.
        assert page_reads.held(reader, case.id, status.PAGE_PART) is page_reads.MISSING
    db.session.rollback()
    login(client, world["crisis"])
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Court case 7" not in html and "Release the legal hold" not in html


def test_a_released_hold_is_not_shown_and_a_new_one_may_be_placed(world, client):
    case, _members = _held_case(world)
    login(client, world["coordinator"])
    assert "Court case 7" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    hold_id = retention.case_hold(actor(world["manager"]), case.id).id
    fresh()
    assert client.post(f"/retention/holds/{hold_id}/release",
                       data={"release_reason": "Ended"}).status_code == 302
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Court case 7" not in html and f"/retention/cases/{case.id}/hold" in html
