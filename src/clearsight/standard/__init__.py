"""The core data set for CSA and CSE records (versioned), kept as data and read through these types."""

from clearsight.standard.loader import changelog, load_codelists, load_standard, load_tables
from clearsight.standard.model import (
    Code,
    CodeList,
    Constraints,
    FieldSpec,
    FieldType,
    ForeignKey,
    RowRule,
    Severity,
    Standard,
    Table,
)

__all__ = [
    "Code",
    "CodeList",
    "Constraints",
    "FieldSpec",
    "FieldType",
    "ForeignKey",
    "RowRule",
    "Severity",
    "Standard",
    "Table",
    "changelog",
    "load_codelists",
    "load_standard",
    "load_tables",
]
