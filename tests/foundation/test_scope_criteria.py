"""The scope's criteria key themselves once per actor (referral/access/criteria.py), not once per
statement. These tests pin what must not change with that: the statement cache tells actors
apart exactly as SQLAlchemy's own keys do, every scoped model gives each actor its own rows when
one compiled statement serves actors in turn, and relationship loads (lazy, selectin, joined)
stay scoped. Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import selectinload, with_loader_criteria

from referral.access import scope
from referral.access.criteria import ScopeCriteria
from referral.access.permissions import Role
from referral.access.scope import Actor, acting_as, scoped_models, system_actor
from referral.accounts.models import User
from referral.cases import incidents, measures, notes, people, risk
from referral.cases import service as cases
from referral.cases.models import (
    Case,
    CaseNote,
    CaseParticipant,
    MeasureBreach,
    ProtectiveMeasure,
    SafeContact,
)
from referral.coordination.models import (
    AgendaItem,
    CaseConference,
    ConferenceAction,
    ConferenceAttendance,
)
from referral.extensions import db
from referral.referrals import service as referrals
from referral.referrals.models import Referral, ReferralConsent
from tests.cases import factories as cf
from tests.fixtures import actor, make_agency, make_user, recorded_statements
from tests.referrals.factories import consent, send


def _case_with_everything(who: Actor, region: str) -> dict[str, Any]:
    """A case with a row of each of the case's child models."""
    case, members = cf.family_case(who, region)
    people.save_safe_contact(who, members["survivor"].id,
                             people.SafeContactInput(safe_phone="+7 700 000 0000"),
                             expected_version=None)
    note = notes.add_note(who, case.id, "first")
    notes.edit_note(who, note.id, "second", expected_version=note.version)
    risk.record_assessment(who, case.id, cf.answers(3))
    measure = measures.issue_measure(who, case.id, measures.MeasureInput(
        measure_type="protective_order", starts_on=datetime.now(UTC).date()))
    measures.record_breach(who, measure.id, occurred_at=datetime.now(UTC) - timedelta(hours=1),
                           description="Came to the flat")
    incidents.record_incident(who, case.id, cf.incident_input())
    from referral.safety import service as safety  # a safety plan; the schedule comes with it

    safety.save_plan(who, members["survivor"].id, safety.PlanInput(main_concern="Fear"),
                     based_on=None)
    return {"case": case, "survivor": members["survivor"], "note": note, "measure": measure}


def _conference(w: dict[str, Any], case: Case) -> None:
    conference = CaseConference(region_code="KZ-75", created_by_id=w["coordinator"].id,
                                scheduled_at=datetime.now(UTC) + timedelta(days=3))
    db.session.add(conference)
    db.session.flush()
    db.session.add(ConferenceAttendance(conference_id=conference.id, agency_id=w["police"].id,
                                        attended=True))
    item = AgendaItem(conference_id=conference.id, case_id=case.id, reason="high_risk",
                      case_reference=case.reference, added_by_id=w["coordinator"].id)
    db.session.add(item)
    db.session.flush()
    db.session.add(ConferenceAction(
        conference_id=conference.id, agenda_item_id=item.id, case_id=case.id,
        case_reference=case.reference, region_code="KZ-75", agency_id=w["police"].id,
        description="Visit", due_on=datetime.now(UTC).date(), created_by_id=w["coordinator"].id))
    db.session.flush()


def _documents(w: dict[str, Any], case_id: int, sealed_id: int, referral_id: int) -> None:
    """Documents (rows only) on each case; the intake sent with the referral, within consent
    (identity_contact), the photo not sent."""
    from referral.documents.models import Document, DocumentObject, DocumentShare

    def doc(case: int, user: Any, category: str, data_category: str) -> Document:
        stored = DocumentObject(storage_key=f"k{case}{category}", wrapped_key=b"w", key_id="t")
        db.session.add(stored)
        db.session.flush()
        row = Document(case_id=case, agency_id=user.agency_id, category=category,
                       data_category=data_category, title=category, kind="pdf",
                       mime="application/pdf", extension="pdf", object_id=stored.id,
                       added_by_id=user.id)
        db.session.add(row)
        db.session.flush()
        return row

    with acting_as(system_actor("test setup")):
        intake = doc(case_id, w["officer"], "intake", "identity_contact")
        doc(case_id, w["officer"], "injury_photo", "incident_details")
        doc(_other_case_id(), w["other"], "protocol", "incident_details")
        doc(sealed_id, w["manager"], "court_order", "incident_details")
        db.session.add(DocumentShare(document_id=intake.id, referral_id=referral_id,
                                     added_by_id=w["officer"].id))
        db.session.flush()


