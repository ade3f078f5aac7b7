"""Person records: which agency holds a record of whom, under which id, with which recorded values.

A true person known to a force as a suspect has one nominal record there (sometimes two: a duplicate
nominal created under an alias); the same person known to another force, or to a council, has separate
records with their own noise. Everything that mentions a person (an offence, a referral, a missing
episode) points at one of these records, and ``truth/persons.csv`` lists them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from clearsight.synth.config import RecordingQuality
from clearsight.synth.geography import ETHNIC_CODES
from clearsight.synth.names import NamePools
from clearsight.synth.noise import fold_cp1252, noisy_address, noisy_dob, noisy_names, noisy_postcode, phone_formats
from clearsight.synth.population import STRING, People, zero_pad

ROLES = np.array(["VICTIM", "SUSPECT", "OTHER"], dtype=object)
VICTIM, SUSPECT, OTHER = 0, 1, 2
# officer-observed IC code most often given for each self-defined code (IC1 north European ... IC6 Arab)
_IC_OF = {
    "W1": "IC1",
    "W2": "IC1",
    "W3": "IC1",
    "W9": "IC2",
    "M1": "IC3",
    "M2": "IC3",
    "M3": "IC4",
    "M9": "IC1",
    "A1": "IC4",
    "A2": "IC4",
    "A3": "IC4",
    "A4": "IC5",
    "A9": "IC4",
    "B1": "IC3",
    "B2": "IC3",
    "B9": "IC3",
    "O2": "IC6",
    "O9": "IC6",
}


@dataclass
class Submitters:
    """Submitting bodies in scope, each with its recording quality and id style."""

    codes: list[str]
    names: list[str]
    is_force: np.ndarray
    area: np.ndarray
    """Force index for a force, council index for a council."""
    quality: list[RecordingQuality]
    cp1252: np.ndarray
    force_submitter: dict[int, int] = field(default_factory=dict)
    council_submitter: dict[int, int] = field(default_factory=dict)

    def knob(self, name: str) -> np.ndarray:
        return np.array([getattr(q, name) for q in self.quality], dtype=np.float64)


@dataclass
class Involvements:
    """Mentions of persons collected from all tables before record ids are given out."""

    sub: list[np.ndarray] = field(default_factory=list)
    pid: list[np.ndarray] = field(default_factory=list)
    role: list[np.ndarray] = field(default_factory=list)
    day: list[np.ndarray] = field(default_factory=list)
    slices: dict[str, tuple[int, int]] = field(default_factory=dict)
    size: int = 0

    def add(self, name: str, sub: np.ndarray, pid: np.ndarray, role: np.ndarray | int, day: np.ndarray) -> None:
        n = len(pid)
        self.sub.append(np.asarray(sub, dtype=np.int64))
        self.pid.append(np.asarray(pid, dtype=np.int64))
        self.role.append(np.broadcast_to(np.asarray(role, dtype=np.int64), (n,)).copy())
        self.day.append(np.asarray(day, dtype=np.int64))
        self.slices[name] = (self.size, self.size + n)
        self.size += n


def _key(sub: np.ndarray, pid: np.ndarray, role: np.ndarray) -> np.ndarray:
    return (sub.astype(np.int64) << 40) | (pid.astype(np.int64) << 2) | role.astype(np.int64)


def assign_records(
    inv: Involvements, subs: Submitters, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Give every (submitter, person, role) one record (two for duplicate nominals); returns the record
    registry and, per involvement table name, the record index of each mention."""
    sub, pid, role, day = (np.concatenate(x) for x in (inv.sub, inv.pid, inv.role, inv.day))
    keys = _key(sub, pid, role)
    unique, inverse = np.unique(keys, return_inverse=True)
    first_day = np.full(len(unique), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_day, inverse, day)
    u_sub = (unique >> 40).astype(np.int64)
    duplicate = rng.random(len(unique)) < subs.knob("duplicate_nominal")[u_sub]
    copies = 1 + duplicate.astype(np.int64)
    record_key = np.repeat(np.arange(len(unique)), copies)
    start = np.cumsum(copies) - copies
    pick = np.where(duplicate[inverse], (rng.random(len(keys)) * 2).astype(np.int64), 0)
    mention_record = start[inverse] + pick
    registry = {
        "sub": u_sub[record_key],
        "pid": ((unique >> 2) & ((1 << 38) - 1))[record_key],
        "role": (unique & 3)[record_key],
        "first_day": first_day[record_key],
        "duplicate": np.repeat(duplicate, copies) & (np.arange(len(record_key)) - start[record_key] == 1),
    }
    # record ids: per submitter, a local prefix and a sequence in registry order
    seq = np.arange(len(record_key)) - np.searchsorted(registry["sub"], registry["sub"])
    prefixes = np.array([_id_prefix(i, subs) for i in range(len(subs.codes))], dtype=STRING)
    registry["record_id"] = np.strings.add(prefixes[registry["sub"]], zero_pad(seq * 7 + 1013, 7))
    return registry, {name: mention_record[a:b] for name, (a, b) in inv.slices.items()}


