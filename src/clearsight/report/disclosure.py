"""Disclosure control over the whole release: primary and secondary suppression, and the audit that proves it.

The audit is the one DESIGN.md defines (τ-Argus's, with sliding protection): for every `[c]` cell, find the
interval [lo, hi] an outsider can prove from everything published, by integer programming over the
suppressed cells with every total, subtotal and shared cell as a constraint. Because zeros are published
as 0, an outsider knows a `[c]` cell is at least 1, and the audit gives the attacker that knowledge too.
A cell is unsafe when lo < T and (hi − lo < P or hi < T). Suppression adds secondary cells, smallest first,
until the audit finds nothing unsafe; the audit, not the heuristic, is what makes the release safe.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from clearsight.report.release import CellKey, CellStatus, Relation, Release

Constraint = tuple[CellKey, list[CellKey], Relation]


@dataclass(frozen=True)
class Interval:
    """What an outsider can prove about one suppressed cell."""

    key: CellKey
    value: int
    lo: float
    hi: float

    def unsafe(self, threshold: int, protection: int) -> bool:
        """DESIGN.md's rule: a small lower bound with a narrow or small interval exposes the cell."""
        return self.lo < threshold and (self.hi - self.lo < protection or self.hi < threshold)


class _Components:
    """Union-find over suppressed cells that share a constraint: each group is audited on its own."""

    def __init__(self, keys: Iterable[CellKey]) -> None:
        self.parent = {key: key for key in keys}

    def find(self, key: CellKey) -> CellKey:
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a: CellKey, b: CellKey) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _rows(constraint: Constraint) -> list[tuple[dict[CellKey, float], float, float]]:
    """A constraint as linear rows ``(coefficients, lower, upper)`` over all its cells."""
    total, parts, relation = constraint
    if relation is Relation.sum:
        coefficients: dict[CellKey, float] = defaultdict(float)
        coefficients[total] += 1.0
        for part in parts:
            coefficients[part] -= 1.0
        return [(dict(coefficients), 0.0, 0.0)]
    rows: list[tuple[dict[CellKey, float], float, float]] = []
    union: dict[CellKey, float] = defaultdict(float)
    union[total] -= 1.0
    for part in parts:
        union[part] += 1.0
        rows.append(({part: 1.0, total: -1.0}, -math.inf, 0.0))
    rows.append((dict(union), 0.0, math.inf))
    return rows


def _solve_component(variables: list[CellKey], constraints: list[Constraint], values: dict[CellKey, int],
                     ) -> list[Interval]:
    """Minimise and maximise each suppressed cell of one component subject to everything published."""
    position = {key: i for i, key in enumerate(variables)}
    matrix, lower, upper = [], [], []
    for constraint in constraints:
        for coefficients, lo, hi in _rows(constraint):
            row = np.zeros(len(variables))
            constant = 0.0
            for key, coefficient in coefficients.items():
                if key in position:
                    row[position[key]] += coefficient
                else:
                    constant += coefficient * values[key]
            if np.any(row):
                matrix.append(row)
                lower.append(lo - constant)
                upper.append(hi - constant)
    linear = [LinearConstraint(np.array(matrix), np.array(lower), np.array(upper))] if matrix else []
    integrality = np.ones(len(variables))
    # A finite ceiling far above any count keeps every program bounded (HiGHS then always answers
    # "optimal"); reaching it means the outsider cannot bound the cell at all.
    ceiling = 10.0 * (sum(values.values()) + 10)
    bounds = Bounds(np.ones(len(variables)), np.full(len(variables), ceiling))
    intervals = []
    for key in variables:
        objective = np.zeros(len(variables))
        objective[position[key]] = 1.0
        bound = []
        for sign in (1.0, -1.0):
            result = milp(sign * objective, integrality=integrality, bounds=bounds, constraints=linear)
            if result.status != 0:
                raise RuntimeError(f"the audit could not bound {key}: {result.message}")
            value = round(sign * result.fun)
            bound.append(math.inf if value >= ceiling else value)
        intervals.append(Interval(key, values[key], bound[0], bound[1]))
    return intervals


class Auditor:
    """Proves intervals for suppressed cells, remembering components already solved."""

    def __init__(self, values: dict[CellKey, int], constraints: list[Constraint]) -> None:
        self.values = values
        self.constraints = constraints
        self.member_of: dict[CellKey, list[int]] = defaultdict(list)
        for index, (total, parts, _) in enumerate(constraints):
            for key in {total, *parts}:
                self.member_of[key].append(index)
        self._cache: dict[frozenset[CellKey], list[Interval]] = {}

    def intervals(self, suppressed: set[CellKey]) -> list[Interval]:
        """Every suppressed cell's provable interval, in a stable order."""
        components = _Components(suppressed)
        for key in suppressed:
            for index in self.member_of.get(key, []):
                total, parts, _ = self.constraints[index]
                for other in (total, *parts):
                    if other in suppressed:
                        components.union(key, other)
        groups: dict[CellKey, list[CellKey]] = defaultdict(list)
        for key in sorted(suppressed):
            groups[components.find(key)].append(key)
        found: list[Interval] = []
        for variables in groups.values():
            signature = frozenset(variables)
            if signature not in self._cache:
                touching = sorted({i for key in variables for i in self.member_of.get(key, [])})
                self._cache[signature] = _solve_component(
                    variables, [self.constraints[i] for i in touching], self.values)
            found.extend(self._cache[signature])
        return sorted(found, key=lambda interval: interval.key)


