"""list indexes: a user's notifications newest first; an agency's open high-risk cases.

Two lists read far more than they show (docs/performance.md, tenth round):
- the notification list asks for a user's newest 50. With only (user_id, read_at) to go by,
  PostgreSQL walked the primary key backwards through every user's notifications, keeping one
  row in a hundred: 7 ms of database CPU per request for a user with 5,000 among the national
  5 million. (user_id, id) answers it from one range.
- the home page's high-risk panel of an agency's staff: PostgreSQL intersected the agency's
  cases with the nation's 22,000 open high-risk ones (4.5 of its 5.8 ms). A partial index of
  each agency's open high-risk cases gives it the dozen it shows (1.2 ms).

Revision ID: 0037
Revises: 0036
"""

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

_OPEN_HIGH = "risk_level = 'high' AND status <> 'closed'"


def upgrade():
    op.create_index("ix_notifications_user_newest", "notifications", ["user_id", "id"])
    op.create_index("ix_cases_owner_high_risk_open", "cases",
                    ["owner_agency_id", "high_risk_flagged_at"],
                    postgresql_where=sa.text(_OPEN_HIGH), sqlite_where=sa.text(_OPEN_HIGH))


def downgrade():
    op.drop_index("ix_cases_owner_high_risk_open", table_name="cases")
    op.drop_index("ix_notifications_user_newest", table_name="notifications")
