"""Factories and helpers shared by the tests: make agencies and users, log in, act as someone."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from referral.access.permissions import Role
from referral.access.scope import Actor
from referral.accounts.models import User
from referral.accounts.passwords import hash_password
from referral.accounts.service import actor_for
from referral.agencies.models import Agency, AgencyService, District
from referral.extensions import db
from referral.models_base import utcnow

PASSWORD = "correct horse battery staple"  # noqa: S105 - test-only
_HASH: dict[str, str] = {}
_counter = itertools.count(1)


def password_hash() -> str:
    """Hash once per run: argon2 is deliberately slow."""
    if PASSWORD not in _HASH:
        _HASH[PASSWORD] = hash_password(PASSWORD)
    return _HASH[PASSWORD]


def make_district(region: str = "KZ-75", name: str | None = None, remote: bool = False) -> District:
    district = District(region_code=region, name_en=name or f"District {next(_counter)}",
                        is_remote=remote)
    db.session.add(district)
    db.session.flush()
    return district


def make_agency(
    type: str = "police",
    region: str = "KZ-75",
    *,
    name: str | None = None,
    services: tuple[str, ...] = (),
    district: District | None = None,
    shelter_places: int = 0,
    email: str = "",
    **fields: Any,
) -> Agency:
    agency = Agency(
        name=name or f"{type.title()} agency {next(_counter)}",
        type=type, region_code=region, district_id=district.id if district else None,
        shelter_places=shelter_places, email=email, is_active=True, **fields,
    )
    agency.services = [AgencyService(service_code=code) for code in services]
    db.session.add(agency)
    db.session.flush()
    return agency


def make_user(
    agency: Agency,
    role: str = Role.OFFICER,
    *,
    email: str | None = None,
    name: str | None = None,
    regions: tuple[str, ...] = (),
    locale: str | None = "en",
    **fields: Any,
) -> User:
    from referral.agencies.models import Region

    n = next(_counter)
    user = User(
        email=email or f"user{n}@test.example.org",
        full_name=name or f"Test User {n}",
        agency_id=agency.id, role=role, password_hash=password_hash(),
        is_active_account=True, locale=locale,
        # An established user: the guide of the first login is behind them (tests/help/ give
        # guide_seen_at=None for a newcomer).
        **{"guide_seen_at": utcnow(), **fields},
    )
    user.regions = [db.session.get(Region, code) for code in regions]
    db.session.add(user)
    db.session.flush()
    return user


def actor(user: User) -> Actor:
    return actor_for(user)


def login(client: Any, user_or_email: User | str, password: str = PASSWORD) -> Any:
    email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def world(ctx: Any) -> dict[str, Any]:
    """A small committed world: two agencies of one region, one of another, a user per role."""
    police = make_agency("police", "KZ-75", name="Police A")
    crisis = make_agency("crisis_center", "KZ-75", name="Crisis A", services=("shelter",),
                         shelter_places=2)
    other = make_agency("police", "KZ-43", name="Police B")
    admin_office = make_agency("coordination", "KZ-71", name="Admin office")
    akimat = make_agency("coordination", "KZ-75", name="Akimat A")
    users = {
        "officer": make_user(police, Role.OFFICER, email="officer@test.example.org"),
        "manager": make_user(police, Role.AGENCY_MANAGER, email="manager@test.example.org"),
        "crisis": make_user(crisis, Role.OFFICER, email="crisis@test.example.org"),
        "other": make_user(other, Role.OFFICER, email="other@test.example.org"),
        "coordinator": make_user(akimat, Role.COORDINATOR, email="coord@test.example.org",
                                 regions=("KZ-75",)),
        "admin": make_user(admin_office, Role.ADMINISTRATOR, email="admin@test.example.org"),
    }
    db.session.commit()
    # "crisis" is the crisis-center officer (users win); the agency is "crisis_agency".
    return {"police": police, "crisis": crisis, "crisis_agency": crisis,
            "other_agency": other, "akimat": akimat,
            "admin_office": admin_office, **users}


def fresh() -> None:
    """Forget what the test's session holds, to read what a request has committed."""
    db.session.rollback()
    db.session.expire_all()


@contextmanager
def recorded_statements(*, parameters: bool = False) -> Iterator[list[Any]]:
    """The SQL statements sent while the block runs (for statement-count tests); with
    ``parameters``, each as (sql, its parameters), to explain it as it was sent."""
    found: list[Any] = []

    def record(_conn: Any, _cursor: Any, sql: str, params: Any, *_args: Any) -> None:
        found.append((sql, params) if parameters else sql)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", record)


def run_in_threads(target: Callable[[int], None], count: int) -> list[BaseException]:
    """Run ``target(n)`` for n in range(count) in threads at once; the exceptions they raised."""
    errors: list[BaseException] = []

    def guarded(n: int) -> None:
        try:
            target(n)
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
