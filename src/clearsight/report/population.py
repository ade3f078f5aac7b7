"""Population reference figures for rates per 10,000 children and for demographic comparisons.

The figures come from ``data/population.csv`` (official sources, one per row, with a ``status``), or from
a file of the same columns that the user supplies (``clearsight report --population FILE``), for example
the ONS mid-year estimates of children aged 0 to 17 by police force area, which this build could not read.
No figure is ever filled in: where a population is not known the rate is published as ``[x]`` and the
report says so. Rows marked ``unconfirmed`` are ignored.

A rate is a count divided by a known number, so a rate of a withheld count would give the count away:
:func:`clearsight.report.publish.published_rows` withholds a rate, and its interval, with its count.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from clearsight.errors import ClearsightError

COLUMNS = ("geography_code", "geography", "measure", "category", "value", "unit", "period", "status", "source",
           "note")
CHILDREN = "children_0_17"
NATIONAL = "K04000001"
NATIONS = ("E92000001", "W92000004")
SHARES = {"sex": "usual_residents_by_sex", "ethnicity_self_defined": "percent_by_ethnic_group"}
USABLE = {"confirmed", "partial", "derived"}


@dataclass(frozen=True)
class Figure:
    """One reference figure with where it came from."""

    geography_code: str
    geography: str
    measure: str
    category: str
    value: float
    period: str
    status: str
    source: str


@dataclass
class Population:
    """The reference figures the report may use, looked up by geography code, measure and category."""

    figures: list[Figure] = field(default_factory=list)
    origin: str = "packaged"

    def get(self, code: str, measure: str, category: str = "All") -> Figure | None:
        """The figure for one geography, or None where it is not known."""
        for figure in self.figures:
            if (figure.geography_code, figure.measure, figure.category) == (code, measure, category):
                return figure
        return None

    def children(self, code: str) -> tuple[float, list[Figure]] | None:
        """Children aged 0 to 17 in a geography, with the figures used; England and Wales from its nations."""
        figure = self.get(code, CHILDREN)
        if figure is not None:
            return figure.value, [figure]
        if code == NATIONAL:
            parts = [self.get(nation, CHILDREN) for nation in NATIONS]
            if all(part is not None for part in parts):
                used = [p for p in parts if p is not None]
                return sum(p.value for p in used), used
        return None

    def shares(self, dimension: str) -> dict[str, float]:
        """Percentages of the national population by category (sex, ethnic group), where known."""
        measure = SHARES.get(dimension)
        rows = [f for f in self.figures if f.geography_code == NATIONAL and f.measure == measure]
        if not rows:
            return {}
        if all(f.measure.startswith("percent") for f in rows):
            return {f.category: f.value for f in rows}
        total = sum(f.value for f in rows)
        return {f.category: round(100 * f.value / total, 1) for f in rows}

    def sources(self, measure: str) -> list[Figure]:
        """Every figure of one measure, for the report's notes."""
        return [f for f in self.figures if f.measure == measure]


def load_population(path: Path | str | None = None) -> Population:
    """Read the packaged reference figures, or a user's file of the same columns (errors name row and field)."""
    if path is None:
        text = resources.files("clearsight.report").joinpath("data/population.csv").read_text(encoding="utf-8")
        origin = "packaged"
    else:
        path = Path(path)
        if not path.is_file():
            raise ClearsightError(f"{path}: no population file here")
        text = path.read_text(encoding="utf-8-sig")
        origin = path.name
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in ("geography_code", "measure", "category", "value", "status", "source")
               if c not in (reader.fieldnames or [])]
    if missing:
        raise ClearsightError(f"{origin}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    figures = []
    for number, row in enumerate(reader, start=2):
        if (row.get("status") or "").strip() not in USABLE:
            continue
        raw = (row.get("value") or "").strip().replace(",", "")
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError:
            raise ClearsightError(f"{origin}: row {number}, field value: not a number") from None
        if value < 0:
            raise ClearsightError(f"{origin}: row {number}, field value: a population cannot be negative")
        if not (row.get("source") or "").strip():
            raise ClearsightError(f"{origin}: row {number}, field source: every figure must cite its source")
        figures.append(Figure(row["geography_code"].strip(), (row.get("geography") or "").strip(),
                              row["measure"].strip(), (row.get("category") or "All").strip() or "All", value,
                              (row.get("period") or "").strip(), row["status"].strip(), row["source"].strip()))
    return Population(figures, origin)
