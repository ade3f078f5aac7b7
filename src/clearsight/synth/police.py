"""What forces record: offences with codes, flags and outcomes; victims and suspects; intelligence;
disruptions. Recording choices (flags used or not, ethnicity written or not) follow each force's knobs.

Tables are built in the standard's field names, one row per record, with two private columns: ``_sub``
(the submitter) and ``_day`` (the date that decides the return the row goes in). Dates are int days since
1970-01-01 (-1 for none); person references are registry indices until ``resolve`` turns them into ids.
"""

from __future__ import annotations

import numpy as np

from clearsight.synth.cases import CASE_KINDS, LOCATIONS, OFFENCE_KINDS
from clearsight.synth.offending import Truth, offence_locations
from clearsight.synth.population import STRING, People, zero_pad
from clearsight.synth.registry import OTHER, SUSPECT, VICTIM, Involvements, Submitters

Table = dict[str, np.ndarray]
_KIND_NAMES = list(CASE_KINDS)
_NTE = {"TAKEAWAY", "TAXI", "NIGHT_TIME_ECONOMY", "HOTEL"}
_OUTCOMES = (
    ["16", "15", "14", "18", "21", "10", "9", "20", "22", "8", "2", "3"],
    [0.3, 0.15, 0.1, 0.08, 0.08, 0.05, 0.05, 0.05, 0.03, 0.03, 0.04, 0.04],
)


