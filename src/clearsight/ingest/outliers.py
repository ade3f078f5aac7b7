"""Outliers in each body's figures, against its peers and against its own history, for follow-up.

A force that flags far fewer of its CSA offences as CSE than the rest of the country, or whose count of
offences halves in a year, may have a recording or extraction problem rather than a real change; the
audit asks the submitter before publishing. Counts here are small (a force may record a handful of CSE
offences a year), so the limits are exact, not normal approximations, and no z-score is used:

- funnel plots (Spiegelhalter, 2005): a force's proportion against the national proportion, with exact
  binomial control limits at 95% and 99.8% that widen as the denominator shrinks;
- history: a body's yearly count against the mean of its earlier years, with exact Poisson limits; a body
  with fewer than two earlier years has no history to compare with and is reported as such.

All figures come from the ``current_*`` views: the latest return of each submitter and period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import duckdb
from scipy.stats import binom, poisson

from clearsight.ingest.quality import PEOPLE_IN_ROLE_SQL
from clearsight.ingest.register import body_names, period_label

FINDING_COLUMNS = ("submitter_code", "submitter_name", "period", "measure", "method", "numerator", "denominator",
                   "value", "expected", "lower", "upper", "limit_level", "direction", "follow_up")
LEVELS = (("99.8%", 0.998), ("95%", 0.95))
MIN_HISTORY = 2

_PROPORTIONS = {
    "cse_share_of_csa_offences": """
        SELECT c.submitter_code, c.period_start, c.period_end,
               count_if(o.csa_flag AND o.cse_flag) AS numerator, count_if(o.csa_flag) AS denominator
        FROM current_offence o JOIN submission_current c USING (submission_id)
        WHERE c.is_current AND c.submitter_type = 'FORCE' GROUP BY ALL""",
    "suspects_self_defined_ethnicity_recorded": f"""
        SELECT c.submitter_code, c.period_start, c.period_end,
               count_if(coalesce(p.ethnicity_self_defined, 'NR') <> 'NR') AS numerator, count(*) AS denominator
        FROM ({PEOPLE_IN_ROLE_SQL}) r
        JOIN current_person p ON p.submission_id = r.submission_id AND p.record_id = r.person_record_id
        JOIN submission_current c ON c.submission_id = r.submission_id
        WHERE c.is_current AND c.submitter_type = 'FORCE' AND r.role = 'SUSPECT' GROUP BY ALL""",
}

_COUNTS = {  # measure: (who reports it, what it counts in plain words, its count per current return)
    "offences": ("FORCE", "offences", "SELECT submission_id, count(*) FROM current_offence GROUP BY ALL"),
    "cse_offences": ("FORCE", "CSE-flagged offences",
                     "SELECT submission_id, count_if(cse_flag) FROM current_offence GROUP BY ALL"),
    "referrals": ("COUNCIL", "referrals", "SELECT submission_id, count(*) FROM current_referral GROUP BY ALL"),
}

_SENTENCES = {
    "cse_share_of_csa_offences": "flagged {x} of its {n} CSA offences in {period} as CSE ({value})",
    "suspects_self_defined_ethnicity_recorded":
        "recorded a self-defined ethnicity (or that the person declined) for {x} of its {n} suspects in "
        "{period} ({value})",
}
_ASKS = {
    ("cse_share_of_csa_offences", "above"): "Please confirm the figure and say how the CSE flag is applied.",
    ("cse_share_of_csa_offences", "below"):
        "Please check whether CSE-related offences are being flagged, and whether the flag reaches the extract.",
    ("suspects_self_defined_ethnicity_recorded", "above"): "Please confirm the figure.",
    ("suspects_self_defined_ethnicity_recorded", "below"):
        "Please check whether suspects are asked their ethnicity and whether the answer reaches the extract.",
}


@dataclass
class Finding:
    """One body's figure for one period outside its limits (or without a history to compare with)."""

    submitter_code: str
    submitter_name: str
    period: str
    measure: str
    method: str  # funnel | history
    numerator: int
    denominator: int | None
    value: float
    expected: float | None
    lower: float | None
    upper: float | None
    limit_level: str | None  # the widest limit crossed: 99.8% or 95%
    direction: str  # above | below | no history
    follow_up: str


def _percent(share: float) -> str:
    return f"{share:.0%}" if share in (0.0, 1.0) else f"{share:.1%}"


def binomial_limits(denominator: int, proportion: float, level: float) -> tuple[int, int]:
    """Exact binomial control limits, as counts: a count below the first or above the second is outside."""
    tail = (1 - level) / 2
    return int(binom.ppf(tail, denominator, proportion)), int(binom.ppf(1 - tail, denominator, proportion))


def poisson_limits(mean: float, level: float) -> tuple[int, int]:
    """Exact Poisson limits around ``mean``, as counts: a count below the first or above the second is out."""
    tail = (1 - level) / 2
    return int(poisson.ppf(tail, mean)), int(poisson.ppf(1 - tail, mean))


