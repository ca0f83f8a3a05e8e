"""review covering indexes: the overdue review's referral sections from their indexes alone.

The review's "expired or past the deadline" section read a large region's 1,700 overdue
referrals from the table, scattered over a decade of pages, to count them and keep the ten
most overdue (8 of its 26 ms; docs/performance.md); "no progress" did the same. The two partial
indexes now carry what a row of the review shows, so PostgreSQL answers from them alone. The
overdue index also holds the unanswered referrals of open cases (``sent``, a few thousand in
the nation at any time): the section asks for "expired, or sent and past the deadline", which
an index of the expired ones alone could not answer without the table. The status leads the
key after the region, so that "the region's expired referrals of open cases" (the region's
list of referrals needing attention) stays one index range, as before.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_ACTIVE = "status IN ('accepted', 'in_progress')"
_OVERDUE_BEFORE = "status = 'expired' AND NOT case_closed"
_OVERDUE = "status IN ('expired', 'sent') AND NOT case_closed"
_SHOWN = ["reference", "case_id", "receiver_agency_id", "sender_agency_id", "service_code",
          "urgency", "status", "deadline_at", "review_at", "accepted_at", "last_progress_at",
          "case_restricted", "district_id"]
_STALLED_KEY = ["region_code", sa.text("coalesce(last_progress_at, accepted_at)"), "id"]


def _overdue(key: list[str], where: str, include: list[str]) -> None:
    op.drop_index("ix_referrals_region_overdue", table_name="referrals")
    op.create_index("ix_referrals_region_overdue", "referrals", key, postgresql_include=include,
                    postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def _stalled(include: list[str]) -> None:
    op.drop_index("ix_referrals_region_stalled", table_name="referrals")
    op.create_index("ix_referrals_region_stalled", "referrals", _STALLED_KEY,
                    postgresql_include=include, postgresql_where=sa.text(_ACTIVE),
                    sqlite_where=sa.text(_ACTIVE))


def upgrade():
    _overdue(["region_code", "status", "deadline_at", "id"], _OVERDUE,
             [c for c in _SHOWN if c not in ("status", "deadline_at")])
    _stalled(_SHOWN)


def downgrade():
    _overdue(["region_code", "deadline_at", "id"], _OVERDUE_BEFORE, [])
    _stalled([])
