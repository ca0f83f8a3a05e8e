"""password reset tokens, login throttling by account and address, sessions.

- ``password_resets``: self-service resets (token hash only, single use, short expiry).
- ``login_throttles.account_hash``: failures are counted per (account, client address); the
  account's own hash lets a password reset lift every lock on it.
- ``invitations.mail_token_hash``: the e-mailed invitation link's token (made at send time).
- ``user_sessions.device`` / ``client_address``: shown on the user's sessions page.

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_password_resets_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_resets_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_login_throttles_account_hash"), ["account_hash"],
                              unique=False)
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mail_token_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_invitations_mail_token_hash"),
                                          ["mail_token_hash"])
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device", sa.String(length=60), server_default="",
                                      nullable=False))
        batch_op.add_column(sa.Column("client_address", sa.String(length=45), server_default="",
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_column("client_address")
        batch_op.drop_column("device")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_invitations_mail_token_hash"), type_="unique")
        batch_op.drop_column("mail_token_hash")
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttles_account_hash"))
        batch_op.drop_column("account_hash")
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_resets_user_id"))
    op.drop_table("password_resets")
