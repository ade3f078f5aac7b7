"""Children's social care and missing children: referrals with true harm, missing episodes, placements.

The council sees a child through referrals; the truth says whether the child had really been harmed at
assessment and which harm signals were present. Councils also see children who were at risk but never
harmed (so that a flag has true negatives) and children harmed without any police record (hidden harm).
"""

from __future__ import annotations

import numpy as np

from clearsight.synth.cases import CASE_KINDS
from clearsight.synth.offending import Truth, to_date
from clearsight.synth.population import STRING, PersonFactory, birth_dates
from clearsight.synth.text import INDICATORS, summaries

# Scales the per-kind referral shares so that national referrals with a sexual harm concern land near the
# 29,560 + 12,120 children assessed with sexual abuse or CSE as a factor (calibration.csv, CIN 2024/25).
REFERRAL_SCALE = 0.7
# children referred at risk but never harmed, per referred victim whose abuse falls in the window
AT_RISK_PER_VICTIM = 0.8
_CSE_KINDS = np.array([kind.cse >= 0.5 for kind in CASE_KINDS.values()])
_REFERRAL_SOURCES = (
    ["2A", "3A", "3C", "3D", "1A", "1C", "5D", "8", "9", "10", "6"],
    [0.25, 0.06, 0.05, 0.04, 0.12, 0.05, 0.08, 0.06, 0.03, 0.02, 0.24],
)
_FACTORS = ["10A", "19A", "19B", "19C", "9A", "4A", "14A", "2A", "1A", "13A", "16A", "17A", "3B", "4B"]
_PLACEMENTS = (
    ["U4", "U6", "U3", "K2", "H5", "R1", "P1", "P2", "K1", "S1"],
    [0.22, 0.2, 0.08, 0.22, 0.14, 0.03, 0.04, 0.03, 0.02, 0.02],
)


