"""One person per IIN: an exact IIN match adds that person (in scope) or leads to an access
request (out of scope), never to a second record; near matches may still be someone else. The
database holds it too (a partial unique index), against direct inserts and two saves at once,
and migration 0024 names the people who already share an IIN instead of failing blindly."""

from __future__ import annotations

import html
import sqlite3
import threading
import traceback
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from referral import create_app
from referral.audit.models import AuditEvent
from referral.cases import access_requests, people
from referral.cases import service as cases
from referral.cases.iin import build_iin, normalise_iin
from referral.cases.models import AccessRequest, CaseParticipant, Person
from referral.errors import DomainError
from referral.extensions import db
from referral.web.transaction import run_action
from tests.cases import factories as f
from tests.cases.factories import as_system
from tests.conftest import base_config
from tests.fixtures import actor, fresh, login
from tests.test_i18n_catalogues import compiled_catalogues  # noqa: F401 - fixture
from tests.test_migrations import _insert_minimal, scratch_postgres  # noqa: F401 - fixture

OFFENDER_IIN = f.OFFENDER.iin
ROLE = people.ParticipantInput(role="alleged_offender", relationship_to_offender="self")


def _people_with(iin: str) -> list[int]:
    with as_system():
        return list(db.session.execute(select(Person.id).where(Person.iin == iin)).scalars())


def _participants(case_id: int) -> list[CaseParticipant]:
    with as_system():
        return list(db.session.execute(select(CaseParticipant).where(
            CaseParticipant.case_id == case_id)).unique().scalars())


def test_iin_is_normalised_as_typed_between_groups_of_digits():
    assert normalise_iin(" 900115 399-904 ") == "900115399904"
    assert normalise_iin(None) == ""
    assert people.PersonInput(surname="A", given_name="B", iin="900115 399904").iin == (
        OFFENDER_IIN)


def test_search_finds_an_iin_typed_with_spaces(world):
    police = actor(world["officer"])
    case, _m = f.family_case(police)
    hits = people.search_cases(police, "900115 399904")
    assert [h.case.id for h in hits] == [case.id]
    assert hits[0].participant.person.iin == OFFENDER_IIN


def test_an_exact_match_in_scope_offers_that_person_even_after_save_as_new(world):
    police = actor(world["officer"])
    _first, members = f.family_case(police)
    case = f.open_case(police)
    typed = replace(f.OFFENDER, surname="Other", given_name="Spelling", iin="900115 399904")
    for role in ("alleged_offender", "child", "witness"):  # every role, checked or not
        result = people.add_participant(police, case.id, typed, replace(ROLE, role=role),
                                        confirmed_new=True)
        assert isinstance(result, people.DuplicateReport) and result.same_iin
        assert [p.id for p in result.visible] == [members["offender"].person_id]
    added = people.add_participant(police, case.id, typed, ROLE,
                                   existing_person_id=members["offender"].person_id)
    assert isinstance(added, CaseParticipant) and added.role == "alleged_offender"
    assert _people_with(OFFENDER_IIN) == [members["offender"].person_id]
    assert db.session.execute(select(AuditEvent.action).where(
        AuditEvent.object_type == "participant", AuditEvent.object_id == str(added.id))
    ).scalars().all() == ["participant.add"]
    # Again into the same case: refused at the IIN field.
    with pytest.raises(DomainError) as err:
        people.add_participant(police, case.id, typed, ROLE)
    assert err.value.field == "iin"


def test_an_exact_match_out_of_scope_names_only_the_agency_and_leads_to_a_request(world):
    police = actor(world["officer"])
    hidden, _m = f.family_case(police)
    other = actor(world["other"])
    case = f.open_case(other, "KZ-43")
    typed = replace(f.OFFENDER, surname="Ivanov")
    result = people.add_participant(other, case.id, typed, ROLE, confirmed_new=True)
    assert isinstance(result, people.DuplicateReport) and result.same_iin
    assert result.visible == [] and [a.name for a in result.hidden_agencies] == ["Police A"]
    assert len(_people_with(OFFENDER_IIN)) == 1
    [req] = access_requests.request_access(other, from_case_id=case.id,
                                           agency_id=world["police"].id, person=typed,
                                           reason="Same man")
    assert req.case_id == hidden.id
    row = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "person.duplicate_check")).scalars().all()[-1]
    assert OFFENDER_IIN not in str(row.details) and "Testov" not in str(row.details)


