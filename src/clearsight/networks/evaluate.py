"""How well predicted groups match true ones, against a truth the caller supplies (tests, benchmarks).

Why persons and not records: a group is a set of people; one offender may have five records in three
sources. Records are mapped to true persons with the truth's ``persons.csv`` and a person counts as in a
predicted group when any of their suspect records is. The issue's two measures:
- recovery: of true groups with at least ``min_offenders`` offenders, the share with at least ``share`` of
  their offenders in one predicted group;
- correspondence: of predicted groups, the share whose suspects are mostly (more than half) the offenders of
  one true group.
Only offenders who appear in some record are counted (the truth lists only those).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class GroupMetrics:
    true_groups: int
    recovered: int
    recovery: float
    predicted_groups: int
    corresponding: int
    correspondence: float
    predicted_groups_3plus: int
    correspondence_3plus: float


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def evaluate(
    predicted: Iterable[dict[str, str]] | Path,
    truth_groups: Iterable[dict[str, str]] | Path,
    truth_persons: Iterable[dict[str, str]] | Path,
    min_offenders: int = 3,
    share: float = 0.8,
    visible: Collection[tuple[str, str]] | None = None,
) -> GroupMetrics:
    """Compare GROUPS.csv rows with the truth's ``groups.csv`` and ``persons.csv`` rows (or their paths).

    ``visible``: when given, only offenders with one of these (source, record_id) records count: the
    records the graph ties to anyone, so that the measure says what the method missed, not the data.
    """
    predicted = _read(predicted) if isinstance(predicted, Path) else list(predicted)
    truth_groups = _read(truth_groups) if isinstance(truth_groups, Path) else list(truth_groups)
    truth_persons = _read(truth_persons) if isinstance(truth_persons, Path) else list(truth_persons)
    person_of = {(r["source"], r["record_id"]): r["true_person_id"] for r in truth_persons}

    true_members: dict[str, set[str]] = defaultdict(set)
    groups_of_person: dict[str, set[str]] = defaultdict(set)
    for row in truth_groups:
        if row["person_role"] == "suspect" and (visible is None or (row["source"], row["record_id"]) in visible):
            person = person_of.get((row["source"], row["record_id"]), f"{row['source']}:{row['record_id']}")
            true_members[row["true_group_id"]].add(person)
            groups_of_person[person].add(row["true_group_id"])

    predicted_members: dict[str, set[str]] = defaultdict(set)
    where: dict[str, Counter[str]] = defaultdict(Counter)
    for row in predicted:
        if row["person_role"] == "suspect":
            person = person_of.get((row["source"], row["record_id"]), f"{row['source']}:{row['record_id']}")
            predicted_members[row["group_id"]].add(person)
    for group_id, persons in predicted_members.items():
        for person in persons:
            where[person][group_id] += 1

    big = {g: members for g, members in true_members.items() if len(members) >= min_offenders}
    recovered = 0
    for members in big.values():
        in_group: Counter[str] = Counter()
        for person in members:
            for group_id in where.get(person, ()):
                in_group[group_id] += 1
        best = max(in_group.values(), default=0)
        recovered += int(best >= share * len(members))

    def corresponds(persons: set[str]) -> bool:
        votes: Counter[str] = Counter()
        for person in persons:
            for true_group in groups_of_person.get(person, ()):
                votes[true_group] += 1
        return bool(votes) and 2 * max(votes.values()) > len(persons)

    matches = {g: corresponds(persons) for g, persons in predicted_members.items()}
    three = [g for g, persons in predicted_members.items() if len(persons) >= 3]
    return GroupMetrics(
        true_groups=len(big), recovered=recovered, recovery=recovered / len(big) if big else 1.0,
        predicted_groups=len(matches), corresponding=sum(matches.values()),
        correspondence=sum(matches.values()) / len(matches) if matches else 1.0,
        predicted_groups_3plus=len(three),
        correspondence_3plus=sum(matches[g] for g in three) / len(three) if three else 1.0,
    )
