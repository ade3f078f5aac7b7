"""Disclosure control: an attacker who knows every published number tries to recover each `[c]` cell.

The attacker here is a brute force that shares no code with the audit: it enumerates every whole-number
completion of the withheld cells that agrees with all the published tables, and reads off the interval of
values each withheld cell can take. Every interval must be safe by DESIGN.md's rule, and must equal the
interval the audit (integer programming) proves, so the audit is checked against an oracle too.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from clearsight.report.disclosure import Auditor, audit, protect
from clearsight.report.release import TOTAL, CellKey, CellStatus, Release, ReleaseTable

T = 5


def _two_way(name: str, rows: list[str], columns: list[str], interior: list[list[int]], row_dim: str = "area",
             column_dim: str = "sex") -> ReleaseTable:
    """A table of counts with its row, column and grand totals, in the tidy long form the report uses."""
    cells = []
    for i, r in enumerate([*rows, TOTAL]):
        for j, c in enumerate([*columns, TOTAL]):
            value = sum(interior[a][b] for a in range(len(rows)) for b in range(len(columns))
                        if (r == TOTAL or a == i) and (c == TOTAL or b == j))
            cells.append({row_dim: r, column_dim: c, "victims": value})
    return ReleaseTable(name, name, "test", [row_dim, column_dim], ["victims"], cells)


def _one_way(name: str, dimension: str, counts: dict[str, int]) -> ReleaseTable:
    rows = [{dimension: k, "victims": v} for k, v in counts.items()]
    rows.append({dimension: TOTAL, "victims": sum(counts.values())})
    return ReleaseTable(name, name, "test", [dimension], ["victims"], rows)


def _fits(total: int, constant: int, variables: list[int], index: int, order: list[CellKey],
          world: dict[CellKey, int]) -> bool:
    assigned = constant + sum(world[order[v]] for v in variables if v <= index)
    unassigned = sum(1 for v in variables if v > index)
    return assigned + unassigned == total if unassigned == 0 else assigned + unassigned <= total


def brute_force_intervals(release: Release, withheld: set[CellKey], limit: int = 30_000,
                          ) -> dict[CellKey, tuple[int, float]] | None:
    """Every withheld cell's [lo, hi] over all completions consistent with the release; None if too many.

    It enumerates the withheld innermost cells (rows with no Total) depth first, each from 1 (zeros are
    published) to a cap, works every total out as the sum of the innermost cells beneath it, and keeps the
    completions where every published total matches and every cell shared by two tables agrees. Only
    additive tables are attacked this way. A withheld cell reaching the cap counts as unbounded.
    """
    values = release.values()
    slack = 16  # at most this many withheld innermost cells; totals reaching cap - slack are unbounded
    cap = sum(v for k, v in values.items() if not k[1]) + 2 * T + 1 + slack
    leaves: list[CellKey] = []
    totals: list[tuple[CellKey, list[CellKey]]] = []
    for table in release.tables:
        inner = [table.key(r, m) for r in table.rows for m in table.measures
                 if all(r[d] != TOTAL for d in table.dimensions)]
        leaves.extend(k for k in inner if k not in leaves)
        for row in table.rows:
            if any(row[d] == TOTAL for d in table.dimensions):
                for measure in table.measures:
                    key = table.key(row, measure)
                    beneath = [k for k in inner if k[0] == measure and set(key[1]) <= set(k[1])]
                    totals.append((key, beneath))
    order = sorted(k for k in leaves if k in withheld)
    if len(order) > slack:
        return None
    position = {k: i for i, k in enumerate(order)}
    upper = {k: min([cap, *(values[t] for t, b in totals if k in b and t not in withheld)]) for k in order}
    checks: list[list[tuple[int, int, list[int]]]] = [[] for _ in order]
    final: list[tuple[CellKey, list[CellKey]]] = []
    for key, beneath in totals:
        variables = [position[k] for k in beneath if k in position]
        if variables and key not in withheld:
            constant = sum(values[k] for k in beneath if k not in position)
            for variable in variables:  # prune: assigned + one for each unassigned must not pass the total
                checks[variable].append((values[key], constant, variables))
        else:
            final.append((key, beneath))
    seen: dict[CellKey, list[float]] = {k: [math.inf, -math.inf] for k in withheld}
    world = dict(values)
    visited = 0

    def descend(index: int) -> bool:
        nonlocal visited
        visited += 1
        if visited > limit:
            return False
        if index == len(order):
            derived: dict[CellKey, int] = {}
            for key, beneath in final:
                value = sum(world[k] for k in beneath)
                if key not in withheld and value != values[key]:
                    return True
                if derived.setdefault(key, value) != value:
                    return True
            for key in withheld:
                value = derived.get(key, world[key])
                seen[key][0] = min(seen[key][0], value)
                seen[key][1] = max(seen[key][1], math.inf if value >= cap - slack else value)
            return True
        key = order[index]
        for value in range(1, upper[key] + 1):
            world[key] = value
            if all(_fits(total, constant, variables, index, order, world)
                   for total, constant, variables in checks[index]):
                if not descend(index + 1):
                    return False
        return True

    if not descend(0):
        return None
    return {k: (int(lo), hi) for k, (lo, hi) in seen.items()}


def _unsafe(lo: float, hi: float) -> bool:
    return lo < T and (hi - lo < T or hi < T)


def test_the_classic_case_two_ones_in_a_row_of_two_is_caught() -> None:
    table = _one_way("sex", "sex", {"Female": 1, "Male": 1, "Not recorded": 0})
    release = Release([table], threshold=T)
    small = {table.key(r, "victims") for r in table.rows if r["sex"] in ("Female", "Male")}
    exposed = audit(release, small)
    assert {i.key for i in exposed} == small
    assert all(i.lo == 1 and i.hi == 1 for i in exposed)


def test_not_recovered_exactly_is_not_enough() -> None:
    """1 and 2 in a row of 3: neither is recovered exactly (each is 1 or 2), yet both are exposed."""
    table = _one_way("sex", "sex", {"Female": 1, "Male": 2, "Other": 0})
    release = Release([table], threshold=T)
    keys = {table.key(r, "victims") for r in table.rows if r["sex"] in ("Female", "Male")}
    exposed = audit(release, keys)
    assert {i.key for i in exposed} == keys
    assert all((i.lo, i.hi) == (1, 2) for i in exposed)
    oracle = brute_force_intervals(release, keys)
    assert oracle is not None and set(oracle.values()) == {(1, 2)}


def test_protect_makes_the_classic_case_safe() -> None:
    table = _one_way("sex", "sex", {"Female": 1, "Male": 1, "Not recorded": 0, "Not stated": 40})
    release = Release([table], threshold=T)
    protection = protect(release)
    withheld = {k for k, s in protection.status.items() if s is not CellStatus.published}
    assert not audit(release, withheld)
    assert protection.status[table.key(table.rows[2], "victims")] is CellStatus.published  # the zero


def _check(release: Release) -> None:
    protection = protect(release)
    withheld = {k for k, s in protection.status.items() if s is not CellStatus.published}
    values = release.values()
    assert {k for k, v in values.items() if 0 < v < T} <= withheld
    assert all(values[k] > 0 for k in withheld), "a zero was withheld: zeros are published as 0"
    oracle = brute_force_intervals(release, withheld)
    assume(oracle is not None)
    proved = {i.key: i for i in Auditor(values, release.constraints()).intervals(withheld)}
    for key, (lo, hi) in oracle.items():
        assert not _unsafe(lo, hi), f"{key} (true value {values[key]}) recoverable to [{lo}, {hi}]"
        assert proved[key].lo == lo
        assert proved[key].hi == hi or (hi == math.inf and proved[key].hi >= lo + T)


counts = st.sampled_from([0, 0, 1, 1, 2, 3, 4, 5, 7, 12])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(st.integers(2, 3).flatmap(lambda r: st.integers(2, 3).flatmap(
    lambda c: st.lists(st.lists(counts, min_size=c, max_size=c), min_size=r, max_size=r))))
def test_an_attacker_cannot_recover_any_withheld_cell_of_a_random_table(interior: list[list[int]]) -> None:
    rows = [f"area {i}" for i in range(len(interior))]
    columns = [f"sex {j}" for j in range(len(interior[0]))]
    _check(Release([_two_way("t", rows, columns, interior)], threshold=T))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(st.lists(st.lists(counts, min_size=2, max_size=2), min_size=2, max_size=2),
       st.lists(counts, min_size=2, max_size=2))
def test_linked_tables_are_attacked_together(interior: list[list[int]], split: list[int]) -> None:
    """A second table shares the first's row totals and grand total: the attacker combines them."""
    first = _two_way("by_area_and_sex", ["north", "south"], ["F", "M"], interior)
    north = sum(interior[0])
    # the second table splits 'north' differently (by age), so its cells must add up to the same total
    young = min(split[0], north)
    second = _two_way("by_area_and_age", ["north", "south"], ["child", "adult"],
                      [[young, north - young], [split[1], sum(interior[1]) - split[1]]] if split[1] <= sum(interior[1])
                      else [[young, north - young], [sum(interior[1]), 0]], column_dim="age")
    _check(Release([first, second], threshold=T))


