"""Fixtures for the API's whole-surface tests (schemathesis, the journey, privacy): a world with
a case of Police A and a referral from it to Crisis A, committed, so that id routes find records.

The names are prefixed ``api_`` so that they do not shadow fixtures of the suite's conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from referral.extensions import db
from referral.web.database import take_write_lock_first
from tests.fixtures import actor, fresh


def settle() -> None:
    """End the test's own transaction, and let its next ones begin as readers.

    Services called in the test's app context (adding a note, auditing) ask that its SQLite
    transactions begin as writers (BEGIN IMMEDIATE); the test's session would then hold the
    write lock while it waits for a request of the test client, which needs that lock: stuck.
    """
    take_write_lock_first(False)
    fresh()


def seed_case_and_referral(w: dict[str, Any]) -> dict[str, Any]:
    """A family case of Police A (with a note and an assessment) and a sent referral from it to
    Crisis A, committed: the records a token of either agency can reach by id."""
    from referral.access.scope import acting_as, system_actor
    from referral.cases import notes, risk
    from tests.cases import factories as cf
    from tests.coordination import factories as co

    police = actor(w["officer"])
    case, members = cf.family_case(police)
    found: dict[str, Any] = {"case": case, "participant": members["survivor"],
                             "note": notes.add_note(police, case.id, "note"),
                             "assessment": risk.record_assessment(police, case.id, cf.answers(3))}
    with acting_as(system_actor("test setup")):
        found["referral"] = co.make_referral(case, w["officer"], w["crisis_agency"],
                                             service="shelter")
    db.session.commit()
    settle()
    return found


@pytest.fixture
def api_records(world: dict[str, Any]) -> dict[str, Any]:
    """``world`` plus the seeded case and referral (see ``seed_case_and_referral``)."""
    return seed_case_and_referral(world)


@pytest.fixture
def journey_receiver(app: Flask) -> Iterator[Any]:
    """A real HTTP receiver on 127.0.0.1 (the webhook tests' own) for a journey's webhooks;
    retries without waiting."""
    from tests.webhooks.receiver import Receiver

    found = Receiver().start()
    app.config.update(WEBHOOKS_RETRY_SCHEDULE=(0, 0), WEBHOOKS_TIMEOUT_SECONDS=5)
    yield found
    found.stop()