def _crossed(count: int, limits: dict[str, tuple[int, int]]) -> tuple[str, str] | None:
    """The widest limit a count crosses, and in which direction (None when inside the 95% limits)."""
    for name, _ in LEVELS:
        low, high = limits[name]
        if count > high or count < low:
            return name, "above" if count > high else "below"
    return None


def funnel_points(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every force's proportion with the national proportion and its limits: the data of a funnel plot."""
    points: list[dict] = []
    for measure, sql in _PROPORTIONS.items():
        rows = [row for row in con.execute(sql).fetchall() if row[4] > 0]
        totals: dict[tuple[date, date], list[int]] = defaultdict(lambda: [0, 0])
        for _, start, end, x, n in rows:
            totals[(start, end)][0] += x
            totals[(start, end)][1] += n
        for code, start, end, x, n in sorted(rows):
            national = totals[(start, end)][0] / totals[(start, end)][1]
            limits = {name: binomial_limits(n, national, level) for name, level in LEVELS}
            points.append({"submitter_code": code, "period_start": start, "period_end": end, "measure": measure,
                           "numerator": x, "denominator": n, "value": x / n, "national": national,
                           "limits": limits})
    return points


def _funnel_findings(con: duckdb.DuckDBPyConnection, names: dict[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    for point in funnel_points(con):
        crossed = _crossed(point["numerator"], point["limits"])
        if crossed is None:
            continue
        level, direction = crossed
        n, code, measure = point["denominator"], point["submitter_code"], point["measure"]
        lower, upper = (bound / n for bound in point["limits"][level])
        period = period_label(point["period_start"], point["period_end"])
        said = _SENTENCES[measure].format(x=point["numerator"], n=n, period=period,
                                          value=_percent(point["value"]))
        limit = _percent(upper if direction == "above" else lower)
        sentence = (f"{names.get(code, code)} {said}, {direction} the {level} control limit of {limit} for "
                    f"a force of its size around the national {_percent(point['national'])}. "
                    f"{_ASKS[(measure, direction)]}")
        findings.append(Finding(code, names.get(code, code), period, measure, "funnel", point["numerator"], n,
                                round(point["value"], 4), round(point["national"], 4), round(lower, 4),
                                round(upper, 4), level, direction, sentence))
    return findings


def _series(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[tuple[date, date, int]]]:
    """(body, measure) -> its count for each period it sent a return, oldest first (0 when none recorded)."""
    returns = con.execute(
        "SELECT submission_id, submitter_code, submitter_type, period_start, period_end FROM submission_current "
        "WHERE is_current ORDER BY submitter_code, period_start").fetchall()
    series: dict[tuple[str, str], list[tuple[date, date, int]]] = defaultdict(list)
    for measure, (kind, _, sql) in _COUNTS.items():
        counts = dict(con.execute(sql).fetchall())
        for sid, code, submitter_type, start, end in returns:
            if submitter_type == kind:
                series[(code, measure)].append((start, end, int(counts.get(sid, 0))))
    return series


def _history_findings(con: duckdb.DuckDBPyConnection, names: dict[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    for (code, measure), points in sorted(_series(con).items()):
        name, what = names.get(code, code), _COUNTS[measure][1]
        for index, (start, end, count) in enumerate(points):
            period, earlier = period_label(start, end), [p[2] for p in points[:index]]
            if len(earlier) < MIN_HISTORY:
                findings.append(Finding(
                    code, name, period, measure, "history", count, None, float(count), None, None, None, None,
                    "no history", f"{name} has {len(earlier)} earlier period(s) of {what}; at least "
                    f"{MIN_HISTORY} are needed to compare {period} with its own history."))
                continue
            mean = sum(earlier) / len(earlier)
            limits = {level_name: poisson_limits(mean, level) for level_name, level in LEVELS}
            crossed = _crossed(count, limits)
            if crossed is None:
                continue
            level, direction = crossed
            lower, upper = limits[level]
            span = f"{period_label(*points[0][:2])} to {period_label(*points[index - 1][:2])}"
            cause = "a new recording system, an operation" if direction == "above" else "records left out"
            sentence = (f"{name} reported {count} {what} for {period}, {direction} the {level} limit of "
                        f"{upper if direction == 'above' else lower} expected from its average of {mean:.1f} "
                        f"a period over {span}. Please confirm the count, or tell us what changed (for example "
                        f"{cause} or part of the extract missing).")
            findings.append(Finding(code, name, period, measure, "history", count, None, float(count),
                                    round(mean, 4), float(lower), float(upper), level, direction, sentence))
    return findings


def find_outliers(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """Every finding, funnel plots first, then histories; bodies inside their limits are not listed."""
    names = body_names()
    return _funnel_findings(con, names) + _history_findings(con, names)
