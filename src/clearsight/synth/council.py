"""What councils record (referrals, missing episodes, placements, licensing and other disruptions) and the
missing-person reports that forces record. Same conventions as ``police.py``."""

from __future__ import annotations

import numpy as np

from clearsight.synth.cases import CASE_KINDS, LOCATIONS
from clearsight.synth.offending import Truth
from clearsight.synth.population import STRING, People, zero_pad
from clearsight.synth.registry import OTHER, SUSPECT, VICTIM, Involvements, Submitters, _key
from clearsight.synth.text import INDICATORS

Table = dict[str, np.ndarray]


def _council_sub(subs: Submitters, council: np.ndarray) -> np.ndarray:
    table = np.full(int(max(subs.council_submitter, default=0)) + 2, -1, dtype=np.int64)
    for council_index, sub in subs.council_submitter.items():
        table[council_index] = sub
    return table[np.minimum(council, len(table) - 1)]


def build_referrals(
    care: dict[str, dict[str, np.ndarray]], subs: Submitters, inv: Involvements, council_codes: list[str]
) -> tuple[Table, Table]:
    """(referral table, harm truth keyed like the table)."""
    ref = care["referrals"]
    sub = _council_sub(subs, ref["council"])
    keep = np.flatnonzero(sub >= 0)
    sub = sub[keep]
    day = ref["referral_day"][keep]
    inv.add("referral", sub, ref["pid"][keep], VICTIM, day)
    record_id = np.strings.add("REF", zero_pad(keep * 2 + 7, 8))
    table: Table = {
        "_sub": sub,
        "_day": day,
        "record_id": record_id,
        "person_record_id": np.zeros(len(keep), dtype=np.int64),
        "referral_date": day,
        "referral_source": ref["source"][keep],
        "assessment_date": ref["assessment_day"][keep],
        "assessment_factors": ref["factors"][keep],
        "primary_need": ref["primary_need"][keep],
        "cse_concern": ref["cse_concern"][keep],
        "outcome": ref["outcome"][keep],
        "recorded_status": ref["recorded_status"][keep],
        "local_authority": np.array(council_codes, dtype=object)[ref["council"][keep]],
        "summary": ref["summary"][keep],
        "_pid": ref["pid"][keep],
    }
    present = ref["present"][keep]
    indicators = np.full(len(keep), "", dtype=STRING)
    for column, name in enumerate(INDICATORS):
        indicators = np.where(present[:, column], np.strings.add(indicators, ";" + name), indicators)
    harm: Table = {
        "_sub": sub,
        "record_id": record_id,
        "harmed": ref["harmed"][keep],
        "indicators": np.strings.lstrip(indicators, ";"),
    }
    return table, harm


def build_missing(
    care: dict[str, dict[str, np.ndarray]],
    people: People,
    subs: Submitters,
    inv: Involvements,
    rng: np.random.Generator,
    victim_keys: np.ndarray,
    referral: Table,
    council_force: np.ndarray,
) -> Table:
    """Missing episodes as the child's force (most) and council (children known to it) record them."""
    mis = care["missing"]
    home = people["council"][mis["pid"]]
    force_table = np.array([subs.force_submitter.get(f, -1) for f in range(int(council_force.max()) + 1)])
    force_sub = force_table[council_force[home]]
    by_force = (force_sub >= 0) & (rng.random(len(home)) < 0.85)
    council_sub = _council_sub(subs, home)
    known = np.isin(
        _key(council_sub, mis["pid"], np.full(len(home), VICTIM)),
        _key(referral["_sub"], referral["_pid"], np.full(len(referral["_sub"]), VICTIM)),
    )
    by_council = (council_sub >= 0) & known & (rng.random(len(home)) < 0.7)
    rows = np.concatenate([np.flatnonzero(by_force), np.flatnonzero(by_council)])
    sub = np.concatenate([force_sub[by_force], council_sub[by_council]])
    pid = mis["pid"][rows]
    role = np.where(np.isin(_key(sub, pid, np.full(len(sub), VICTIM)), victim_keys), VICTIM, OTHER)
    role[len(np.flatnonzero(by_force)) :] = VICTIM
    start_minute = mis["start_day"][rows] * 1440 + mis["start_minute"][rows]
    end_minute = np.where(mis["returned"][rows], start_minute + (mis["hours"][rows] * 60).astype(np.int64), -1)
    inv.add("missing_episode", sub, pid, role, mis["start_day"][rows])
    truth_adults = mis["with_adults"][rows]
    draw = rng.random(len(rows))
    with_adults = np.where(draw < 0.3, "U", np.where(truth_adults, "Y", "N")).astype(object)
    with_adults[draw > 0.95] = ""
    context = np.where(rng.random(len(rows)) < 0.8, mis["return_context"][rows], "NR").astype(object)
    return {
        "_sub": sub,
        "_day": mis["start_day"][rows],
        "record_id": np.strings.add("MP", zero_pad(np.arange(len(rows)) * 5 + 11, 8)),
        "person_record_id": np.zeros(len(rows), dtype=np.int64),
        "start_datetime": start_minute,
        "end_datetime": end_minute,
        "with_adults": with_adults,
        "return_context": context,
        "found_postcode": np.where(rng.random(len(rows)) < 0.7, mis["found_postcode"][rows], "").astype(object),
        "return_interview_offered": mis["interview"][rows],
        "_pid": pid,
    }


