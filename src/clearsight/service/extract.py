"""The intake's statistics for the audit report: a de-identified extract written into the warehouse.

The pipeline never imports the service; instead the service writes what the report may count into the
warehouse as ``mandatory_report_extract``: one row per report with its month, the reporter's setting, the
council and force it was routed to, and its clocks in hours. No name, date of birth, postcode, free text or
reference leaves the service. The report stage counts it under the same disclosure control as everything
else. The export itself is written to the audit log.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy import select

from clearsight.audit_log import AuditLog
from clearsight.service.db import make_engine, migrate, session_factory
from clearsight.service.models import MandatoryReport

EXTRACT_TABLE = "mandatory_report_extract"


def _hours(later, earlier) -> float | None:
    return None if later is None or earlier is None else round((later - earlier).total_seconds() / 3600, 1)


def export_extract(database_url: str, warehouse: Path) -> int:
    """Replace the warehouse's extract with the service's current reports; return the number of rows."""
    engine = make_engine(database_url)
    try:
        migrate(engine)
        with session_factory(engine)() as session:
            rows = session.execute(select(
                MandatoryReport.received_at, MandatoryReport.became_known_at, MandatoryReport.first_triaged_at,
                MandatoryReport.reporter_setting, MandatoryReport.council_code, MandatoryReport.force_code,
                MandatoryReport.immediate_danger, MandatoryReport.perpetrator_position_of_trust,
            ).order_by(MandatoryReport.id)).all()
        data = pa.table({
            "received_month": pa.array([r.received_at.strftime("%Y-%m") for r in rows], pa.string()),
            "reporter_setting": pa.array([r.reporter_setting for r in rows], pa.string()),
            "council_code": pa.array([r.council_code for r in rows], pa.string()),
            "force_code": pa.array([r.force_code for r in rows], pa.string()),
            "immediate_danger": pa.array([bool(r.immediate_danger) for r in rows], pa.bool_()),
            "position_of_trust": pa.array([r.perpetrator_position_of_trust for r in rows], pa.string()),
            "hours_known_to_report": pa.array([_hours(r.received_at, r.became_known_at) for r in rows], pa.float64()),
            "hours_report_to_triage": pa.array([_hours(r.first_triaged_at, r.received_at) for r in rows],
                                               pa.float64()),
        })
        con = duckdb.connect(str(warehouse))
        try:
            con.register("extract_rows", data)
            con.execute(f"CREATE OR REPLACE TABLE {EXTRACT_TABLE} AS SELECT * FROM extract_rows")
        finally:
            con.close()
        AuditLog(engine).append("cli", "admin", "export", EXTRACT_TABLE, {"rows": data.num_rows})
        return data.num_rows
    finally:
        engine.dispose()
