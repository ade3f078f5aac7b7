"""True intelligence: reports that name offenders together, their victims, vehicles, phones and places.

Intelligence is what lets an analyst see a network before any charge: members named together, a shared
car, a phone used by several men, the same takeaway. It is also noisy: reports about people who have done
nothing (an innocent named alongside members, reports graded 'C4'), which the network stage must weigh.
"""

from __future__ import annotations

import numpy as np

from clearsight.synth.cases import CASE_KINDS, LOCATIONS
from clearsight.synth.offending import Truth
from clearsight.synth.population import STRING, PersonFactory, birth_dates, zero_pad

_REG_LETTERS = np.array(list("ABCDEFGHJKLMNOPRSTUVWXYZ"))
_TEXT = [
    "Information received that {name} is associating with young females and giving them lifts.",
    "{name} has been seen with school-age girls near {place}; alcohol and cannabis supplied.",
    "Source reports {name} arranges for girls to be taken to {place} at night.",
    "{name} believed to be using a phone to contact children; numbers passed between associates.",
    "Concern that {name} is in a relationship with a 14 year old female.",
    "Vehicle seen outside {place} late at night with young females inside; driver believed to be {name}.",
]


def vehicle_registrations(rng: np.random.Generator, n: int) -> np.ndarray:
    """Current-style UK registrations such as 'BD19 XKP' (random, so rarely real)."""
    letters = _REG_LETTERS[rng.integers(0, len(_REG_LETTERS), size=(n, 5))].astype(STRING)
    age = zero_pad(rng.choice([15, 16, 17, 18, 19, 20, 21, 22, 23, 65, 66, 67, 68, 69, 70, 71, 72], size=n), 2)
    out = np.strings.add(np.strings.add(letters[:, 0], letters[:, 1]), age)
    out = np.strings.add(np.strings.add(out, " "), letters[:, 2])
    return np.strings.add(np.strings.add(out, letters[:, 3]), letters[:, 4])


def _repeat_index(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    owner = np.repeat(np.arange(len(counts)), counts)
    return owner, np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)