def _schools_and_closure(w: dict[str, Any], case_id: int) -> None:
    """A child of the case linked to a school, a notice to it, and the closure checklist."""
    from referral.cases.models import CaseParticipant
    from referral.closure import service as closure
    from referral.schools import service as schools

    with acting_as(system_actor("test setup")):
        child = db.session.execute(select(CaseParticipant.id).where(
            CaseParticipant.case_id == case_id, CaseParticipant.role == "child")).scalar_one()
    school = make_agency("education", "KZ-75", name="School S")
    schools.link_child(actor(w["officer"]), case_id, participant_id=child,
                       school_agency_id=school.id)
    incidents.record_incident(actor(w["officer"]), case_id, cf.incident_input())
    closure.save_checklist(actor(w["officer"]), case_id, closure.ChecklistInput(needs_met=True))


def _webhooks(w: dict[str, Any]) -> None:
    """An endpoint of each police agency and a system endpoint, each with a delivery."""
    from referral.webhooks.fanout import delivery_row
    from referral.webhooks.models import WebhookDelivery, WebhookEndpoint

    for agency_id in (w["police"].id, w["other_agency"].id, None):
        endpoint = WebhookEndpoint(agency_id=agency_id, url="https://example.org/in",
                                   event_types=["referral.accepted"], secret_sealed="x")
        db.session.add(endpoint)
        db.session.flush()
        db.session.add(WebhookDelivery(**delivery_row(endpoint.id, None, "webhook.test", {},
                                                      datetime.now(UTC))))
    db.session.flush()


@pytest.fixture
def rich(ctx, world) -> dict[str, Any]:
    """Rows of every scoped model in two agencies and two regions, plus a sealed case."""
    police = _case_with_everything(actor(world["officer"]), "KZ-75")
    _case_with_everything(actor(world["other"]), "KZ-43")
    sealed = _case_with_everything(actor(world["manager"]), "KZ-75")
    referral = send(world["officer"], police["case"], world["crisis_agency"],
                    consent_input=consent("identity_contact"))
    referrals.accept_referral(actor(world["crisis"]), referral_id=referral.id)
    from referral.referrals import progress

    progress.add_progress_note(actor(world["crisis"]), referral_id=referral.id,
                               text="First session held")
    _documents(world, police["case"].id, sealed["case"].id, referral.id)
    _schools_and_closure(world, police["case"].id)
    from referral.retention import service as retention

    retention.place_hold(actor(world["manager"]), police["case"].id,
                         reason="Court proceedings pending")
    from referral.cases import access_requests

    access_requests.request_access(actor(world["other"]), from_case_id=_other_case_id(),
                                   agency_id=world["police"].id, person=cf.OFFENDER, reason="r")
    from referral.cases import emergency

    # emergency access by an officer none of the actors is (Police A's manager sees the grant)
    passer_by = make_user(make_agency("police", "KZ-43", name="Police D"), Role.OFFICER)
    emergency.start_emergency_access(actor(passer_by), term=police["case"].reference,
                                     reason="a survivor in front of me")
    with acting_as(system_actor("test setup")):
        _conference(world, police["case"])
        _webhooks(world)
        db.session.execute(update(Case.__table__).where(Case.id == sealed["case"].id)
                           .values(restricted=True))
    db.session.commit()
    return {"case_id": police["case"].id, "referral_id": referral.id}


def _other_case_id() -> int:
    with acting_as(system_actor("test setup")):
        return db.session.execute(select(Case.id).where(Case.region_code == "KZ-43")).scalar_one()


def _actors(world: dict[str, Any]) -> dict[str, Actor]:
    two_regions = make_user(world["akimat"], Role.COORDINATOR, regions=("KZ-75", "KZ-43"))
    no_region = make_user(world["akimat"], Role.COORDINATOR)
    db.session.commit()
    found = {name: actor(world[name])
             for name in ("officer", "manager", "crisis", "other", "coordinator", "admin")}
    return {**found, "two_regions": actor(two_regions), "no_region": actor(no_region)}


