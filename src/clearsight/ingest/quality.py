"""Data-quality scorecard per submitter and period, and the quarantine report a submitter fixes from.

IICSA found that the data needed to see group-based exploitation (ethnicity of suspects, the CSE flag) was
too often not recorded, so the audit reports recording itself as a finding. Each measure is a numerator,
a denominator and their ratio, computed on the current return of each submitter and period. "Not recorded"
(NR: nobody asked, or the cell was blank) and "not stated" (NS: the person was asked and declined) are
counted apart, because the first is a recording failure and the second is not. A measure with nothing to
measure (no suspects, no CSA offences) is left out rather than shown as 0% or 100%.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from clearsight.ingest.register import body_names, expected_returns, period_label
from clearsight.safe_output import write_csv
from clearsight.standard import Standard, load_standard

QUALITY_COLUMNS = ("submitter_code", "submitter_name", "period", "measure", "numerator", "denominator", "value")
QUARANTINE_COLUMNS = ("submitter_code", "submission_id", "file", "table", "row", "field", "value", "rule",
                      "severity", "message")

PERSON_FIELDS = ("sex", "ethnicity_self_defined", "ethnicity_officer_observed", "disability", "nationality")
FORCE_ONLY_FIELDS = {"ethnicity_officer_observed"}
ROLES = ("VICTIM", "SUSPECT")

PEOPLE_IN_ROLE_SQL = """
SELECT DISTINCT submission_id, person_record_id, role FROM (
    SELECT submission_id, record_id AS person_record_id, role FROM current_person
    UNION ALL
    SELECT submission_id, person_record_id, role FROM current_offence_person
) WHERE role IN ('VICTIM', 'SUSPECT')
"""
"""Victims and suspects of each current return: the person record's own role, and every role it has in
an offence (a person linked as suspect to one offence is a suspect even if recorded as 'OTHER')."""


@dataclass
class QualityRow:
    """One measure of one return: numerator / denominator = value (a share, or days for lateness)."""

    submitter_code: str
    submitter_name: str
    period: str
    measure: str
    numerator: int
    denominator: int | None
    value: float | None


def _gaps(standard: Standard, table: str, field: str) -> tuple[str, ...]:
    """The 'missing' codes of a field's code list that exist: NR, and NS where people can decline."""
    codelist = standard.table(table).field(field).codelist or ""
    return tuple(code for code in ("NR", "NS") if code in standard.codelist(codelist).code_values())


def _completeness_sql(column: str, gaps: tuple[str, ...], alias: str) -> list[str]:
    """complete / not_recorded / not_stated counts of a coded column (an empty cell counts as NR)."""
    missing = ", ".join(f"'{code}'" for code in gaps)
    parts = [f"count_if({column} IS NOT NULL AND {column} NOT IN ({missing})) AS \"{alias}.complete\"",
             f"count_if({column} IS NULL OR {column} = 'NR') AS \"{alias}.not_recorded\""]
    if "NS" in gaps:
        parts.append(f"count_if({column} = 'NS') AS \"{alias}.not_stated\"")
    return parts


def _measure_counts(con: duckdb.DuckDBPyConnection, standard: Standard) -> dict[str, list[tuple[str, int, int]]]:
    """submission_id -> [(measure, numerator, denominator)] for the person, offence and referral fields."""
    counts: dict[str, list[tuple[str, int, int]]] = {}

    def collect(sql: str, denominator_column: str, prefix: str | None = None) -> None:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        for row in cursor.fetchall():
            record = dict(zip(names, row, strict=True))
            if not record[denominator_column]:
                continue
            head = f"{record['role'].lower()}." if prefix is None else prefix
            counts.setdefault(record["submission_id"], []).extend(
                (head + name, int(value), int(record[denominator_column])) for name, value in record.items()
                if "." in name and value is not None)

    person_parts = [part for name in PERSON_FIELDS for part in
                    _completeness_sql(f"p.{name}", _gaps(standard, "person", name), name)]
    collect(
        f"SELECT r.submission_id, r.role, count(*) AS people, {', '.join(person_parts)}, "
        "count_if(p.date_of_birth IS NOT NULL OR p.age_years IS NOT NULL OR coalesce(a.has_age, false)) "
        "AS \"date_of_birth_or_age.complete\" "
        f"FROM ({PEOPLE_IN_ROLE_SQL}) r JOIN current_person p "
        "ON p.submission_id = r.submission_id AND p.record_id = r.person_record_id "
        "LEFT JOIN (SELECT submission_id, person_record_id, bool_or(age_at_offence IS NOT NULL) AS has_age "
        "FROM current_offence_person GROUP BY ALL) a "
        "ON a.submission_id = r.submission_id AND a.person_record_id = r.person_record_id GROUP BY ALL",
        "people")
    location = _completeness_sql("location_type", _gaps(standard, "offence", "location_type"), "location_type")
    collect(f"SELECT submission_id, count(*) AS offences, {', '.join(location)} FROM current_offence "
            "GROUP BY ALL", "offences", "offence.")
    collect("SELECT submission_id, count_if(csa_flag) AS csa, count_if(csa_flag AND cse_flag) AS \"cse_flag.use\" "
            "FROM current_offence GROUP BY ALL", "csa", "offence.")
    status = _completeness_sql("recorded_status", _gaps(standard, "referral", "recorded_status"), "recorded_status")
    collect(f"SELECT submission_id, count(*) AS referrals, {', '.join(status)} FROM current_referral "
            "GROUP BY ALL", "referrals", "referral.")
    return counts


