"""The true offending: cases, offender groups, victims and offences, generated in bulk per kind of case.

Everything here is the ground truth that agencies only partly see: who really offended with whom, which
children were really abused (including those whose abuse never reached a police record), where and when.
Every step works on whole arrays (one row per case, member, victim or offence); there is no loop over
cases or persons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clearsight.synth.cases import CASE_KINDS, LOCATIONS, OFFENCE_KINDS, CaseKind
from clearsight.synth.config import CASE_MIX, GROUP_MIX, LAST_YEAR, VOLUME_CORRECTION, national_offences
from clearsight.synth.geography import Geography
from clearsight.synth.population import STRING, PersonFactory, base_column, birth_dates

BURN_IN_YEARS = 3
EPOCH = np.datetime64("1970-01-01", "D")


def day(value: str) -> int:
    return int((np.datetime64(value, "D") - EPOCH).astype(np.int64))


def to_date(days: np.ndarray) -> np.ndarray:
    return EPOCH + days.astype("timedelta64[D]")


@dataclass
class Truth:
    """The true world: column arrays per entity (dates are int days since 1970-01-01)."""

    cases: dict[str, np.ndarray]
    members: dict[str, np.ndarray]
    victims: dict[str, np.ndarray]
    offences: dict[str, np.ndarray]
    offence_suspects: dict[str, np.ndarray]
    places: dict[str, np.ndarray]
    first_day: int
    last_day: int


def _power_law_sizes(rng: np.random.Generator, n: int, low: int, high: int, alpha: float) -> np.ndarray:
    sizes = np.arange(low, high + 1)
    weights = sizes.astype(np.float64) ** -alpha
    return rng.choice(sizes, size=n, p=weights / weights.sum())


def _expected_size(kind: CaseKind) -> float:
    if not kind.group:
        return 1.0
    sizes = np.arange(kind.size_range[0], kind.size_range[1] + 1).astype(np.float64)
    weights = sizes**-kind.size_alpha
    return float((sizes * weights).sum() / weights.sum())


def expected_offences(kind: CaseKind) -> float:
    """Mean recorded offences per case of this kind (before the window cut)."""
    victims = _expected_size(kind) * kind.victims_per_member if kind.victims_per_member else 1 + kind.victims_mean
    return max(victims, 1.0) * (1 - kind.hidden_victim) * (1 + kind.offences_per_victim)


def _kind_shares() -> dict[str, float]:
    shares = {name: share for name, share in CASE_MIX.items() if name != "group"}
    for name, share in GROUP_MIX.items():
        shares[name] = CASE_MIX["group"] * share
    return shares


def _pick_weighted(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(weights), size=n, p=weights / weights.sum())


class OffendingModel:
    """Generates the true world for a set of forces over a window of years."""

    def __init__(
        self,
        geo: Geography,
        factory: PersonFactory,
        rng: np.random.Generator,
        forces: np.ndarray,
        first_year: int,
        volume_factor: float,
    ) -> None:
        self.geo, self.factory, self.rng = geo, factory, rng
        self.forces = forces
        self.first_year = first_year
        self.volume_factor = volume_factor
        in_scope = np.isin(geo.council_force, forces)
        self.councils = np.flatnonzero(in_scope)
        weights = geo.council_children * geo.force_rate[geo.council_force]
        self.council_weight = np.where(in_scope, weights, 0.0)
        self.national_weight = weights / weights.sum()
        width = np.bincount(geo.council_force, minlength=len(geo.force_codes))
        table = np.zeros((len(geo.force_codes), int(width.max())), dtype=np.int64)
        for force in range(len(geo.force_codes)):
            table[force, : width[force]] = geo.councils_of(force)
        self._force_councils = (table, width)

    # --- cases -------------------------------------------------------------------------------------
    def _case_frame(self, kind: CaseKind, share: float) -> dict[str, np.ndarray]:
        rng = self.rng
        total_weight = self.council_weight.sum()
        per_case = expected_offences(kind)
        councils, starts = [], []
        for year in range(self.first_year - BURN_IN_YEARS, LAST_YEAR + 1):
            expected = national_offences(year) * VOLUME_CORRECTION * self.volume_factor * share / per_case
            n = int(rng.poisson(expected * total_weight / self.national_weight_total))
            councils.append(_pick_weighted(rng, self.council_weight, n))
            starts.append(day(f"{year}-01-01") + rng.integers(0, 365, size=n))
        council = np.concatenate(councils).astype(np.int64)
        start = np.concatenate(starts).astype(np.int64)
        n = len(council)
        size = _power_law_sizes(rng, n, *kind.size_range, kind.size_alpha) if kind.group else np.ones(n, dtype=np.int64)
        duration = np.clip(np.exp(np.log(kind.duration[0]) + kind.duration[1] * rng.standard_normal(n)), 1, 3000)
        return {
            "council": council,
            "force": self.geo.council_force[council],
            "start": start,
            "end": start + duration.astype(np.int64),
            "size": size.astype(np.int64),
        }

    @property
    def national_weight_total(self) -> float:
        return float((self.geo.council_children * self.geo.force_rate[self.geo.council_force]).sum())

    def _offender_ages(self, kind: CaseKind, n: int) -> np.ndarray:
        rng = self.rng
        child = rng.random(n) < kind.child_offender
        adult = np.clip(kind.offender_age[0] + kind.offender_age[1] * rng.standard_normal(n), 18.0, 80.0)
        # child offenders of adult-led kinds (siblings, cousins, older boys) are 12-17
        low = kind.offender_age_min if kind.offender_age_min < 18 else 12.0
        young = rng.uniform(low, 17.99, size=n)
        if kind.child_offender >= 1.0:
            young = np.clip(kind.offender_age[0] + kind.offender_age[1] * rng.standard_normal(n), low, 17.99)
        return np.where(child, young, adult)

    def _members(self, kind: CaseKind, cases: dict[str, np.ndarray], case_ids: np.ndarray) -> dict[str, np.ndarray]:
        rng = self.rng
        size = cases["size"]
        case = np.repeat(case_ids, size)
        local = np.repeat(np.arange(len(size)), size)
        rank = np.arange(len(case)) - np.repeat(np.cumsum(size) - size, size)
        council = cases["council"][local].copy()
        elsewhere = rng.random(len(case)) < kind.offender_elsewhere
        council[elsewhere] = _pick_weighted(rng, self.national_weight, int(elsewhere.sum()))
        if kind.group and not kind.household:
            nearby = (~elsewhere) & (rng.random(len(case)) < 0.25)
            table, width = self._force_councils
            force_of = self.geo.council_force[council[nearby]]
            pick = (rng.random(int(nearby.sum())) * width[force_of]).astype(np.int64)
            council[nearby] = table[force_of, pick]
        age = self._offender_ages(kind, len(case))
        sex = (rng.random(len(case)) >= kind.offender_male).astype(np.int8)
        # homophily: a group's members mostly share one background (drawn from the area's own mix)
        group_eth = self.factory.ethnicity(cases["council"])[local]
        own_eth = self.factory.ethnicity(council)
        eth = np.where(rng.random(len(case)) < (0.85 if kind.group else 0.0), group_eth, own_eth)
        start = cases["start"][local]
        dob = birth_dates(rng, to_date(start), age)
        first = rank == 0
        pid = np.zeros(len(case), dtype=np.int64)
        pid[first] = self.factory.create(council[first], sex[first], dob[first], ethnicity=eth[first], phone_share=0.8)
        rest = ~first
        household = np.full(int(rest.sum()), -1, dtype=np.int64)
        if kind.household:
            household = pid[first][local[rest]]
            household = np.asarray(household, dtype=np.int64)
        pid[rest] = self.factory.create(
            council[rest],
            sex[rest],
            dob[rest],
            ethnicity=eth[rest],
            household_of=household,
            same_surname=rng.random(len(household)) < 0.7,
            phone_share=0.8,
        )
        core_size = np.maximum(1, np.ceil(0.3 * size)).astype(np.int64)
        return {"case": case, "pid": pid, "rank": rank, "core": rank < core_size[local], "age_at_start": age}

    def _victims(
        self, kind: CaseKind, cases: dict[str, np.ndarray], case_ids: np.ndarray, members: dict[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        rng = self.rng
        size = cases["size"]
        if kind.victims_per_member:
            count = np.maximum(1, rng.poisson(size * kind.victims_per_member))
        else:
            count = 1 + rng.poisson(kind.victims_mean, size=len(size))
        local = np.repeat(np.arange(len(size)), count)
        index = np.arange(len(local)) - np.repeat(np.cumsum(count) - count, count)
        start, end = cases["start"][local], cases["end"][local]
        offset = np.where(index == 0, 0, (rng.random(len(local)) * (end - start) * 0.85).astype(np.int64))
        v_start = start + offset
        v_len = np.exp(np.log(max(kind.duration[0] * 0.6, 1.0)) + 0.8 * rng.standard_normal(len(local)))
        v_end = np.minimum(end, v_start + v_len.astype(np.int64))
        age = np.clip(kind.victim_age[0] + kind.victim_age[1] * rng.standard_normal(len(local)), 2.0, 17.7)
        sex = (rng.random(len(local)) < kind.victim_female).astype(np.int8)
        council = cases["council"][local]
        first_member = members["pid"][members["rank"] == 0][local]
        household = first_member if kind.household else np.full(len(local), -1, dtype=np.int64)
        eth = base_column(self.factory.people, "ethnicity", first_member) if kind.household else None
        recruiter = np.full(len(local), -1, dtype=np.int64)
        dob = birth_dates(rng, to_date(v_start), age)
        pid = self.factory.create(
            council,
            sex,
            dob,
            ethnicity=eth,
            household_of=household,
            same_surname=rng.random(len(local)) < 0.6,
            phone_share=0.5,
        )
        if kind.recruitment:
            recruited = (index > 0) & (rng.random(len(local)) < kind.recruitment)
            earlier = (rng.random(len(local)) * index).astype(np.int64)
            first_victim = np.repeat(np.cumsum(count) - count, count)
            recruiter[recruited] = pid[first_victim[recruited] + earlier[recruited]]
        return {
            "case": case_ids[local],
            "pid": pid,
            "start": v_start,
            "end": v_end,
            "hidden": rng.random(len(local)) < kind.hidden_victim,
            "recruiter": recruiter,
            "index": index,
        }

    def _places(self, kind: CaseKind, cases: dict[str, np.ndarray], case_ids: np.ndarray) -> dict[str, np.ndarray]:
        """Named places a case uses (takeaways, hotels, flats, taxis...): 1-5 per case."""
        rng = self.rng
        names = [name for name, _ in kind.locations]
        weights = np.array([weight for _, weight in kind.locations])
        count = rng.integers(1, 3, size=len(case_ids)) + (rng.poisson(0.3 * cases["size"]) if kind.group else 0)
        count = np.minimum(count, 6)
        local = np.repeat(np.arange(len(case_ids)), count)
        loc_type = np.array([LOCATIONS.index(name) for name in names])[_pick_weighted(rng, weights, len(local))]
        council = cases["council"][local]
        address, postcode = self.factory.addresses(council)
        return {"case": case_ids[local], "type": loc_type, "postcode": postcode, "address": address}

    def _offences(
        self, kind: CaseKind, victims: dict[str, np.ndarray], cases: dict[str, np.ndarray], case_base: int
    ) -> dict[str, np.ndarray]:
        rng = self.rng
        known = ~victims["hidden"]
        per_victim = np.where(known, 1 + rng.poisson(kind.offences_per_victim, size=len(known)), 0)
        v = np.repeat(np.arange(len(known)), per_victim)
        span = np.maximum(victims["end"][v] - victims["start"][v], 0)
        committed = victims["start"][v] + (rng.random(len(v)) * (span + 1)).astype(np.int64)
        over_period = rng.random(len(v)) < (0.35 if kind.duration[0] > 100 else 0.05)
        committed_to = np.where(
            over_period, np.minimum(committed + (rng.random(len(v)) * 120).astype(np.int64), victims["end"][v]), -1
        )
        last = np.maximum(committed, committed_to)
        draw = rng.random(len(v))
        lag = np.where(
            draw < 0.55,
            rng.exponential(20.0, len(v)),
            np.where(
                draw < 0.9,
                (victims["end"][v] - last) + rng.exponential(60.0, len(v)),
                rng.uniform(365, 3 * 365, len(v)),
            ),
        )
        recorded = last + lag.astype(np.int64)
        kinds = np.asarray(kind.kinds, dtype=np.float64)
        local_case = victims["case"][v] - case_base
        return {
            "victim": victims["pid"][v],
            "case": victims["case"][v],
            "committed_from": committed,
            "committed_to": committed_to,
            "recorded": recorded,
            "kind": _pick_weighted(rng, kinds, len(v)),
            "council": cases["council"][local_case],
            "force": cases["force"][local_case],
        }

    def _suspects(
        self,
        kind: CaseKind,
        offences: dict[str, np.ndarray],
        members: dict[str, np.ndarray],
        cases: dict[str, np.ndarray],
        case_base: int,
        oid_base: int,
    ) -> dict[str, np.ndarray]:
        rng = self.rng
        n = len(offences["case"])
        local_case = offences["case"] - case_base
        size = cases["size"][local_case]
        identified = rng.random(n) >= kind.unknown_suspect
        k = np.minimum(size, 1 + rng.poisson(kind.suspects_per_offence, size=n)) * identified
        o = np.repeat(np.arange(n), k)
        core = np.maximum(1, np.ceil(0.3 * size)).astype(np.int64)[o]
        from_core = rng.random(len(o)) < 0.65
        rank = np.where(from_core, (rng.random(len(o)) * core), (rng.random(len(o)) * size[o])).astype(np.int64)
        key = np.unique((o.astype(np.int64) << 32) | rank)
        o_unique = (key >> 32).astype(np.int64)
        rank_unique = (key & 0xFFFFFFFF).astype(np.int64)
        pid = members["pid"][np.searchsorted(members["case"], offences["case"][o_unique]) + rank_unique]
        return {"oid": o_unique + oid_base, "pid": pid}

    def run(self) -> Truth:
        shares = _kind_shares()
        parts: dict[str, list[dict[str, np.ndarray]]] = {
            k: [] for k in ("cases", "members", "victims", "offences", "suspects", "places")
        }
        case_base = 0
        oid_base = 0
        for kind_index, (name, kind) in enumerate(CASE_KINDS.items()):
            cases = self._case_frame(kind, shares[name])
            n = len(cases["council"])
            case_ids = np.arange(case_base, case_base + n, dtype=np.int64)
            cases["case"] = case_ids
            cases["kind"] = np.full(n, kind_index, dtype=np.int64)
            members = self._members(kind, cases, case_ids)
            victims = self._victims(kind, cases, case_ids, members)
            places = self._places(kind, cases, case_ids)
            offences = self._offences(kind, victims, cases, case_base)
            suspects = self._suspects(kind, offences, members, cases, case_base, oid_base)
            m = len(offences["case"])
            offences["oid"] = np.arange(oid_base, oid_base + m, dtype=np.int64)
            offences["case_kind"] = np.full(m, kind_index, dtype=np.int64)
            offences["online"] = rng_bool(self.rng, m, kind.online)
            offences["cse"] = rng_bool(self.rng, m, kind.cse)
            offences["group"] = np.full(m, kind.group)
            for key, value in (
                ("cases", cases),
                ("members", members),
                ("victims", victims),
                ("offences", offences),
                ("suspects", suspects),
                ("places", places),
            ):
                parts[key].append(value)
            case_base += n
            oid_base += m
        joined = {key: _concat(value) for key, value in parts.items()}
        self.factory.people.freeze()
        first_day, last_day = day(f"{self.first_year}-01-01"), day(f"{LAST_YEAR}-12-31")
        return Truth(
            cases=joined["cases"],
            members=joined["members"],
            victims=joined["victims"],
            offences=joined["offences"],
            offence_suspects=joined["suspects"],
            places=joined["places"],
            first_day=first_day,
            last_day=last_day,
        )


def rng_bool(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    return rng.random(n) < p


def _concat(frames: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {name: np.concatenate([frame[name] for frame in frames]) for name in frames[0]}


def offence_locations(
    truth: Truth, people_postcode: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(location type index, postcode) per offence: a place of the case, or the victim's or suspect's home."""
    offences, places = truth.offences, truth.places
    n = len(offences["case"])
    first = np.searchsorted(places["case"], offences["case"])
    count = np.searchsorted(places["case"], offences["case"], side="right") - first
    pick = first + (rng.random(n) * count).astype(np.int64)
    loc = places["type"][pick]
    postcode = places["postcode"][pick].astype(STRING)
    victim_home = loc == LOCATIONS.index("DWELLING_VICTIM")
    postcode[victim_home] = people_postcode[offences["victim"][victim_home]]
    suspect_home = loc == LOCATIONS.index("DWELLING_SUSPECT")
    members = truth.members
    first_member = members["pid"][np.searchsorted(members["case"], offences["case"][suspect_home])]
    postcode[suspect_home] = people_postcode[first_member]
    postcode[loc == LOCATIONS.index("ONLINE")] = ""
    return loc, postcode


__all__ = ["OFFENCE_KINDS", "OffendingModel", "Truth", "day", "to_date", "offence_locations"]
