"""Pairs into clusters, strongest link first, never across a human 'not same'.

Why not plain connected components: one wrong link between two large clusters merges two children's
histories, and components cannot refuse it. Taking links in order of probability with a union-find and
checking each merge against the cannot-link judgements refuses exactly the merges a person has ruled out,
and says which they were.

The same order also refuses merges that would put two people's identifiers into one cluster: records whose
sexes differ, or whose dates of birth differ by more than a keying slip (day and month transposed, one or
two digits, the year out by one). A record with no date of birth can join a cluster through its strongest
link, and is then kept out of any other cluster whose dates conflict with the first's: it cannot bridge a
parent and child, or two siblings, of one name at one home.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
    conflicts: list[Refusal] = field(default_factory=list)
    """Merges refused because the two clusters' records conflict on sex or date of birth."""

    def members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for record, root in self.root.items():
            out.setdefault(root, []).append(record)
        return out


def dates_compatible(a: str, b: str) -> bool:
    """Whether two ISO dates of birth could be one person's, written with a keying slip."""
    if a == b:
        return True
    if len(a) != 10 or len(b) != 10:
        return False
    if a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]:
        return True  # day and month transposed
    differ = sum(x != y for x, y in zip(a, b, strict=True))
    if differ <= 1 or (differ == 2 and a[:4] == b[:4]):
        return True  # one digit, or two within the month and day
    return a[4:] == b[4:] and a[:4].isdigit() and b[:4].isdigit() and abs(int(a[:4]) - int(b[:4])) <= 1


def _conflict(x: tuple[set[str], set[str]], y: tuple[set[str], set[str]]) -> tuple[str, str] | None:
    """The first (value, value) on which two clusters' identifiers conflict, else None."""
    sexes = x[1] | y[1]
    if len(sexes) > 1:
        return tuple(sorted(sexes))[:2]  # type: ignore[return-value]
    for a in x[0]:
        for b in y[0]:
            if not dates_compatible(a, b):
                return a, b
    return None


def cluster(
    records: Iterable[str],
    links: Iterable[tuple[str, str, float]],
    cannot_link: Iterable[tuple[str, str]] = (),
    identity: Mapping[str, tuple[str | None, str | None]] | None = None,
    trusted: Iterable[tuple[str, str]] = (),
) -> Clusters:
    """Union-find over ``links`` (left, right, probability) sorted strongest first, honouring ``cannot_link``.

    With ``identity`` (record -> (ISO date of birth or None, sex or None)) a merge whose clusters conflict
    on either is refused and listed in ``conflicts``. ``trusted`` pairs (one record in two returns, a
    human 'same') are merged first and without that check, though never across a 'not same'.
    """
    parent: dict[str, str] = {r: r for r in records}
    # Each cluster's dates of birth and sexes, by root. A record's own come from ``identity`` when it first
    # takes part in a merge (most records never do: building sets for all 1.2M records of national x 10 up
    # front took 10 s, 1 December 2026); merged into the new root's as clusters merge.
    known: dict[str, tuple[set[str], set[str]]] = {}
    seen: set[str] = set()

    def identified(root: str) -> tuple[set[str], set[str]] | None:
        if identity is not None and root not in seen:
            seen.add(root)  # a root not yet seen is a record on its own: its identity is its record's
            dob, sex = identity.get(root, (None, None))
            if dob or sex:
                known[root] = ({dob} if dob else set(), {sex} if sex else set())
        return known.get(root)
    conflicts: list[Refusal] = []
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

    ordered = [(a, b, 1.0, True) for a, b in trusted]
    ordered += [(a, b, p, False) for a, b, p in sorted(links, key=lambda link: (-link[2], link[0], link[1]))]
    for left, right, probability, is_trusted in ordered:
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
        ids_a, ids_b = identified(a), identified(b)
        if not is_trusted and ids_a is not None and ids_b is not None:
            values = _conflict(ids_a, ids_b)
            if values is not None:
                conflicts.append(Refusal(left, right, probability, values))
                continue
        if a > b:
            a, b = b, a
        parent[b] = a
        if b in blocked:
            blocked.setdefault(a, set()).update(blocked.pop(b))
        if b in known:
            mine = known.setdefault(a, (set(), set()))
            theirs = known.pop(b)
            mine[0].update(theirs[0])
            mine[1].update(theirs[1])
        joined[left] = max(joined.get(left, 0.0), probability)
        joined[right] = max(joined.get(right, 0.0), probability)
    return Clusters({r: find(r) for r in parent}, joined, refused, conflicts)