def _applies(measure: str, submitter_type: str) -> bool:
    return submitter_type == "FORCE" or measure.split(".")[1] not in FORCE_ONLY_FIELDS


def scorecard(con: duckdb.DuckDBPyConnection, standard: Standard | None = None) -> list[QualityRow]:
    """Every measure of every current return, ordered by submitter, period and measure."""
    standard = standard or load_standard()
    returns = con.execute(
        "SELECT submission_id, submitter_code, submitter_type, period_start, period_end, rows_in, rows_loaded "
        "FROM submission_current WHERE is_current ORDER BY submitter_code, period_start, period_end").fetchall()
    if not returns:
        return []
    counts = _measure_counts(con, standard)
    years = sorted({row[3].year for row in returns})
    timeliness = {(s.submitter_code, s.period_start, s.period_end): s for s in expected_returns(con, years)}
    names = body_names()
    rows: list[QualityRow] = []
    for sid, code, kind, start, end, rows_in, rows_loaded in returns:
        base = (code, names.get(code, code), period_label(start, end))
        measures = [(m, n, d) for m, n, d in counts.get(sid, []) if _applies(m, kind)]
        if rows_in:
            measures.append(("submission.validity", rows_loaded, rows_in))
        rows.extend(QualityRow(*base, m, n, d, round(n / d, 4)) for m, n, d in sorted(measures))
        status = timeliness.get((code, start, end))
        if status is not None and status.on_time is not None:
            rows.append(QualityRow(*base, "submission.on_time", int(status.on_time), 1, float(status.on_time)))
            rows.append(QualityRow(*base, "submission.days_late", status.days_late or 0, None,
                                   float(status.days_late or 0)))
    return rows


def write_scorecard(rows: list[QualityRow], path: Path | str) -> int:
    """Write the scorecard as a tidy CSV through the formula-safe writer; returns the rows written."""
    return write_csv(path, (asdict(row) for row in rows), QUALITY_COLUMNS)


_QUARANTINE_SQL = """
SELECT * FROM (
    SELECT v.source AS submitter_code, v.submission_id, v.file_name AS file, v.table_name AS "table",
           v.row_number AS "row", v.field, v.value, v.rule_code AS rule, v.severity, v.message
    FROM validation_issue v
    UNION ALL
    SELECT s.submitter_code, i.submission_id, i.file_name, f.table_name, NULL, i.subject, NULL, i.issue_code,
           CASE WHEN i.issue_code LIKE 'FILE-%' AND i.issue_code <> 'FILE-DUPLICATE' THEN 'error' ELSE 'warning' END,
           i.message
    FROM file_issue i JOIN submission s USING (submission_id)
    LEFT JOIN (SELECT DISTINCT submission_id, file_name || coalesce('#' || sheet, '') AS file_name, table_name
               FROM submission_file) f USING (submission_id, file_name)
    WHERE i.issue_code <> 'CODE-UNMAPPED'
) q JOIN submission_current c USING (submission_id)
WHERE c.is_current AND (? IS NULL OR q.submitter_code = ?)
ORDER BY q.submitter_code, q.file, q."row" NULLS FIRST, q.rule, q.field
"""


def quarantine_report(con: duckdb.DuckDBPyConnection, submitter: str | None = None) -> list[dict]:
    """Every reason a row of a current return was quarantined or warned about, and every file-level issue.

    One row per reason, so a row that breaks two rules appears twice: the submitter fixes each. File
    issues (a rejected file, an unknown or missing column) have no row number. Unmapped codes are listed
    per row (rule CODE-UNKNOWN), so their file-level summary is left out.
    """
    cursor = con.execute(_QUARANTINE_SQL, [submitter, submitter])
    names = [d[0] for d in cursor.description]
    return [{name: record[name] for name in QUARANTINE_COLUMNS}
            for record in (dict(zip(names, row, strict=True)) for row in cursor.fetchall())]