def test_a_match_in_a_sealed_case_is_refused_without_naming_anyone(world):
    police = actor(world["officer"])
    sealed, _m = f.family_case(police)
    cases.set_restriction(police, sealed.id, restricted=True, member_ids=[])
    other = actor(world["other"])
    case = f.open_case(other, "KZ-43")
    with pytest.raises(DomainError) as err:
        people.add_participant(other, case.id, f.OFFENDER, ROLE, confirmed_new=True)
    assert err.value.field == "iin" and "already registered" in err.value.message
    assert "Police A" not in err.value.message and "Testov" not in err.value.message
    assert len(_people_with(OFFENDER_IIN)) == 1


def test_a_near_match_may_still_be_a_different_person(world):
    police = actor(world["officer"])
    _first, members = f.family_case(police)
    case = f.open_case(police)
    other_iin = build_iin(date(1990, 1, 15), "male", 1)
    for iin in ("", other_iin):
        person = replace(f.OFFENDER, iin=iin)
        report = people.add_participant(police, case.id, person, ROLE)
        assert isinstance(report, people.DuplicateReport) and not report.same_iin
        assert [p.id for p in report.visible] == [members["offender"].person_id]
    saved = people.add_participant(police, case.id, replace(f.OFFENDER, iin=other_iin), ROLE,
                                   confirmed_new=True)
    assert isinstance(saved, CaseParticipant) and saved.person.iin == other_iin


def test_editing_to_another_persons_iin_is_refused(world):
    police = actor(world["officer"])
    _case, members = f.family_case(police)
    child = members["child"]
    with pytest.raises(DomainError) as err:
        people.update_participant(police, child.id, replace(
            f.OFFENDER, surname="Testova", given_name="Dana", iin=OFFENDER_IIN),
            people.ParticipantInput(role="child"), expected_version=child.version)
    assert err.value.field == "iin" and "already registered" in err.value.message
    # Its own IIN, typed with a space, is no clash.
    survivor = members["survivor"]
    people.update_participant(police, survivor.id, replace(f.SURVIVOR, iin="850722 499909"),
                              people.ParticipantInput(role="survivor"),
                              expected_version=survivor.version)
    assert survivor.person.iin == "850722499909"


# --- database -----------------------------------------------------------------------------------


def test_the_database_refuses_a_second_person_with_the_same_iin(world):
    row = {"surname": "X", "given_name": "Y", "patronymic": "", "name_key": "x y",
           "created_by_agency_id": world["police"].id, "created_at": datetime.now(UTC),
           "version": 1}
    table = Person.__table__
    db.session.execute(insert(table).values(**row, iin=None))
    db.session.execute(insert(table).values(**row, iin=None))  # many without an IIN
    db.session.execute(insert(table).values(**row, iin=OFFENDER_IIN))
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(insert(table).values(**row, iin=OFFENDER_IIN))
        db.session.flush()
    db.session.rollback()


@pytest.mark.postgres
def test_two_saves_of_one_iin_at_once_give_one_person(app, world, monkeypatch):
    """Both pass the check before either inserts (held at a barrier); the second insert waits on
    the unique index, fails, and gets the same answer as if it had come second."""
    first, second = f.open_case(actor(world["officer"])), f.open_case(actor(world["manager"]))
    db.session.commit()
    barrier = threading.Barrier(2, timeout=20)
    original = people._new_person

    def held(*args, **kwargs):
        barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(people, "_new_person", held)
    results: dict[str, object] = {}
    errors: list[BaseException] = []

    def save(user: str, case_id: int) -> None:
        try:
            with app.app_context():
                results[user] = run_action(lambda: people.add_participant(
                    actor(world[user]), case_id, f.OFFENDER, ROLE, confirmed_new=True))
                results[user] = (type(results[user]).__name__,
                                 getattr(results[user], "same_iin", None),
                                 [p.id for p in getattr(results[user], "visible", [])])
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=("officer", first.id)),
               threading.Thread(target=save, args=("manager", second.id))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, "".join(traceback.format_exception(errors[0])) if errors else ""
    fresh()
    [person_id] = _people_with(OFFENDER_IIN)
    outcomes = sorted(results.values())
    assert outcomes == [("CaseParticipant", None, []), ("DuplicateReport", True, [person_id])]


