"""The default stack under load: what ``make run`` starts, used by several people at once.

``python -m referral.devserver`` (migrate, demo data, web, Celery worker and beat, and the
development mailbox unless REFERRAL_DEV_MAILBOX=off) runs in a subprocess with its own instance
folder and port; nine browser-like clients (the demo users, real sessions, CSRF tokens read from
the forms) log in, open cases, search, send, accept, start and complete referrals, read and clear
notifications and export statistics for about a minute (bench/stack_load.py). Then: no response
was a 5xx, every action a client saw succeed is stored exactly once, and ``flask audit verify``
finds the chain intact.

On SQLite in the first CI pass; on PostgreSQL + Redis in the second (a database of its own beside
the suite's, ``<test database>_load``, since the suite resets its own schema), where the SQLite
runs are not repeated. Each run takes 1-2 minutes; STACK_LOAD_SECONDS shortens or lengthens the
load.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bench import stack_load
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL, TEST_REDIS_URL

CLIENTS = 9
SECONDS = float(os.environ.get("STACK_LOAD_SECONDS", "60"))


def _load_database_url() -> str:
    url = make_url(TEST_DATABASE_URL)
    return url.set(database=f"{url.database}_load").render_as_string(hide_password=False)


@pytest.mark.parametrize("mailbox", [True, False], ids=["mailbox", "no-smtp-server"])
@pytest.mark.parametrize("backend", [
    "sqlite",
    pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.redis]),
])
def test_default_stack_under_load(backend: str, mailbox: bool, tmp_path: Path) -> None:
    if backend == "sqlite" and ON_POSTGRES:
        pytest.skip("the SQLite runs belong to the first CI pass (no TEST_DATABASE_URL)")
    outcome = stack_load.run_once(
        clients=CLIENTS, seconds=SECONDS, mailbox=mailbox, workdir=tmp_path,
        database_url=_load_database_url() if backend == "postgres" else "",
        redis_url=TEST_REDIS_URL if backend == "postgres" else "",
    )
    tally = outcome.tally
    print(outcome.summary())  # the figures, shown with -s or on failure

    assert tally.errors == [], (
        f"{tally.server_errors} of {tally.requests} responses were 5xx or dropped; the stack "
        f"logged {dict(outcome.log_errors)}")
    assert outcome.problems == []
    assert outcome.audit_ok, outcome.audit_text
    # The load really did the work it claims to check (else the checks above prove nothing).
    done = {action for _, action in tally.moves}
    assert tally.requests >= 20 * CLIENTS, outcome.summary()
    assert tally.sends and {"accept", "start"} <= done, outcome.summary()
    assert tally.exports >= 1, outcome.summary()
