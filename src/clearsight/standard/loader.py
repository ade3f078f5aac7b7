"""Read the core data set from the package's data files (the one source of truth)."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from clearsight.standard.model import Code, CodeList, Standard, Table

_DATA = resources.files("clearsight.standard") / "data"


def _read_codes(path: Path) -> list[Code]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [Code(**{key: value for key, value in row.items() if value not in (None, "")}) for row in rows]


def load_codelists(data_dir: Path | None = None) -> dict[str, CodeList]:
    """Every code list named in ``codelists.yaml``, with its codes from ``codelists/<name>.csv``."""
    base = Path(str(data_dir or _DATA))
    index = yaml.safe_load((base / "codelists.yaml").read_text(encoding="utf-8"))
    lists: dict[str, CodeList] = {}
    for name, meta in index["codelists"].items():
        codes = _read_codes(base / "codelists" / f"{name}.csv")
        lists[name] = CodeList(name=name, codes=codes, **meta)
    return lists


def load_tables(data_dir: Path | None = None) -> dict[str, Table]:
    """Every table file under ``tables/``, in the order ``standard.yaml`` lists them."""
    base = Path(str(data_dir or _DATA))
    meta = yaml.safe_load((base / "standard.yaml").read_text(encoding="utf-8"))
    tables: dict[str, Table] = {}
    for name in meta["tables"]:
        raw = yaml.safe_load((base / "tables" / f"{name}.yaml").read_text(encoding="utf-8"))
        tables[name] = Table(**raw)
        if tables[name].name != name:
            raise ValueError(f"tables/{name}.yaml declares table {tables[name].name!r}")
    return tables


@cache
def load_standard() -> Standard:
    """The core data set shipped with this package, validated on load."""
    base = Path(str(_DATA))
    meta = yaml.safe_load((base / "standard.yaml").read_text(encoding="utf-8"))
    return Standard(
        name=meta["name"],
        title=meta["title"],
        version=meta["version"],
        description=meta["description"],
        tables=load_tables(base),
        codelists=load_codelists(base),
    )


def changelog() -> str:
    """The standard's changelog (Markdown)."""
    return (Path(str(_DATA)) / "CHANGELOG.md").read_text(encoding="utf-8")