def audit(release: Release, suppressed: set[CellKey], protection: int | None = None) -> list[Interval]:
    """The cells of ``suppressed`` that an outsider could pin down too closely (empty means safe)."""
    threshold = release.threshold
    auditor = Auditor(release.values(), release.constraints())
    return [i for i in auditor.intervals(suppressed) if i.unsafe(threshold, protection or threshold)]


@dataclass
class Protection:
    """The outcome of disclosure control: which cells are withheld, why, and the audit's proof."""

    status: dict[CellKey, CellStatus]
    reasons: dict[CellKey, str]
    intervals: dict[CellKey, Interval]
    rounds: int


def _candidate(key: CellKey, auditor: Auditor, suppressed: set[CellKey]) -> CellKey | None:
    """The cell to withhold next to protect ``key``: the smallest non-zero shown cell sharing a total with it.

    Cells nearest ``key`` come first, parts before totals, smaller before larger; the grand total of a
    measure only when nothing else is left, because withholding it hides every table's headline. When every
    cell beside ``key`` is withheld already, the search widens through the withheld cells it is tied to.
    """
    frontier, seen, level = [key], {key}, 0
    best: tuple[int, int, int, int, CellKey] | None = None
    while frontier:
        following: list[CellKey] = []
        for cell in frontier:
            for index in auditor.member_of.get(cell, []):
                total, parts, _ = auditor.constraints[index]
                for other in (total, *parts):
                    value = auditor.values[other]
                    if other in suppressed:
                        if other not in seen:
                            seen.add(other)
                            following.append(other)
                    elif value != 0:
                        rank = (int(not other[1]), level, int(other == total), value, other)
                        best = rank if best is None or rank < best else best
        if best is not None and not best[0]:
            return best[4]
        frontier, level = sorted(following), level + 1
    return None if best is None else best[4]


def _prune(auditor: Auditor, suppressed: set[CellKey], primary: set[CellKey], intervals: list[Interval],
           threshold: int, width: int, limit: int) -> tuple[set[CellKey], list[Interval]]:
    """Show again each secondary cell, largest first, whose withholding the final release turns out not to need.

    Greedy suppression over-withholds (a cell added early may be made redundant by one added later); each
    trial re-runs the audit (only the changed component is solved again) and keeps the cell shown only if
    the whole release stays safe.
    """
    secondary = sorted(suppressed - primary, key=lambda key: (-auditor.values[key], key))
    for key in secondary[:limit]:
        trial = suppressed - {key}
        found = auditor.intervals(trial)
        if not any(i.unsafe(threshold, width) for i in found):
            suppressed, intervals = trial, found
    return suppressed, intervals


def protect(release: Release, protection: int | None = None, max_rounds: int = 500, max_prune: int = 400,
            ) -> Protection:
    """Suppress small counts, then add secondary suppressions until the whole-release audit passes."""
    threshold = release.threshold
    width = protection or threshold
    values = release.values()
    auditor = Auditor(values, release.constraints())
    primary = {key for key, value in values.items() if 0 < value < threshold}
    suppressed = set(primary)
    reasons = {key: f"primary: a count from 1 to {threshold - 1}" for key in primary}
    changed = True
    while changed:  # cheap first pass: no total may have exactly one withheld cell
        changed = False
        for total, parts, _ in auditor.constraints:
            members = {total, *parts}
            withheld = sorted(members & suppressed)
            if len(withheld) == 1:
                extra = _candidate(withheld[0], auditor, suppressed)
                if extra is not None:
                    suppressed.add(extra)
                    reasons[extra] = f"secondary: protects {_describe(withheld[0])}"
                    changed = True
    rounds = 0
    while True:
        rounds += 1
        intervals = auditor.intervals(suppressed)
        exposed = [i for i in intervals if i.unsafe(threshold, width)]
        if not exposed:
            break
        if rounds > max_rounds:
            raise RuntimeError(f"disclosure control did not converge after {max_rounds} rounds")
        added = False
        for interval in exposed:
            extra = _candidate(interval.key, auditor, suppressed)
            if extra is not None:
                suppressed.add(extra)
                reasons[extra] = f"secondary: protects {_describe(interval.key)}"
                added = True
        if not added:
            raise RuntimeError(f"cannot protect {exposed[0].key}: no cell left to withhold beside it")
    suppressed, intervals = _prune(auditor, suppressed, primary, intervals, threshold, width, max_prune)
    # A withheld cell the release already pins to one value hides nothing: show it. The outsider's set of
    # possible tables is unchanged by this, so every other interval, and the audit's verdict, stays the same.
    implied = {i.key for i in intervals if i.lo == i.hi and i.key not in primary}
    suppressed -= implied
    intervals = [i for i in intervals if i.key not in implied]
    status = {key: (CellStatus.primary if key in primary else CellStatus.secondary if key in suppressed
                    else CellStatus.published) for key in values}
    return Protection(status, {k: reasons[k] for k in sorted(suppressed)}, {i.key: i for i in intervals}, rounds)


def _describe(key: CellKey) -> str:
    measure, dims = key
    where = ", ".join(f"{d}={v}" for d, v in dims) or "all"
    return f"{measure} ({where})"
