"""Synthetic national data with ground truth: ``run(out, scale, years, seed)``.

The generator builds a hidden world (people, offender groups, abuse, intelligence, care, missing
episodes), lets each force and council record its part of it with its own gaps and habits, writes the
results as that body's local files with a profile, and writes what really happened to ``OUT/truth/``.
Stages, each in its own module: ``geography``/``names``/``population`` (who), ``cases``/``offending``/
``intel``/``care`` (what happened), ``registry``/``noise``/``police``/``council`` (what was recorded),
``local``/``files``/``badrows``/``submissions`` (how it was sent) and ``truth``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Literal

import numpy as np

from clearsight.standard import load_standard
from clearsight.synth.care import build_care
from clearsight.synth.cases import CASE_KINDS
from clearsight.synth.config import (
    LAST_YEAR,
    TINY_FORCES,
    TINY_OFFENCES_PER_YEAR,
    SynthSummary,
    draw_quality,
    national_offences,
    stable_rng,
)
from clearsight.synth.council import build_council_disruptions, build_missing, build_placements, build_referrals
from clearsight.synth.geography import Geography, build_geography
from clearsight.synth.intel import build_intelligence
from clearsight.synth.local import COUNCIL_TABLES, FORCE_TABLES, plan_format
from clearsight.synth.names import build_name_pools
from clearsight.synth.offending import OffendingModel, to_date
from clearsight.synth.police import build_force_disruptions, build_intelligence_tables, build_offences
from clearsight.synth.population import People, PersonFactory
from clearsight.synth.registry import VICTIM, Involvements, Submitters, _key, assign_records, record_values
from clearsight.synth.submissions import write_all
from clearsight.synth.truth import write_truth

__all__ = ["SynthSummary", "run"]
Progress = Callable[[str, int, int], None]
_BAD_PER_KIND = {"tiny": 2, "area": 3, "national": 4}
_OMITTED = {"person": {"disability_type"}}


def _scope_forces(geo: Geography, scale: str, rng: np.random.Generator) -> np.ndarray:
    councils = np.bincount(geo.council_force, minlength=len(geo.force_codes))
    if scale == "national":
        return np.arange(len(geo.force_codes))
    if scale == "area":
        options = np.flatnonzero((councils >= 3) & (councils <= 10))
        return np.sort(rng.choice(options, size=1, replace=False))
    options = np.flatnonzero((councils >= 2) & (councils <= 4))
    return np.sort(rng.choice(options, size=TINY_FORCES, replace=False))


def _submitters(geo: Geography, forces: np.ndarray, seed: int) -> Submitters:
    rng = stable_rng(seed, "quality")
    codes, names, is_force, area = [], [], [], []
    for force in forces:
        codes.append(geo.force_codes[force])
        names.append(geo.force_names[force])
        is_force.append(True)
        area.append(int(force))
    for force in forces:
        for council in geo.councils_of(int(force)):
            codes.append(geo.council_codes[council])
            names.append(geo.council_names[council])
            is_force.append(False)
            area.append(int(council))
    quality = [draw_quality(rng, flag) for flag in is_force]
    subs = Submitters(
        codes=codes,
        names=names,
        is_force=np.array(is_force),
        area=np.array(area),
        quality=quality,
        cp1252=np.zeros(len(codes), dtype=bool),
    )
    subs.force_submitter = {a: i for i, (a, f) in enumerate(zip(area, is_force, strict=True)) if f}
    subs.council_submitter = {a: i for i, (a, f) in enumerate(zip(area, is_force, strict=True)) if not f}
    return subs


def _fields_by_table() -> dict[str, list[str]]:
    standard = load_standard()
    return {
        name: [f for f in standard.table(name).field_names() if f not in _OMITTED.get(name, set())]
        for name in set(FORCE_TABLES) | set(COUNCIL_TABLES)
    }


def run(
    out: Path, scale: Literal["tiny", "area", "national"], years: int, seed: int, progress: Progress | None = None
) -> SynthSummary:
    """Generate ``OUT/submissions`` and ``OUT/truth`` for ``years`` years ending in 2025."""
    if scale not in ("tiny", "area", "national"):
        raise ValueError(f"unknown scale {scale!r}: use tiny, area or national")
    if not 1 <= years <= 30:
        raise ValueError("years must be between 1 and 30")
    out = Path(out)
    step = progress or (lambda name, done, total: None)
    first_year = LAST_YEAR - years + 1
    geo = build_geography(stable_rng(seed, "geography"))
    names = build_name_pools(stable_rng(seed, "names"))
    forces = _scope_forces(geo, scale, stable_rng(seed, "scope"))
    volume = 1.0
    if scale == "tiny":
        weights = geo.council_children * geo.force_rate[geo.council_force]
        share = weights[np.isin(geo.council_force, forces)].sum() / weights.sum()
        volume = TINY_OFFENCES_PER_YEAR / (national_offences(LAST_YEAR) * share)
    step("population and offending", 0, 6)
    people = People()
    factory = PersonFactory(geo, names, stable_rng(seed, "people"), people)
    truth = OffendingModel(geo, factory, stable_rng(seed, "offending"), forces, first_year, volume).run()
    step("population and offending", 1, 6)
    intel = build_intelligence(truth, factory, stable_rng(seed, "intelligence"))
    subs = _submitters(geo, forces, seed)
    fields_by_table = _fields_by_table()
    format_rng = stable_rng(seed, "formats")
    formats = [plan_format(format_rng, bool(subs.is_force[i]), i, fields_by_table) for i in range(len(subs.codes))]
    subs.cp1252 = np.array([fmt.encoding == "cp1252" for fmt in formats])
    councils = np.flatnonzero(np.isin(geo.council_force, forces))
    at_risk = np.zeros(len(geo.council_codes))
    for council, sub in subs.council_submitter.items():
        at_risk[council] = subs.quality[sub].harmed_recorded_at_risk
    care = build_care(truth, intel, factory, stable_rng(seed, "care"), councils, at_risk)
    step("population and offending", 2, 6)
    rng = stable_rng(seed, "recording")
    inv = Involvements()
    offence, offence_person, _ = build_offences(truth, people, subs, rng, inv, geo.council_codes)
    report, subject, entity = build_intelligence_tables(intel, truth, subs, rng, inv)
    force_disruption = build_force_disruptions(offence, offence_person, truth, subs, rng, inv)
    referral, harm = build_referrals(care, subs, inv, geo.council_codes)
    victim_keys = np.concatenate([_key(np.concatenate(inv.sub), np.concatenate(inv.pid), np.concatenate(inv.role))])
    victim_keys = victim_keys[np.concatenate(inv.role) == VICTIM]
    missing = build_missing(care, people, subs, inv, rng, victim_keys, referral, geo.council_force)
    placement = build_placements(care, people, subs, inv, truth, geo.council_codes)
    council_disruption = build_council_disruptions(truth, subs, inv, rng)
    step("recording", 3, 6)
    registry, mentions = assign_records(inv, subs, rng)
    for table, mention in (
        (offence_person, "offence_person"),
        (subject, "intelligence_subject"),
        (force_disruption, "force_disruption"),
        (referral, "referral"),
        (missing, "missing_episode"),
        (placement, "placement"),
        (council_disruption, "council_disruption"),
    ):
        table["_rec"] = mentions[mention]
        table["person_record_id"] = registry["record_id"][mentions[mention]]
    disruption = {key: np.concatenate([force_disruption[key], council_disruption[key]]) for key in force_disruption}
    values = record_values(registry, people, names, subs, rng)
    _ensure_accents(values, registry, subs)
    persons = _person_table(registry, values)
    tables = {
        "offence": offence,
        "offence_person": offence_person,
        "intelligence": report,
        "intelligence_subject": subject,
        "intelligence_entity": entity,
        "referral": referral,
        "missing_episode": missing,
        "placement": placement,
        "disruption": disruption,
    }
    step("recording", 4, 6)
    written = write_all(
        out,
        subs,
        formats,
        tables,
        persons,
        fields_by_table,
        first_year,
        stable_rng(seed, "returns"),
        _BAD_PER_KIND[scale],
        progress,
    )
    step("truth", 5, 6)
    referenced = np.unique(np.concatenate([t["_rec"] for t in tables.values() if "_rec" in t]))
    group_case = np.flatnonzero([kind.group for kind in CASE_KINDS.values()])
    member_group = np.isin(truth.cases["kind"][truth.members["case"]], group_case)
    victim_group = np.isin(truth.cases["kind"][truth.victims["case"]], group_case)
    quality_rows = [
        {"source": code, **{k: str(v) for k, v in asdict(q).items()}}
        for code, q in zip(subs.codes, subs.quality, strict=True)
    ]
    truth_counts = write_truth(
        out,
        codes=np.array(subs.codes, dtype=object),
        registry=registry,
        record_values=values,
        referenced=referenced,
        member_case=truth.members["case"][member_group],
        member_pid=truth.members["pid"][member_group],
        victim_case=truth.victims["case"][victim_group],
        victim_pid=truth.victims["pid"][victim_group],
        harm=harm,
        bad_rows=written.bad_rows,
        returns=written.returns,
        quality_rows=quality_rows,
    )
    step("truth", 6, 6)
    recorded_years = to_date(offence["recorded_date"]).astype("datetime64[Y]").astype(np.int64) + 1970
    years_count = {int(y): int(c) for y, c in zip(*np.unique(recorded_years, return_counts=True), strict=True)}
    table_rows = dict(written.rows)
    calibration = _calibration(offence, offence_person, referral, truth, people, years, volume, scale)
    return SynthSummary(
        out=out,
        scale=scale,
        years=years,
        seed=seed,
        submitters=len(subs.codes),
        returns=len(written.returns),
        files=written.files,
        table_rows=table_rows,
        truth_rows=truth_counts,
        submissions_dir=out / "submissions",
        truth_dir=out / "truth",
        true_persons=int(len(np.unique(registry["pid"][referenced]))),
        true_groups=int(len(np.unique(truth.members["case"][member_group]))),
        calibration=calibration,
        offences_per_year=years_count,
    )


def _calibration(
    offence: dict, offence_person: dict, referral: dict, truth, people: People, years: int, volume: float, scale: str
) -> dict[str, float]:
    """Generated volumes and mix beside the calibration targets (see config.py for the sources)."""
    last = to_date(offence["recorded_date"]).astype("datetime64[Y]").astype(np.int64) + 1970 == LAST_YEAR
    true_index = offence["_true_index"]
    victim = offence_person["role"] == "VICTIM"
    suspect_age = offence_person["age_at_offence"][~victim]
    known = suspect_age >= 0
    return {
        "offences_last_year": float(last.sum()),
        "target_offences_last_year": float(national_offences(LAST_YEAR) * volume) if scale != "area" else float("nan"),
        "cse_flagged_share": float(offence["cse_flag"].mean()) if len(last) else 0.0,
        "true_cse_share": float(truth.offences["cse"][true_index].mean()) if len(last) else 0.0,
        "group_flagged_per_year": float(offence["group_based_flag"].sum() / years),
        "true_group_based_share": float(truth.offences["group"][true_index].mean()) if len(last) else 0.0,
        "online_flagged_share": float(offence["online_flag"].mean()) if len(last) else 0.0,
        "victims_female_share": float((people["sex"][offence_person["_pid"][victim]] == 1).mean()),
        "suspects_aged_10_17_share": float(((suspect_age[known] >= 10) & (suspect_age[known] < 18)).mean()),
        "suspects_male_share": float((people["sex"][offence_person["_pid"][~victim]] == 0).mean()),
        "referrals_per_year": float(len(referral["record_id"]) / years),
    }


def _person_table(registry: dict[str, np.ndarray], values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    n = len(registry["pid"])
    return {
        "_sub": registry["sub"],
        "record_id": registry["record_id"],
        "role": np.array(["VICTIM", "SUSPECT", "OTHER"], dtype=object)[registry["role"]],
        "forename": values["forename"],
        "surname": values["surname"],
        "aliases": values["aliases"],
        "date_of_birth": values["dob"],
        "age_years": values["age"],
        "sex": values["sex"],
        "ethnicity_self_defined": values["ethnicity_self_defined"],
        "ethnicity_officer_observed": values["ethnicity_officer_observed"],
        "nationality": values["nationality"],
        "disability": values["disability"],
        "disability_type": np.full(n, "", dtype=object),
        "religion": values["religion"],
        "postcode": values["postcode"],
        "address": values["address"],
        "phone_numbers": values["phone_numbers"],
    }


def _ensure_accents(values: dict[str, np.ndarray], registry: dict[str, np.ndarray], subs: Submitters) -> None:
    """Make sure every Windows-1252 submitter holds at least one accented name, so the encoding matters."""
    for sub in np.flatnonzero(subs.cp1252):
        rows = np.flatnonzero(registry["sub"] == sub)
        if not len(rows):
            continue
        text = values["forename"][rows]
        if np.any(np.strings.str_len(np.strings.encode(text, "utf-8")) != np.strings.str_len(text)):
            continue
        female = values["sex"][rows] == "F"
        target = rows[np.argmax(female)] if female.any() else rows[0]
        values["forename"][target] = "Chloé" if values["sex"][target] == "F" else "Seán"