def _first_date(n_people: int, pids: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Earliest date per person (large value where none)."""
    out = np.full(n_people, np.iinfo(np.int64).max // 2, dtype=np.int64)
    np.minimum.at(out, pids, dates)
    return out


def build_care(
    truth: Truth,
    intel: dict[str, dict[str, np.ndarray]],
    factory: PersonFactory,
    rng: np.random.Generator,
    councils: np.ndarray,
    at_risk_knob: np.ndarray,
) -> dict[str, dict[str, np.ndarray]]:
    """Referrals, missing episodes and placements; ``at_risk_knob[c]`` is council c's share of harmed
    children recorded only as at risk."""
    people = factory.people
    victims, cases = truth.victims, truth.cases
    kind_of_victim = cases["kind"][victims["case"]]
    cse_victim = _CSE_KINDS[kind_of_victim]
    referral_rate = np.array([k.referral for k in CASE_KINDS.values()])[kind_of_victim]
    referral_rate = np.where(victims["hidden"], np.maximum(referral_rate, 0.5), referral_rate)
    in_scope = np.isin(people["council"][victims["pid"]], councils)
    referred = in_scope & (rng.random(len(referral_rate)) < referral_rate * REFERRAL_SCALE)
    # children at risk but not harmed, in proportion to the victims whose abuse overlaps the window
    overlapping = referred & (victims["end"] >= truth.first_day) & (victims["start"] <= truth.last_day)
    n_risk = int(overlapping.sum() * AT_RISK_PER_VICTIM) + 1
    weights = factory.geo.council_children[councils]
    risk_council = councils[rng.choice(len(councils), size=n_risk, p=weights / weights.sum())]
    risk_day = rng.integers(truth.first_day - 200, truth.last_day - 30, size=n_risk)
    risk_age = rng.uniform(11, 17.5, size=n_risk)
    risk_sex = (rng.random(n_risk) < 0.7).astype(np.int8)
    risk_pid = factory.create(risk_council, risk_sex, birth_dates(rng, to_date(risk_day), risk_age), phone_share=0.4)
    # child-level frame: victims then at-risk children
    pid = np.concatenate([victims["pid"][referred], risk_pid])
    harm_start = np.concatenate([victims["start"][referred], np.full(n_risk, np.iinfo(np.int64).max // 2)])
    harm_end = np.concatenate([victims["end"][referred], risk_day + 200])
    anchor = np.concatenate([victims["start"][referred], risk_day - 100])
    cse = np.concatenate([cse_victim[referred], np.ones(n_risk, dtype=bool)])
    case = np.concatenate([victims["case"][referred], np.full(n_risk, -1)])
    kind = np.concatenate([kind_of_victim[referred], np.full(n_risk, -1)])
    n_child = len(pid)
    looked_after = rng.random(n_child) < np.where(cse, 0.3, 0.12)
    missing = _missing(truth, kind, cse, pid, anchor, harm_end, case, rng, people)
    placements = _placements(pid, anchor, harm_end, looked_after, cse, people, factory, rng)
    # referrals: 1+ per child, dated around the abuse
    count = 1 + rng.poisson(np.where(cse, 0.4, 0.15))
    child = np.repeat(np.arange(n_child), count)
    span = np.maximum(harm_end[child] - anchor[child], 1)
    referral_day = anchor[child] - 60 + (rng.random(len(child)) * (span + 240)).astype(np.int64)
    assessed = rng.random(len(child)) >= 0.08
    assessment_day = np.minimum(referral_day + rng.integers(3, 45, size=len(child)), truth.last_day)
    as_of = np.where(assessed, assessment_day, referral_day)
    keep = (referral_day >= truth.first_day) & (referral_day <= truth.last_day)
    child, referral_day, assessment_day, assessed, as_of = (
        a[keep] for a in (child, referral_day, assessment_day, assessed, as_of)
    )
    r_pid = pid[child]
    harmed = harm_start[child] <= as_of
    offences = truth.offences
    window = (offences["recorded"] >= truth.first_day) & (offences["recorded"] <= truth.last_day)
    police = _first_date(people.size, offences["victim"][window], offences["recorded"][window])[r_pid] <= as_of
    subjects, reports = intel["subjects"], intel["reports"]
    victim_subject = subjects["role"] == "VICTIM"
    named = (
        _first_date(people.size, subjects["pid"][victim_subject], reports["date"][subjects["report"][victim_subject]])[
            r_pid
        ]
        <= as_of
    )
    with_adults = (
        _first_date(people.size, missing["pid"][missing["with_adults"]], missing["start_day"][missing["with_adults"]])[
            r_pid
        ]
        <= as_of
    )
    found = missing["return_context"] == "FOUND_WITH_ADULTS"
    found_with = _first_date(people.size, missing["pid"][found], missing["start_day"][found])[r_pid] <= as_of
    unreg = placements["registration"] == "UNREGISTERED"
    unregistered = _first_date(people.size, placements["pid"][unreg], placements["start_day"][unreg])[r_pid] <= as_of
    dob_days = (people["dob"][r_pid] - np.datetime64("1970-01-01")).astype(np.int64)
    age = ((as_of - dob_days) / 365.25).astype(np.int64)
    female = people["sex"][r_pid] == 1
    c_cse = cse[child]
    present = np.column_stack(
        [
            harmed & (age < 16) & (rng.random(len(child)) < np.where(c_cse, 0.15, 0.05)),
            harmed & female & (age >= 13) & (age < 16) & (rng.random(len(child)) < 0.04),
            with_adults,
            found_with,
            police & harmed,
            named & harmed,
            unregistered & harmed & c_cse,
            harmed & (rng.random(len(child)) < 0.35),
        ]
    )
    council = people["council"][r_pid]
    recorded_status = _recorded_status(rng, harmed, at_risk_knob[council])
    n = len(child)
    source = np.asarray(_REFERRAL_SOURCES[0], dtype=object)[
        rng.choice(len(_REFERRAL_SOURCES[0]), n, p=_REFERRAL_SOURCES[1])
    ]
    source[police & (rng.random(n) < 0.5)] = "6"
    outcome = np.where(
        harmed,
        rng.choice(["CPP", "CIN", "S47", "LAC", "EH", "NFA"], n, p=[0.2, 0.3, 0.25, 0.1, 0.1, 0.05]),
        rng.choice(["NFA", "EH", "CIN", "S47"], n, p=[0.3, 0.35, 0.25, 0.1]),
    ).astype(object)
    outcome[looked_after[child] & (rng.random(n) < 0.7)] = "LAC"
    return {
        "referrals": {
            "pid": r_pid,
            "council": council,
            "referral_day": referral_day,
            "assessment_day": np.where(assessed, assessment_day, -1),
            "harmed": harmed,
            "present": present,
            "cse_truth": c_cse,
            "source": source,
            "outcome": outcome,
            "recorded_status": recorded_status,
            "factors": _factors(rng, harmed, c_cse, with_adults, kind[child]),
            "primary_need": rng.choice(["N1", "N4", "N5", "N6", "N8"], n, p=[0.75, 0.08, 0.08, 0.06, 0.03]).astype(
                object
            ),
            "cse_concern": np.where(c_cse, rng.random(n) < 0.85, rng.random(n) < 0.06),
            "summary": summaries(rng, present, female, age),
        },
        "missing": missing,
        "placements": placements,
    }


def _recorded_status(rng: np.random.Generator, harmed: np.ndarray, knob: np.ndarray) -> np.ndarray:
    n = len(harmed)
    draw = rng.random(n)
    harmed_status = np.where(draw < knob, "AT_RISK", "HARMED")
    other = np.where(draw < 0.65, "AT_RISK", "NEITHER")
    status = np.where(harmed, harmed_status, other).astype(object)
    status[rng.random(n) < 0.03] = "NR"
    return status


def _factors(
    rng: np.random.Generator, harmed: np.ndarray, cse: np.ndarray, missing: np.ndarray, kind: np.ndarray
) -> np.ndarray:
    n = len(harmed)
    familial = np.isin(kind, [0, 7])
    p = np.column_stack(
        [
            np.where(cse, np.where(harmed, 0.85, 0.45), 0.03),
            np.where(familial, 0.7, np.where(harmed, 0.35, 0.1)),
            np.where(kind == 1, 0.4, 0.02),
            np.where(familial, 0.3, 0.05),
            np.where(missing, 0.9, 0.05),
            np.full(n, 0.4),
            np.full(n, 0.25),
            np.full(n, 0.2),
            np.full(n, 0.2),
            np.full(n, 0.3),
            np.where(familial, 0.4, 0.15),
            np.where(familial, 0.35, 0.1),
            np.full(n, 0.2),
            np.full(n, 0.15),
        ]
    )
    chosen = rng.random(p.shape) < p
    text = np.full(n, "", dtype=STRING)
    for column, code in enumerate(_FACTORS):
        text = np.where(chosen[:, column], np.strings.add(text, ";" + code), text)
    text = np.strings.lstrip(text, ";")
    text[text == ""] = "21"
    return text


def _missing(
    truth: Truth,
    kind: np.ndarray,
    cse: np.ndarray,
    pid: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    case: np.ndarray,
    rng: np.random.Generator,
    people,
) -> dict[str, np.ndarray]:
    rates = np.array([k.missing_rate for k in CASE_KINDS.values()] + [1.0])[kind]
    adults = np.array([k.missing_with_adults for k in CASE_KINDS.values()] + [0.15])[kind]
    count = rng.poisson(rates)
    child = np.repeat(np.arange(len(pid)), count)
    span = np.maximum(end[child] - start[child], 1) + 120
    start_day = start[child] - 60 + (rng.random(len(child)) * span).astype(np.int64)
    with_adults = rng.random(len(child)) < adults[child]
    draw = rng.random(len(child))
    context = np.where(
        with_adults,
        np.select([draw < 0.4, draw < 0.7], ["FOUND_WITH_ADULTS", "RETURNED_BY_ADULT_UNKNOWN"], "FOUND_BY_POLICE"),
        np.select([draw < 0.6, draw < 0.9], ["RETURNED_SELF", "FOUND_BY_POLICE"], "RETURNED_BY_ADULT_KNOWN"),
    ).astype(object)
    places = truth.places
    c = case[child]
    first = np.searchsorted(places["case"], np.maximum(c, 0))
    has_place = (c >= 0) & (first < len(places["case"])) & with_adults
    first = np.minimum(first, len(places["case"]) - 1)
    has_place &= places["case"][first] == c
    found_postcode = np.where(has_place, places["postcode"][first], "")
    minutes = rng.integers(0, 24 * 60, size=len(child))
    hours = np.clip(np.exp(np.log(10.0) + 1.0 * rng.standard_normal(len(child))), 0.5, 200)
    keep = (start_day >= truth.first_day) & (start_day + hours / 24 < truth.last_day)
    out = {
        "pid": pid[child],
        "start_day": start_day,
        "start_minute": minutes,
        "hours": hours,
        "with_adults": with_adults,
        "return_context": context,
        "found_postcode": found_postcode,
        "returned": rng.random(len(child)) < 0.98,
        "interview": rng.choice(["Y", "N", "U"], len(child), p=[0.7, 0.2, 0.1]).astype(object),
    }
    return {key: value[keep] for key, value in out.items()}


def _placements(
    pid: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    looked_after: np.ndarray,
    cse: np.ndarray,
    people,
    factory: PersonFactory,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    child = np.repeat(np.arange(len(pid)), np.where(looked_after, 1 + rng.poisson(0.8, len(pid)), 0))
    n = len(child)
    span = np.maximum(end[child] - start[child], 30) + 200
    start_day = start[child] - 100 + (rng.random(n) * span).astype(np.int64)
    length = rng.integers(20, 500, size=n)
    placement_type = np.asarray(_PLACEMENTS[0], dtype=object)[rng.choice(len(_PLACEMENTS[0]), n, p=_PLACEMENTS[1])]
    dob_days = (people["dob"][pid[child]] - np.datetime64("1970-01-01")).astype(np.int64)
    older = (start_day - dob_days) > 14 * 365
    unregistered = rng.random(n) < np.where(cse[child] & older, 0.15, 0.03)
    registration = np.where(
        unregistered,
        "UNREGISTERED",
        np.where(rng.random(n) < 0.05, "NR", np.where(np.isin(placement_type, ["P1", "U3"]), "EXEMPT", "REGISTERED")),
    )
    placement_type[unregistered & ~np.isin(placement_type, ["H5", "K2", "Z1"])] = "H5"
    home = people["council"][pid[child]]
    away = rng.random(n) < 0.3
    placed_in = np.where(away, rng.integers(0, len(factory.geo.council_codes), size=n), home)
    _, postcode = factory.addresses(placed_in)
    return {
        "pid": pid[child],
        "start_day": start_day,
        "end_day": start_day + length,
        "ended": rng.random(n) < 0.8,
        "type": placement_type,
        "registration": registration.astype(object),
        "postcode": postcode,
    }


__all__ = ["INDICATORS", "build_care"]
