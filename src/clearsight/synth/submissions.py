"""Write ``submissions/<code>/profile.yaml`` and one folder per return with its files.

Rows go to returns by their date (annual or quarterly per submitter); each return's person file holds
exactly the person records its rows refer to, so foreign keys hold within a return. Some returns arrive
late, some are resubmitted with corrections (a second folder for the same period), and a few files are
sent twice.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from clearsight.synth.badrows import BadRow, apply_bad_row, plan_bad_rows, reason
from clearsight.synth.files import local_frame, write_csv, write_json, write_parquet, write_xlsx
from clearsight.synth.local import COUNCIL_TABLES, FORCE_TABLES, SHEETS, LocalFormat, profile_codes
from clearsight.synth.offending import to_date
from clearsight.synth.registry import Submitters

Table = dict[str, np.ndarray]
_EXT = {"csv": "csv", "json": "json", "parquet": "parquet", "xlsx": "xlsx"}


@dataclass
class WriteResult:
    returns: list[dict[str, str]] = field(default_factory=list)
    bad_rows: list[tuple[str, int, str, str]] = field(default_factory=list)
    files: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def _period(day: np.ndarray, quarterly: np.ndarray, first_year: int) -> np.ndarray:
    d = to_date(day)
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (d.astype("datetime64[M]") - d.astype("datetime64[Y]")).astype(np.int64)
    return np.where(quarterly, (year - first_year) * 4 + month // 3, (year - first_year) * 4)


def _label(period: int, quarterly: bool, first_year: int) -> tuple[str, str, str]:
    year = first_year + period // 4
    if not quarterly:
        return str(year), f"{year}-01-01", f"{year}-12-31"
    quarter = period % 4
    start_month, end_month = quarter * 3 + 1, quarter * 3 + 3
    end_day = {3: 31, 6: 30, 9: 30, 12: 31}[end_month]
    return f"{year}-Q{quarter + 1}", f"{year}-{start_month:02d}-01", f"{year}-{end_month:02d}-{end_day}"


def profile_document(subs: Submitters, index: int, fmt: LocalFormat, fields_by_table: dict[str, list[str]]) -> dict:
    tables = FORCE_TABLES if subs.is_force[index] else COUNCIL_TABLES
    files = []
    for table in tables:
        mapping: dict = {}
        if fmt.kind == "xlsx":
            mapping.update(
                pattern="return_2*.xlsx", table=table, format="xlsx", sheet=SHEETS[table], header_row=fmt.title_rows + 1
            )
        else:
            mapping.update(pattern=f"{fmt.prefixes[table]}_2*.{_EXT[fmt.kind]}", table=table, format=fmt.kind)
            if fmt.kind == "csv":
                mapping.update(encoding=fmt.encoding, delimiter=fmt.delimiter)
        mapping.update(
            date_format=fmt.date_format,
            datetime_format=fmt.datetime_format,
            columns={local: name for name, local in fmt.columns[table].items()},
            ignore_columns=list(fmt.extra_columns),
        )
        codes = {}
        for name in fields_by_table[table]:
            mapped = profile_codes(fmt, name)
            if mapped and _is_coded(table, name):
                codes[name] = mapped
        if codes:
            mapping["codes"] = codes
        mapping.update(true_values=[fmt.true_value], false_values=[fmt.false_value])
        files.append(mapping)
    return {
        "profile_version": 1,
        "submitter_code": subs.codes[index],
        "submitter_type": "FORCE" if subs.is_force[index] else "COUNCIL",
        "submitter_name": subs.names[index],
        "files": files,
    }


def _is_coded(table: str, name: str) -> bool:
    from clearsight.standard import FieldType, load_standard

    return load_standard().table(table).field(name).type in (FieldType.code, FieldType.codes)


def write_all(
    out: Path,
    subs: Submitters,
    formats: list[LocalFormat],
    tables: dict[str, Table],
    persons: Table,
    fields_by_table: dict[str, list[str]],
    first_year: int,
    rng: np.random.Generator,
    bad_per_kind: int,
    progress: Callable[[str, int, int], None] | None,
) -> WriteResult:
    result = WriteResult()
    quarterly = np.array([q.quarterly for q in subs.quality])
    # split every table by (submitter, period)
    index: dict[str, dict[tuple[int, int], np.ndarray]] = {}
    for name, table in tables.items():
        period = _period(table["_day"], quarterly[table["_sub"]], first_year)
        key = table["_sub"] * 1000 + period
        order = np.argsort(key, kind="stable")
        keys, starts = np.unique(key[order], return_index=True)
        bounds = np.append(starts, len(order))
        index[name] = {(int(k // 1000), int(k % 1000)): order[bounds[i] : bounds[i + 1]] for i, k in enumerate(keys)}
    returns = sorted({key for per in index.values() for key in per})
    candidates: dict[tuple[int, int, str], np.ndarray] = {}
    for name in ("offence", "offence_person", "referral"):
        for key, rows in index.get(name, {}).items():
            local = (
                np.arange(len(rows))
                if name != "offence_person"
                else np.flatnonzero(tables[name]["role"][rows] == "VICTIM")
            )
            candidates[(key[0], key[1], name)] = local
    eligible = np.array([fmt.kind != "parquet" for fmt in formats])
    plans = plan_bad_rows(rng, bad_per_kind, candidates, subs.is_force, eligible)
    plan_at = {(p.submitter, p.period, p.table): p for p in plans}
    root = out / "submissions"
    for sub in range(len(subs.codes)):
        folder = root / subs.codes[sub]
        folder.mkdir(parents=True, exist_ok=True)
        document = profile_document(subs, sub, formats[sub], fields_by_table)
        (folder / "profile.yaml").write_text(
            yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
    for done, (sub, period) in enumerate(returns):
        _write_return(root, sub, period, subs, formats[sub], tables, index, persons, plan_at, first_year, rng, result)
        if progress and (done % 20 == 0 or done == len(returns) - 1):
            progress("write submissions", done + 1, len(returns))
    return result


def _write_return(
    root: Path,
    sub: int,
    period: int,
    subs: Submitters,
    fmt: LocalFormat,
    tables: dict[str, Table],
    index: dict[str, dict[tuple[int, int], np.ndarray]],
    persons: Table,
    plan_at: dict[tuple[int, int, str], BadRow],
    first_year: int,
    rng: np.random.Generator,
    result: WriteResult,
) -> None:
    quality = subs.quality[sub]
    label, start, end = _label(period, quality.quarterly, first_year)
    names = FORCE_TABLES if subs.is_force[sub] else COUNCIL_TABLES
    rows_of = {
        name: index.get(name, {}).get((sub, period), np.zeros(0, dtype=np.int64)) for name in names if name != "person"
    }
    refs = [tables[name]["_rec"][rows] for name, rows in rows_of.items() if "_rec" in tables[name]]
    person_rows = np.unique(np.concatenate(refs)) if refs else np.zeros(0, dtype=np.int64)
    standard_rows: dict[str, Table] = {"person": {k: v[person_rows] for k, v in persons.items()}}
    for name, rows in rows_of.items():
        standard_rows[name] = {k: v[rows] for k, v in tables[name].items()}
    deadline = np.datetime64(end) + np.timedelta64(60 if not quality.quarterly else 30, "D")
    late = bool(rng.random() < quality.late_return)
    received = deadline + np.timedelta64(int(rng.integers(1, 90)) if late else -int(rng.integers(0, 25)), "D")
    minute = int(rng.integers(8 * 60, 18 * 60))
    received_at = f"{received}T{minute // 60:02d}:{minute % 60:02d}:00"
    received_day = int((received - np.datetime64("1970-01-01", "D")).astype(np.int64))
    for name in names:
        standard_rows[name] = as_known_at(name, standard_rows[name], received_day)
    typed = fmt.kind == "parquet"
    clean = {name: local_frame(name, standard_rows[name], fmt, typed) for name in names}
    broken = dict(clean)
    bad_here: list[tuple[str, BadRow, int]] = []
    for name in names:
        plan = plan_at.get((sub, period, name))
        if plan is None:
            continue
        local_field = fmt.columns[name][plan.field]
        broken[name], row_number = apply_bad_row(
            broken[name], plan, local_field, fmt.date_format, first_year + period // 4
        )
        bad_here.append((name, plan, row_number))
    code = subs.codes[sub]
    written = _write_files(root / code / label, label, fmt, broken, subs.names[sub], start, end)
    for name, plan, row_number in bad_here:
        result.bad_rows.append((f"{code}/{label}/{written[name]}", row_number, plan.field, reason(plan.kind)))
    _return_yaml(root / code / label, start, end, received_at, str(deadline))
    duplicates = ""
    if rng.random() < quality.duplicate_file:
        target = "offence" if subs.is_force[sub] else "referral"
        source_name = written[target].split("#")[0]
        stem, ext = source_name.rsplit(".", 1)
        copy_name = f"{stem} (copy).{ext}"
        shutil.copyfile(root / code / label / source_name, root / code / label / copy_name)
        duplicates = copy_name
        result.files += 1
        for name, plan, row_number in bad_here:
            if written[name].split("#")[0] == source_name:
                suffix = written[name][len(source_name) :]
                result.bad_rows.append(
                    (f"{code}/{label}/{copy_name}{suffix}", row_number, plan.field, reason(plan.kind))
                )
    result.returns.append(
        {
            "source": code,
            "label": label,
            "period_start": start,
            "period_end": end,
            "received_at": received_at,
            "deadline": str(deadline),
            "late": str(late).lower(),
            "resubmission_of": "",
            "duplicate_files": duplicates,
        }
    )
    for name in names:
        size = len(next(iter(clean[name].values()))) if clean[name] else 0
        result.rows[name] = result.rows.get(name, 0) + size
    result.files += len(set(value.split("#")[0] for value in written.values()))
    if rng.random() < quality.resubmission:
        fixed = _corrections(clean, fmt, names, rng)
        v2 = f"{label}-v2"
        _write_files(root / code / v2, label, fmt, fixed, subs.names[sub], start, end)
        later = received + np.timedelta64(int(rng.integers(20, 120)), "D")
        _return_yaml(root / code / v2, start, end, f"{later}T10:00:00", str(deadline))
        result.returns.append(
            {
                "source": code,
                "label": v2,
                "period_start": start,
                "period_end": end,
                "received_at": f"{later}T10:00:00",
                "deadline": str(deadline),
                "late": "true",
                "resubmission_of": label,
                "duplicate_files": "",
            }
        )
        result.files += len(set(value.split("#")[0] for value in written.values()))


def as_known_at(table_name: str, rows: Table, received_day: int) -> Table:
    """The rows as the submitter's system held them when the return was extracted: nothing dated after
    it (an assessment not yet done, an outcome not yet given, a child not yet found) is in the file."""
    from clearsight.standard import FieldType, load_standard

    rows = dict(rows)
    table = load_standard().table(table_name)
    for spec in table.fields:
        if spec.name not in rows:
            continue
        if spec.type == FieldType.date:
            rows[spec.name] = np.where(rows[spec.name] > received_day, -1, rows[spec.name])
        elif spec.type == FieldType.datetime:
            rows[spec.name] = np.where(rows[spec.name] >= (received_day + 1) * 1440, -1, rows[spec.name])
    if table_name == "offence":
        undecided = (rows["outcome_date"] < 0) & (rows["outcome_type"] != "PENDING")
        rows["outcome_type"] = np.where(undecided, "PENDING", rows["outcome_type"]).astype(object)
        not_sentenced = (rows["outcome_type"] != "1") | (rows["outcome_date"] + 240 > received_day)
        rows["charge_date"] = np.where(rows["outcome_type"] == "1", rows["charge_date"], -1)
        rows["sentence_type"] = np.where(not_sentenced, "", rows["sentence_type"]).astype(object)
        rows["sentence_months"] = np.where(not_sentenced, np.nan, rows["sentence_months"])
        rows["grooming_aggravating_factor"] = np.where(not_sentenced, "", rows["grooming_aggravating_factor"]).astype(
            object
        )
    return rows


def _corrections(
    clean: dict[str, dict[str, np.ndarray]], fmt: LocalFormat, names: list[str], rng: np.random.Generator
) -> dict[str, dict[str, np.ndarray]]:
    """The corrected return: bad rows gone, and a few open investigations given an outcome."""
    fixed = dict(clean)
    if "offence" in names and len(next(iter(clean["offence"].values()), [])):
        frame = dict(clean["offence"])
        outcome = fmt.columns["offence"]["outcome_type"]
        column = np.asarray(frame[outcome]).astype(object)
        pending_local = {v: k for k, v in fmt.codes.get("outcome_type", {}).items()}
        open_rows = np.flatnonzero(
            np.isin(column, ["PENDING", *[k for k, v in pending_local.items() if v == "PENDING"]])
        )
        if fmt.kind != "parquet" and len(open_rows):
            chosen = open_rows[: int(rng.integers(1, 4))]
            column[chosen] = "16"
            frame[outcome] = column
            fixed["offence"] = frame
    return fixed


def _return_yaml(folder: Path, start: str, end: str, received_at: str, deadline: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = f"period_start: {start}\nperiod_end: {end}\nreceived_at: {received_at}\ndeadline: {deadline}\n"
    (folder / "return.yaml").write_text(text, encoding="utf-8")


def _write_files(
    folder: Path,
    label: str,
    fmt: LocalFormat,
    frames: dict[str, dict[str, np.ndarray]],
    submitter_name: str,
    start: str,
    end: str,
) -> dict[str, str]:
    """Write a return's frames; returns table -> file name ('file#sheet' for Excel)."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}
    if fmt.kind == "xlsx":
        name = f"return_{label}.xlsx"
        titles = [f"{submitter_name}: CSA/CSE audit return", f"Period {start} to {end}", ""][: fmt.title_rows]
        write_xlsx(folder / name, [(SHEETS[t], frame) for t, frame in frames.items()], titles)
        return {t: f"{name}#{SHEETS[t]}" for t in frames}
    for table, frame in frames.items():
        name = f"{fmt.prefixes[table]}_{label}.{_EXT[fmt.kind]}"
        if fmt.kind == "csv":
            write_csv(folder / name, frame, fmt)
        elif fmt.kind == "json":
            write_json(folder / name, frame)
        else:
            write_parquet(folder / name, frame)
        written[table] = name
    return written
