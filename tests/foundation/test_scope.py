"""Row scoping core: fail closed without an actor, filter every query for the actor in charge."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from referral.access.scope import ScopeMissing, acting_as, system_actor
from referral.accounts.models import User
from referral.cases.models import Case
from referral.extensions import db
from tests.fixtures import actor, make_user
from tests.foundation.factories import make_case


@pytest.fixture
def cases(ctx, world):
    made = {
        "police": make_case(world["police"], world["officer"]),
        "crisis": make_case(world["crisis_agency"], world["crisis"]),
        "other": make_case(world["other_agency"], world["other"]),
        "sealed": make_case(world["police"], world["officer"], restricted=True,
                            members=(world["crisis"],)),
    }
    db.session.commit()
    return made


def _visible(who) -> set[int]:
    with acting_as(actor(who) if isinstance(who, User) else who):
        return set(db.session.execute(select(Case.id)).scalars())


def _count(who) -> int:
    with acting_as(actor(who)):
        return db.session.execute(select(func.count()).select_from(Case)).scalar_one()


def test_querying_a_scoped_model_without_an_actor_raises(ctx, cases):
    db.session.expunge_all()
    with pytest.raises(ScopeMissing):
        db.session.execute(select(Case)).all()
    with pytest.raises(ScopeMissing):
        db.session.execute(select(func.count()).select_from(Case)).scalar_one()
    with pytest.raises(ScopeMissing):
        db.session.execute(select(Case.id)).all()
    with pytest.raises(ScopeMissing):
        db.session.execute(update(Case).values(status="closed"))


def test_unscoped_models_need_no_actor(ctx, world):
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 6


def test_system_actor_sees_everything_and_needs_a_reason(ctx, cases):
    assert _visible(system_actor("test: all rows")) == {c.id for c in cases.values()}
    with pytest.raises(ValueError):
        system_actor("")


def test_actors_in_turn_get_their_own_rows(ctx, world, cases):
    """The same statement, cached once, must not leak one actor's criteria to the next."""
    police, crisis, other = cases["police"].id, cases["crisis"].id, cases["other"].id
    for _ in range(3):
        assert _visible(world["officer"]) == {police, cases["sealed"].id} - {cases["sealed"].id}
        assert _visible(world["crisis"]) == {crisis, cases["sealed"].id}
        assert _visible(world["other"]) == {other}
        assert _visible(world["officer"]) == {police}


def test_entities_and_relationships_are_scoped_too(ctx, world, cases):
    with acting_as(actor(world["other"])):
        found = db.session.execute(select(Case).order_by(Case.id)).scalars().all()
        assert [c.id for c in found] == [cases["other"].id]
        joined = db.session.execute(
            select(User.id).join(Case, Case.created_by_id == User.id)).scalars().all()
        assert joined == [world["other"].id]


def test_counts_are_scoped(ctx, world, cases):
    assert _count(world["officer"]) == 1
    assert _count(world["crisis"]) == 2
    assert _count(world["other"]) == 1
    assert _count(world["admin"]) == 0


def test_bulk_updates_are_scoped(ctx, world, cases):
    with acting_as(actor(world["other"])):
        result = db.session.execute(update(Case).values(status="closed"))
        assert result.rowcount == 1
    db.session.rollback()


def test_restricted_cases_are_hidden_except_from_named_users(ctx, world, cases):
    sealed = cases["sealed"].id
    owner_manager = world["manager"]  # same agency as the owner, not named
    assert sealed not in _visible(owner_manager)
    assert sealed not in _visible(world["officer"])  # created it, but not named
    assert sealed not in _visible(world["coordinator"])
    assert sealed in _visible(world["crisis"])


def test_coordinators_see_only_their_regions(ctx, world, cases):
    assert _visible(world["coordinator"]) == {cases["police"].id, cases["crisis"].id}
    two_regions = make_user(world["akimat"], "coordinator", regions=("KZ-75", "KZ-43"))
    no_region = make_user(world["akimat"], "coordinator")
    db.session.commit()
    assert _visible(two_regions) == {cases["police"].id, cases["crisis"].id, cases["other"].id}
    assert _visible(no_region) == set()


def test_identity_map_does_not_bypass_scope_for_select(ctx, world, cases):
    """Objects already loaded by a system actor are not returned to an actor without access."""
    with acting_as(system_actor("load all")):
        db.session.execute(select(Case)).scalars().all()
    assert _visible(world["other"]) == {cases["other"].id}


def test_subqueries_and_exists_are_scoped_and_fail_closed(ctx, world, cases):
    from sqlalchemy import exists

    sub = select(Case.id).subquery()
    counted = select(func.count()).select_from(sub)
    has_case = select(User.id).where(exists().where(Case.created_by_id == User.id))
    with pytest.raises(ScopeMissing):
        db.session.execute(counted).scalar_one()
    with pytest.raises(ScopeMissing):
        db.session.execute(has_case).all()
    with acting_as(actor(world["other"])):
        assert db.session.execute(counted).scalar_one() == 1
        assert db.session.execute(has_case).scalars().all() == [world["other"].id]
