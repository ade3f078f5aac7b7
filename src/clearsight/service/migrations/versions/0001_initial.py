"""Accounts, mandatory reports, triage decisions and the audit log.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

import sqlalchemy as sa
from alembic import op

from clearsight.audit_log import create_schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("scope", sa.String(20)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "mandatory_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("received_at", sa.DateTime, nullable=False, index=True),
        sa.Column("became_known_at", sa.DateTime, nullable=False),
        sa.Column("reporter_name", sa.String(200), nullable=False),
        sa.Column("reporter_role", sa.String(200), nullable=False),
        sa.Column("reporter_organisation", sa.String(200), nullable=False),
        sa.Column("reporter_setting", sa.String(40), nullable=False, index=True),
        sa.Column("reporter_email", sa.String(254)),
        sa.Column("reporter_phone", sa.String(40)),
        sa.Column("reporter_user_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("child_name", sa.String(200), nullable=False),
        sa.Column("child_date_of_birth", sa.Date),
        sa.Column("child_age", sa.Integer),
        sa.Column("child_postcode", sa.String(10), nullable=False),
        sa.Column("concern_type", sa.String(20), nullable=False),
        sa.Column("what_happened", sa.Text, nullable=False),
        sa.Column("perpetrator_known", sa.Boolean, nullable=False),
        sa.Column("perpetrator_name", sa.String(200)),
        sa.Column("perpetrator_role", sa.String(200)),
        sa.Column("perpetrator_position_of_trust", sa.String(10), nullable=False),
        sa.Column("perpetrator_works_with_children", sa.String(10), nullable=False),
        sa.Column("immediate_danger", sa.Boolean, nullable=False),
        sa.Column("council_code", sa.String(20), index=True),
        sa.Column("force_code", sa.String(20), index=True),
        sa.Column("routed_by", sa.String(20), nullable=False),
        sa.Column("child_key", sa.String(64), nullable=False, index=True),
        sa.Column("first_triaged_at", sa.DateTime),
    )
    op.create_table(
        "triage_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("mandatory_reports.id"), nullable=False, index=True),
        sa.Column("decided_at", sa.DateTime, nullable=False),
        sa.Column("decided_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("agency", sa.String(10), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    create_schema(op.get_bind())


def downgrade() -> None:
    op.drop_table("triage_decisions")
    op.drop_table("mandatory_reports")
    op.drop_table("users")