def _plain(who: Actor) -> tuple[Any, ...]:
    """The criteria as SQLAlchemy's own option, keyed in full for every statement."""
    return tuple(with_loader_criteria(model, rule(who), include_aliases=True)
                 for model, rule in scoped_models().items())


# --- the statement cache ------------------------------------------------------------------------


def _values(key: Any) -> list[Any]:
    """The key's parameter values; one computed at execution (the time an emergency grant is
    compared with) by the function that computes it."""
    return [b.callable or b.effective_value for b in key.bindparams]


def test_keys_tell_actors_apart_exactly_as_sqlalchemy_keys_do(ctx, world):
    """Two actors share a compiled statement iff SQLAlchemy's full keys say so, and each
    statement hands over its own actor's values, in the same order as the full key."""
    actors = list(_actors(world).values())
    for model in scoped_models():
        stmt = select(model)
        memo = [stmt.options(*scope._criteria_for.__wrapped__(a))._generate_cache_key()
                for a in actors]
        plain = [stmt.options(*_plain(a))._generate_cache_key() for a in actors]
        for i in range(len(actors)):
            assert _values(memo[i]) == _values(plain[i])
            for j in range(len(actors)):
                assert (memo[i].key == memo[j].key) == (plain[i].key == plain[j].key), (
                    model.__name__, actors[i], actors[j])


def test_actors_of_one_role_share_compiled_statements_other_roles_do_not(ctx, world):
    """Officers of different agencies differ only in values (one cache entry between them);
    an officer and a coordinator differ in the rule's shape."""
    a = _actors(world)
    key = {name: select(Case).options(*scope._criteria_for(a[name]))._generate_cache_key()
           for name in ("officer", "other", "coordinator", "two_regions")}
    assert key["officer"].key == key["other"].key
    assert key["coordinator"].key == key["two_regions"].key
    assert key["officer"].key != key["coordinator"].key
    assert ([b.effective_value for b in key["officer"].bindparams]
            != [b.effective_value for b in key["other"].bindparams])


def test_the_key_of_an_actors_criteria_is_computed_once(ctx, world):
    officer = actor(world["officer"])
    options = scope._criteria_for(officer)
    assert all(isinstance(o, ScopeCriteria) for o in options)
    select(Case).options(*options)._generate_cache_key()
    first = [o._memo for o in options]
    assert all(first)
    select(User).options(*options)._generate_cache_key()
    assert [o._memo for o in options] == first


def test_every_scoped_model_gives_each_actor_its_own_rows_in_turn(rich, world):
    """Actors take turns on one statement per model (cached after the first), and each sees
    exactly the rows SQLAlchemy's own, fully keyed criteria give them."""
    actors = _actors(world)
    with acting_as(system_actor("test: every row")):
        everything = {m: set(db.session.execute(select(m.id)).scalars()) for m in scoped_models()}
    seen: dict[type, list[set[int]]] = {m: [] for m in scoped_models()}
    for _round in range(2):
        for who in actors.values():
            for model in scoped_models():
                with acting_as(who):
                    got = set(db.session.execute(select(model.id)).scalars())
                with acting_as(system_actor("test: the rule as SQLAlchemy keys it")):
                    expected = set(db.session.execute(
                        select(model.id).options(*_plain(who))).scalars())
                assert got == expected, (model.__name__, who)
                seen[model].append(got)
    for model, sets in seen.items():
        assert everything[model], f"no {model.__name__} rows: the test would prove nothing"
        assert any(sets), f"no actor sees a {model.__name__}"
        assert any(s != everything[model] for s in sets), f"everyone sees every {model.__name__}"


# --- relationship loads ---------------------------------------------------------------------------


def _seal(case_id: int) -> None:
    """Restrict a case behind the loaded objects' backs (no one in the test is named on it)."""
    with acting_as(system_actor("test: seal")):
        db.session.execute(update(Case.__table__).where(Case.id == case_id)
                           .values(restricted=True))


