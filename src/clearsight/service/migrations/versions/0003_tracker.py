"""The recommendations and local inquiries tracker (``clearsight.service.tracker``).

Themes and indicators; inquiries and their milestones, survivors' engagement counts and findings;
recommendations with owners, dated status events (owner-reported, independent assessment, due date),
evidence, comments and escalations; information requests and what happened to them. Every judgement is a
row; nothing is overwritten.

Revision ID: 0003_tracker
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_tracker"
down_revision = "0002"
branch_labels = None
depends_on = None

REC = "tracker_recommendations.id"
APPEND_ONLY = ("tracker_status_events", "tracker_escalations", "tracker_evidence", "tracker_comments",
               "tracker_requests", "tracker_request_events", "tracker_inquiry_events")
"""The history tables: the database refuses UPDATE and DELETE on them, as on the audit log."""


def _append_only() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE OR REPLACE FUNCTION tracker_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$")
    for table in APPEND_ONLY:
        if bind.dialect.name == "sqlite":
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
        elif bind.dialect.name == "postgresql":
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION tracker_refuse_change()")


def _recorded(by: str = "recorded_by") -> list[sa.Column]:
    return [sa.Column("recorded_at", sa.DateTime, nullable=False), sa.Column(by, sa.String(120), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "tracker_themes",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
    )
    op.create_table(
        "tracker_indicators",
        sa.Column("code", sa.String(60), primary_key=True),
        sa.Column("theme", sa.String(40), sa.ForeignKey("tracker_themes.code"), nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("report_table", sa.String(100), nullable=False),
        sa.Column("dimension", sa.String(60), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("measure", sa.String(60), nullable=False),
        sa.Column("direction", sa.String(40), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_table(
        "tracker_inquiries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("area", sa.String(200), nullable=False),
        sa.Column("chair", sa.String(200), nullable=False),
        sa.Column("terms_of_reference", sa.Text, nullable=False),
        sa.Column("funding_gbp", sa.Integer),
        sa.Column("funding_note", sa.Text, nullable=False),
        sa.Column("reference_status", sa.String(20), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
    )
    op.create_table(
        "tracker_inquiry_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("inquiry_id", sa.Integer, sa.ForeignKey("tracker_inquiries.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("due_on", sa.Date),
        sa.Column("happened_on", sa.Date),
        sa.Column("count", sa.Integer),
        sa.Column("source", sa.Text, nullable=False),
        *_recorded(),
    )
    op.create_table(
        "tracker_recommendations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("source_report", sa.String(200), nullable=False, index=True),
        sa.Column("number", sa.Integer),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("government_position", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("reference_status", sa.String(20), nullable=False),
        sa.Column("reference_note", sa.Text, nullable=False),
        sa.Column("theme", sa.String(40), sa.ForeignKey("tracker_themes.code"), index=True),
        sa.Column("inquiry_id", sa.Integer, sa.ForeignKey("tracker_inquiries.id"), index=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
    )
    op.create_table(
        "tracker_owners",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("recommendation_id", sa.Integer, sa.ForeignKey(REC), nullable=False, index=True),
        sa.Column("organisation", sa.String(200), nullable=False, index=True),
        sa.Column("basis", sa.Text, nullable=False),
        sa.Column("added_at", sa.DateTime, nullable=False),
        sa.Column("added_by", sa.String(120), nullable=False),
        sa.UniqueConstraint("recommendation_id", "organisation"),
    )
    op.create_table(
        "tracker_status_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("recommendation_id", sa.Integer, sa.ForeignKey(REC), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.String(40), nullable=False),
        sa.Column("as_of", sa.Date),
        sa.Column("organisation", sa.String(200)),
        sa.Column("why", sa.Text, nullable=False),
        *_recorded(),
    )
    op.create_table(
        "tracker_evidence",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("recommendation_id", sa.Integer, sa.ForeignKey(REC), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("figure", sa.String(100)),
        sa.Column("dated", sa.Date),
        *_recorded(),
    )
    op.create_table(
        "tracker_comments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("recommendation_id", sa.Integer, sa.ForeignKey(REC), nullable=False, index=True),
        sa.Column("body", sa.Text, nullable=False),
        *_recorded(),
    )
    op.create_table(
        "tracker_escalations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("recommendation_id", sa.Integer, sa.ForeignKey(REC), nullable=False, index=True),
        sa.Column("organisation", sa.String(200), nullable=False, index=True),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("taken_on", sa.Date, nullable=False),
        sa.Column("why", sa.Text, nullable=False),
        *_recorded(),
    )
    op.create_table(
        "tracker_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("organisation", sa.String(200), nullable=False, index=True),
        sa.Column("recommendation_id", sa.Integer, sa.ForeignKey(REC), index=True),
        sa.Column("inquiry_id", sa.Integer, sa.ForeignKey("tracker_inquiries.id"), index=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("sent_on", sa.Date, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        *_recorded(),
    )
    op.create_table(
        "tracker_request_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("tracker_requests.id"), nullable=False, index=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("happened_on", sa.Date, nullable=False),
        sa.Column("new_deadline", sa.Date),
        sa.Column("why", sa.Text, nullable=False),
        *_recorded(),
    )
    _append_only()


def downgrade() -> None:
    for table in ("tracker_request_events", "tracker_requests", "tracker_escalations", "tracker_comments",
                  "tracker_evidence", "tracker_status_events", "tracker_owners", "tracker_recommendations",
                  "tracker_inquiry_events", "tracker_inquiries", "tracker_indicators", "tracker_themes"):
        op.drop_table(table)  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS tracker_refuse_change()")
