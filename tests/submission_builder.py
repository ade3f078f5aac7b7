"""Build small hand-made submission folders for ingest tests: exact inputs, so tests know every answer."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

FORCE = "E23000005"  # a force area code from the police_force list

PERSON_COLUMNS = {
    "Nominal ID": "record_id",
    "Role": "role",
    "First Name": "forename",
    "Last Name": "surname",
    "DOB": "date_of_birth",
    "Sex": "sex",
    "SDE": "ethnicity_self_defined",
    "Observed": "ethnicity_officer_observed",
    "Nationality": "nationality",
    "Disabled": "disability",
    "Religion": "religion",
    "Postcode": "postcode",
}
OFFENCE_COLUMNS = {
    "Crime Ref": "record_id",
    "HO Code": "ho_code",
    "From": "committed_from",
    "Recorded": "recorded_date",
    "Place": "location_type",
    "CSA": "csa_flag",
    "CSE": "cse_flag",
    "Group": "group_based_flag",
    "Online": "online_flag",
    "Outcome": "outcome_type",
}
LINK_COLUMNS = {
    "Crime Ref": "offence_record_id",
    "Nominal ID": "person_record_id",
    "Role": "role",
    "Age": "age_at_offence",
}


def person(
    record_id: str, role: str = "VICTIM", dob: str = "01/02/2010", sex: str = "Female", **overrides: str
) -> dict:
    row = {
        "Nominal ID": record_id,
        "Role": role,
        "First Name": "Amy",
        "Last Name": "Smith",
        "DOB": dob,
        "Sex": sex,
        "SDE": "W1",
        "Observed": "IC1",
        "Nationality": "GBR",
        "Disabled": "N",
        "Religion": "",
        "Postcode": "M1 1AA",
    }
    row.update(overrides)
    return row


def offence(record_id: str, **overrides: str) -> dict:
    row = {
        "Crime Ref": record_id,
        "HO Code": "19D",
        "From": "03/03/2024",
        "Recorded": "05/03/2024",
        "Place": "Hotel",
        "CSA": "Y",
        "CSE": "Y",
        "Group": "N",
        "Online": "N",
        "Outcome": "PENDING",
    }
    row.update(overrides)
    return row


def link(crime: str, nominal: str, role: str = "VICTIM", age: str = "14") -> dict:
    return {"Crime Ref": crime, "Nominal ID": nominal, "Role": role, "Age": age}


def write_csv(path: Path, rows: list[dict], columns: list[str], encoding: str = "utf-8", delimiter: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, delimiter=delimiter, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def force_profile(root: Path, **file_options: object) -> Path:
    """A force profile reading persons.csv, offences.csv and links.csv with local names and codes."""
    folder = root / FORCE
    folder.mkdir(parents=True, exist_ok=True)
    common = {"format": "csv", "date_format": "%d/%m/%Y", **file_options}
    profile = {
        "submitter_code": FORCE,
        "submitter_type": "FORCE",
        "submitter_name": "Test Police",
        "files": [
            {
                "pattern": "persons*.csv",
                "table": "person",
                "columns": PERSON_COLUMNS,
                "codes": {"sex": {"Female": "F", "Male": "M"}},
                **common,
            },
            {
                "pattern": "offences*.csv",
                "table": "offence",
                "columns": OFFENCE_COLUMNS,
                "codes": {"location_type": {"Hotel": "HOTEL", "Takeaway": "TAKEAWAY"}},
                **common,
            },
            {"pattern": "links*.csv", "table": "offence_person", "columns": LINK_COLUMNS, **common},
        ],
    }
    (folder / "profile.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    return folder


def write_return(
    root: Path,
    label: str,
    persons: list[dict],
    offences: list[dict],
    links: list[dict],
    received: str = "2025-01-20T09:00:00",
    period: tuple[str, str] = ("2024-01-01", "2024-12-31"),
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    folder = root / FORCE / label
    folder.mkdir(parents=True, exist_ok=True)
    info = {"period_start": period[0], "period_end": period[1], "received_at": received, "deadline": "2025-01-31"}
    (folder / "return.yaml").write_text(yaml.safe_dump(info), encoding="utf-8")
    write_csv(folder / "persons.csv", persons, list(PERSON_COLUMNS), encoding, delimiter)
    write_csv(folder / "offences.csv", offences, list(OFFENCE_COLUMNS), encoding, delimiter)
    write_csv(folder / "links.csv", links, list(LINK_COLUMNS), encoding, delimiter)
    return folder
