"""The register of submitting bodies and the returns they owe, with each return's sign-off and lock.

The national audit can only say who has not answered if it knows who owes what, by when. The bodies are
the standard's code lists (43 forces; the councils, each with the force it sits in); what they owe and
when is configuration (``data/returns.yaml``), so a changed deadline is an edit to a file, not to code.

Sign-off and lock are human judgements, kept as an append-only trail (``return_signoff_event``): a
submitter signs off the return they sent, the audit team locks it so that the figures published from it
cannot change underneath them, and an unlock needs a reason that stays in the trail. Nothing is ever
updated or deleted; the state of a return is read from its latest events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from clearsight.errors import ClearsightError
from clearsight.standard import Standard, load_standard

BodyType = Literal["FORCE", "COUNCIL"]
ACTIONS = ("SIGN_OFF", "LOCK", "UNLOCK")


class RegisterError(ClearsightError):
    """A sign-off, lock or unlock that the register refuses, with the reason."""


class BodyReturns(BaseModel):
    """The tables one kind of body owes in each return, and those it may add."""

    model_config = ConfigDict(extra="forbid")
    owed: list[str]
    optional: list[str] = Field(default_factory=list)


class RegisterConfig(BaseModel):
    """``returns.yaml``: how often returns are due, how long after the period, and what they hold."""

    model_config = ConfigDict(extra="forbid")
    register_version: Literal[1] = 1
    frequency: Literal["annual", "quarterly"] = "annual"
    deadline_days_after_period_end: int = Field(default=31, ge=0)
    bodies: dict[BodyType, BodyReturns]

    @model_validator(mode="after")
    def _tables_exist(self) -> RegisterConfig:
        known = set(load_standard().tables)
        unknown = sorted({t for b in self.bodies.values() for t in b.owed + b.optional} - known)
        if unknown:
            raise ValueError(f"tables not in the core data set: {', '.join(unknown)}")
        return self


def load_register_config(path: Path | None = None) -> RegisterConfig:
    """The register's configuration: the packaged ``returns.yaml`` unless another file is given."""
    text = path.read_text(encoding="utf-8") if path else (
        resources.files("clearsight.ingest").joinpath("data/returns.yaml").read_text(encoding="utf-8"))
    try:
        return RegisterConfig(**yaml.safe_load(text))
    except (ValueError, TypeError, yaml.YAMLError) as error:
        raise ClearsightError(f"{path or 'returns.yaml'}: invalid register configuration: {error}") from error


@dataclass(frozen=True)
class Body:
    """A submitting body: a police force, or a council and the force area it sits in."""

    code: str
    name: str
    type: BodyType
    force_code: str


def bodies(standard: Standard | None = None) -> list[Body]:
    """Every body that owes returns: the forces, then the councils, from the standard's code lists."""
    standard = standard or load_standard()
    forces = [Body(c.code, c.label, "FORCE", c.code) for c in standard.codelist("police_force").codes]
    councils = [Body(c.code, c.label, "COUNCIL", c.group) for c in standard.codelist("local_authority").codes]
    return sorted(forces, key=lambda b: b.code) + sorted(councils, key=lambda b: b.code)


@cache
def body_names() -> dict[str, str]:
    """Body code -> name, for labelling outputs."""
    return {body.code: body.name for body in bodies()}


def periods(year: int, frequency: str = "annual") -> list[tuple[date, date]]:
    """The periods of one calendar year for a frequency (annual: the calendar year)."""
    if frequency == "annual":
        return [(date(year, 1, 1), date(year, 12, 31))]
    starts = [date(year, month, 1) for month in (1, 4, 7, 10)] + [date(year + 1, 1, 1)]
    return [(starts[i], starts[i + 1] - timedelta(days=1)) for i in range(4)]


def period_label(start: date, end: date) -> str:
    """``2024`` for a calendar year, ``2024-Q2`` for a calendar quarter, else the ISO interval."""
    if (start, end) == periods(start.year)[0]:
        return str(start.year)
    quarters = periods(start.year, "quarterly")
    return f"{start.year}-Q{quarters.index((start, end)) + 1}" if (start, end) in quarters else f"{start}/{end}"


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) and not isinstance(value, datetime) else date.fromisoformat(str(value)[:10])


_SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS return_signoff_event_number;
CREATE TABLE IF NOT EXISTS return_signoff_event (
    event_number BIGINT PRIMARY KEY DEFAULT nextval('return_signoff_event_number'),
    submitter_code VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    submission_id VARCHAR NOT NULL,
    action VARCHAR NOT NULL CHECK (action IN ('SIGN_OFF', 'LOCK', 'UNLOCK')),
    by_whom VARCHAR NOT NULL,
    reason VARCHAR,
    "at" TIMESTAMP NOT NULL
);
"""


def ensure_register_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the sign-off trail if it does not exist yet (idempotent; never alters existing rows)."""
    con.execute(_SCHEMA)


def _has_trail(con: duckdb.DuckDBPyConnection) -> bool:
    query = "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'return_signoff_event'"
    return bool(con.execute(query).fetchone()[0])


