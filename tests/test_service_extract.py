"""The intake's statistics reach the audit report through a de-identified extract, never the service itself."""

from __future__ import annotations

from pathlib import Path

import duckdb
from fastapi.testclient import TestClient

from clearsight.service import create_app
from clearsight.service.extract import EXTRACT_TABLE, export_extract
from clearsight.service.settings import ServiceSettings
from test_service_support import report_json, two_areas

AREA_A, AREA_B = two_areas()


def test_extract_holds_counts_and_clocks_but_no_identifier(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'service.db'}"
    app = create_app(ServiceSettings(database_url=url))
    with TestClient(app) as client:
        for postcode in (AREA_A[0], AREA_A[0], AREA_B[0]):
            posted = client.post("/api/reports", json=report_json(postcode, child_name="Keira Tolland"))
            assert posted.status_code == 201
    app.state.engine.dispose()
    warehouse = tmp_path / "w.duckdb"
    assert export_extract(url, warehouse) == 3
    con = duckdb.connect(str(warehouse))
    columns = [row[0] for row in con.execute(f"DESCRIBE {EXTRACT_TABLE}").fetchall()]
    assert not {"child_name", "child_postcode", "reporter_name", "reference", "what_happened"} & set(columns)
    dump = str(con.execute(f"SELECT * FROM {EXTRACT_TABLE}").fetchall())
    assert "Keira" not in dump and AREA_A[0] not in dump
    forces = sorted(row[0] for row in con.execute(f"SELECT force_code FROM {EXTRACT_TABLE}").fetchall())
    assert forces == sorted([AREA_A[2], AREA_A[2], AREA_B[2]])


def test_the_report_counts_the_extract_under_disclosure_control(tmp_path: Path) -> None:
    from clearsight import report

    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    from clearsight.warehouse import ensure_schema

    ensure_schema(con)
    con.execute(
        f"CREATE TABLE {EXTRACT_TABLE} AS SELECT '2025-0' || (i % 3 + 1) AS received_month, "
        "CASE WHEN i % 4 = 0 THEN 'school' ELSE 'health' END AS reporter_setting, NULL::VARCHAR AS council_code, "
        "'E23000005' AS force_code, false AS immediate_danger, 'no' AS position_of_trust, "
        "2.0 AS hours_known_to_report, CASE WHEN i < 30 THEN 5.0 END AS hours_report_to_triage FROM range(40) t(i)"
    )
    con.close()
    out = tmp_path / "report"
    report.run(warehouse, out, pdf=False)
    table = (out / "tables" / "mandatory_reports_by_setting.csv").read_text()
    assert "school" in table and "health" in table and "30" in table