@pytest.mark.parametrize("parent, attribute", [
    (ProtectiveMeasure, "breaches"),
    (CaseNote, "revisions"),
    (CaseParticipant, "safe_contact"),
    (SafeContact, "participant"),
    (Referral, "consent"),
    (ReferralConsent, "referral"),
])
def test_lazy_loads_are_scoped_when_they_run(rich, world, parent, attribute):
    """A lazy load carries the criteria of the statement that loaded its parent and checks
    them when it runs: once the case is sealed, the officer's lazy load finds nothing."""
    officer = actor(world["officer"])
    db.session.expunge_all()
    with acting_as(officer):
        loaded = db.session.execute(select(parent)).scalars().all()
        assert loaded
        assert all(isinstance(o, ScopeCriteria) for o in inspect(loaded[0]).load_options)
    _seal(rich["case_id"])
    with acting_as(officer):
        for obj in loaded:
            assert getattr(obj, attribute) in (None, [])
    db.session.rollback()


def test_a_lazy_load_before_sealing_finds_the_rows(rich, world):
    """The control for the test above: the same loads find rows while the case is open."""
    officer = actor(world["officer"])
    db.session.expunge_all()
    with acting_as(officer):
        measure = db.session.execute(select(ProtectiveMeasure)).scalars().first()
        note = db.session.execute(select(CaseNote)).scalars().first()
        referral = db.session.execute(select(Referral)).scalars().one()
        assert measure.breaches and note.revisions and referral.consent


def test_selectin_loads_are_scoped(rich, world):
    with acting_as(actor(world["officer"])), recorded_statements() as sql:
        measures_ = db.session.execute(
            select(ProtectiveMeasure).options(selectinload(ProtectiveMeasure.breaches))
        ).scalars().all()
        assert [len(m.breaches) for m in measures_] == [1]
    breaches = [s for s in sql if "measure_breaches" in s.split("FROM", 1)[1].split()[0]]
    assert breaches and all("scope_case" in s for s in breaches)


def test_joined_loads_are_scoped(rich, world):
    """A participant's person is joined in (lazy="joined"): the person rule joins in too."""
    with acting_as(actor(world["officer"])), recorded_statements() as sql:
        found = db.session.execute(select(CaseParticipant)).unique().scalars().all()
        assert {p.person.surname for p in found}
    assert len(sql) == 1 and "scope_participant" in sql[0]


def test_objects_of_an_unscoped_model_carry_every_rule_to_their_lazy_loads(ctx, world):
    """No relationship leads from an unscoped model to a scoped one today; if one is added,
    its lazy loads are still scoped: a User loaded by an actor carries every model's rule."""
    officer = actor(world["officer"])
    db.session.expunge_all()
    with acting_as(officer):
        user = db.session.execute(select(User).where(User.id == officer.user_id)).scalar_one()
    carried = {o.entity.class_ for o in inspect(user).load_options}
    assert carried == set(scoped_models())


def test_system_actor_and_missing_actor_are_unchanged(rich, world):
    with acting_as(system_actor("test")):
        assert db.session.execute(select(MeasureBreach.id)).scalars().all()
    db.session.expunge_all()
    with pytest.raises(scope.ScopeMissing):
        db.session.execute(select(MeasureBreach.id)).all()


def test_an_actor_with_a_mutable_region_set_is_still_scoped(rich, world):
    """Not hashable, so not cached: the criteria are built for the statement, with the key."""
    who = Actor(world["coordinator"].id, world["akimat"].id, Role.COORDINATOR,
                region_ids={"KZ-43"})  # type: ignore[arg-type]
    with acting_as(who):
        regions = set(db.session.execute(select(Case.region_code)).scalars())
    assert regions == {"KZ-43"}


def test_a_new_agency_sees_nothing(rich, world):
    stranger = make_user(make_agency("police", "KZ-71"), Role.OFFICER)
    db.session.commit()
    with acting_as(actor(stranger)):
        for model in scoped_models():
            assert db.session.execute(select(model.id)).scalars().all() == [], model.__name__


# --- the case page's eager loads --------------------------------------------------------------


def _sealed_case_id() -> int:
    with acting_as(system_actor("test: the sealed case")):
        return db.session.execute(select(Case.id).where(Case.restricted.is_(True))).scalar_one()


