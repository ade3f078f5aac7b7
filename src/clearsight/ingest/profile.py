"""Submitter profiles: how one force's or council's local files map onto the core data set.

A submitter's folder holds ``profile.yaml`` (this model) and one sub-folder per return, each with a
``return.yaml`` (``ReturnInfo``) and the return's files. A profile is itself validated: an unknown table,
an unknown standard field or a code that is not in the standard's code list is an error naming the
profile file and the entry.

Example::

    profile_version: 1
    submitter_code: E23000005
    submitter_type: FORCE
    submitter_name: Greater Manchester Police
    files:
      - pattern: "crimes*.csv"
        table: offence
        format: csv
        encoding: cp1252          # optional: detected and reported when absent
        delimiter: ";"            # optional: detected when absent
        date_format: "%d/%m/%Y"   # how dates are written (strftime)
        columns: {CrimeRef: record_id, HOCode: ho_code, Committed: committed_from}
        codes:
          location_type: {"Take away": TAKEAWAY}
        true_values: ["Y", "Yes"]
        false_values: ["N", "No"]
      - pattern: "returns*.xlsx"
        sheet: Victims
        header_row: 4             # 1-based: title rows above the header are skipped
        table: person
        columns: {...}
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 20x faster over hundreds of profiles

PROFILE_FILE = "profile.yaml"
RETURN_FILE = "return.yaml"


class FileMapping(BaseModel):
    """How the files matching ``pattern`` in a return folder map to one table of the standard."""

    model_config = ConfigDict(extra="forbid")

    pattern: str
    table: str
    format: Literal["csv", "xlsx", "json", "parquet"]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int = Field(default=1, ge=1)
    date_format: str = "%Y-%m-%d"
    datetime_format: str = "%Y-%m-%d %H:%M:%S"
    columns: dict[str, str]
    """Local column name -> standard field name. A local column not listed here is reported as unknown."""
    ignore_columns: list[str] = Field(default_factory=list)
    """Local columns known and deliberately not loaded (reported as ignored, not as unknown)."""
    codes: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Standard field -> {local code: standard code}. A code neither standard nor mapped is reported."""
    true_values: list[str] = Field(default_factory=lambda: ["true", "True", "TRUE", "Y", "Yes", "1"])
    false_values: list[str] = Field(default_factory=lambda: ["false", "False", "FALSE", "N", "No", "0"])


class Profile(BaseModel):
    """One submitting body's profile."""

    model_config = ConfigDict(extra="forbid")

    profile_version: Literal[1] = 1
    submitter_code: str = Field(pattern=r"^(E23|W15|E06|E07|E08|E09|E10|W06)[0-9]{6}$")
    submitter_type: Literal["FORCE", "COUNCIL"]
    submitter_name: str
    files: list[FileMapping]

    @model_validator(mode="after")
    def _against_standard(self) -> Profile:
        from clearsight.standard import load_standard

        standard = load_standard()
        problems: list[str] = []
        for index, mapping in enumerate(self.files):
            where = f"files[{index}] ({mapping.pattern})"
            if mapping.table not in standard.tables:
                problems.append(f"{where}: unknown table {mapping.table!r}")
                continue
            table = standard.tables[mapping.table]
            known = set(table.field_names())
            for local, field in mapping.columns.items():
                if field not in known:
                    problems.append(f"{where}: column {local!r} maps to unknown field {field!r}")
            for field, codes in mapping.codes.items():
                if field not in known:
                    problems.append(f"{where}: codes given for unknown field {field!r}")
                    continue
                spec = table.field(field)
                if not spec.codelist:
                    problems.append(f"{where}: codes given for field {field!r}, which is not coded")
                    continue
                allowed = set(standard.codelists[spec.codelist].code_values())
                for local, code in codes.items():
                    if code not in allowed:
                        problems.append(
                            f"{where}: local code {local!r} of {field} maps to {code!r}, "
                            f"not in code list {spec.codelist}"
                        )
            if mapping.format == "xlsx" and not mapping.sheet:
                problems.append(f"{where}: an Excel mapping must name its sheet")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class ReturnInfo(BaseModel):
    """One return: the period it covers and when it was received."""

    model_config = ConfigDict(extra="forbid")

    period_start: date
    period_end: date
    received_at: datetime
    deadline: date | None = None

    @model_validator(mode="after")
    def _period_in_order(self) -> ReturnInfo:
        if self.period_start > self.period_end:
            raise ValueError("SUB-PERIOD-ORDER: the period starts after it ends")
        return self


class ProfileError(ValueError):
    """A profile or return file that cannot be used, with the file named."""


def read_profile(path: Path) -> Profile:
    """Read and validate a profile, naming the file in any error."""
    try:
        return Profile(**yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader))
    except (ValidationError, ValueError, TypeError, yaml.YAMLError) as error:
        raise ProfileError(f"{path}: invalid submitter profile: {error}") from error


def read_return(path: Path) -> ReturnInfo:
    """Read and validate a return's ``return.yaml``."""
    try:
        return ReturnInfo(**yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader))
    except (ValidationError, ValueError, TypeError, yaml.YAMLError) as error:
        raise ProfileError(f"{path}: invalid return description: {error}") from error