def test_seeded_random_tables_are_safe() -> None:
    generator = random.Random(20261125)
    checked = 0
    for _ in range(30):
        interior = [[generator.choice([0, 1, 2, 3, 4, 6, 9]) for _ in range(3)] for _ in range(2)]
        release = Release([_two_way("t", ["a", "b"], ["x", "y", "z"], interior)], threshold=T)
        protection = protect(release)
        withheld = {k for k, s in protection.status.items() if s is not CellStatus.published}
        oracle = brute_force_intervals(release, withheld)
        if oracle is None:
            continue
        checked += 1
        assert not any(_unsafe(lo, hi) for lo, hi in oracle.values())
    assert checked >= 10


def test_a_cell_shared_by_two_tables_must_agree() -> None:
    first = _one_way("a", "sex", {"F": 7, "M": 8})
    second = _one_way("b", "sex", {"F": 6, "M": 8})
    with pytest.raises(ValueError, match="in one table"):
        Release([first, second]).values()


def test_protection_is_deterministic() -> None:
    interior = [[1, 7, 0], [3, 12, 2], [5, 1, 9]]
    runs = [protect(Release([_two_way("t", ["a", "b", "c"], ["x", "y", "z"], interior)])).status for _ in range(2)]
    assert runs[0] == runs[1]


