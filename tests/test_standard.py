"""The core data set loads, is self-consistent, and says what IICSA asked it to say."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from clearsight.standard import FieldType, changelog, load_standard

STANDARD = load_standard()
DATA = Path(__file__).parents[1] / "src" / "clearsight" / "standard" / "data"


@pytest.mark.parametrize("name", sorted(STANDARD.codelists))
def test_every_code_list_loads_with_unique_codes_and_a_source(name: str) -> None:
    codes = STANDARD.codelists[name].code_values()
    assert codes, f"{name} is empty"
    assert len(codes) == len(set(codes))
    assert STANDARD.codelists[name].source
    assert all(
        code.status in {"confirmed", "partial", "unconfirmed", "local"} for code in STANDARD.codelists[name].codes
    )


def test_every_code_list_file_is_indexed_and_every_index_entry_has_a_file() -> None:
    files = {path.stem for path in (DATA / "codelists").glob("*.csv")}
    index = set(yaml.safe_load((DATA / "codelists.yaml").read_text())["codelists"])
    assert files == index


def test_every_coded_field_names_an_existing_list_and_only_coded_fields_do() -> None:
    for table in STANDARD.tables.values():
        for spec in table.fields:
            coded = spec.type in (FieldType.code, FieldType.codes)
            assert coded == (spec.codelist is not None), f"{table.name}.{spec.name}"
            if coded:
                assert spec.codelist in STANDARD.codelists


def test_every_table_and_field_is_described_and_versioned() -> None:
    for table in STANDARD.tables.values():
        assert table.version.count(".") == 2 and table.description
        for spec in table.fields:
            assert len(spec.description) > 10, f"{table.name}.{spec.name} needs a description"


def test_cse_is_its_own_flag_apart_from_csa_with_the_group_based_definition() -> None:
    offence = STANDARD.table("offence")
    assert offence.field("cse_flag").type == FieldType.boolean
    assert offence.field("csa_flag").type == FieldType.boolean
    group = offence.field("group_based_flag")
    assert "interconnected" in group.description and "Home Office" in group.description
    assert STANDARD.table("referral").field("cse_concern").required


def test_victims_and_suspects_carry_characteristics_with_not_stated_apart_from_not_recorded() -> None:
    person = STANDARD.table("person")
    assert {"VICTIM", "SUSPECT"} <= set(STANDARD.codelist("person_role").code_values())
    for name in (
        "sex",
        "ethnicity_self_defined",
        "ethnicity_officer_observed",
        "nationality",
        "disability",
        "religion",
    ):
        spec = person.field(name)
        codes = STANDARD.codelist(spec.codelist).code_values()
        assert {"NS", "NR"} <= set(codes) or (name == "ethnicity_officer_observed" and "NR" in codes)
        assert spec.blank_code == "NR"
    assert person.field("ethnicity_self_defined").codelist != person.field("ethnicity_officer_observed").codelist
    assert STANDARD.table("offence_person").field("age_at_offence").type == FieldType.integer


def test_grooming_outcome_sentence_and_referral_status_are_held() -> None:
    offence = STANDARD.table("offence")
    for name in ("grooming_aggravating_factor", "outcome_type", "sentence_type", "sentence_months"):
        offence.field(name)
    assert len([c for c in STANDARD.codelist("police_outcome_type").code_values() if c.isdigit()]) == 22
    referral = STANDARD.table("referral")
    assert {"AT_RISK", "HARMED"} <= set(STANDARD.codelist(referral.field("recorded_status").codelist).code_values())
    assert referral.field("summary").type == FieldType.string


def test_forces_and_councils_carry_official_codes() -> None:
    forces = STANDARD.codelist("police_force")
    assert len(forces.codes) == 43
    assert all(code.startswith(("E23", "W15")) for code in forces.code_values())
    councils = STANDARD.codelist("local_authority")
    assert all(c.group in set(forces.code_values()) for c in councils.codes), "every council sits in a force"
    assert all(c.code[:3] in {"E06", "E08", "E09", "E10", "W06"} for c in councils.codes)


def test_identifiers_are_marked_for_the_vault() -> None:
    person = STANDARD.table("person")
    identifiers = {spec.name for spec in person.fields if spec.identifier}
    assert {"forename", "surname", "date_of_birth", "postcode", "address", "phone_numbers"} <= identifiers


def test_changelog_names_the_current_version() -> None:
    assert f"## {STANDARD.version}" in changelog()


def test_reference_rows_checked_are_cited() -> None:
    with (DATA / "codelists" / "ho_offence_code.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert all(row["source"] for row in rows)
