"""Idempotent intake, recorded approvals to reveal a reporter's identity, and account sessions.

- ``mandatory_reports.submission_key``: SHA-256 of the one-time token of the form (or the API's
  Idempotency-Key), unique, so a refreshed or repeated POST finds the report it already made.
- ``reporter_identity_approvals``: who may see which report's reporter beyond the triage team, who approved
  it, why, when, until when, and when it was revoked (a row, never an overwrite).
- ``users.session_version``: bumped on password change and deactivation, so other sessions end at once.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mandatory_reports") as batch:
        batch.add_column(sa.Column("submission_key", sa.String(64)))
        batch.create_index("ix_mandatory_reports_submission_key", ["submission_key"], unique=True)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "reporter_identity_approvals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("mandatory_reports.id"), nullable=False, index=True),
        sa.Column("granted_to", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("approved_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("approved_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("revoked_at", sa.DateTime),
        sa.Column("revoked_by", sa.Integer, sa.ForeignKey("users.id")),
    )


def downgrade() -> None:
    op.drop_table("reporter_identity_approvals")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
    with op.batch_alter_table("mandatory_reports") as batch:
        batch.drop_index("ix_mandatory_reports_submission_key")
        batch.drop_column("submission_key")
