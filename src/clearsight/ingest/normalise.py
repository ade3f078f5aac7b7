"""Put one file's text cells into the standard's shape, vectorised with Arrow: no SQL, no row loops.

For every standard field the result holds ``__t_<field>`` (the trimmed text as submitted, NULL when blank:
what messages and the quarantine show) and ``<field>``: the text with the profile's local codes mapped to
standard codes (and a blank coded field read as its blank code, e.g. NR), yes/no words read as booleans.
Dates stay text here and are parsed by DuckDB's strict ``try_strptime``, per the file's format, because
Arrow's parser silently rolls 31 February over into March.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from clearsight.ingest.profile import FileMapping
from clearsight.ingest.readers import ROW, RawTable
from clearsight.ingest.validate import ColumnReport
from clearsight.standard import FieldSpec, FieldType, Table


def _text(raw: RawTable, column: str | None) -> pa.Array:
    n = raw.data.num_rows
    if column is None:
        return pa.nulls(n, pa.string())
    values = pc.utf8_trim_whitespace(raw.data[column].combine_chunks())
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def _map_codes(values: pa.Array, local_codes: dict[str, str]) -> pa.Array:
    """Replace local codes by standard ones through the (few) distinct values, not row by row."""
    if not local_codes or len(values) == 0:
        return values
    distinct = pc.unique(values)
    mapped = pa.array([None if v is None else local_codes.get(v, v) for v in distinct.to_pylist()], pa.string())
    return pc.take(mapped, pc.index_in(values, value_set=distinct))


def _convert(spec: FieldSpec, text: pa.Array, mapping: FileMapping) -> pa.Array:
    if spec.type == FieldType.boolean:
        yes = pc.is_in(text, value_set=pa.array(mapping.true_values, pa.string()))
        no = pc.is_in(text, value_set=pa.array(mapping.false_values, pa.string()))
        return pc.if_else(yes, True, pc.if_else(no, False, pa.scalar(None, pa.bool_())))
    if spec.type == FieldType.code:
        mapped = _map_codes(text, mapping.codes.get(spec.name, {}))
        return pc.fill_null(mapped, spec.blank_code) if spec.blank_code else mapped
    if spec.type == FieldType.codes:
        lists = pc.split_pattern(text, ";")
        flat = _map_codes(pc.utf8_trim_whitespace(pc.list_flatten(lists)), mapping.codes.get(spec.name, {}))
        rebuilt = pa.ListArray.from_arrays(lists.offsets, flat, mask=pc.is_null(lists))
        return pc.binary_join(rebuilt, ";")
    return text


def normalise(raw: RawTable, mapping: FileMapping, table: Table, columns: ColumnReport, keys: pa.Table) -> pa.Table:
    """The rows as the standard's fields, after ``keys``: where each row came from and how SQL must type it.

    ``raw`` may hold several files read by the same profile entry with the same header (a body's returns of
    a batch), so that each Arrow kernel runs once for them all rather than once per file.
    """
    out: dict[str, pa.Array] = {name: keys[name] for name in keys.column_names}
    out[ROW] = raw.data[ROW].combine_chunks()
    for spec in table.fields:
        text = _text(raw, columns.used.get(spec.name))
        out[f"__t_{spec.name}"] = text
        out[spec.name] = _convert(spec, text, mapping)
    return pa.table(out)
