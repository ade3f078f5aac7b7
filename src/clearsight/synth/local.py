"""Each submitter's local conventions: file format, encoding, column names, codes, dates and booleans.

Real returns arrive in every shape: a force's CSV export with its own column names in Windows-1252, a
council's Excel workbook with title rows above the header, legacy 16+1 ethnicity codes, 'Male'/'Female'
for sex, dd/mm/yyyy dates. The plan for each submitter is drawn once from the seed and written out as its
``profile.yaml``, which is exactly what the ingest stage needs to map the files back to the standard.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FORCE_TABLES = [
    "person",
    "offence",
    "offence_person",
    "intelligence",
    "intelligence_subject",
    "intelligence_entity",
    "missing_episode",
    "disruption",
]
COUNCIL_TABLES = ["person", "referral", "missing_episode", "placement", "disruption"]
DATE_FORMATS = [("%d/%m/%Y", "%d/%m/%Y %H:%M"), ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S"), ("%d-%m-%Y", "%d-%m-%Y %H:%M")]
BOOLEANS = [("Y", "N"), ("Yes", "No"), ("TRUE", "FALSE"), ("1", "0")]
FILE_PREFIXES = {
    "person": ["nominals", "persons", "people", "Nominal_Extract"],
    "offence": ["crimes", "offences", "CSE_Crimes"],
    "offence_person": ["crime_links", "victims_suspects", "involved"],
    "intelligence": ["intel", "intelligence_logs"],
    "intelligence_subject": ["intel_subjects", "intel_nominals"],
    "intelligence_entity": ["intel_entities", "intel_items"],
    "referral": ["referrals", "contacts_referrals", "CSC_Referrals"],
    "missing_episode": ["missing", "mfh_episodes"],
    "placement": ["placements", "lac_placements"],
    "disruption": ["disruptions", "disruption_log"],
}
SHEETS = {
    "person": "Persons",
    "offence": "Crimes",
    "offence_person": "Victims and Suspects",
    "intelligence": "Intelligence",
    "intelligence_subject": "Intel Subjects",
    "intelligence_entity": "Intel Entities",
    "referral": "Referrals",
    "missing_episode": "Missing",
    "placement": "Placements",
    "disruption": "Disruptions",
}
# local column names that some submitters use instead of a styled version of the standard's name
ALTERNATIVES: dict[str, dict[str, list[str]]] = {
    "person": {
        "record_id": ["Nominal ID", "PersonRef", "Child ID"],
        "forename": ["First Name", "Forename", "Given Name"],
        "surname": ["Last Name", "Surname", "Family Name"],
        "date_of_birth": ["DOB", "Date of Birth", "BirthDate"],
        "sex": ["Sex", "Gender", "Victim Sex"],
        "postcode": ["Post Code", "PostCode", "Home Postcode"],
        "ethnicity_self_defined": ["Ethnicity (SDE)", "Self Defined Ethnicity", "SDE"],
        "ethnicity_officer_observed": ["IC Code", "Officer Observed Ethnicity"],
        "age_years": ["Age", "Age Years"],
        "phone_numbers": ["Phone", "Tel Nos"],
        "address": ["Home Address", "Address"],
    },
    "offence": {
        "record_id": ["Crime Ref", "CrimeNo", "URN"],
        "ho_code": ["HO Code", "HOCR Code", "Offence Code"],
        "committed_from": ["Committed From", "Date From"],
        "recorded_date": ["Recorded", "Date Recorded"],
        "cse_flag": ["CSE Flag", "CSE"],
        "outcome_type": ["Outcome", "Outcome Code"],
    },
    "offence_person": {
        "offence_record_id": ["Crime Ref", "CrimeNo"],
        "person_record_id": ["Nominal ID", "PersonRef"],
        "role": ["Involvement", "Role"],
        "age_at_offence": ["Age at Offence", "Age"],
    },
    "referral": {
        "record_id": ["Referral ID", "Contact ID"],
        "person_record_id": ["Child ID", "Person ID"],
        "summary": ["Case Summary", "Notes", "Summary"],
        "assessment_factors": ["Factors", "CIN Factors"],
    },
}
_STYLES = ["title", "camel", "upper", "snake"]
# per-field local code vocabularies (standard code -> local code); one option per submitter
CODE_STYLES: dict[str, list[dict[str, str]]] = {
    "sex": [
        {"M": "Male", "F": "Female", "X": "Other", "NS": "Not stated", "NR": "Unknown"},
        {"M": "1", "F": "2", "X": "9", "NR": "0"},
    ],
    "role": [
        {"VICTIM": "Victim", "SUSPECT": "Suspect", "OTHER": "Other"},
        {"VICTIM": "V", "SUSPECT": "S", "OTHER": "O"},
    ],
    "recorded_status": [{"AT_RISK": "At risk", "HARMED": "Harmed", "NEITHER": "No concern", "NR": "Not recorded"}],
    "outcome": [
        {
            "NFA": "No further action",
            "EH": "Early help",
            "CIN": "Child in need",
            "S47": "Section 47",
            "CPP": "Child protection plan",
            "LAC": "Looked after",
        }
    ],
    "location_type": [
        {
            "TAKEAWAY": "Take away",
            "HOTEL": "Hotel/B&B",
            "DWELLING_VICTIM": "Victim home",
            "DWELLING_SUSPECT": "Suspect home",
            "PARK_STREET": "Street/Park",
            "TAXI": "Taxi",
            "ONLINE": "Online",
            "NR": "Not known",
        }
    ],
    "disruption_type": [
        {
            "CAWN": "Child Abduction Warning Notice",
            "SHPO": "Sexual Harm Prevention Order",
            "SRO": "Sexual Risk Order",
            "ARREST": "Arrest",
            "CHARGE": "Charge",
            "LICENSING": "Licensing",
            "INJUNCTION": "Injunction",
        }
    ],
    "with_adults": [{"Y": "Yes", "N": "No", "U": "Unknown"}],
    "outcome_type": [{"PENDING": "Under investigation"}, {"PENDING": "Open"}],
}
CODED_FIELDS = {
    "role",
    "sex",
    "recorded_status",
    "outcome",
    "location_type",
    "disruption_type",
    "with_adults",
    "outcome_type",
    "return_interview_offered",
    "grooming_aggravating_factor",
}
_LEGACY = {"A4": "O1", "W3": "W9", "O2": "O9"}


def _style(name: str, style: str) -> str:
    words = name.split("_")
    if style == "title":
        return " ".join(word.capitalize() for word in words)
    if style == "camel":
        return "".join(word.capitalize() for word in words)
    if style == "upper":
        return name.upper()
    return name


@dataclass
class LocalFormat:
    """One submitter's conventions (seeded)."""

    kind: str
    encoding: str
    delimiter: str
    date_format: str
    datetime_format: str
    true_value: str
    false_value: str
    title_rows: int
    legacy_ethnicity: bool
    blank_not_recorded: bool
    """Write NR as an empty cell (the standard reads empty as NR for fields with a blank code)."""
    prefixes: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    """table -> standard field -> local column name."""
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    """standard field -> {standard code: local code}."""
    extra_columns: list[str] = field(default_factory=list)