def _id_prefix(index: int, subs: Submitters) -> str:
    styles = ["N", "NOM-", "P", "ID", "CH", "PER"] if subs.is_force[index] else ["C", "CHILD-", "LL", "P-", "ID"]
    return styles[(index * 7 + 3) % len(styles)]


def record_values(
    registry: dict[str, np.ndarray], people: People, names: NamePools, subs: Submitters, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """The person fields each record holds, with per-record noise and per-submitter recording gaps."""
    pid, sub, role = registry["pid"], registry["sub"], registry["role"]
    n = len(pid)
    scale = subs.knob("name_noise")[sub]
    force = subs.is_force[sub]
    forename_idx = people["forename"][pid]
    count = names.nickname_count[forename_idx]
    nick_col = (rng.random(n) * np.maximum(count, 1)).astype(np.int64)
    nickname = names.nicknames[forename_idx, nick_col]
    fore, sur = noisy_names(rng, names.forenames[forename_idx], names.surnames[people["surname"][pid]], nickname, scale)
    dob, age = noisy_dob(rng, people["dob"][pid], registry["first_day"], scale, np.where(role == SUSPECT, 0.08, 0.0))
    postcode = noisy_postcode(rng, people["postcode"][pid], scale)
    address = noisy_address(rng, people["address"][pid], scale)
    alias_pick = names.forenames[rng.integers(0, len(names.forenames), size=n)]
    has_alias = (role == SUSPECT) & (rng.random(n) < 0.15)
    aliases = np.where(has_alias, np.where(np.strings.str_len(nickname) > 0, nickname, alias_pick), "")
    phone = np.where(rng.random(n) < np.where(role == SUSPECT, 0.6, 0.3), phone_formats(rng, people["phone"][pid]), "")
    cp = subs.cp1252[sub]
    if cp.any():
        for column in ("fore", "sur", "address", "aliases"):
            values = {"fore": fore, "sur": sur, "address": address, "aliases": aliases}[column]
            values[cp] = fold_cp1252(values[cp])
    eth_true = np.array(ETHNIC_CODES, dtype=object)[people["ethnicity"][pid]]
    missing_eth = np.where(
        role == SUSPECT, subs.knob("suspect_ethnicity_missing")[sub], subs.knob("victim_ethnicity_missing")[sub]
    )
    draw = rng.random(n)
    ethnicity = np.where(draw < missing_eth, "NR", np.where(draw < missing_eth + 0.03, "NS", eth_true)).astype(object)
    ic = np.array([_IC_OF[code] for code in ETHNIC_CODES], dtype=object)[people["ethnicity"][pid]]
    ic = np.where(
        rng.random(n) < 0.06,
        np.array(["IC1", "IC2", "IC3", "IC4", "IC9"], dtype=object)[rng.integers(0, 5, size=n)],
        ic,
    )
    observed_rate = np.where(role == SUSPECT, subs.knob("officer_observed_rate")[sub], 0.2) * force
    observed = np.where(rng.random(n) < observed_rate, ic, "NR").astype(object)
    nationality = np.where(rng.random(n) < np.where(force, 0.5, 0.3), "NR", people["nationality"][pid].astype(object))
    disability = np.where(rng.random(n) < 0.4, "NR", np.where(people["disabled"][pid], "Y", "N")).astype(object)
    religion = np.where(rng.random(n) < 0.7, "NR", people["religion"][pid].astype(object)).astype(object)
    sex = np.where(people["sex"][pid] == 1, "F", "M").astype(object)
    sex[rng.random(n) < 0.01] = "NR"
    return {
        "forename": fore,
        "surname": sur,
        "aliases": aliases,
        "dob": dob,
        "age": age,
        "sex": sex,
        "ethnicity_self_defined": ethnicity,
        "ethnicity_officer_observed": observed,
        "nationality": nationality,
        "disability": disability,
        "religion": religion,
        "postcode": postcode,
        "address": address,
        "phone_numbers": phone,
    }
