"""Turn standard-form rows into one submitter's local columns and write them as CSV, Excel, JSON or Parquet.

Text formats get every value as a string in the submitter's conventions (so a deliberately bad value such
as '31/02/2024' can sit in a date column); Parquet keeps real types. Writers are deterministic: fixed
workbook properties, no timestamps, stable column order.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from clearsight.standard import FieldType, load_standard
from clearsight.synth.local import LocalFormat, local_code_map
from clearsight.synth.population import STRING, zero_pad
from clearsight.synth.xlsx import write_workbook

Frame = dict[str, np.ndarray]


def _date_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.maximum(days, 0).astype("datetime64[D]")
    years = d.astype("datetime64[Y]")
    months = d.astype("datetime64[M]")
    return (years.astype(np.int64) + 1970, (months - years).astype(np.int64) + 1, (d - months).astype(np.int64) + 1)


def format_dates(days: np.ndarray, fmt: str) -> np.ndarray:
    """Int days (-1 = none) as strings in one of the supported strftime formats."""
    year, month, dom = _date_parts(days)
    y, m, d = zero_pad(year, 4), zero_pad(month, 2), zero_pad(dom, 2)
    return _assemble(fmt, {"%Y": y, "%m": m, "%d": d}, days < 0)


def format_datetimes(minutes: np.ndarray, fmt: str) -> np.ndarray:
    days = np.floor_divide(minutes, 1440)
    rest = minutes - days * 1440
    year, month, dom = _date_parts(days)
    parts = {
        "%Y": zero_pad(year, 4),
        "%m": zero_pad(month, 2),
        "%d": zero_pad(dom, 2),
        "%H": zero_pad(rest // 60, 2),
        "%M": zero_pad(rest % 60, 2),
        "%S": zero_pad(np.zeros_like(rest), 2),
    }
    return _assemble(fmt, parts, minutes < 0)


def _assemble(fmt: str, parts: dict[str, np.ndarray], empty: np.ndarray) -> np.ndarray:
    n = len(empty)
    out = np.full(n, "", dtype=STRING)
    i = 0
    while i < len(fmt):
        token = fmt[i : i + 2]
        if token in parts:
            out = np.strings.add(out, parts[token])
            i += 2
        else:
            out = np.strings.add(out, fmt[i])
            i += 1
    return np.where(empty, "", out)


def local_frame(table_name: str, rows: dict[str, np.ndarray], fmt: LocalFormat, typed: bool) -> Frame:
    """Standard-form rows -> {local column: values}; strings unless ``typed`` (Parquet)."""
    table = load_standard().table(table_name)
    out: Frame = {}
    for field_name, local in fmt.columns[table_name].items():
        spec = table.field(field_name)
        values = rows[field_name]
        if spec.type == FieldType.date:
            out[local] = (
                np.where(values < 0, np.datetime64("NaT"), values.astype("datetime64[D]"))
                if typed
                else format_dates(values, fmt.date_format)
            )
        elif spec.type == FieldType.datetime:
            out[local] = (
                np.where(values < 0, np.datetime64("NaT"), (values * 60).astype("datetime64[s]"))
                if typed
                else format_datetimes(values, fmt.datetime_format)
            )
        elif spec.type == FieldType.boolean:
            if values.dtype == bool:
                out[local] = values if typed else np.where(values, fmt.true_value, fmt.false_value).astype(STRING)
            else:  # -1 unknown, 0 false, 1 true
                text = np.where(values == 1, fmt.true_value, np.where(values == 0, fmt.false_value, ""))
                out[local] = (
                    pa.array(np.where(values < 0, None, values == 1).tolist(), type=pa.bool_())
                    if typed
                    else text.astype(STRING)
                )
        elif spec.type in (FieldType.integer, FieldType.number):
            numeric = np.asarray(values, dtype=np.float64)
            missing = np.isnan(numeric) | (numeric < 0)
            if typed:
                out[local] = (
                    pa.array(
                        np.where(missing, 0, numeric),
                        mask=missing,
                        type=pa.int64() if spec.type == FieldType.integer else pa.float64(),
                    )
                    if spec.type == FieldType.number
                    else pa.array(np.where(missing, 0, numeric).astype(np.int64), mask=missing)
                )
            else:
                text = (
                    np.where(missing, 0, numeric).astype(np.int64).astype(str)
                    if spec.type == FieldType.integer
                    else np.char.mod("%g", np.where(missing, 0, numeric))
                )
                out[local] = np.where(missing, "", text).astype(STRING)
        else:
            text = np.asarray(values).astype(STRING)
            if spec.type == FieldType.code:
                mapping = local_code_map(fmt, field_name)
                for standard, local_code in mapping.items():
                    text = np.where(text == standard, local_code, text)
                if spec.blank_code and fmt.blank_not_recorded:
                    text = np.where(text == spec.blank_code, "", text)
            out[local] = text
    for index, extra in enumerate(fmt.extra_columns):
        n = len(next(iter(rows.values())))
        out[extra] = np.full(n, "ANALYST01" if index == 0 else "2026-01-05", dtype=STRING)
    return out


def _arrow(frame: Frame) -> pa.Table:
    columns = {}
    for name, values in frame.items():
        if isinstance(values, pa.Array):
            columns[name] = values
        elif values.dtype.kind in "MmbOif":
            columns[name] = pa.array(values) if values.dtype.kind != "O" else pa.array(values.tolist())
        else:
            columns[name] = pa.array(values.astype(object).tolist(), type=pa.string())
    return pa.table(columns)


def write_csv(path: Path, frame: Frame, fmt: LocalFormat) -> None:
    buffer = io.BytesIO()
    table = _arrow(frame)
    pacsv.write_csv(table, buffer, pacsv.WriteOptions(delimiter=fmt.delimiter, quoting_style="needed"))
    data = buffer.getvalue()
    if fmt.encoding == "cp1252":
        data = data.decode("utf-8").encode("cp1252", errors="replace")
    elif fmt.encoding == "utf-8-sig":
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)


def write_json(path: Path, frame: Frame) -> None:
    names = list(frame)
    columns = [frame[name].astype(object).tolist() for name in names]
    records = [
        {name: (value if value != "" else None) for name, value in zip(names, row, strict=True)}
        for row in zip(*columns, strict=True)
    ]
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")


def write_parquet(path: Path, frame: Frame) -> None:
    pq.write_table(_arrow(frame), path, compression="zstd")


def write_xlsx(path: Path, sheets: list[tuple[str, Frame]], titles: list[str]) -> None:
    """One workbook, one sheet per table, ``titles`` as rows above each header (see ``xlsx.py``)."""
    write_workbook(path, sheets, titles)