def build_placements(
    care: dict[str, dict[str, np.ndarray]],
    people: People,
    subs: Submitters,
    inv: Involvements,
    truth: Truth,
    council_codes: list[str],
) -> Table:
    plc = care["placements"]
    sub = _council_sub(subs, people["council"][plc["pid"]])
    keep = np.flatnonzero((sub >= 0) & (plc["start_day"] >= truth.first_day) & (plc["start_day"] <= truth.last_day))
    sub = sub[keep]
    start = plc["start_day"][keep]
    end = np.where(plc["ended"][keep] & (plc["end_day"][keep] <= truth.last_day), plc["end_day"][keep], -1)
    inv.add("placement", sub, plc["pid"][keep], VICTIM, start)
    return {
        "_sub": sub,
        "_day": start,
        "record_id": np.strings.add("PL", zero_pad(keep * 3 + 2, 8)),
        "person_record_id": np.zeros(len(keep), dtype=np.int64),
        "start_date": start,
        "end_date": end,
        "placement_type": plc["type"][keep],
        "provider_registration": plc["registration"][keep],
        "local_authority": np.array(council_codes, dtype=object)[people["council"][plc["pid"][keep]]],
        "postcode": plc["postcode"][keep],
        "_pid": plc["pid"][keep],
    }


def build_council_disruptions(truth: Truth, subs: Submitters, inv: Involvements, rng: np.random.Generator) -> Table:
    """Licensing action against members of networks that use taxis; some injunctions."""
    members, cases, places = truth.members, truth.cases, truth.places
    kinds = np.array(list(CASE_KINDS), dtype=object)[cases["kind"][members["case"]]]
    taxi_cases = np.unique(places["case"][places["type"] == LOCATIONS.index("TAXI")])
    uses_taxi = np.isin(members["case"], taxi_cases)
    council = cases["council"][members["case"]]
    sub = _council_sub(subs, council)
    licensing = (sub >= 0) & uses_taxi & (rng.random(len(council)) < 0.3)
    injunction = (sub >= 0) & (kinds == "network") & (rng.random(len(council)) < 0.05)
    rows = np.concatenate([np.flatnonzero(licensing), np.flatnonzero(injunction)])
    kind = np.concatenate(
        [
            np.full(int(licensing.sum()), "LICENSING", dtype=object),
            np.full(int(injunction.sum()), "INJUNCTION", dtype=object),
        ]
    )
    start, end = cases["start"][members["case"][rows]], cases["end"][members["case"][rows]]
    day = start + (rng.random(len(rows)) * (end - start + 300)).astype(np.int64)
    ok = (day >= truth.first_day) & (day <= truth.last_day)
    rows, kind, day = rows[ok], kind[ok], day[ok]
    inv.add("council_disruption", sub[rows], members["pid"][rows], SUSPECT, day)
    return {
        "_sub": sub[rows],
        "_day": day,
        "record_id": np.strings.add("CD", zero_pad(np.arange(len(rows)) + 300, 7)),
        "person_record_id": np.zeros(len(rows), dtype=np.int64),
        "disruption_type": kind,
        "disruption_date": day,
        "offence_record_id": np.full(len(rows), "", dtype=object),
        "_pid": members["pid"][rows],
    }
