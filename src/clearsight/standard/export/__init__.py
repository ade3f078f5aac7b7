"""Generate every published artefact of the core data set from the standard, its one source of truth.

``clearsight standard export DIR`` calls :func:`export_standard`, which writes into ``DIR``:

- ``json-schema/<table>.schema.json``: JSON Schema (draft 2020-12) for one mapped row of each table;
- ``datapackage.json`` with ``data/<table>.csv`` (header only) and ``codelists/<name>.csv``: a Frictionless
  data package;
- ``docs/``: Markdown pages for the standard, each table and each code list;
- ``templates/<table>.xlsx``: an Excel submission template per table forces or councils submit.

JSON and Markdown are byte-identical for the same standard. Files are overwritten, never deleted: export
into an empty folder when a table or code list has been removed since the last export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearsight.standard.export.datapackage_export import export_datapackage
from clearsight.standard.export.excel_export import export_templates
from clearsight.standard.export.jsonschema_export import export_json_schemas
from clearsight.standard.export.markdown_export import export_markdown
from clearsight.standard.loader import changelog, load_standard
from clearsight.standard.model import Standard

__all__ = ["ExportSummary", "export_standard"]


@dataclass(frozen=True)
class ExportSummary:
    """What one export wrote, for the CLI's summary line and its ``--json`` output."""

    out_dir: Path
    standard_name: str
    standard_version: str
    tables: int
    codelists: int
    json_schemas: list[Path] = field(default_factory=list)
    datapackage: Path | None = None
    data_files: list[Path] = field(default_factory=list)
    docs: list[Path] = field(default_factory=list)
    templates: list[Path] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        """Every file written, in a stable order."""
        package = [self.datapackage] if self.datapackage else []
        return [*self.json_schemas, *package, *self.data_files, *self.docs, *self.templates]

    def lines(self) -> list[str]:
        """The summary a person reads at the end of ``clearsight standard export``."""
        return [
            f"standard: {self.standard_name} {self.standard_version} "
            f"({self.tables} tables, {self.codelists} code lists)",
            f"JSON Schema: {len(self.json_schemas)} files in json-schema/",
            f"data package: datapackage.json with {len(self.data_files)} CSV files",
            f"docs: {len(self.docs)} Markdown pages in docs/ (start at docs/index.md)",
            f"Excel templates: {len(self.templates)} in templates/",
        ]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary with paths relative to the output folder."""

        def relative(paths: list[Path]) -> list[str]:
            return [path.relative_to(self.out_dir).as_posix() for path in paths]

        return {
            "out_dir": str(self.out_dir),
            "standard": self.standard_name,
            "version": self.standard_version,
            "tables": self.tables,
            "codelists": self.codelists,
            "counts": {
                "json_schemas": len(self.json_schemas),
                "data_files": len(self.data_files),
                "docs": len(self.docs),
                "templates": len(self.templates),
                "files": len(self.files),
            },
            "json_schemas": relative(self.json_schemas),
            "datapackage": relative([self.datapackage])[0] if self.datapackage else None,
            "docs": relative(self.docs),
            "templates": relative(self.templates),
        }


def export_standard(out_dir: Path, standard: Standard | None = None) -> ExportSummary:
    """Write every artefact of ``standard`` (the packaged one by default) under ``out_dir``."""
    standard = standard or load_standard()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    datapackage, data_files = export_datapackage(standard, out_dir)
    return ExportSummary(
        out_dir=out_dir,
        standard_name=standard.name,
        standard_version=standard.version,
        tables=len(standard.tables),
        codelists=len(standard.codelists),
        json_schemas=export_json_schemas(standard, out_dir),
        datapackage=datapackage,
        data_files=data_files,
        docs=export_markdown(standard, out_dir, changelog()),
        templates=export_templates(standard, out_dir),
    )