def test_joined_breaches_and_safe_contacts_are_scoped(rich, world):
    """The case page joins breaches into the measures and safe contacts into the people; the
    joined rows keep their own rule: rows of a sealed case hung (wrongly) on the officer's
    measure and participant are not loaded with them, while the officer's own rows are."""
    officer = actor(world["officer"])
    sealed = _sealed_case_id()
    with acting_as(system_actor("test: rows of a sealed case on an open case's parents")):
        measure = db.session.execute(select(ProtectiveMeasure).where(
            ProtectiveMeasure.case_id == rich["case_id"])).scalar_one()
        child = db.session.execute(select(CaseParticipant).where(
            CaseParticipant.case_id == rich["case_id"], CaseParticipant.role == "child")
        ).scalar_one()
        db.session.add(MeasureBreach(case_id=sealed, measure_id=measure.id,
                                     occurred_at=datetime.now(UTC), description="sealed",
                                     recorded_by_id=world["manager"].id))
        db.session.add(SafeContact(case_id=sealed, participant_id=child.id, code_word="sealed"))
        db.session.commit()
    db.session.expunge_all()
    with recorded_statements() as sql:
        [found] = measures.list_measures(officer, rich["case_id"])
        listed = cases.list_participants(officer, rich["case_id"])
        _case, on_page = cases.open_case_page(officer, rich["case_id"])
    assert [b.description for b in found.breaches] == ["Came to the flat"]
    for participants in (listed, on_page):
        contacts = {p.role: p.safe_contact for p in participants}
        assert contacts["child"] is None
        assert contacts["survivor"] is not None and contacts["survivor"].case_id == rich["case_id"]
    assert not [s for s in sql if s.lstrip().startswith("SELECT safe_contacts")
                or s.lstrip().startswith("SELECT measure_breaches")]  # no lazy load ran


def test_the_case_page_reads_the_people_with_the_case_under_their_rules(rich, world):
    """One statement for the case and its people; the people, their persons and safe contacts
    each carry their rule in their join."""
    officer = actor(world["officer"])
    db.session.expunge_all()
    with recorded_statements() as sql:
        case, participants = cases.open_case_page(officer, rich["case_id"])
    assert case.id == rich["case_id"]
    assert [p.role for p in participants] == ["survivor", "child", "alleged_offender"]
    [read] = [s for s in sql if "FROM cases" in s and "case_participants" in s]
    joins = read.split("LEFT OUTER JOIN")
    for table, rule in (("case_participants ON", "scope_case"), ("people AS", "scope_participant"),
                        ("safe_contacts AS", "scope_case")):
        [join] = [j for j in joins if j.strip().startswith(table)]
        assert rule in join, table


def test_the_case_page_reads_no_person_for_an_agency_that_may_not(rich, world):
    """An agency the case is shared with reads people only when its categories include identity
    and contact details: nothing of them is loaded for one that may read incidents only, and a
    referral's receiver gets them without the children it was not given."""
    from referral.cases import access_requests

    incoming, _outgoing = access_requests.list_access_requests(actor(world["manager"]))
    for request in incoming:
        if request.case_id == rich["case_id"]:
            access_requests.decide_access_request(actor(world["manager"]), request.id,
                                                  grant=True, categories=("incident_details",))
    db.session.commit()
    other, crisis = actor(world["other"]), actor(world["crisis"])
    db.session.expunge_all()
    case, participants = cases.open_case_page(other, rich["case_id"])
    assert case.id == rich["case_id"] and participants == []
    assert not [o for o in db.session.identity_map.values()
                if isinstance(o, CaseParticipant | SafeContact)]
    _case, received = cases.open_case_page(crisis, rich["case_id"])
    assert [p.role for p in received] == ["survivor", "alleged_offender"]


def test_reads_every_category_is_the_same_in_python_and_sql(rich, world):
    from referral.cases.scope import reads_every_category, reads_every_category_sql

    with acting_as(system_actor("test: every case")):
        every = db.session.execute(select(Case)).scalars().all()
    for who in [*_actors(world).values(), system_actor("test")]:
        with acting_as(system_actor("test: the rule alone")):
            in_sql = set(db.session.execute(
                select(Case.id).where(reads_every_category_sql(who))).scalars())
        assert in_sql == {c.id for c in every if reads_every_category(who, c)}, who