def plan_format(
    rng: np.random.Generator, is_force: bool, index: int, fields_by_table: dict[str, list[str]]
) -> LocalFormat:
    """Draw one submitter's conventions. Index 0 and 1 are pinned to Windows-1252 CSV and to Excel, so
    every run (even 'tiny') exercises both."""
    draw = rng.random()
    if index == 0:
        kind, encoding, delimiter = "csv", "cp1252", ";"
    elif index == 1:
        kind, encoding, delimiter = "xlsx", "utf-8", ","
    elif draw < 0.35:
        kind, encoding, delimiter = "csv", "utf-8", ","
    elif draw < 0.5:
        kind, encoding, delimiter = "csv", "utf-8-sig", ","
    elif draw < 0.62:
        kind, encoding, delimiter = "csv", "cp1252", ";" if rng.random() < 0.6 else ","
    elif draw < 0.85:
        kind, encoding, delimiter = "xlsx", "utf-8", ","
    elif draw < 0.93:
        kind, encoding, delimiter = "json", "utf-8", ","
    else:
        kind, encoding, delimiter = "parquet", "utf-8", ","
    dates = DATE_FORMATS[int(rng.integers(0, len(DATE_FORMATS)))]
    true_value, false_value = BOOLEANS[int(rng.integers(0, len(BOOLEANS)))]
    style = _STYLES[int(rng.integers(0, len(_STYLES)))]
    tables = FORCE_TABLES if is_force else COUNCIL_TABLES
    columns: dict[str, dict[str, str]] = {}
    for table in tables:
        mapping: dict[str, str] = {}
        for name in fields_by_table[table]:
            options = ALTERNATIVES.get(table, {}).get(name)
            local = (
                str(options[int(rng.integers(0, len(options)))])
                if options and rng.random() < 0.6
                else _style(name, style)
            )
            while local in mapping.values():
                local = local + " 2"
            mapping[name] = local
        columns[table] = mapping
    codes: dict[str, dict[str, str]] = {}
    for name, options in CODE_STYLES.items():
        if rng.random() < 0.5:
            codes[name] = options[int(rng.integers(0, len(options)))]
    if not is_force and "sex" in codes and rng.random() < 0.5:
        codes["sex"] = CODE_STYLES["sex"][1]
    return LocalFormat(
        kind=kind,
        encoding=encoding,
        delimiter=delimiter,
        date_format=dates[0],
        datetime_format=dates[1],
        true_value=true_value,
        false_value=false_value,
        title_rows=int(rng.integers(1, 4)) if kind == "xlsx" else 0,
        legacy_ethnicity=bool(rng.random() < 0.3),
        blank_not_recorded=bool(rng.random() < 0.5),
        prefixes={t: FILE_PREFIXES[t][int(rng.integers(0, len(FILE_PREFIXES[t])))] for t in tables},
        columns=columns,
        codes=codes,
        extra_columns=["Extracted By", "Last Updated"][: int(rng.integers(0, 3))],
    )


def local_code_map(fmt: LocalFormat, field_name: str) -> dict[str, str]:
    """Standard code -> local code for one field (empty when the submitter writes standard codes)."""
    if field_name in ("ethnicity_self_defined",) and fmt.legacy_ethnicity:
        return dict(_LEGACY)
    if field_name in ("return_interview_offered", "grooming_aggravating_factor") and "with_adults" in fmt.codes:
        return fmt.codes["with_adults"]
    return fmt.codes.get(field_name, {})


def profile_codes(fmt: LocalFormat, field_name: str) -> dict[str, str]:
    """Local code -> standard code, as the profile states it (legacy codes that equal a standard code are
    not listed: O1 is the only legacy code the standard lacks)."""
    mapping = local_code_map(fmt, field_name)
    if field_name == "ethnicity_self_defined" and fmt.legacy_ethnicity:
        return {"O1": "A4"}
    return {local: standard for standard, local in mapping.items()}