def build_intelligence(
    truth: Truth, factory: PersonFactory, rng: np.random.Generator
) -> dict[str, dict[str, np.ndarray]]:
    """Reports, subjects and entities (true, before any recording choices)."""
    people = factory.people
    cases, members, victims, places = truth.cases, truth.members, truth.victims, truth.places
    rates = np.array([kind.intel_rate for kind in CASE_KINDS.values()])[cases["kind"]]
    years = np.maximum((cases["end"] - cases["start"]) / 365.0, 0.25)
    count = rng.poisson(rates * cases["size"] * years)
    case_of, _ = _repeat_index(count)
    report_case = cases["case"][case_of]
    n = len(report_case)
    date = cases["start"][case_of] + (rng.random(n) * (cases["end"][case_of] - cases["start"][case_of] + 180))
    date = date.astype(np.int64)
    size = cases["size"][case_of]
    member_first = np.searchsorted(members["case"], report_case)
    core = np.maximum(1, np.ceil(0.3 * size)).astype(np.int64)
    # subjects: 1+ members (core-biased), maybe a victim, sometimes an innocent
    k = np.minimum(size, 1 + rng.poisson(0.9, size=n))
    r_of, _ = _repeat_index(k)
    biased = rng.random(len(r_of)) < 0.6
    rank = np.where(biased, rng.random(len(r_of)) * core[r_of], rng.random(len(r_of)) * size[r_of]).astype(np.int64)
    key = np.unique((r_of.astype(np.int64) << 32) | rank)
    r_of, rank = key >> 32, key & 0xFFFFFFFF
    subj_report = [r_of]
    subj_pid = [members["pid"][member_first[r_of] + rank]]
    subj_role = [np.full(len(r_of), "SUSPECT", dtype=object)]
    v_first = np.searchsorted(victims["case"], report_case)
    v_count = np.searchsorted(victims["case"], report_case, side="right") - v_first
    with_victim = (rng.random(n) < 0.5) & (v_count > 0)
    chosen = v_first[with_victim] + (rng.random(int(with_victim.sum())) * v_count[with_victim]).astype(np.int64)
    subj_report.append(np.flatnonzero(with_victim))
    subj_pid.append(victims["pid"][chosen])
    subj_role.append(np.full(len(chosen), "VICTIM", dtype=object))
    # a victim introduced by another victim is often reported together with her
    recruiter = victims["recruiter"][chosen]
    together = (recruiter >= 0) & (rng.random(len(chosen)) < 0.6)
    subj_report.append(np.flatnonzero(with_victim)[together])
    subj_pid.append(recruiter[together])
    subj_role.append(np.full(int(together.sum()), "VICTIM", dtype=object))
    # reports force: mostly the case's force; some in the force where a named member lives
    force = cases["force"][case_of].copy()
    elsewhere = rng.random(n) < 0.15
    named = members["pid"][member_first[elsewhere]]
    force[elsewhere] = factory.geo.council_force[people["council"][named]]
    # innocents named alongside members, and reports about nobody involved at all
    innocent = rng.random(n) < 0.15
    noise_n = int(n * 0.3) + 1
    noise_council = cases["council"][rng.integers(0, len(cases["council"]), size=noise_n)]
    all_council = np.concatenate([cases["council"][case_of][innocent], noise_council])
    ages = np.clip(rng.normal(34, 11, size=len(all_council)), 18, 75)
    noise_date = rng.integers(truth.first_day - 365, truth.last_day + 1, size=noise_n)
    when = np.concatenate([date[innocent], noise_date])
    dob = birth_dates(rng, np.datetime64("1970-01-01") + when.astype("timedelta64[D]"), ages)
    innocents = factory.create(all_council, (rng.random(len(all_council)) < 0.1).astype(np.int8), dob, phone_share=0.6)
    subj_report.append(np.concatenate([np.flatnonzero(innocent), n + np.arange(noise_n)]))
    subj_pid.append(innocents)
    subj_role.append(np.where(np.arange(len(innocents)) < innocent.sum(), "OTHER", "SUSPECT").astype(object))
    reports = {
        "case": np.concatenate([report_case, np.full(noise_n, -1)]),
        "date": np.concatenate([date, noise_date]),
        "force": np.concatenate([force, factory.geo.council_force[noise_council]]),
        "cse": np.concatenate([rng.random(n) < 0.92, rng.random(noise_n) < 0.5]),
        "noise": np.concatenate([np.zeros(n, dtype=bool), np.ones(noise_n, dtype=bool)]),
    }
    total = len(reports["case"])
    reports["source_evaluation"] = np.where(
        reports["noise"],
        rng.choice(["B", "C"], total, p=[0.4, 0.6]),
        rng.choice(["A", "B", "C"], total, p=[0.25, 0.6, 0.15]),
    ).astype(object)
    reports["assessment"] = np.where(
        reports["noise"],
        rng.choice(["3", "4", "5"], total, p=[0.5, 0.35, 0.15]),
        rng.choice(["1", "2", "3", "4"], total, p=[0.15, 0.4, 0.35, 0.1]),
    ).astype(object)
    reports["handling"] = rng.choice(["P", "C"], total, p=[0.85, 0.15]).astype(object)
    subjects = {
        "report": np.concatenate(subj_report),
        "pid": np.concatenate(subj_pid),
        "role": np.concatenate(subj_role),
    }
    order = np.lexsort((subjects["pid"], subjects["report"]))
    subjects = {key: value[order] for key, value in subjects.items()}
    entities, location = _entities(reports, subjects, places, people, rng)
    reports["location_type"] = location
    reports["text"] = _texts(reports, subjects, entities, factory, rng)
    return {"reports": reports, "subjects": subjects, "entities": entities}


