"""The coordinators' statistics may read from a PostgreSQL replica (``DATABASE_REPLICA_URL``).

Why only those: they are the heaviest read-only statements (a region's year in one GROUP BY)
and a few seconds of replication lag do not matter to them (they are cached for minutes
anyway, referral/coordination/stats/cache.py). Everything else reads its own writes and stays on
the primary, and so does the audit entry each statistics page writes.

How: the statement runs through the request's own ORM session with the replica's engine as its
bind (``db.session.execute(stmt, bind_arguments=reads())``). Being the same session, the
``do_orm_execute`` scope listener (referral/access/scope.py) adds the actor's rules exactly as
on the primary; the modules' explicit conditions (restricted cases, referrals entered in error)
are part of the statements. Unset, ``reads()`` is empty and nothing changes.

SQLite has no replicas: the setting is refused at start-up with a SQLite database, rather than
ignored, so that an operator who believes the load is split learns at once that it is not.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, MutableMapping
from typing import Any

from flask import current_app
from sqlalchemy import Engine, create_engine

from referral.config import ConfigurationError, normalise_database_url

# An engine's execution option: its connections never write (this replica), so the audit
# chain's head is never taken there (referral/web/database.py).
READ_ONLY = "referral_read_only"

_ENGINE = "referral_replica_engine"  # app.extensions
_lock = threading.Lock()


def finish_replica_config(config: MutableMapping[str, Any]) -> None:
    """Normalise DATABASE_REPLICA_URL and refuse it where it cannot work."""
    url = config.get("DATABASE_REPLICA_URL") or ""
    if not url:
        config["DATABASE_REPLICA_URL"] = ""
        return
    if not str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        raise ConfigurationError(
            "DATABASE_REPLICA_URL is set but DATABASE_URL is not PostgreSQL: a read replica "
            "needs a PostgreSQL primary (unset DATABASE_REPLICA_URL with SQLite)")
    config["DATABASE_REPLICA_URL"] = normalise_database_url(url)


def replica_engine() -> Engine | None:
    """The replica's engine, made on first use in this process (after a fork, never before),
    with the primary's engine options (JIT off, pool sizes); None when no replica is set."""
    app = current_app
    url = app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return None
    engine = app.extensions.get(_ENGINE)
    if engine is None:
        with _lock:
            engine = app.extensions.get(_ENGINE)
            if engine is None:
                engine = create_engine(url, **_read_only(app.config))
                app.extensions[_ENGINE] = engine
    return engine


def _read_only(config: Mapping[str, Any]) -> dict[str, Any]:
    """The primary's engine options, every transaction read-only: a standby refuses writes
    anyway, and pointed at a writable database (a test, a mistaken URL) nothing is written
    either."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args["options"] = (f"{connect_args.get('options', '')} "
                               "-c default_transaction_read_only=on").strip()
    options["connect_args"] = connect_args
    options["execution_options"] = {**options.get("execution_options", {}), READ_ONLY: True}
    return options


def reads() -> dict[str, Any]:
    """``bind_arguments`` for a statistics statement: the replica when one is set, else none."""
    engine = replica_engine()
    return {"bind": engine} if engine is not None else {}
