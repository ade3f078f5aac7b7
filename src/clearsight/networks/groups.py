"""Offender groups from the person graph: connected components first, Leiden only where they are too big.

Why components first: most components of a graph of planted groups *are* groups, and finding them is
linear; Leiden over the whole graph spends nearly all its time confirming that (DESIGN.md's yardstick:
141 s over the whole graph, 13.9 s this way, same recovery). Leiden runs only inside a component with
more suspects than any one group plausibly has, where two groups have been joined by a bridging person
(a shared victim recorded twice, a mislinked suspect, a phone passed between networks).

All work is on integer arrays (igraph in C); the only Python loop is over the few oversized components.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import igraph as ig
import leidenalg
import numpy as np

# More suspects than this in one component and it is split: the largest groups the audit's sources
# describe (Rotherham, Rochdale, Telford) name a few dozen offenders.
MAX_GROUP_SUSPECTS = 40
# A suspect at least this share as connected as the group's most connected suspect is core.
CORE_SHARE = 0.5
LEIDEN_SEED = 20240101
# Resolutions tried in turn inside an oversized component; the first whose communities all have at most
# ``max_group_suspects`` suspects is kept (1.0, modularity's own, if none does). Why not modularity's alone:
# the component is split because it is too big to be one group (groups joined by a bridging person), so
# the split should cut as little as that needs; at resolution 1 Leiden also cuts a dense group of 30 into
# pieces. Lower resolutions give coarser partitions.
LEIDEN_RESOLUTIONS = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0)


@dataclass
class Partition:
    """Per node: its component, its community (a group candidate) and whether Leiden split its component."""

    component: np.ndarray
    community: np.ndarray
    split: np.ndarray
    strength: np.ndarray
    components_split: int


def detect(
    n_nodes: int,
    source: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray,
    is_suspect: np.ndarray,
    max_group_suspects: int = MAX_GROUP_SUSPECTS,
    resolutions: tuple[float, ...] = LEIDEN_RESOLUTIONS,
) -> Partition:
    """Partition nodes ``0..n_nodes-1`` into communities; deterministic for the same input.

    An oversized component is split at the first of ``resolutions`` that leaves no community with more than
    ``max_group_suspects`` suspects (the last resolution's split if none does).
    """
    graph = ig.Graph(n=n_nodes, edges=np.column_stack([source, target]).astype(np.int64), directed=False)
    graph.es["weight"] = np.asarray(weight, dtype=np.float64)
    component = np.asarray(graph.connected_components().membership, dtype=np.int64)
    community = component.copy()
    split = np.zeros(n_nodes, dtype=bool)
    suspects_per_component = np.bincount(component, weights=is_suspect.astype(np.float64),
                                         minlength=int(component.max(initial=-1)) + 1)
    oversized = np.flatnonzero(suspects_per_component > max_group_suspects)
    next_label = int(component.max(initial=-1)) + 1
    if len(oversized):
        order = np.argsort(component, kind="stable")
        starts = np.searchsorted(component[order], oversized)
        ends = np.searchsorted(component[order], oversized, side="right")
        for start, end in zip(starts, ends, strict=True):
            nodes = order[start:end]
            sub = graph.induced_subgraph(nodes.tolist())
            sub_suspects = is_suspect[nodes].astype(np.int64)
            for step in resolutions:
                found = leidenalg.find_partition(sub, leidenalg.RBConfigurationVertexPartition, weights="weight",
                                                 resolution_parameter=step, seed=LEIDEN_SEED, n_iterations=-1)
                labels = np.asarray(found.membership, dtype=np.int64)
                if np.bincount(labels, weights=sub_suspects).max() <= max_group_suspects:
                    break
            community[nodes] = next_label + labels
            split[nodes] = True
            next_label += int(labels.max()) + 1
    strength = np.asarray(graph.strength(weights="weight"), dtype=np.float64)
    return Partition(component=component, community=community, split=split, strength=strength,
                     components_split=len(oversized))


def core_members(community: np.ndarray, strength: np.ndarray, is_suspect: np.ndarray,
                 core_share: float = CORE_SHARE) -> np.ndarray:
    """Core = suspects at least ``core_share`` as connected (weighted degree) as their group's top suspect.

    Why weighted degree: in a group the organisers are those tied to most victims and co-offenders, and
    it is the one centrality that is linear to compute for every node of a national graph at once.
    """
    labels = np.where(is_suspect, community, -1)
    top = np.zeros(int(community.max(initial=-1)) + 2, dtype=np.float64)
    np.maximum.at(top, labels[is_suspect], strength[is_suspect])
    return is_suspect & (strength >= core_share * top[np.maximum(labels, 0)])


def group_key(min_member_person_id: str) -> str:
    """A group's id: a hash of its smallest member person_id (person_ids are themselves stable)."""
    return "G" + hashlib.sha256(f"clearsight group {min_member_person_id}".encode()).hexdigest()[:12].upper()