def _entities(
    reports: dict[str, np.ndarray],
    subjects: dict[str, np.ndarray],
    places: dict[str, np.ndarray],
    people,
    rng: np.random.Generator,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Vehicles, phones, addresses and places per report; returns entities and each report's location type."""
    total = len(reports["case"])
    case = reports["case"]
    # a vehicle per case, fixed by the case id so that reports about one group share it
    case_rng_regs = vehicle_registrations(
        np.random.default_rng(int(rng.integers(0, 2**31))), int(case.max(initial=0)) + 2
    )
    parts_report, parts_type, parts_value = [], [], []
    has_case = case >= 0
    p_first = np.searchsorted(places["case"], np.where(has_case, case, 0))
    p_count = np.where(
        has_case, np.searchsorted(places["case"], np.where(has_case, case, 0), side="right") - p_first, 0
    )
    with_place = (p_count > 0) & (rng.random(total) < 0.55)
    place = p_first + (rng.random(total) * np.maximum(p_count, 1)).astype(np.int64)
    location = np.full(total, "NR", dtype=object)
    place_type = np.array(LOCATIONS, dtype=object)[places["type"][place[with_place]]]
    location[with_place] = place_type
    online = place_type == "ONLINE"
    idx = np.flatnonzero(with_place)
    parts_report += [idx[~online], idx[online]]
    parts_type += [
        np.full(int((~online).sum()), "LOCATION", dtype=object),
        np.full(int(online.sum()), "ONLINE_ACCOUNT", dtype=object),
    ]
    # one account per online place, so that reports about the same group share it
    handles = np.strings.add("snap:", zero_pad((place[idx[online]] * 7919 + 17) % 10**6, 6))
    parts_value += [places["address"][place[idx[~online]]], handles]
    with_vehicle = has_case & (rng.random(total) < 0.35)
    parts_report.append(np.flatnonzero(with_vehicle))
    parts_type.append(np.full(int(with_vehicle.sum()), "VEHICLE", dtype=object))
    parts_value.append(case_rng_regs[case[with_vehicle]])
    # a shared 'work' phone per case, passed between members
    with_case_phone = has_case & (rng.random(total) < 0.2)
    parts_report.append(np.flatnonzero(with_case_phone))
    parts_type.append(np.full(int(with_case_phone.sum()), "PHONE", dtype=object))
    parts_value.append(np.strings.add("07700 ", zero_pad((case[with_case_phone] * 104729 + 7) % 10**6, 6)))
    phone = people["phone"][subjects["pid"]]
    with_phone = (np.strings.str_len(phone) > 0) & (rng.random(len(phone)) < 0.4)
    parts_report.append(subjects["report"][with_phone])
    parts_type.append(np.full(int(with_phone.sum()), "PHONE", dtype=object))
    parts_value.append(phone[with_phone])
    with_address = rng.random(len(phone)) < 0.15
    parts_report.append(subjects["report"][with_address])
    parts_type.append(np.full(int(with_address.sum()), "ADDRESS", dtype=object))
    parts_value.append(people["address"][subjects["pid"][with_address]])
    entities = {
        "report": np.concatenate(parts_report),
        "type": np.concatenate(parts_type),
        "value": np.concatenate([np.asarray(v, dtype=STRING) for v in parts_value]),
    }
    key = np.strings.add(
        np.strings.add(zero_pad(entities["report"], 9), entities["type"].astype(STRING)), entities["value"]
    )
    _, first = np.unique(key, return_index=True)
    first.sort()
    return {name: value[first] for name, value in entities.items()}, location


def _texts(
    reports: dict[str, np.ndarray],
    subjects: dict[str, np.ndarray],
    entities: dict[str, np.ndarray],
    factory: PersonFactory,
    rng: np.random.Generator,
) -> np.ndarray:
    total = len(reports["case"])
    names = factory.names
    people = factory.people
    first_subject = np.searchsorted(subjects["report"], np.arange(total))
    first_subject = np.minimum(first_subject, len(subjects["pid"]) - 1)
    pid = subjects["pid"][first_subject]
    full = np.strings.upper(
        np.strings.add(
            np.strings.add(names.forenames[people["forename"][pid]], " "), names.surnames[people["surname"][pid]]
        )
    )
    template = np.array(_TEXT, dtype=STRING)[rng.integers(0, len(_TEXT), size=total)]
    text = np.strings.replace(template, "{name}", full)
    return np.strings.replace(text, "{place}", np.array("an address in the area", dtype=STRING))