def _state(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, date, date], dict]:
    """Per return: whether locked, and the latest sign-off (its submission, who, when)."""
    if not _has_trail(con):
        return {}
    rows = con.execute(
        "SELECT submitter_code, period_start, period_end, "
        "arg_max(action, event_number) FILTER (WHERE action IN ('LOCK', 'UNLOCK')), "
        "arg_max(submission_id, event_number) FILTER (WHERE action = 'SIGN_OFF'), "
        "arg_max(by_whom, event_number) FILTER (WHERE action = 'SIGN_OFF') "
        "FROM return_signoff_event GROUP BY ALL"
    ).fetchall()
    return {(r[0], r[1], r[2]): {"locked": r[3] == "LOCK", "signed_submission": r[4], "signed_by": r[5]}
            for r in rows}


def is_locked(con: duckdb.DuckDBPyConnection, submitter: str, period_start: date | str,
              period_end: date | str) -> bool:
    """Whether the return is locked, so that ingest must refuse a resubmission that would supersede it."""
    key = (submitter, _as_date(period_start), _as_date(period_end))
    return bool(_state(con).get(key, {}).get("locked"))


def locked_periods(con: duckdb.DuckDBPyConnection) -> set[tuple[str, date, date]]:
    """Every locked return as (submitter, period start, period end): one query for a whole ingest run."""
    return {key for key, state in _state(con).items() if state["locked"]}


def _current_submission(con: duckdb.DuckDBPyConnection, submitter: str, start: date, end: date) -> str:
    row = con.execute(
        "SELECT submission_id FROM submission_current WHERE is_current AND submitter_code = ? "
        "AND period_start = ? AND period_end = ?", [submitter, start, end]).fetchone()
    if row is None:
        raise RegisterError(f"no return from {submitter} for {period_label(start, end)} has been received")
    return row[0]


def resolve_period(con: duckdb.DuckDBPyConnection, submitter: str, period_start: date | str) -> tuple[date, date]:
    """The period of the return a submitter sent that starts on ``period_start`` (a year means 1 January)."""
    text = str(period_start)
    start = date(int(text), 1, 1) if text.isdigit() and len(text) == 4 else _as_date(text)
    ends = [r[0] for r in con.execute(
        "SELECT DISTINCT period_end FROM submission WHERE submitter_code = ? AND period_start = ? ORDER BY 1",
        [submitter, start]).fetchall()]
    if not ends:
        raise RegisterError(f"no return from {submitter} for a period starting {start} has been received")
    if len(ends) > 1:
        raise RegisterError(f"{submitter} sent returns for several periods starting {start}: {ends}")
    return start, ends[0]


def _record(con: duckdb.DuckDBPyConnection, submitter: str, start: date, end: date, submission_id: str,
            action: str, by: str, reason: str | None, at: datetime | None) -> None:
    if not by.strip():
        raise RegisterError(f"{action.replace('_', '-').lower()} needs the name of the person doing it")
    ensure_register_schema(con)
    con.execute(
        "INSERT INTO return_signoff_event (submitter_code, period_start, period_end, submission_id, action, "
        "by_whom, reason, \"at\") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [submitter, start, end, submission_id, action, by.strip(), reason,
         at or datetime.now(UTC).replace(tzinfo=None)])


def sign_off(con: duckdb.DuckDBPyConnection, submitter: str, period_start: date | str, period_end: date | str,
             by: str, at: datetime | None = None) -> str:
    """The submitter confirms that its current return for the period is complete; returns its submission id."""
    start, end = _as_date(period_start), _as_date(period_end)
    current = _current_submission(con, submitter, start, end)
    state = _state(con).get((submitter, start, end), {})
    if state.get("signed_submission") == current:
        raise RegisterError(f"{current} is already signed off (by {state['signed_by']})")
    _record(con, submitter, start, end, current, "SIGN_OFF", by, None, at)
    return current


def lock(con: duckdb.DuckDBPyConnection, submitter: str, period_start: date | str, period_end: date | str,
         by: str, reason: str | None = None, at: datetime | None = None) -> str:
    """Lock the signed-off return so that no resubmission can supersede it; returns its submission id."""
    start, end = _as_date(period_start), _as_date(period_end)
    current = _current_submission(con, submitter, start, end)
    state = _state(con).get((submitter, start, end), {})
    if state.get("locked"):
        raise RegisterError(f"the {period_label(start, end)} return of {submitter} is already locked")
    if state.get("signed_submission") != current:
        raise RegisterError(f"{current} has not been signed off by its submitter; sign it off before locking")
    _record(con, submitter, start, end, current, "LOCK", by, reason, at)
    return current


def unlock(con: duckdb.DuckDBPyConnection, submitter: str, period_start: date | str, period_end: date | str,
           by: str, reason: str, at: datetime | None = None) -> str:
    """Unlock a return so that it may be resubmitted; the reason is required and stays in the trail."""
    start, end = _as_date(period_start), _as_date(period_end)
    if not (reason or "").strip():
        raise RegisterError("unlocking a return needs a reason, which is kept in the sign-off trail")
    if not is_locked(con, submitter, start, end):
        raise RegisterError(f"the {period_label(start, end)} return of {submitter} is not locked")
    current = _current_submission(con, submitter, start, end)
    _record(con, submitter, start, end, current, "UNLOCK", by, reason.strip(), at)
    return current


