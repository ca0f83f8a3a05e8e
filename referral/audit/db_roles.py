"""Least privilege in PostgreSQL: the app connects as a role that owns nothing.

Migrations run as the owner role (it creates and alters the tables); the web, worker and beat
connect as the app role, which may only read and write rows: no DDL (it owns no table and may
not create in the schema), no TRUNCATE, and no UPDATE or DELETE on the audit trail (whose
chain head it moves on, so UPDATE there, never DELETE). Default privileges make the tables a
later migration creates usable by the app role the same way; ``grant_app_role`` runs after
every ``flask db upgrade`` (docker-compose.yml's migrate step) to apply the audit exceptions to
them too.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

APPEND_ONLY = ("audit_events",)   # rows are added, never changed or removed
NEVER_REMOVED = ("audit_chain_head",)  # its one row moves on, is never deleted
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(role: str) -> list[str]:
    """The statements that give ``role`` exactly the app's privileges in schema public."""
    if not _ROLE.match(role):
        raise ValueError("a role name is lower-case letters, digits and underscores")
    rows = "SELECT, INSERT, UPDATE, DELETE"
    statements = [
        f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role}",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"GRANT {rows} ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {rows} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        f"REVOKE ALL ON alembic_version FROM {role}",
        f"GRANT SELECT ON alembic_version TO {role}",
    ]
    for table in APPEND_ONLY:
        statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {role}")
    for table in NEVER_REMOVED:
        statements.append(f"REVOKE DELETE, TRUNCATE ON {table} FROM {role}")
    return statements


def grant_app_role(connection: Connection, role: str) -> None:
    """Apply ``grant_statements`` as the owner of the tables (PostgreSQL only)."""
    if connection.dialect.name != "postgresql":
        raise RuntimeError("database roles apply to PostgreSQL only")
    for statement in grant_statements(role):
        connection.execute(text(statement))