# --- pages --------------------------------------------------------------------------------------


def _form(**fields: str) -> dict[str, str]:
    data = {"role": "alleged_offender", "surname": "Testov", "given_name": "Marat",
            "sex": "male", "birth_date": "1990-01-15", "iin": OFFENDER_IIN,
            "relationship_to_offender": "self"}
    data.update(fields)
    return data


def test_the_form_offers_to_add_the_person_in_scope_and_never_save_as_new(world, client):
    police = actor(world["officer"])
    _first, members = f.family_case(police)
    case = f.open_case(police)
    db.session.commit()
    login(client, world["officer"])
    url = f"/cases/{case.id}/people/new"
    for extra in ({}, {"confirm_new": "1"}):
        page = client.post(url, data=_form(**extra)).get_data(True)
        assert "A person with this IIN is already registered" in page
        assert f'name="use_person" value="{members["offender"].person_id}"' in page
        assert "Role in this case: Alleged offender" in page
        assert 'name="confirm_new"' not in page and "save as new" not in page
    done = client.post(url, data=_form(use_person=str(members["offender"].person_id)))
    assert done.status_code == 302
    fresh()
    [linked] = _participants(case.id)
    assert (linked.person_id, linked.role) == (members["offender"].person_id, "alleged_offender")
    assert len(_people_with(OFFENDER_IIN)) == 1


def test_the_form_out_of_scope_discloses_nothing_and_asks_for_access(world, client):
    police = actor(world["officer"])
    hidden, _m = f.family_case(police)
    case = f.open_case(actor(world["other"]), "KZ-43")
    db.session.commit()
    login(client, world["other"])
    page = client.post(f"/cases/{case.id}/people/new",
                       data=_form(surname="Ivanov", confirm_new="1")).get_data(True)
    assert "A matching person is known to Police A" in page and "Ask Police A for access" in page
    assert "Testov" not in page and hidden.reference not in page
    assert f"/cases/{hidden.id}" not in page and 'name="confirm_new"' not in page
    assert 'value="Ivanov"' in page and f'value="{OFFENDER_IIN}"' in page  # as typed
    sent = client.post(f"/cases/{case.id}/access-requests", data={
        "agency_id": world["police"].id, "surname": "Ivanov", "given_name": "Marat",
        "birth_date": "1990-01-15", "iin": OFFENDER_IIN, "reason": "Same man"})
    assert sent.status_code == 302
    fresh()
    with as_system():
        assert db.session.execute(select(func.count(AccessRequest.id))).scalar_one() == 1
    assert _participants(case.id) == [] and len(_people_with(OFFENDER_IIN)) == 1


def test_the_form_still_offers_a_different_person_for_a_near_match(world, client):
    police = actor(world["officer"])
    f.family_case(police)
    case = f.open_case(police)
    db.session.commit()
    login(client, world["officer"])
    url = f"/cases/{case.id}/people/new"
    page = client.post(url, data=_form(iin="")).get_data(True)
    assert "This person may already be known" in page and 'name="confirm_new"' in page
    assert client.post(url, data=_form(iin="", confirm_new="1")).status_code == 302
    fresh()
    [saved] = _participants(case.id)
    assert saved.person.iin is None


def test_the_edit_form_refuses_another_persons_iin_and_keeps_what_was_typed(world, client):
    police = actor(world["officer"])
    _case, members = f.family_case(police)
    db.session.commit()
    child = members["child"]
    login(client, world["officer"])
    page = client.post(f"/cases/people/{child.id}/edit", data={
        "version": str(child.version), "role": "child", "surname": "Testova-Typed",
        "given_name": "Dana", "sex": "male", "birth_date": "1990-01-15",
        "iin": OFFENDER_IIN, "relationship_to_offender": "child"}).get_data(True)
    assert 'id="iin-err"' in page and "already registered" in page
    assert 'value="Testova-Typed"' in page and f'value="{OFFENDER_IIN}"' in page
    fresh()
    with as_system():
        assert db.session.get(Person, child.person_id).surname == "Testova"