def signoff_trail(con: duckdb.DuckDBPyConnection, submitter: str | None = None) -> list[dict]:
    """Every sign-off, lock and unlock, oldest first (optionally for one submitter)."""
    if not _has_trail(con):
        return []
    cursor = con.execute(
        "SELECT * FROM return_signoff_event WHERE ? IS NULL OR submitter_code = ? ORDER BY event_number",
        [submitter, submitter])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass
class ReturnStatus:
    """One body's return for one period: owed or not, received when, complete, signed off, locked."""

    submitter_code: str
    submitter_name: str
    submitter_type: str
    force_code: str
    period: str
    period_start: date
    period_end: date
    deadline: date
    expected: bool
    status: str  # ON_TIME | LATE | OVERDUE | NOT_YET_DUE | UNEXPECTED (received, but not owed)
    received: bool = False
    on_time: bool | None = None
    days_late: int | None = None
    first_received_at: datetime | None = None
    received_at: datetime | None = None
    submissions: int = 0
    current_submission_id: str | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    tables_missing: list[str] = field(default_factory=list)
    signed_off: bool = False
    signed_off_by: str | None = None
    locked: bool = False


_RECEIVED = """
SELECT c.submitter_code, c.submitter_type, c.period_start, c.period_end, c.submission_id, c.received_at,
       c.rows_in, c.rows_loaded, c.rows_quarantined, f.first_received_at, f.submissions,
       (SELECT list(DISTINCT table_name ORDER BY table_name) FROM submission_file t
        WHERE t.submission_id = c.submission_id AND t.table_name IS NOT NULL AND t.rejected_reason IS NULL)
FROM submission_current c
JOIN (SELECT submitter_code, period_start, period_end, min(received_at) AS first_received_at,
             count(*) AS submissions FROM submission GROUP BY ALL) f
  USING (submitter_code, period_start, period_end)
WHERE c.is_current AND year(c.period_start) IN ({years})
"""


def expected_returns(con: duckdb.DuckDBPyConnection, years: list[int], as_of: datetime | None = None,
                     config: RegisterConfig | None = None) -> list[ReturnStatus]:
    """Every return owed for ``years`` joined with what was received, plus any received but not owed.

    Timeliness is judged on the first receipt for the period, so a correction sent later does not make
    an on-time return late; ``as_of`` (default now) decides whether a missing return is overdue yet.
    """
    config = config or load_register_config()
    today = (as_of or datetime.now()).date()
    days = timedelta(days=config.deadline_days_after_period_end)
    received = {(r[0], r[2], r[3]): r for r in con.execute(
        _RECEIVED.format(years=", ".join(str(int(y)) for y in years) or "NULL")).fetchall()}
    state = _state(con)
    statuses: list[ReturnStatus] = []
    keys = [(b, s, e) for y in sorted(set(years)) for b in bodies() if b.type in config.bodies
            for s, e in periods(y, config.frequency)]
    owed = {(b.code, s, e) for b, s, e in keys}
    registry = {b.code: b for b in bodies()}
    for code, start, end in sorted(set(received) - owed):
        body = registry.get(code) or Body(code, code, received[(code, start, end)][1], "")
        keys.append((body, start, end))
    for body, start, end in keys:
        key = (body.code, start, end)
        item = ReturnStatus(body.code, body.name, body.type, body.force_code, period_label(start, end), start,
                            end, end + days, key in owed, "NOT_YET_DUE")
        row = received.get(key)
        if row is not None:
            item.received, item.current_submission_id, item.received_at = True, row[4], row[5]
            item.rows_in, item.rows_loaded, item.rows_quarantined = row[6], row[7], row[8]
            item.first_received_at, item.submissions = row[9], row[10]
            item.days_late = max(0, (row[9].date() - item.deadline).days)
            item.on_time = item.days_late == 0
            item.status = ("ON_TIME" if item.on_time else "LATE") if item.expected else "UNEXPECTED"
            owed_tables = config.bodies[body.type].owed if body.type in config.bodies else []
            item.tables_missing = [t for t in owed_tables if t not in (row[11] or [])]
        elif today > item.deadline:
            item.status, item.days_late = "OVERDUE", (today - item.deadline).days
        signed = state.get(key, {})
        item.locked = bool(signed.get("locked"))
        item.signed_off = item.received and signed.get("signed_submission") == item.current_submission_id
        item.signed_off_by = signed.get("signed_by") if item.signed_off else None
        statuses.append(item)
    return statuses


def return_status(con: duckdb.DuckDBPyConnection, year: int, as_of: datetime | None = None,
                  config: RegisterConfig | None = None) -> list[ReturnStatus]:
    """The returns owed for one year and where each stands (see ``expected_returns``)."""
    return expected_returns(con, [year], as_of=as_of, config=config)
