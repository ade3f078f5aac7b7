"""Write ``OUT/truth/``: what really happened, for tests and evaluation only (never read by the pipeline)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from clearsight.synth.files import format_dates
from clearsight.synth.population import STRING, zero_pad

README = """# Synthetic ground truth

Written by `clearsight synth`; read only by tests and evaluations, never by the pipeline. All files are
UTF-8 CSV with a header row. `source` is the submitting body's GSS code; `record_id` is the id the record
carries in its submission.

- `persons.csv`: `source, record_id, true_person_id, forename, surname, date_of_birth, sex, postcode,
  address`. One row per person record in any submission, with the values exactly as recorded (typos,
  nicknames, swapped names, transposed dates, missing fields), `sex` as a standard code and
  `date_of_birth` in ISO form (empty where only an age was recorded). Drop `true_person_id` to get an
  input for `clearsight link-file`; records with the same `true_person_id` are one human being.
- `groups.csv`: `true_group_id, source, record_id, person_role`. Every record of every member
  (`suspect`) and victim (`victim`) of each true offender group (two or more offenders: networks,
  peer groups, familial groups, online groups), in any source.
- `harm.csv`: `source, record_id, harmed, indicators`. One row per referral record: whether the child
  had really been harmed at assessment, and the true harm signals present then, ';'-separated, from:
  sti_under_16, pregnancy_under_16, missing_with_adults, found_with_unrelated_adults, police_victim,
  group_intel, unregistered_placement_cse, disclosure.
- `bad_rows.csv`: `file, row, field, reason`. Every row deliberately made invalid. `file` is relative to
  `submissions/` (`file#sheet` for Excel); `row` is the 1-based data row within that file or sheet,
  not counting title or header rows. Copies of a file sent twice list their bad rows too.
- `returns.csv`: every return folder with its period, received time, deadline, whether it was late,
  which return a resubmission corrects, and any file sent twice in it.
- `recording_quality.csv`: each submitter's recording knobs (for example the share of suspects whose
  ethnicity is not recorded), so that measured recording failures can be checked against planted ones.
"""


def _write(path: Path, columns: dict[str, np.ndarray | list]) -> int:
    arrays = {}
    for name, values in columns.items():
        values = np.asarray(values)
        arrays[name] = pa.array(values.astype(object).tolist(), type=pa.string())
    table = pa.table(arrays)
    pacsv.write_csv(table, str(path), pacsv.WriteOptions(quoting_style="needed"))
    return table.num_rows


def _order(*columns: np.ndarray) -> np.ndarray:
    """Stable order by several string columns (StringDType-safe)."""
    key = np.asarray(columns[0]).astype(STRING)
    for column in columns[1:]:
        key = np.strings.add(np.strings.add(key, "\x1f"), np.asarray(column).astype(STRING))
    return np.argsort(key, kind="stable")


def write_truth(
    out: Path,
    *,
    codes: np.ndarray,
    registry: dict[str, np.ndarray],
    record_values: dict[str, np.ndarray],
    referenced: np.ndarray,
    member_case: np.ndarray,
    member_pid: np.ndarray,
    victim_case: np.ndarray,
    victim_pid: np.ndarray,
    harm: dict[str, np.ndarray],
    bad_rows: list[tuple[str, int, str, str]],
    returns: list[dict[str, str]],
    quality_rows: list[dict[str, str]],
) -> dict[str, int]:
    folder = out / "truth"
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    rec = np.sort(referenced)
    source = codes[registry["sub"][rec]]
    record_id = registry["record_id"][rec]
    rec = rec[_order(source, record_id)]
    values = {key: value[rec] for key, value in record_values.items()}
    counts["persons.csv"] = _write(
        folder / "persons.csv",
        {
            "source": codes[registry["sub"][rec]],
            "record_id": registry["record_id"][rec],
            "true_person_id": np.strings.add("TP", zero_pad(registry["pid"][rec], 8)),
            "forename": values["forename"],
            "surname": values["surname"],
            "date_of_birth": format_dates(values["dob"], "%Y-%m-%d"),
            "sex": values["sex"],
            "postcode": values["postcode"],
            "address": values["address"],
        },
    )
    # groups: every referenced record of each member and victim
    rec_pid = registry["pid"][rec]
    by_pid = np.argsort(rec_pid, kind="stable")
    sorted_pid = rec_pid[by_pid]
    parts_case, parts_rec, parts_role = [], [], []
    for case, pid, role in ((member_case, member_pid, "suspect"), (victim_case, victim_pid, "victim")):
        first = np.searchsorted(sorted_pid, pid)
        last = np.searchsorted(sorted_pid, pid, side="right")
        count = last - first
        owner = np.repeat(np.arange(len(pid)), count)
        offset = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
        parts_case.append(case[owner])
        parts_rec.append(rec[by_pid[first[owner] + offset]])
        parts_role.append(np.full(len(owner), role, dtype=object))
    g_case, g_rec, g_role = (np.concatenate(p) for p in (parts_case, parts_rec, parts_role))
    g_source, g_record = codes[registry["sub"][g_rec]], registry["record_id"][g_rec]
    order = _order(zero_pad(g_case, 9), g_source, g_record)
    counts["groups.csv"] = _write(
        folder / "groups.csv",
        {
            "true_group_id": np.strings.add("TG", zero_pad(g_case[order], 7)),
            "source": g_source[order],
            "record_id": g_record[order],
            "person_role": g_role[order],
        },
    )
    h_source = codes[harm["_sub"]]
    order = _order(h_source, harm["record_id"])
    counts["harm.csv"] = _write(
        folder / "harm.csv",
        {
            "source": h_source[order],
            "record_id": harm["record_id"][order],
            "harmed": np.where(harm["harmed"][order], "true", "false"),
            "indicators": harm["indicators"][order],
        },
    )
    bad = sorted(bad_rows)
    counts["bad_rows.csv"] = _write(
        folder / "bad_rows.csv",
        {
            "file": [b[0] for b in bad],
            "row": [str(b[1]) for b in bad],
            "field": [b[2] for b in bad],
            "reason": [b[3] for b in bad],
        },
    )
    ordered = sorted(returns, key=lambda r: (r["source"], r["label"]))
    counts["returns.csv"] = (
        _write(folder / "returns.csv", {key: [r[key] for r in ordered] for key in ordered[0]}) if ordered else 0
    )
    counts["recording_quality.csv"] = _write(
        folder / "recording_quality.csv", {key: [r[key] for r in quality_rows] for key in quality_rows[0]}
    )
    (folder / "README.md").write_text(README, encoding="utf-8")
    return counts


__all__ = ["STRING", "write_truth"]