def ho_codes(kind: np.ndarray, female: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Home Office code consistent with the victim's sex and age (e.g. 19D/19E for girls under 16/13)."""
    k = np.array(OFFENCE_KINDS, dtype=object)[kind]
    under13, under16 = age < 13, age < 16
    rape = np.where(
        female,
        np.where(under13, "19E", np.where(under16, "19D", "19C")),
        np.where(under13, "19H", np.where(under16, "19G", "19F")),
    )
    assault = np.where(female, np.where(under13, "20B", "20A"), np.where(under13, "17B", "17A"))
    activity = np.where(under13, "21", np.where(under16, "22B", "73"))
    code = np.select(
        [
            k == "rape",
            k == "assault",
            k == "activity",
            k == "exploitation",
            k == "grooming",
            k == "familial",
            k == "exposure",
        ],
        [rape, assault, activity, "71", np.where(under16, "88A", "71"), "23", "88E"],
        "73",
    )
    return code.astype(object)


def _ages(people: People, pid: np.ndarray, day: np.ndarray) -> np.ndarray:
    born = (people["dob"][pid] - np.datetime64("1970-01-01")).astype(np.int64)
    return np.floor((day - born) / 365.25).astype(np.int64)


def build_offences(
    truth: Truth,
    people: People,
    subs: Submitters,
    rng: np.random.Generator,
    inv: Involvements,
    council_codes: list[str],
) -> tuple[Table, Table, np.ndarray]:
    """(offence, offence_person, index of kept true offences)."""
    off = truth.offences
    in_scope = np.isin(off["force"], list(subs.force_submitter))
    child = _ages(people, off["victim"], off["committed_from"]) < 18
    keep = np.flatnonzero(in_scope & child & (off["recorded"] >= truth.first_day) & (off["recorded"] <= truth.last_day))
    loc_all, loc_postcode_all = offence_locations(truth, people["postcode"], rng)
    n = len(keep)
    force_sub = np.array([subs.force_submitter.get(int(f), -1) for f in range(int(off["force"].max()) + 1)])
    sub = force_sub[off["force"][keep]]
    victim = off["victim"][keep]
    committed, recorded = off["committed_from"][keep], off["recorded"][keep]
    committed_to = np.where(off["committed_to"][keep] > committed, off["committed_to"][keep], -1)
    age = _ages(people, victim, committed)
    female = people["sex"][victim] == 1
    case_kind = off["case_kind"][keep]
    kind_name = np.array(_KIND_NAMES, dtype=object)[case_kind]
    cse_true, group_true = off["cse"][keep], off["group"][keep]
    sens = subs.knob("cse_flag_sensitivity")[sub]
    cse_flag = np.where(cse_true, rng.random(n) < sens, rng.random(n) < subs.knob("cse_flag_false_positive")[sub])
    group_sens = subs.knob("group_flag_sensitivity")[sub] * np.where(
        kind_name == "network", 1.3, np.where(kind_name == "familial_group", 0.4, 0.8)
    )
    group_flag = np.where(group_true, rng.random(n) < group_sens, rng.random(n) < 0.003)
    online_flag = np.where(off["online"][keep], rng.random(n) < 0.92, rng.random(n) < 0.01)
    location = np.array(LOCATIONS, dtype=object)[loc_all[keep]]
    location[rng.random(n) < 0.05] = "NR"
    loc_postcode = np.where(rng.random(n) < 0.6, loc_postcode_all[keep], "")
    nte = np.where(np.isin(location, list(_NTE)), 1, 0)
    nte[rng.random(n) < 0.3] = -1
    context = np.full(n, "", dtype=object)
    context[cse_flag & (rng.random(n) < 0.6)] = "CSE"
    context[np.isin(kind_name, ["familial", "familial_group"]) & (rng.random(n) < 0.6)] = "FAMILIAL"
    # suspects of the kept offences
    sus = truth.offence_suspects
    pos = np.searchsorted(off["oid"], sus["oid"])
    kept_mask = np.zeros(len(off["oid"]), dtype=bool)
    kept_mask[keep] = True
    sus_keep = kept_mask[pos]
    sus_row = np.searchsorted(keep, pos[sus_keep])
    sus_pid = sus["pid"][sus_keep]
    has_suspect = np.bincount(sus_row, minlength=n) > 0
    outcome, outcome_day = _outcomes(rng, recorded, has_suspect, subs.knob("charge_rate")[sub], truth.last_day)
    charged = outcome == "1"
    sentenced = charged & (outcome_day + 240 < truth.last_day) & (rng.random(n) < 0.7)
    s_draw = rng.random(n)
    sentence = np.where(
        sentenced,
        np.select(
            [s_draw < 0.55, s_draw < 0.75, s_draw < 0.95],
            ["IMMEDIATE_CUSTODY", "SUSPENDED_SENTENCE", "COMMUNITY_ORDER"],
            "OTHER",
        ),
        "",
    ).astype(object)
    months = np.where(
        sentence == "IMMEDIATE_CUSTODY",
        np.exp(np.log(60) + 0.7 * rng.standard_normal(n)),
        np.where(sentence == "SUSPENDED_SENTENCE", rng.uniform(6, 24, n), np.nan),
    )
    g_draw = rng.random(n)
    grooming = np.where(
        sentenced,
        np.where(
            cse_true, np.select([g_draw < 0.35, g_draw < 0.85], ["Y", "N"], "U"), np.where(g_draw < 0.8, "N", "U")
        ),
        "",
    ).astype(object)
    prefix = np.array([f"{(i * 37) % 60 + 1:02d}/" for i in range(len(subs.codes))], dtype=STRING)
    year2 = zero_pad((recorded / 365.25 + 1970).astype(np.int64) % 100, 2)
    record_id = np.strings.add(np.strings.add(np.strings.add(prefix[sub], zero_pad(keep, 6)), "/"), year2)
    offence: Table = {
        "_sub": sub,
        "_day": recorded,
        "record_id": record_id,
        "ho_code": ho_codes(off["kind"][keep], female, age),
        "committed_from": committed,
        "committed_to": committed_to,
        "recorded_date": recorded,
        "local_authority": np.where(
            rng.random(n) < 0.85, np.array(council_codes, dtype=object)[off["council"][keep]], ""
        ),
        "location_type": location,
        "location_postcode": loc_postcode,
        "night_time_economy": nte,
        "csa_flag": rng.random(n) < 0.995,
        "cse_flag": cse_flag,
        "group_based_flag": group_flag,
        "online_flag": online_flag,
        "offence_context": context,
        "outcome_type": outcome,
        "outcome_date": outcome_day,
        "charge_date": np.where(charged, outcome_day, -1),
        "sentence_type": sentence,
        "sentence_months": np.round(months, 1),
        "grooming_aggravating_factor": grooming,
        "_true_index": keep,
        "_case": off["case"][keep],
    }
    # offence_person: the victim, then suspects
    rows = np.concatenate([np.arange(n), sus_row])
    pids = np.concatenate([victim, sus_pid])
    roles = np.concatenate([np.full(n, VICTIM), np.full(len(sus_row), SUSPECT)])
    person_age = _ages(people, pids, committed[rows])
    person_age = np.where(rng.random(len(rows)) < 0.05, -1, person_age)
    order = np.lexsort((roles, rows))
    rows, pids, roles, person_age = rows[order], pids[order], roles[order], person_age[order]
    inv.add("offence_person", sub[rows], pids, roles, recorded[rows])
    offence_person: Table = {
        "_sub": sub[rows],
        "_day": recorded[rows],
        "offence_record_id": record_id[rows],
        "person_record_id": np.zeros(len(rows), dtype=np.int64),
        "role": np.array(["VICTIM", "SUSPECT"], dtype=object)[roles],
        "age_at_offence": np.clip(person_age, -1, 120),
        "_ref": np.full(len(rows), 1),
        "_pid": pids,
    }
    return offence, offence_person, keep


def _outcomes(
    rng: np.random.Generator, recorded: np.ndarray, has_suspect: np.ndarray, charge_rate: np.ndarray, last_day: int
) -> tuple[np.ndarray, np.ndarray]:
    n = len(recorded)
    open_days = last_day - recorded
    pending = rng.random(n) < np.clip(1.0 - open_days / 240.0, 0.03, 0.9)
    other = np.asarray(_OUTCOMES[0], dtype=object)[rng.choice(len(_OUTCOMES[0]), n, p=_OUTCOMES[1])]
    outcome = np.where(rng.random(n) < charge_rate, "1", other).astype(object)
    no_suspect = ~has_suspect
    outcome[no_suspect] = np.where(rng.random(int(no_suspect.sum())) < 0.6, "18", "14")
    outcome[pending] = "PENDING"
    delay = np.exp(np.log(120) + 0.8 * rng.standard_normal(n)).astype(np.int64)
    day = np.minimum(recorded + delay, last_day)
    return outcome, np.where(pending, -1, day)


def build_intelligence_tables(
    intel: dict[str, dict[str, np.ndarray]], truth: Truth, subs: Submitters, rng: np.random.Generator, inv: Involvements
) -> tuple[Table, Table, Table]:
    reports, subjects, entities = intel["reports"], intel["subjects"], intel["entities"]
    force_sub = np.array([subs.force_submitter.get(f, -1) for f in range(int(reports["force"].max()) + 1)])
    sub_all = force_sub[reports["force"]]
    keep = np.flatnonzero((sub_all >= 0) & (reports["date"] >= truth.first_day) & (reports["date"] <= truth.last_day))
    sub = sub_all[keep]
    n = len(keep)
    record_id = np.strings.add("INT", zero_pad(keep * 3 + 100, 8))
    cse = np.where(reports["cse"][keep], rng.random(n) < 0.9, rng.random(n) < 0.05)
    report: Table = {
        "_sub": sub,
        "_day": reports["date"][keep],
        "record_id": record_id,
        "report_date": reports["date"][keep],
        "source_evaluation": reports["source_evaluation"][keep],
        "intelligence_assessment": reports["assessment"][keep],
        "handling_code": reports["handling"][keep],
        "cse_related": cse,
        "location_type": reports["location_type"][keep],
        "text": reports["text"][keep],
    }
    row_of = np.full(len(reports["case"]), -1, dtype=np.int64)
    row_of[keep] = np.arange(n)
    s_row = row_of[subjects["report"]]
    s_keep = s_row >= 0
    s_row = s_row[s_keep]
    roles = subjects["role"][s_keep]
    role_int = np.select([roles == "VICTIM", roles == "SUSPECT"], [VICTIM, SUSPECT], OTHER)
    inv.add("intelligence_subject", sub[s_row], subjects["pid"][s_keep], role_int, report["_day"][s_row])
    subject: Table = {
        "_sub": sub[s_row],
        "_day": report["_day"][s_row],
        "intelligence_record_id": record_id[s_row],
        "person_record_id": np.zeros(len(s_row), dtype=np.int64),
        "role": roles,
        "_pid": subjects["pid"][s_keep],
    }
    e_row = row_of[entities["report"]]
    e_keep = e_row >= 0
    e_row = e_row[e_keep]
    entity: Table = {
        "_sub": sub[e_row],
        "_day": report["_day"][e_row],
        "intelligence_record_id": record_id[e_row],
        "entity_type": entities["type"][e_keep],
        "entity_value": entities["value"][e_keep],
    }
    return report, subject, entity


def build_force_disruptions(
    offence: Table, offence_person: Table, truth: Truth, subs: Submitters, rng: np.random.Generator, inv: Involvements
) -> Table:
    """Arrests and charges on suspects of recorded offences; CAWNs, SROs and SHPOs on exploiters."""
    suspect = offence_person["role"] == "SUSPECT"
    pids = offence_person["_pid"][suspect]
    row = np.searchsorted(
        offence["record_id"], offence_person["offence_record_id"][suspect], sorter=np.argsort(offence["record_id"])
    )
    row = np.argsort(offence["record_id"])[row]
    recorded = offence["recorded_date"][row]
    arrest = rng.random(len(pids)) < 0.35
    charge = offence["outcome_type"][row] == "1"
    kinds = np.array(_KIND_NAMES, dtype=object)[truth.cases["kind"][offence["_case"][row]]]
    exploiter = np.isin(kinds, ["network", "lone_cse", "peer_group"])
    cawn = exploiter & (rng.random(len(pids)) < 0.2)
    shpo = offence["sentence_type"][row] != ""
    parts = [
        (arrest, "ARREST", recorded + rng.integers(0, 60, len(pids))),
        (charge, "CHARGE", offence["charge_date"][row]),
        (cawn, "CAWN", recorded - rng.integers(0, 200, len(pids))),
        (shpo & (rng.random(len(pids)) < 0.5), "SHPO", offence["outcome_date"][row] + 200),
        (exploiter & (rng.random(len(pids)) < 0.03), "SRO", recorded + rng.integers(0, 120, len(pids))),
    ]
    chosen_rows, types, days = [], [], []
    for mask, name, day in parts:
        chosen_rows.append(np.flatnonzero(mask))
        types.append(np.full(int(mask.sum()), name, dtype=object))
        days.append(day[mask])
    idx = np.concatenate(chosen_rows)
    day = np.concatenate(days)
    ok = (day >= truth.first_day) & (day <= truth.last_day)
    idx, day, kind = idx[ok], day[ok], np.concatenate(types)[ok]
    sub = offence["_sub"][row[idx]]
    inv.add("force_disruption", sub, pids[idx], SUSPECT, day)
    return {
        "_sub": sub,
        "_day": day,
        "record_id": np.strings.add("D", zero_pad(np.arange(len(idx)) + 5000, 7)),
        "person_record_id": np.zeros(len(idx), dtype=np.int64),
        "disruption_type": kind,
        "disruption_date": day,
        "offence_record_id": np.where(kind == "CAWN", "", offence["record_id"][row[idx]]).astype(object),
        "_pid": pids[idx],
    }
