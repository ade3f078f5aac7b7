"""The report's tables: each one a grouping of the counting views, with its totals and how they add up.

Tables are defined as data (:data:`SPECS`) so that the list of what the audit publishes can be read in
one place. Every table includes its ``Total`` rows (GROUPING SETS), which both readers and the
disclosure audit need: the audit treats each total as a constraint on the cells beneath it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import duckdb

from clearsight.report.population import NATIONAL, Population, load_population
from clearsight.report.publish import garwood
from clearsight.report.release import TOTAL, Derived, Rate, Reference, Relation, ReleaseTable
from clearsight.report.views import NOT_RECORDED, NOT_STATED

MEASURE_SQL = {
    "offences": "count(DISTINCT source || '|' || submission_id || '|' || record_id)",
    "victims": "count(DISTINCT person_key) FILTER (WHERE role = 'VICTIM')",
    "suspects": "count(DISTINCT person_key) FILTER (WHERE role = 'SUSPECT')",
    "referrals": "count(DISTINCT source || '|' || submission_id || '|' || record_id)",
}
SHARE = Derived("percent", ("{measure}",), ("@total:{measure}",))


@dataclass(frozen=True)
class Spec:
    """What one table counts, over which view, by which dimensions, and with which totals."""

    name: str
    title: str
    section: str
    dimensions: tuple[str, ...]
    measures: tuple[str, ...]
    description: str
    view: str = "r_offence"
    grouping: str = "cube"  # "cube": every combination of totals; "nested": hierarchy (force > council)
    role: str | None = None  # r_person tables: VICTIM or SUSPECT
    share: bool = False
    chart: bool = True
    extra: dict[str, str] = field(default_factory=dict)
    union: tuple[str, ...] = ()  # measures whose totals are unions (one person in several categories)
    measure_sql: dict[str, str] = field(default_factory=dict)  # counts not in MEASURE_SQL
    interval: bool = False  # add an exact Poisson 95% interval for the first measure (trends)
    rates: tuple[str, ...] = ()  # measures also published per 10,000 children (where the population is known)
    rate_by: str | None = None  # the geography dimension whose populations the rates use (None: national)
    compare: bool = False  # a demographic table: add the share of those recorded and the population's share


def _person_spec(role: str, dimension: str, label: str) -> Spec:
    measure = "victims" if role == "VICTIM" else "suspects"
    return Spec(f"{measure}_by_{dimension}", f"{measure.capitalize()} by {label}", "Demographics", (dimension,),
                (measure,), f"Distinct {measure} of the offences in this report, by {label}; each person is "
                f"counted once, with the {label} most often recorded for them.",
                view="r_person", role=role, share=True, compare=dimension in ("sex", "ethnicity_self_defined"))


PEOPLE_DIMENSIONS = (("sex", "sex"), ("age_band", "age band"), ("ethnicity_self_defined", "self-defined ethnicity"),
                     ("ethnicity_officer_observed", "officer-observed ethnicity"), ("nationality", "nationality"),
                     ("disability", "disability"))

SPECS: tuple[Spec, ...] = (
    Spec("offences_by_year", "Offences, victims and suspects by year", "Scale", ("year",),
         ("offences", "victims", "suspects"), "Offences by the year they were recorded, with the distinct victims "
         "and suspects of those offences, with an exact 95% Poisson interval for the offence count (the "
         "range of underlying rates consistent with it), so that a change between years can be judged. "
         "Offences and victims are also given per 10,000 children aged 0 to 17 in England and Wales, with "
         "their 95% intervals.",
         view="r_involved", union=("victims", "suspects"), interval=True, rates=("offences", "victims")),
    Spec("offences_by_force", "Offences, victims and suspects by police force", "Scale", ("force",),
         ("offences", "victims", "suspects"), "Offences recorded by each force, with their distinct victims and "
         "suspects. A person involved in offences in two forces is counted in both, once in the total. "
         "Rates per 10,000 children need each force area's child population.",
         view="r_involved", union=("victims", "suspects"), rates=("offences", "victims"), rate_by="force"),
    Spec("offences_by_council", "Offences by council area", "Scale", ("force", "council"), ("offences",),
         "Offences by the council area where they took place, within the force that recorded them.",
         grouping="nested", chart=False),
    Spec("offences_by_type", "Offences by offence type", "Scale", ("offence_type",), ("offences",),
         "Offences by Home Office offence group.", share=True),
    Spec("offences_by_flag", "Offences flagged as child sexual exploitation and as group-based", "Scale",
         ("cse_flag", "group_based_flag"), ("offences",), "Offences by the police's CSE flag and group-based "
         "flag, as recorded.", chart=False),
    Spec("offences_by_location", "Offences by location", "Nature", ("location",), ("offences",),
         "Where the offending took place.", share=True),
    Spec("offences_by_context", "Offences by context", "Nature", ("context",), ("offences",),
         "The context of offending recorded by the police (familial, CSE, institutional...).", share=True),
    Spec("offences_by_online_and_night_time_economy", "Offences online and in the night-time economy", "Nature",
         ("online", "night_time_economy"), ("offences",), "Offences with an online element, and offences linked "
         "to the night-time economy (taxis, takeaways, licensed premises).", chart=False),
    Spec("offences_by_outcome", "Offences by outcome", "Nature", ("outcome",), ("offences",),
         "Home Office outcome groups. The charge rate is the percentage of offences whose outcome is "
         "Charged/Summonsed.", share=True,
         extra={"median_days_to_outcome": "median(days_to_outcome)"}),
    Spec("offences_by_force_and_outcome", "Outcomes by police force", "Nature", ("force", "outcome"), ("offences",),
         "Outcome groups within each force; the percentage in the Charged/Summonsed row is the force's "
         "charge rate.", grouping="nested", share=True, chart=False),
    Spec("victims_by_offences_recorded", "Repeat victimisation", "Nature", ("offences_recorded",), ("victims",),
         "Distinct victims by the number of offences in this report in which they are a victim.",
         view="r_person", role="VICTIM", share=True),
    *(_person_spec(role, dimension, label) for role in ("VICTIM", "SUSPECT") for dimension, label in PEOPLE_DIMENSIONS),
    Spec("offences_by_csa_and_cse_flag", "Child sexual abuse and exploitation flags together", "Recording quality",
         ("csa_flag", "cse_flag"), ("offences",), "Offences by the police's CSA flag and CSE flag: exploitation "
         "is a form of abuse, so an offence flagged CSE but not CSA shows the two flags are used apart.",
         chart=False),
    Spec("referrals_by_council_and_cse_concern", "Children's social care referrals with a CSE concern",
         "Recording quality", ("council", "cse_concern"), ("referrals",), "Referrals to children's social care "
         "by council, and whether child sexual exploitation was recorded as a concern at assessment.",
         view="r_referral", grouping="nested", share=True, chart=False),
    Spec("cse_flag_use_by_force", "Use of the CSE flag by police force", "Recording quality", ("force", "cse_flag"),
         ("offences",), "Offences each force flagged as child sexual exploitation; a low percentage may mean the "
         "flag is not used, not that there is no exploitation.", grouping="nested", share=True, chart=False),
)


def _order(value: Any) -> tuple[int, int, float, str]:
    """Reading order: categories (numerically where they start with a number), then unknowns, then Total."""
    text = str(value)
    leading = re.match(r"\d+", text)
    unknown = text in (NOT_RECORDED, NOT_STATED, "Other", "Not known", "Other outcome")
    return int(text == TOTAL), int(unknown), float(leading.group()) if leading else math.inf, text


def _sets(spec: Spec) -> str:
    dims = spec.dimensions
    if spec.grouping == "nested":
        return ", ".join("(" + ", ".join(dims[:i]) + ")" for i in range(len(dims), -1, -1))
    return f"CUBE ({', '.join(dims)})"


def _poisson_interval(rows: list[dict[str, Any]], measure: str) -> list[str]:
    """Exact (Garwood) 95% limits for a count: shown only where the count is, so they reveal nothing more."""
    lower, upper = f"{measure}_lower_95", f"{measure}_upper_95"
    for row in rows:
        row[lower], row[upper] = (round(v, 1) for v in garwood(int(row[measure])))
    return [lower, upper]


def covered_population(con: duckdb.DuckDBPyConnection, population: Population) -> tuple[float, str] | None:
    """The child population of the area the offences cover, with how it was found; None when not known.

    The sum over the forces that submitted offences where every one of them has a population, else the
    national figure only if every territorial force submitted: a rate over all children of England and
    Wales would understate a warehouse that holds only some forces.
    """
    forces = _labels(con)["force"]
    submitted = sorted({r[0] for r in con.execute("SELECT DISTINCT source FROM current_offence").fetchall()}
                       & set(forces))
    if not submitted:
        return None
    found = {code: population.children(code) for code in submitted}
    if all(found.values()):
        total = sum(v[0] for v in found.values() if v)
        if len(submitted) == len(forces):
            return total, f"children aged 0 to 17 in the {len(forces)} police force areas ({total:,.0f})"
        return total, (f"children aged 0 to 17 in the {len(submitted)} police force areas that submitted offences "
                       f"({total:,.0f})")
    national = population.children(NATIONAL)
    if national and len(submitted) == len(forces):
        used = "; ".join(f"{f.geography} {f.value:,.0f}, {f.period}, {f.status}" for f in national[1])
        return national[0], f"children aged 0 to 17 in England and Wales ({national[0]:,.0f}: {used})"
    return None


def _rates(con: duckdb.DuckDBPyConnection, spec: Spec, population: Population) -> list[Rate]:
    """The rate columns of a table: the covered child population for every row, or one per area of ``rate_by``."""
    covered = covered_population(con, population)
    populations: dict[str, float] = {TOTAL: covered[0]} if covered else {}
    if spec.rate_by:
        for code, label in _labels(con).get(spec.rate_by, {}).items():
            found = population.children(code)
            if found:
                populations[label] = found[0]
    return [Rate(f"{m}_per_10000_children", m, populations, by=spec.rate_by, interval=spec.rate_by is None,
                 basis=covered[1] if covered else "") for m in spec.rates]


def build(con: duckdb.DuckDBPyConnection, spec: Spec, population: Population | None = None) -> ReleaseTable:
    """Run one table's query and return it with its totals, ordered for reading (totals last)."""
    dims = list(spec.dimensions)
    selected = ", ".join(f"CASE WHEN grouping({d}) = 1 THEN '{TOTAL}' ELSE CAST({d} AS VARCHAR) END AS {d}"
                         for d in dims)
    if spec.view == "r_person":
        measures = [f"count(*) AS {m}" for m in spec.measures]
        where = f"WHERE role = '{spec.role}'"
    else:
        measures = [f"{spec.measure_sql.get(m) or MEASURE_SQL[m]} AS {m}" for m in spec.measures]
        where = ""
    measures += [f"{sql} AS {column}" for column, sql in spec.extra.items()]
    sql = f"SELECT {selected}, {', '.join(measures)} FROM {spec.view} {where} GROUP BY GROUPING SETS ({_sets(spec)})"
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
    rows.sort(key=lambda row: tuple(_order(row[d]) for d in dims))
    for row in rows:
        for column in spec.extra:
            if row[column] is not None:
                row[column] = round(float(row[column]), 1)
    extra = list(spec.extra)
    if spec.interval:
        extra += _poisson_interval(rows, spec.measures[0])
    relations = {m: Relation.union if m in spec.union else Relation.sum for m in spec.measures}
    first = spec.measures[0]
    derived = [Derived(SHARE.column, (first,), (f"@total:{first}",))] if spec.share else []
    population = population or load_population()
    references = []
    if spec.compare:
        derived.append(Derived("percent_of_recorded", (first,), (f"@total:{first}",),
                               minus=(f"@row:{NOT_RECORDED}:{first}", f"@row:{NOT_STATED}:{first}")))
        references.append(Reference("population_percent", population.shares(dims[-1])))
    rates = _rates(con, spec, population) if spec.rates else []
    return ReleaseTable(spec.name, spec.title, spec.section, dims, list(spec.measures), rows, relations, derived,
                        extra, gate=first, description=spec.description,
                        chart=(dims[-1], first) if spec.chart else None, rates=rates, references=references)


def _labels(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Code to label, per geography dimension, as the views name areas (``r_force``, ``r_council``)."""
    return {"force": dict(con.execute("SELECT code, label FROM r_force").fetchall()),
            "council": dict(con.execute("SELECT code, label FROM r_council").fetchall())}


def build_all(con: duckdb.DuckDBPyConnection, specs: tuple[Spec, ...] = SPECS,
              population: Population | None = None) -> list[ReleaseTable]:
    """Every count table of the report, in reading order."""
    population = population or load_population()
    return [build(con, spec, population) for spec in specs]