@pytest.mark.usefixtures("compiled_catalogues")
@pytest.mark.parametrize("lang, heading, button", [
    ("ru", "Лицо с этим ИИН уже зарегистрировано", "Добавить это лицо в случай"),
    ("kk", "Бұл ЖСН-мен адам тіркеліп қойған", "Бұл адамды іске қосу")])
def test_the_form_speaks_the_users_language(world, client, lang, heading, button):
    police = actor(world["officer"])
    f.family_case(police)
    case = f.open_case(police)
    world["officer"].locale = lang
    db.session.commit()
    login(client, world["officer"])
    page = html.unescape(client.post(f"/cases/{case.id}/people/new", data=_form(),
                                     headers={"Accept-Language": lang}).get_data(True))
    assert heading in page and button in page
    assert "A person with this IIN is already registered" not in page


# --- migration 0024 -----------------------------------------------------------------------------

_PEOPLE = [(1, "111111111111"), (2, "900115399904"), (3, "900115 399904"), (4, None),
           (5, None), (6, "850722499909"), (7, "031111699901"), (8, "031111-699901"),
           (9, "031111699901")]


def _assert_refused() -> None:
    """The migration's own error (Flask-Migrate's ``upgrade`` would log it and exit), and
    nothing of 0024 applied."""
    from alembic import command
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    with pytest.raises(RuntimeError) as err:
        command.upgrade(config, "head")
    _assert_reported(str(err.value))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == (
            "0023")


def _assert_reported(message: str) -> None:
    assert "people 2, 3" in message and "people 7, 8, 9" in message
    assert "2 group(s)" in message and "UPDATE case_participants" in message
    assert "900115" not in message and "031111" not in message and "Surname" not in message


def test_0024_reports_people_who_share_an_iin_then_makes_it_unique(tmp_path: Path) -> None:
    path = tmp_path / "data.sqlite"
    app = create_app(base_config(f"sqlite:///{path}"))
    with app.app_context():
        upgrade(revision="0023")
        db.engine.dispose()
        raw = sqlite3.connect(path)
        with raw:
            for pid, iin in _PEOPLE:
                _insert_minimal(raw, "people", {"id": pid, "iin": iin,
                                                "surname": f"Surname{pid}"})
        _assert_refused()
        with raw:  # merged, as the message says (these people are in no case)
            raw.execute("DELETE FROM people WHERE id IN (3, 8, 9)")
        raw.close()
        db.engine.dispose()
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT iin FROM people WHERE id = 2")).scalar_one() == (
                "900115399904")
            with pytest.raises(IntegrityError):
                conn.execute(text("UPDATE people SET iin = '111111111111' WHERE id = 6"))
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres
def test_0024_on_postgres(scratch_postgres: str) -> None:  # noqa: F811
    app = create_app(base_config(scratch_postgres))
    with app.app_context():
        upgrade(revision="0023")
        db.engine.dispose()
        engine = create_engine(scratch_postgres)
        with engine.begin() as conn:
            conn.execute(text("SET session_replication_role = replica"))  # no agency rows
            for pid, typed in _PEOPLE:
                iin = normalise_iin(typed) if typed else None  # varchar(12): no room for more
                conn.execute(text(
                    "INSERT INTO people (id, surname, given_name, patronymic, name_key, iin, "
                    "created_by_agency_id, created_at, version) VALUES (:id, :s, 'G', '', '', "
                    ":iin, 1, now(), 1)"), {"id": pid, "s": f"Surname{pid}", "iin": iin})
        _assert_refused()
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM people WHERE id IN (3, 8, 9)"))
        engine.dispose()
        db.engine.dispose()
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT iin FROM people WHERE id = 2")).scalar_one() == (
                "900115399904")
            definition = conn.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_people_iin'")).scalar_one()
            assert "UNIQUE" in definition and "IS NOT NULL" in definition
        db.session.remove()
        db.engine.dispose()
