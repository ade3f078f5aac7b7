"""Pairs into clusters, strongest link first, never across a human 'not same'.

Why not plain connected components: one wrong link between two large clusters merges two children's
histories, and components cannot refuse it. Taking links in order of probability with a union-find and
checking each merge against the cannot-link judgements refuses exactly the merges a person has ruled out,
and says which they were.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Refusal:
    """A merge the clustering refused because it would join records judged 'not same'."""

    left: str
    right: str
    match_probability: float
    blocked_by: tuple[str, str]


@dataclass
class Clusters:
    """Root of each record's cluster and the probability of the link that brought it in."""

    root: dict[str, str]
    joined_at: dict[str, float]
    refused: list[Refusal] = field(default_factory=list)

    def members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for record, root in self.root.items():
            out.setdefault(root, []).append(record)
        return out


def cluster(
    records: Iterable[str],
    links: Iterable[tuple[str, str, float]],
    cannot_link: Iterable[tuple[str, str]] = (),
) -> Clusters:
    """Union-find over ``links`` (left, right, probability) sorted strongest first, honouring ``cannot_link``."""
    parent: dict[str, str] = {r: r for r in records}
    forbidden: dict[str, set[str]] = {}
    for a, b in cannot_link:
        if a in parent and b in parent:
            forbidden.setdefault(a, set()).add(b)
            forbidden.setdefault(b, set()).add(a)
    # members' forbidden partners gathered per root, merged as clusters merge
    blocked: dict[str, set[str]] = {r: set(p) for r, p in forbidden.items()}
    joined: dict[str, float] = {}
    refused: list[Refusal] = []

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for left, right, probability in sorted(links, key=lambda link: (-link[2], link[0], link[1])):
        if left not in parent or right not in parent:
            continue
        a, b = find(left), find(right)
        if a == b:
            joined[left] = max(joined.get(left, 0.0), probability)
            joined[right] = max(joined.get(right, 0.0), probability)
            continue
        clash = next(((x, y) for x in blocked.get(a, ()) for y in [x] if find(y) == b), None)
        if clash is not None:
            partner = next(m for m in forbidden[clash[0]] if find(m) == a)
            refused.append(Refusal(left, right, probability, (partner, clash[0])))
            continue
        if a > b:
            a, b = b, a
        parent[b] = a
        if b in blocked:
            blocked.setdefault(a, set()).update(blocked.pop(b))
        joined[left] = max(joined.get(left, 0.0), probability)
        joined[right] = max(joined.get(right, 0.0), probability)
    return Clusters({r: find(r) for r in parent}, joined, refused)