def test_people_in_two_areas_bound_a_total_only_from_both_sides() -> None:
    """Victims in force A (3) and B (9), 10 in all: one victim is in both, so the total is not a sum."""
    from clearsight.report.release import Relation

    rows = [{"force": "A", "victims": 3}, {"force": "B", "victims": 9}, {"force": TOTAL, "victims": 10}]
    table = ReleaseTable("t", "t", "test", ["force"], ["victims"], rows, {"victims": Relation.union})
    release = Release([table], threshold=T)
    small = table.key(rows[0], "victims")
    interval = Auditor(release.values(), release.constraints()).intervals({small})[0]
    assert (interval.lo, interval.hi) == (1, 10)  # A + 9 >= 10 and A <= 10; a sum would have pinned A = 1
    assert not audit(release, {small})


def test_a_rate_gives_nothing_away_that_its_count_does_not() -> None:
    """A rate times its (public) population is the count: the attacker multiplies back every published rate.

    Rates of withheld counts must be withheld; every rate shown must come from a count shown; areas with no
    known population get `[x]`, never a guess.
    """
    from clearsight.report.publish import NOT_AVAILABLE, SUPPRESSED, published_rows
    from clearsight.report.release import Rate

    generator = random.Random(8)
    for _ in range(20):
        counts = {f"force {i}": generator.choice([0, 1, 2, 3, 4, 6, 9, 40]) for i in range(4)}
        table = _one_way("by_force", "force", counts)
        people = {f"force {i}": 1000 * (i + 1) for i in range(3)}  # force 3's population is not known
        table.rates = [Rate("victims_per_10000_children", "victims", {**people, TOTAL: 10_000}, by="force",
                            interval=True)]
        release = Release([table], threshold=T)
        table.status = protect(release).status
        values = release.values()
        for row in published_rows(table, values, T):
            rate = row["victims_per_10000_children"]
            if row["victims"] == SUPPRESSED:
                assert rate == SUPPRESSED and row["victims_per_10000_children_upper_95"] == SUPPRESSED
                continue
            if row["force"] == "force 3":
                assert rate == NOT_AVAILABLE
                continue
            population = {**people, TOTAL: 10_000}[row["force"]]
            recovered = rate * population / 10_000
            assert abs(recovered - row["victims"]) <= 0.05 * population / 10_000  # only the published count
