"""The web app refuses to start against a database its migrations have not reached.

New code on an old schema fails later, request by request, on a missing column; stopping at
start names the cause and the fix. The order of an upgrade is backup → ``flask db upgrade``
(docker-compose's migrate service) → start; a web process started out of order stops here.

Commands are left alone: ``flask db upgrade`` builds the app too, and ``flask backup`` must
run before it. A command line (Flask's and Celery's are click commands) is told apart from the
web server (gunicorn imports ``referral:create_app()``) by click's current context.
"""

from __future__ import annotations

import click
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from referral.config import ConfigurationError


class MigrationsBehind(ConfigurationError):
    """The database's revision is not the code's head."""


def revisions(app: Flask) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the database's current revisions, the code's heads)."""
    from referral.extensions import db

    script = ScriptDirectory(app.extensions["migrate"].directory)
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                current = MigrationContext.configure(connection).get_current_heads()
        finally:
            db.engine.dispose()  # no pooled connection inherited by forked server workers
    return tuple(sorted(current)), tuple(sorted(script.get_heads()))


def check_migrations(app: Flask) -> None:
    """Raise MigrationsBehind with the fix unless the database is at the code's head
    (``CHECK_MIGRATIONS``; on in production)."""
    if not app.config.get("CHECK_MIGRATIONS") or click.get_current_context(silent=True):
        return
    current, heads = revisions(app)
    if current == heads:
        return
    expects = ", ".join(heads)
    known = {rev.revision for rev in
             ScriptDirectory(app.extensions["migrate"].directory).walk_revisions()}
    if not current:
        raise MigrationsBehind(f"database has no migrations applied, code expects {expects}: "
                               f"run `flask db upgrade`")
    at = ", ".join(current)
    if not set(current) <= known:
        raise MigrationsBehind(f"database at {at}, which this code does not know (code expects "
                               f"{expects}): it was migrated by a newer release; run that "
                               f"release, or restore the backup made before the upgrade")
    raise MigrationsBehind(f"database at {at}, code expects {expects}: run `flask db upgrade`")
