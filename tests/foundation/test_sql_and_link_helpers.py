"""Two small speed helpers that must not change what users see or may read:
``in_id_list`` (the coordinator's named-case branch as a primary-key lookup) and ``url_maker``
(row links built once per page)."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from referral.access.idlist import in_id_list
from referral.access.permissions import Role
from referral.access.scope import acting_as
from referral.cases.models import Case, CaseMember
from referral.extensions import db
from referral.web.templating import url_maker
from tests.coordination.factories import make_case
from tests.fixtures import actor, make_user

_named = select(CaseMember.case_id).where(CaseMember.user_id == 7)


def test_in_id_list_is_an_index_condition_on_postgresql_and_a_plain_in_elsewhere():
    condition = in_id_list(Case.id, _named)
    on_postgres = str(condition.compile(dialect=postgresql.dialect()))
    on_sqlite = str(condition.compile(dialect=sqlite.dialect()))
    assert on_postgres.startswith("cases.id = ANY(ARRAY(SELECT case_members.case_id")
    assert on_sqlite.startswith("cases.id IN (SELECT case_members.case_id")


def test_in_id_list_keys_its_subquery():
    """Two users' rules must not share a cached statement: the key carries the subquery's
    parameters (the user id), and equal rules have equal keys."""
    first = in_id_list(Case.id, _named)._generate_cache_key()
    same = in_id_list(Case.id, select(CaseMember.case_id).where(
        CaseMember.user_id == 7))._generate_cache_key()
    other = in_id_list(Case.id, select(CaseMember.case_id).where(
        CaseMember.user_id == 8))._generate_cache_key()
    assert first.key == same.key == other.key  # one compiled form …
    assert [p.value for p in first.bindparams] == [7]  # … with each user's own id bound
    assert [p.value for p in other.bindparams] == [8]


def test_a_coordinator_reads_the_restricted_cases_naming_them_and_no_other(world):
    w = world
    named_here = make_case(w["police"], w["officer"], restricted=True,
                           members=(w["coordinator"],))
    named_away = make_case(w["other_agency"], w["other"], restricted=True,
                           members=(w["coordinator"],))
    unnamed = make_case(w["police"], w["officer"], restricted=True)
    open_here = make_case(w["police"], w["officer"])
    open_away = make_case(w["other_agency"], w["other"])
    second = make_user(w["akimat"], Role.COORDINATOR, regions=("KZ-75",))
    db.session.commit()

    def seen(user) -> set[int]:
        with acting_as(actor(user)):
            return set(db.session.execute(select(Case.id)).scalars())

    assert seen(w["coordinator"]) == {named_here.id, named_away.id, open_here.id}
    assert seen(second) == {open_here.id}
    assert unnamed.id not in seen(w["coordinator"]) | seen(second)
    assert open_away.id not in seen(w["coordinator"])


def test_url_maker_builds_the_same_links_as_url_for(app):
    with app.test_request_context():
        for endpoint, argument in (("cases.detail", "case_id"),
                                   ("referrals.detail", "referral_id"),
                                   ("coordination.reassign", "referral_id")):
            make = url_maker(endpoint, argument)
            for value in (1, 42, 987654320, 2_000_000_001):
                assert make(value) == url_for(endpoint, **{argument: value})
        assert url_maker("no.such_endpoint", "case_id") is None


def test_in_values_selects_the_same_rows_in_one_parameter(world):
    """``in_values``: the rows of ``IN (values)``; on PostgreSQL one array parameter whatever
    the number of values, so the statement's text is the same for every batch."""
    from sqlalchemy import event

    from referral.access.idlist import in_values

    cases = [make_case(world["police"], world["officer"]) for _ in range(4)]
    db.session.commit()
    wanted = [cases[0].id, cases[2].id, cases[3].id, 10**9]  # one id no row has
    seen: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, *args):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        with acting_as(actor(world["officer"])):
            found = db.session.execute(select(Case.id).where(in_values(Case.id, wanted))
                                       ).scalars().all()
            plain = db.session.execute(select(Case.id).where(Case.id.in_(wanted))
                                       ).scalars().all()
            none = db.session.execute(select(Case.id).where(in_values(Case.id, []))
                                      ).scalars().all()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert sorted(found) == sorted(plain) == sorted(wanted[:3]) and none == []
    statement, parameters = next((s, p) for s, p in seen if "cases.id" in s)
    if db.engine.dialect.name == "postgresql":
        assert "= ANY (" in statement and list(parameters.values()).count(wanted) == 1
        assert statement.count("%(") == sum(1 for _ in parameters)
