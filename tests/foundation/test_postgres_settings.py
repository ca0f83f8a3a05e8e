"""Connection settings the app gives PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from referral.extensions import db

pytestmark = pytest.mark.postgres


def test_postgres_connections_run_without_jit(ctx):
    """Short web queries must not pay PostgreSQL's JIT compilation (docs/performance.md)."""
    assert db.session.execute(text("SHOW jit")).scalar() == "off"
