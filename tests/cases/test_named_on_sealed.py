"""Actor.named_on_sealed: the session says whether the reader is named on a restricted case,
and when it says no, the rules leave that branch out without showing or hiding anything else."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from sqlalchemy import func, select

from referral.access.scope import (
    Actor,
    acting_as,
    knows_named_on_no_sealed_case,
    set_request_actor,
)
from referral.accounts.service import actor_for
from referral.accounts.sessions import load_session_user, start_session
from referral.cases import incidents
from referral.cases import service as cases
from referral.cases.models import CaseMember, Incident, Person
from referral.extensions import db
from referral.referrals.models import Referral
from tests.cases import factories as f
from tests.fixtures import actor, login, make_user, recorded_statements
from tests.referrals.factories import send


def _actor_of_session(app, token: str) -> Actor:
    with app.test_request_context():
        return actor_for(load_session_user(token))


def test_the_session_says_whether_the_user_is_named_on_a_restricted_case(app, world):
    police, coordinator = actor(world["officer"]), world["coordinator"]
    case = f.open_case(police)
    token = start_session(coordinator)
    db.session.commit()
    assert actor(coordinator).named_on_sealed is None  # no session read: unknown, full rule
    assert _actor_of_session(app, token).named_on_sealed is False
    cases.set_restriction(police, case.id, restricted=True, member_ids=[coordinator.id])
    db.session.commit()
    assert _actor_of_session(app, token).named_on_sealed is True
    cases.set_restriction(police, case.id, restricted=False, member_ids=[])
    db.session.commit()
    assert _actor_of_session(app, token).named_on_sealed is False


def _seen(reader: Actor) -> dict[str, set[int]]:
    """Everything of the cases domain the reader sees, by table."""
    found = {"cases": {c.id for c in cases.list_cases_for(reader, cases.CaseFilters()).cases}}
    with acting_as(reader):
        for name, model in (("referrals", Referral), ("incidents", Incident),
                            ("people", Person)):
            found[name] = set(db.session.execute(select(model.id)).scalars())
        found["people_count"] = {db.session.execute(
            select(func.count()).select_from(Person)).scalar_one()}
    return found


@contextmanager
def _request_of(app, user) -> Iterator[Actor]:
    """A request whose session was read: the actor carries what it said."""
    token = start_session(user)
    db.session.commit()
    with app.test_request_context():
        yield actor_for(load_session_user(token))


def test_known_to_be_named_on_nothing_the_rules_show_exactly_what_the_full_rule_shows(
        app, world):
    police = actor(world["officer"])
    open_case, _m = f.family_case(police)
    sealed, _s = f.family_case(police)
    for case in (open_case, sealed):
        incidents.record_incident(police, case.id, f.incident_input())
        send(world["officer"], case, world["crisis_agency"])
    cases.set_restriction(police, sealed.id, restricted=True, member_ids=[])
    f.family_case(actor(world["other"]), "KZ-43")
    db.session.commit()
    for name in ("coordinator", "manager", "crisis", "other"):
        with _request_of(app, world[name]) as known:
            assert known.named_on_sealed is False and knows_named_on_no_sealed_case(known)
            seen = _seen(known)
            assert seen == _seen(replace(known, named_on_sealed=None)), name
            assert sealed.id not in seen["cases"]
    with _request_of(app, world["coordinator"]) as known:
        assert _seen(known)["cases"] == {open_case.id}


def test_the_named_branch_is_left_out_of_the_statement(app, world):
    """The point of it: no case_members lookup in a coordinator's case list."""
    with _request_of(app, world["coordinator"]) as known:
        with recorded_statements() as statements:
            cases.list_cases_for(known, cases.CaseFilters())
        assert not [s for s in statements if "case_members" in s]
        with recorded_statements() as statements:
            cases.list_cases_for(replace(known, named_on_sealed=None), cases.CaseFilters())
        assert [s for s in statements if "case_members" in s and "FROM cases" in s]


def test_without_a_session_read_the_hint_is_not_trusted(world):
    """A job or a stale actor that says "named on nothing" still gets the full rule."""
    case = f.open_case(actor(world["officer"]))
    cases.set_restriction(actor(world["officer"]), case.id, restricted=True,
                          member_ids=[world["coordinator"].id])
    stale = replace(actor(world["coordinator"]), named_on_sealed=False)
    assert not knows_named_on_no_sealed_case(stale)
    assert cases.get_case_for(stale, case.id).restricted


def test_naming_in_the_request_brings_the_named_branch_back_for_the_rest_of_it(app, world):
    """A user who restricts a case (and so is named on it) keeps reading it in that request,
    though the session said they were named on nothing; the next session read says yes."""
    case = f.open_case(actor(world["officer"]))
    db.session.commit()
    with _request_of(app, world["officer"]) as police:
        set_request_actor(police)
        assert knows_named_on_no_sealed_case(police)
        cases.set_restriction(police, case.id, restricted=True, member_ids=[])
        assert not knows_named_on_no_sealed_case(police)
        assert cases.get_case_for(police, case.id).restricted
        assert case.id in {c.id for c in cases.list_cases_for(police, cases.CaseFilters()).cases}
        set_request_actor(None)
        stale = police
    db.session.commit()
    with _request_of(app, world["officer"]) as police:
        assert police.named_on_sealed is True
        assert not knows_named_on_no_sealed_case(stale)
        assert cases.get_case_for(stale, case.id).restricted


def test_a_member_added_by_the_orm_also_brings_the_branch_back(app, world):
    case = f.open_case(actor(world["officer"]))
    db.session.commit()
    with _request_of(app, world["officer"]) as police:
        assert knows_named_on_no_sealed_case(police)
        db.session.add(CaseMember(case_id=case.id, user_id=world["manager"].id))
        db.session.flush()
        assert not knows_named_on_no_sealed_case(police)
    db.session.rollback()


def test_through_the_pages_a_named_coordinator_sees_the_case_and_another_does_not(
        app, world, client):
    police = actor(world["officer"])
    case, _m = f.family_case(police)
    named = world["coordinator"]
    unnamed = make_user(world["akimat"], "coordinator", regions=("KZ-75",))
    cases.set_restriction(police, case.id, restricted=True, member_ids=[named.id])
    db.session.commit()
    login(client, named)
    assert case.reference in client.get("/cases").get_data(as_text=True)
    assert client.get(f"/cases/{case.id}").status_code == 200
    other = app.test_client()
    login(other, unnamed)
    assert case.reference not in other.get("/cases").get_data(as_text=True)
    assert other.get(f"/cases/{case.id}").status_code == 404
