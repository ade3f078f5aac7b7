"""Group detection against slow, obvious oracles on random graphs, and Leiden only where it is needed."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from clearsight.networks.groups import core_members, detect


def _components_oracle(n: int, edges: list[tuple[int, int]]) -> list[frozenset[int]]:
    """Union-find written the plain way."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        parent[find(a)] = find(b)
    found: dict[int, set[int]] = {}
    for node in range(n):
        found.setdefault(find(node), set()).add(node)
    return sorted(frozenset(c) for c in found.values())


def _partition(labels: np.ndarray) -> list[frozenset[int]]:
    found: dict[int, set[int]] = {}
    for node, label in enumerate(labels.tolist()):
        found.setdefault(label, set()).add(node)
    return sorted(frozenset(c) for c in found.values())


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=80))))
def test_components_match_union_find_on_random_graphs(case: tuple[int, list[tuple[int, int]]]) -> None:
    n, edges = case
    source = np.array([a for a, _ in edges], dtype=np.int64)
    target = np.array([b for _, b in edges], dtype=np.int64)
    found = detect(n, source, target, np.ones(len(edges)), np.ones(n, dtype=bool), max_group_suspects=10**6)
    assert _partition(found.component) == _components_oracle(n, edges)
    assert _partition(found.community) == _partition(found.component)  # nothing oversized: no Leiden
    assert not found.split.any()


def _two_cliques_and_a_bridge(size: int) -> tuple[np.ndarray, np.ndarray]:
    edges = [(i, j) for block in (0, size) for i in range(block, block + size) for j in range(i + 1, block + size)]
    edges.append((0, size))  # one mislinked person joins the two groups
    return np.array([a for a, _ in edges]), np.array([b for _, b in edges])


def test_leiden_splits_only_components_too_big_to_be_one_group() -> None:
    source, target = _two_cliques_and_a_bridge(12)
    suspects = np.ones(24, dtype=bool)
    whole = detect(24, source, target, np.ones(len(source)), suspects, max_group_suspects=30)
    assert len(set(whole.community.tolist())) == 1 and whole.components_split == 0
    split = detect(24, source, target, np.ones(len(source)), suspects, max_group_suspects=20)
    assert _partition(split.community) == [frozenset(range(12)), frozenset(range(12, 24))]
    assert split.split.all() and split.components_split == 1
    again = detect(24, source, target, np.ones(len(source)), suspects, max_group_suspects=20)
    assert (again.community == split.community).all()  # seeded: the same every run


def test_core_is_the_well_connected_suspects_of_each_group() -> None:
    community = np.array([0, 0, 0, 0, 1, 1])
    strength = np.array([10.0, 6.0, 2.0, 9.0, 1.0, 1.0])
    suspect = np.array([True, True, True, False, True, True])
    core = core_members(community, strength, suspect)
    assert core.tolist() == [True, True, False, False, True, True]


def test_an_oversized_component_is_split_no_finer_than_the_size_limit_needs() -> None:
    # a sparse group of 30 (a ring with chords) joined by one bridge to a tight group of 15: 45 suspects
    ring = [(i, (i + 1) % 30) for i in range(30)] + [(i, (i + 7) % 30) for i in range(0, 30, 5)]
    clique = [(30 + i, 30 + j) for i in range(15) for j in range(i + 1, 15)]
    edges = [*ring, *clique, (0, 30)]
    source, target = np.array([a for a, _ in edges]), np.array([b for _, b in edges])
    suspects = np.ones(45, dtype=bool)
    found = detect(45, source, target, np.ones(len(edges)), suspects, max_group_suspects=40)
    assert _partition(found.community) == [frozenset(range(30)), frozenset(range(30, 45))]
    # modularity's own resolution alone also cuts the ring, which no size limit asked for
    finest = detect(45, source, target, np.ones(len(edges)), suspects, max_group_suspects=40, resolutions=(1.0,))
    assert len(set(finest.community[:30].tolist())) > 1
