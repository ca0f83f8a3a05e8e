"""``referrals.case_restricted``: the referral rules' test, kept by the database alone
(migration 0017) whatever the path: restricting or opening the case, a new referral, a referral
moved to another case, or a statement that tries to write the flag itself."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from referral.access.scope import acting_as, system_actor
from referral.cases import service as cases
from referral.errors import NotVisible
from referral.extensions import db
from referral.referrals.models import Referral
from referral.referrals.queries import get_referral_for
from tests.fixtures import actor
from tests.referrals.factories import make_case, send


def _flags(*referrals: Referral) -> list[bool]:
    table = Referral.__table__
    with acting_as(system_actor("test reads the flag")):
        found = dict(db.session.execute(select(table.c.id, table.c.case_restricted).where(
            table.c.id.in_([r.id for r in referrals]))).all())
    return [bool(found[r.id]) for r in referrals]


def _sql(statement: str, **params: object) -> None:
    with acting_as(system_actor("test writes")):
        db.session.execute(text(statement), params)
        db.session.commit()


def test_the_flag_follows_the_case_and_decides_who_sees_the_referral(world):
    officer, crisis = actor(world["officer"]), actor(world["crisis"])
    case = make_case(world["police"], world["officer"])
    other = make_case(world["police"], world["officer"])
    referral = send(world["officer"], case, world["crisis_agency"])
    elsewhere = send(world["officer"], other, world["crisis_agency"])
    db.session.commit()
    assert _flags(referral, elsewhere) == [False, False]
    assert get_referral_for(crisis, referral.id).id == referral.id

    cases.set_restriction(officer, case.id, restricted=True, member_ids=[])
    db.session.commit()
    assert _flags(referral, elsewhere) == [True, False]
    with pytest.raises(NotVisible):  # the receiving agency is not named on the case
        get_referral_for(crisis, referral.id)
    assert get_referral_for(officer, referral.id).id == referral.id  # named: still seen

    later = send(world["officer"], case, world["crisis_agency"])  # a new one takes the flag
    db.session.commit()
    assert _flags(later) == [True]

    cases.set_restriction(officer, case.id, restricted=False, member_ids=[])
    db.session.commit()
    assert _flags(referral, later) == [False, False]
    assert get_referral_for(crisis, referral.id).id == referral.id


def test_no_statement_can_set_the_flag_against_its_case(world):
    restricted = make_case(world["police"], world["officer"], restricted=True,
                           members=(world["officer"],))
    open_case = make_case(world["police"], world["officer"])
    referral = send(world["officer"], open_case, world["crisis_agency"])
    db.session.commit()
    _sql("UPDATE referrals SET case_restricted = :v WHERE id = :id", v=True, id=referral.id)
    assert _flags(referral) == [False]  # its case is open
    _sql("UPDATE referrals SET case_id = :c WHERE id = :id", c=restricted.id, id=referral.id)
    assert _flags(referral) == [True]  # moved onto a restricted case
    _sql("UPDATE referrals SET case_restricted = :v WHERE id = :id", v=False, id=referral.id)
    assert _flags(referral) == [True]
    _sql("UPDATE cases SET restricted = :v WHERE id = :id", v=False, id=restricted.id)
    assert _flags(referral) == [False]  # the case opened by plain SQL


def test_the_rules_test_the_flag_not_the_cases(world):
    """Coordinators' and agencies' referral rules read the referral's flag: no statement on
    the cases table (the hashed list of restricted ids it replaced)."""
    from dataclasses import replace

    from referral.referrals.scope import referral_rule

    for who in ("coordinator", "officer"):
        known = replace(actor(world[who]), named_on_sealed=False)
        sql = str(referral_rule(known, Referral).compile(db.engine))
        assert "case_restricted" in sql and "FROM cases" not in sql, sql
        unknown = str(referral_rule(replace(known, named_on_sealed=None), Referral)
                      .compile(db.engine))
        assert "case_restricted" in unknown and "case_members" in unknown  # named branch
