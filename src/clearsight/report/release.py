"""The release as data: tidy tables whose count cells are shared, keyed variables of one linear system.

Disclosure control must look at the whole release at once (DESIGN.md), so every count cell is keyed by
what it counts and where, not by the table it sits in: ``("offences", (("force", "E23000002"),))`` is the
same number in the table by force and in the table of CSE flag use by force. Totals are the absence of a
dimension (the ``Total`` category), which is why a grand total is shared by every table. Each table then
states how its cells add up: offences add up exactly; distinct people may be counted in more than one
category (a victim of offences in two forces), so their totals are only bounded by their parts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

TOTAL = "Total"
CellKey = tuple[str, tuple[tuple[str, str], ...]]


class Relation(StrEnum):
    """How a total relates to its parts: ``sum`` exactly, or ``union`` (total ≤ sum, each part ≤ total)."""

    sum = "sum"
    union = "union"


class CellStatus(StrEnum):
    """Why a count cell is shown or not; `[c]` cells are primary or secondary suppressions."""

    published = "published"
    primary = "primary"
    secondary = "secondary"


@dataclass(frozen=True)
class Derived:
    """A percentage or rate worked out from count cells; it is withheld when any of its inputs is."""

    column: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    scale: float = 100.0
    minus: tuple[str, ...] = ()  # subtracted from the denominator ("@row:<category>:<measure>" references)


@dataclass(frozen=True)
class Rate:
    """A count per ``per`` people of a known population, e.g. offences per 10,000 children.

    ``populations`` maps the value of the row's ``by`` dimension (``Total`` for the whole country, or every
    row when ``by`` is None) to its population; a row without one publishes ``[x]``. A rate times its
    population is the count, so a rate (and its interval) is withheld whenever its count is.
    """

    column: str
    measure: str
    populations: dict[str, float]
    by: str | None = None
    per: int = 10_000
    interval: bool = False
    basis: str = ""  # which population the whole-country rows use, in words ("" when none is known)


@dataclass(frozen=True)
class Reference:
    """A published outside figure beside each category (the population's percentage), not a count."""

    column: str
    values: dict[str, float]


@dataclass
class ReleaseTable:
    """One published table in tidy form: dimension columns, then count columns, then derived columns.

    ``rows`` hold the true values; ``status`` (filled by disclosure control) says which cells are shown.
    ``derived`` columns are computed per row from the row's own measures (numerator/denominator name
    measures of the same row, or ``"@total:<measure>"`` for the same measure in the row whose last
    dimension is ``Total``). ``extra`` columns are non-count statistics (medians) shown only when the
    row's ``gate`` measure is published and at least the threshold.
    """

    name: str
    title: str
    section: str
    dimensions: list[str]
    measures: list[str]
    rows: list[dict[str, Any]]
    relations: dict[str, Relation] = field(default_factory=dict)
    derived: list[Derived] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    gate: str | None = None
    description: str = ""
    notes: list[str] = field(default_factory=list)
    chart: tuple[str, str] | None = None  # (dimension, measure) to draw as bars
    status: dict[CellKey, CellStatus] = field(default_factory=dict)
    rates: list[Rate] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)

    def columns(self) -> list[str]:
        """The CSV header: dimensions, counts, derived shares, extra statistics, rates, outside references."""
        rates = [c for r in self.rates for c in (r.column, *((f"{r.column}_lower_95", f"{r.column}_upper_95")
                                                            if r.interval else ()))]
        return [*self.dimensions, *self.measures, *(d.column for d in self.derived), *self.extra, *rates,
                *(r.column for r in self.references)]

    def key(self, row: dict[str, Any], measure: str) -> CellKey:
        """The release-wide key of one count cell: the measure and its non-Total dimension values."""
        return measure, tuple((d, str(row[d])) for d in sorted(self.dimensions) if row[d] != TOTAL)

    def cells(self) -> Iterator[tuple[CellKey, int]]:
        """Every count cell of the table with its true value."""
        for row in self.rows:
            for measure in self.measures:
                yield self.key(row, measure), int(row[measure])

    def constraints(self) -> Iterator[tuple[CellKey, list[CellKey], Relation]]:
        """Each total with its parts: for every dimension, rows equal in all other dimensions add up."""
        index = {tuple(row[d] for d in self.dimensions): row for row in self.rows}
        for position in range(len(self.dimensions)):
            groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
            for values, row in index.items():
                if values[position] != TOTAL:
                    groups[values[:position] + values[position + 1:]].append(row)
            for rest, parts in sorted(groups.items(), key=lambda item: str(item[0])):
                total_row = index.get(rest[:position] + (TOTAL,) + rest[position:])
                if total_row is None:
                    continue
                for measure in self.measures:
                    yield (self.key(total_row, measure), [self.key(p, measure) for p in parts],
                           self.relations.get(measure, Relation.sum))


@dataclass
class Release:
    """All the tables of one report, with the cell registry that disclosure control works on."""

    tables: list[ReleaseTable]
    threshold: int = 5

    def values(self) -> dict[CellKey, int]:
        """Every count cell once; a key holding two different values is a bug in a table's definition."""
        values: dict[CellKey, int] = {}
        for table in self.tables:
            for key, value in table.cells():
                if values.setdefault(key, value) != value:
                    raise ValueError(f"cell {key} is {values[key]} in one table and {value} in {table.name}")
        return values

    def constraints(self) -> list[tuple[CellKey, list[CellKey], Relation]]:
        """Every additive relation in the release, each once."""
        seen: set[tuple[CellKey, tuple[CellKey, ...], Relation]] = set()
        out = []
        for table in self.tables:
            for total, parts, relation in table.constraints():
                marker = (total, tuple(sorted(parts)), relation)
                if marker not in seen:
                    seen.add(marker)
                    out.append((total, parts, relation))
        return out
