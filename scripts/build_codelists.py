#!/usr/bin/env python3
"""Build the core data set's code lists (CSV per list + codelists.yaml index).

Re-runnable: reads /work/shared/reference/*.csv (or $CLEARSIGHT_REFERENCE) and the looked-up facts
hard-coded below (each with its source), and writes

    src/clearsight/standard/data/codelists/<name>.csv
    src/clearsight/standard/data/codelists.yaml

Build-only dependency: ``pycountry`` (ISO 3166-1 for the nationality list). The runtime package does not
need it. See src/clearsight/standard/data/codelists/SOURCES.md for what was checked against which source.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
REF = Path(os.environ.get("CLEARSIGHT_REFERENCE", "/work/shared/reference"))
DATA = ROOT / "src" / "clearsight" / "standard" / "data"
OUT = DATA / "codelists"
HEADER = ["code", "label", "description", "group", "status", "source"]
STATUSES = {"confirmed", "partial", "unconfirmed", "local"}
LOCAL = "Clearsight (defined locally; no external source)"

# --------------------------------------------------------------------------------------------------
# Sources used for looked-up facts
# --------------------------------------------------------------------------------------------------
SRC_CIN_XSD = (
    "DfE children in need census XML schema 2024 (CIN_schema_2024.xsd), copy in "
    "github.com/SocialFinanceDigitalLabs/liia-tools liiatools/cin_census_pipeline/spec/CIN_schema_2024.xsd"
)
SRC_DEVON_FOI = (
    "https://www.devon.gov.uk/accesstoinformation/archives/information_request/children-in-need-cohorts-risk-factors"
)
SRC_PFA = (
    "ONS Police Force Areas (December 2024) EW names and codes (layer Police_Force_Areas_Dec_2024_EW); "
    "codes as reproduced in public code mapping police.uk forces to PFA codes (find_string: E23000034)"
)
SRC_LA_CODES = (
    "ONS GSS codes for counties/unitary authorities (E06/E08/E09/E10/W06) as reproduced in public code "
    "(LAD/CTYUA code lists; 2019-2023 unitary restructures E06000058-E06000066; "
    "Barnsley/Sheffield recoded 1 April 2025 under SI 2024/1328)"
)
SRC_POLICE_ACT = "Police Act 1996 Schedule 1 (as amended), https://www.legislation.gov.uk/ukpga/1996/16/schedule/1"
SRC_OUTCOMES = (
    "Home Office crime outcomes framework (Crime outcomes in England and Wales: technical annex, "
    "https://www.gov.uk/government/statistics/crime-outcomes-in-england-and-wales-2023-to-2024/"
    "crime-outcomes-in-england-and-wales-technical-annex); labels as listed in the police recorded crime and "
    "outcomes open data tables"
)
SRC_OUT21 = "https://www.cleveland.police.uk/foi-ai/cleveland-police/disclosure/2025/january/foi-3825-outcome-21/"
SRC_OUT_GROUPS = (
    "https://www.gwent.police.uk/foi-ai/gwent-police/disclosure2/2025/202528532---crime-outcomes-april-2024-march-2025/"
)
SRC_RELIGION = (
    "ONS Census 2021 religion (summary, 8 tick-box categories plus not answered): "
    "https://ukdataservice.ac.uk/learning-hub/census/census-explainers/religion/ ; "
    "https://www.ons.gov.uk/census/census2021dictionary/variablesbytopic/"
    "ethnicgroupnationalidentitylanguageandreligionvariablescensus2021/religiondetailed"
)
SRC_APP_INTEL = "College of Policing APP Intelligence management (3x5x2), https://www.college.police.uk/app/intelligence-management"
SRC_INTEL_SECONDARY = (
    "labels via secondary sources quoting the APP: "
    "https://m.brainscape.com/flashcards/information-intelligence-12257278/packs/21089740 ; "
    "http://www.hsmtraining.com/blog/2017/2/14/assessing-the-source-of-intelligence-in-intelligence-reports"
)
SRC_903 = (
    "DfE SSDA903 (children looked after) placement type codes as reproduced in "
    "github.com/data-to-insight/ssd-data-model data/categories/placement_type and "
    "data-to-insight csc-validator-be-903 dimension tables"
)
SRC_IICSA_ATRISK = (
    "IICSA, Child sexual exploitation by organised networks (Feb 2022), as quoted in /work/shared/seed/article.txt: "
    "'a distinctive professional language around child sexual exploitation ... describes children being "
    "‘at risk’ despite clear evidence of actual harm having occurred'"
)
SRC_HO_2020 = (
    "Home Office, Group-based child sexual exploitation: characteristics of offending (Dec 2020), "
    "https://gov.uk/government/publications/group-based-child-sexual-exploitation-characteristics-of-offending ; "
    "IICSA, Child sexual exploitation by organised networks investigation report (Feb 2022)"
)
SRC_MOJ = (
    "Ministry of Justice, Criminal Justice Statistics quarterly (outcomes by offence: sentence outcome "
    "categories), https://www.gov.uk/government/collections/criminal-justice-statistics-quarterly"
)
SRC_OFSTED = (
    "Ofsted: children's homes must be registered under the Care Standards Act 2000 s.11; supported "
    "accommodation for 16-17 year olds registrable from 28 October 2023 (Supported Accommodation (England) "
    "Regulations 2023), https://www.gov.uk/government/organisations/ofsted"
)
LEG = "https://www.legislation.gov.uk"


def row(code, label, description="", group="", status="local", source=LOCAL):
    return {
        "code": str(code),
        "label": label,
        "description": description,
        "group": group,
        "status": status,
        "source": source,
    }


def read_ref(name):
    with (REF / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------------------------------
# Lists from /work/shared/reference
# --------------------------------------------------------------------------------------------------
def ho_offence_code():
    rows = []
    for r in read_ref("home_office_offence_codes.csv"):
        if r["title"].strip() == "(not found)":
            continue  # 88B: not found in any source
        desc = f"Child-specific by statute: {r['child_specific_by_statute']}."
        if r["note"]:
            desc += f" Note: {r['note']}."
        rows.append(row(r["ho_code"], r["title"], desc, r["ons_group"], r["status"], r["source"]))
    return rows


def ethnicity_self_defined():
    src = "ethnicity_self_defined_18plus1.csv"
    rows = []
    for r in read_ref(src):
        label, desc = r["label"], ""
        if r["code"] == "NS":
            label = "Not stated (the person was asked and declined)"
            desc = ("Use only when the person was asked and declined to state an ethnicity. "
                    "If nobody asked or the field is blank, use NR.")
        rows.append(row(r["code"], label, desc, r["group"], r["status"], r["source"]))
    rows.append(row("NR", "Not recorded (nobody asked or the field was left blank)",
                    "Clearsight code: the person was not asked, or the source field is empty. Distinct from NS.",
                    "Not recorded"))
    return rows


LEGACY_GROUP = {"W": "White", "M": "Mixed", "A": "Asian or Asian British", "B": "Black or Black British",
                "O": "Chinese or other ethnic group", "N": "Not stated"}


def ethnicity_self_defined_16plus1():
    rows = []
    for r in read_ref("ethnicity_self_defined_16plus1_legacy.csv"):
        desc = "Legacy 16+1 code; map to the 18+1 list on ingest."
        if r["code"] == "O1":
            desc = "Legacy 16+1 code: Chinese was O1; it is A4 in the 18+1 list. Map O1 -> A4 on ingest."
        elif r["code"] == "NS":
            desc = "Not stated. Maps to NS in the 18+1 list."
        rows.append(row(r["code"], r["label"], desc, LEGACY_GROUP[r["code"][0]], r["status"], r["source"]))
    return rows


def ethnicity_officer_observed():
    rows = [row(r["code"], r["label"], "Officer-observed (not self-defined); keep apart from self-defined ethnicity.",
                "", r["status"], r["source"]) for r in read_ref("ethnicity_officer_observed_ic.csv")]
    rows.append(row("NR", "Not recorded", "Clearsight code: no officer-observed code was recorded.",))
    return rows


def census2021_ethnic_group():
    return [row(r["n"], r["category"], "Census 2021 (England and Wales) ethnic group, 19 categories.",
                r["high_level_group"], r["status"], r["source"])
            for r in read_ref("census2021_ethnic_groups.csv")]


# CIN factors identified at the end of assessment: official short labels (group, label) with the
# DfE schema's documentation text as description.
CIN_FACTORS = [
    ("1A", "Alcohol misuse", "Alcohol misuse: child", "Alcohol misuse: concerns about alcohol misuse by the child"),
    ("1B", "Alcohol misuse", "Alcohol misuse: parent(s)/carer(s)", "Alcohol misuse: concerns about alcohol misuse by the parent(s)/carer(s)"),
    ("1C", "Alcohol misuse", "Alcohol misuse: another person in the household", "Alcohol misuse: concerns about alcohol misuse by another person living in the household"),
    ("2A", "Drug misuse", "Drug misuse: child", "Drug misuse: concerns about drug misuse by the child"),
    ("2B", "Drug misuse", "Drug misuse: parent(s)/carer(s)", "Drug misuse: concerns about drug misuse by the parent(s)/carer(s)"),
    ("2C", "Drug misuse", "Drug misuse: another person in the household", "Drug misuse: concerns about drug misuse by another person living in the household"),
    ("3A", "Domestic violence", "Domestic violence: child", "Domestic violence: concerns about the child being the subject of domestic violence"),
    ("3B", "Domestic violence", "Domestic violence: parent(s)/carer(s)", "Domestic violence: concerns about the child’s parent(s)/carer(s) being the subject of domestic violence"),
    ("3C", "Domestic violence", "Domestic violence: another person in the household", "Domestic violence: concerns about another person living in the household being the subject of domestic violence"),
    ("4A", "Mental health", "Mental health: child", "Mental health: concerns about the mental health of the child"),
    ("4B", "Mental health", "Mental health: parent(s)/carer(s)", "Mental health: concerns about the mental health of the parent(s)/carer(s)"),
    ("4C", "Mental health", "Mental health: another person in the family/household", "Mental health: concerns about the mental health of another person in the family/household"),
    ("5A", "Learning disability", "Learning disability: child", "Learning disability: concerns about the child’s learning disability"),
    ("5B", "Learning disability", "Learning disability: parent(s)/carer(s)", "Learning disability: concerns about the parent(s)/carer(s) learning disability"),
    ("5C", "Learning disability", "Learning disability: another person in the family/household", "Learning disability: concerns about another person in the family/household’s learning disability"),
    ("6A", "Physical disability or illness", "Physical disability or illness: child", "Physical disability or illness: concerns about a physical disability or illness of the child"),
    ("6B", "Physical disability or illness", "Physical disability or illness: parent(s)/carer(s)", "Physical disability or illness: concerns about a physical disability or illness of the parent(s)/carer(s)"),
    ("6C", "Physical disability or illness", "Physical disability or illness: another person in the family/household", "Physical disability or illness: concerns about a physical disability or illness of another person in the family/household"),
    ("7A", "Young carer", "Young carer", "Young carer: concerns that services may be required or the child’s health or development may be impaired due to their caring responsibilities"),
    ("8B", "Privately fostered", "Privately fostered: overseas child who intends to return", "Privately fostered: concerns that services may be required or the child may be at risk as a privately fostered child - overseas children who intend to return"),
    ("8C", "Privately fostered", "Privately fostered: overseas child who intends to stay", "Privately fostered: concerns that services may be required or the child may be at risk as a privately fostered child - overseas children who intend to stay"),
    ("8D", "Privately fostered", "Privately fostered: UK child in educational placement", "Privately fostered: concerns that services may be required or the child may be at risk as a privately fostered child - UK children in educational placements"),
    ("8E", "Privately fostered", "Privately fostered: UK child making alternative family arrangements", "Privately fostered: concerns that services may be required or the child may be at risk as a privately fostered child - UK children making alternative family arrangements"),
    ("8F", "Privately fostered", "Privately fostered: other", "Privately fostered: concerns that services may be required or the child may be at risk as a privately fostered child - other"),
    ("9A", "Unaccompanied asylum-seeking child", "Unaccompanied asylum-seeking child (UASC)", "UASC: concerns that services may be required or the child may be at risk of harm as an unaccompanied asylum-seeking child"),
    ("10A", "Going/being missing", "Going/being missing", "Missing: concerns that services may be required or the child may be at risk of harm due to going/being missing"),
    ("11A", "Child sexual exploitation", "Child sexual exploitation", "Child sexual exploitation: concerns that services may be required or the child may be at risk of harm due to child sexual exploitation"),
    ("12A", "Trafficking", "Trafficking", "Trafficking: concerns that services may be required or the child may be at risk of harm due to trafficking"),
    ("13A", "Gangs", "Gangs", "Gangs: concerns that services may be required or the child may be at risk of harm because of involvement in/with gangs"),
    ("14A", "Socially unacceptable behaviour", "Socially unacceptable behaviour", "Socially unacceptable behaviour: concerns that services may be required or the child may be at risk due to their socially unacceptable behaviour"),
    ("15A", "Self-harm", "Self-harm", "Self-harm: concerns that services may be required or due to suspected/actual self-harming child may be at risk of harm"),
    ("16A", "Abuse or neglect", "Neglect", "Abuse or neglect – ‘NEGLECT’: concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect"),
    ("17A", "Abuse or neglect", "Emotional abuse", "Abuse or neglect – ‘EMOTIONAL ABUSE’: concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect"),
    ("18B", "Abuse or neglect", "Physical abuse: child on child", "Abuse or neglect – ‘PHYSICAL ABUSE’ (child on child): concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect by another child"),
    ("18C", "Abuse or neglect", "Physical abuse: adult on child", "Abuse or neglect – ‘PHYSICAL ABUSE’ (adult on child): concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect by an adult"),
    ("19B", "Abuse or neglect", "Sexual abuse: child on child", "Abuse or neglect – ‘SEXUAL ABUSE’ (child on child): concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect by another child"),
    ("19C", "Abuse or neglect", "Sexual abuse: adult on child", "Abuse or neglect – ‘SEXUAL ABUSE’ (adult on child): concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect by an adult"),
    ("20", "Other", "Other", "Other"),
    ("21", "No factors identified", "No factors identified", "No factors identified - only use this if there is no evidence of any of the factors above and no further action is being taken"),
    ("22A", "Female genital mutilation", "Female genital mutilation (FGM)", "Female genital mutilation (FGM) - concerns that services may be required or the child may be at risk due to female genital mutilation"),
    ("23A", "Abuse linked to faith or belief", "Abuse linked to faith or belief", "Abuse linked to faith or belief - concerns that services may be required or the child may be at risk due to abuse linked to faith or belief"),
    ("24A", "Child criminal exploitation", "Child criminal exploitation", "Child criminal exploitation: concerns that services may be required or the child may be at risk of harm due to child criminal exploitation"),
]
# Legacy codes still in older returns (seen in the Devon FOI and the data-to-insight ssd code set; not in the
# 2024 schema, which splits physical and sexual abuse by child-on-child / adult-on-child).
CIN_FACTORS_LEGACY = [
    ("18A", "Abuse or neglect", "Physical abuse (legacy, before the child-on-child / adult-on-child split)",
     "Legacy code: not in the DfE 2024 schema, which uses 18B (child on child) and 18C (adult on child). Accept on ingest of older returns."),
    ("19A", "Abuse or neglect", "Sexual abuse (legacy, before the child-on-child / adult-on-child split)",
     "Legacy code: not in the DfE 2024 schema, which uses 19B (child on child) and 19C (adult on child). Accept on ingest of older returns."),
]


def cin_assessment_factor():
    ref = {r["code"]: r for r in read_ref("cin_assessment_factors.csv")}
    # codes whose meaning in cin_assessment_factors.csv was wrong (labels shifted by one from 8E to 15A,
    # 3A-C 'domestic abuse' where the schema says 'domestic violence', sub-type guesses for 18B-19C)
    corrected = {"3A", "3B", "3C", "8E", "8F", "9A", "10A", "11A", "12A", "13A", "14A", "15A",
                 "18B", "18C", "19B", "19C"}
    rows = []
    for code, group, label, doc in CIN_FACTORS:
        desc = f"DfE text: {doc}"
        old = ref.get(code)
        if code in corrected and old:
            pass  # labels corrected against the DfE schema are listed in SOURCES.md
        elif old is None:
            desc += " (Not in cin_assessment_factors.csv; added from the DfE schema.)"
        rows.append(row(code, label, desc, group, "confirmed", SRC_CIN_XSD))
    for code, group, label, desc in CIN_FACTORS_LEGACY:
        rows.append(row(code, label, desc, group, "partial",
                        f"{SRC_DEVON_FOI} ; github.com/data-to-insight/ssd-data-model data/categories/assessment_factors.yml"))
    return rows


def cin_primary_need():
    rows = []
    xsd = {"N1": "Abuse or neglect", "N2": "Child's disability", "N3": "Parental disability or illness",
           "N4": "Family in acute stress", "N5": "Family dysfunction", "N6": "Socially unacceptable behaviour",
           "N7": "Low income", "N8": "Absent parenting", "N9": "Cases other than children in need",
           "N0": "Not stated"}
    for r in sorted(read_ref("cin_primary_need.csv"), key=lambda r: r["code"]):
        assert xsd[r["code"]] == r["label"], r
        rows.append(row(r["code"], r["label"], "DfE CIN census primary need code.", "", "confirmed",
                        f"{SRC_CIN_XSD} ; codes also: {r['source'].split(' (codes)')[0]}"))
    return rows


# --------------------------------------------------------------------------------------------------
# Police forces and local authorities
# --------------------------------------------------------------------------------------------------
PFA_CODES = {  # force name in police_forces.csv -> ONS PFA code (E23/W15)
    "Metropolitan Police Service": "E23000001", "Cumbria Constabulary": "E23000002",
    "Lancashire Constabulary": "E23000003", "Merseyside Police": "E23000004",
    "Greater Manchester Police": "E23000005", "Cheshire Constabulary": "E23000006",
    "Northumbria Police": "E23000007", "Durham Constabulary": "E23000008",
    "North Yorkshire Police": "E23000009", "West Yorkshire Police": "E23000010",
    "South Yorkshire Police": "E23000011", "Humberside Police": "E23000012",
    "Cleveland Police": "E23000013", "West Midlands Police": "E23000014",
    "Staffordshire Police": "E23000015", "West Mercia Police": "E23000016",
    "Warwickshire Police": "E23000017", "Derbyshire Constabulary": "E23000018",
    "Nottinghamshire Police": "E23000019", "Lincolnshire Police": "E23000020",
    "Leicestershire Police": "E23000021", "Northamptonshire Police": "E23000022",
    "Cambridgeshire Constabulary": "E23000023", "Norfolk Constabulary": "E23000024",
    "Suffolk Constabulary": "E23000025", "Bedfordshire Police": "E23000026",
    "Hertfordshire Constabulary": "E23000027", "Essex Police": "E23000028",
    "Thames Valley Police": "E23000029", "Hampshire Constabulary": "E23000030",
    "Surrey Police": "E23000031", "Kent Police": "E23000032", "Sussex Police": "E23000033",
    "City of London Police": "E23000034", "Devon and Cornwall Police": "E23000035",
    "Avon and Somerset Constabulary": "E23000036", "Gloucestershire Constabulary": "E23000037",
    "Wiltshire Police": "E23000038", "Dorset Police": "E23000039",
    "North Wales Police": "W15000001", "Gwent Police": "W15000002",
    "South Wales Police": "W15000003", "Dyfed-Powys Police": "W15000004",
}

# name as written in police_forces.csv -> (GSS code, official name)
LA = {
    # E06 unitary authorities
    "Hartlepool": ("E06000001", "Hartlepool"), "Middlesbrough": ("E06000002", "Middlesbrough"),
    "Redcar and Cleveland": ("E06000003", "Redcar and Cleveland"), "Stockton-on-Tees": ("E06000004", "Stockton-on-Tees"),
    "Darlington": ("E06000005", "Darlington"), "Halton": ("E06000006", "Halton"), "Warrington": ("E06000007", "Warrington"),
    "Blackburn with Darwen": ("E06000008", "Blackburn with Darwen"), "Blackpool": ("E06000009", "Blackpool"),
    "Kingston upon Hull": ("E06000010", "Kingston upon Hull, City of"),
    "East Riding of Yorkshire": ("E06000011", "East Riding of Yorkshire"),
    "North East Lincolnshire": ("E06000012", "North East Lincolnshire"), "North Lincolnshire": ("E06000013", "North Lincolnshire"),
    "York": ("E06000014", "York"), "Derby": ("E06000015", "Derby"), "Leicester": ("E06000016", "Leicester"),
    "Rutland": ("E06000017", "Rutland"), "Nottingham": ("E06000018", "Nottingham"),
    "Herefordshire": ("E06000019", "Herefordshire, County of"), "Telford and Wrekin": ("E06000020", "Telford and Wrekin"),
    "Stoke-on-Trent": ("E06000021", "Stoke-on-Trent"), "Bath and North East Somerset": ("E06000022", "Bath and North East Somerset"),
    "Bristol": ("E06000023", "Bristol, City of"), "North Somerset": ("E06000024", "North Somerset"),
    "South Gloucestershire": ("E06000025", "South Gloucestershire"), "Plymouth": ("E06000026", "Plymouth"),
    "Torbay": ("E06000027", "Torbay"), "Swindon": ("E06000030", "Swindon"), "Peterborough": ("E06000031", "Peterborough"),
    "Luton": ("E06000032", "Luton"), "Southend-on-Sea": ("E06000033", "Southend-on-Sea"), "Thurrock": ("E06000034", "Thurrock"),
    "Medway": ("E06000035", "Medway"), "Bracknell Forest": ("E06000036", "Bracknell Forest"),
    "West Berkshire": ("E06000037", "West Berkshire"), "Reading": ("E06000038", "Reading"), "Slough": ("E06000039", "Slough"),
    "Windsor and Maidenhead": ("E06000040", "Windsor and Maidenhead"), "Wokingham": ("E06000041", "Wokingham"),
    "Milton Keynes": ("E06000042", "Milton Keynes"), "Brighton and Hove": ("E06000043", "Brighton and Hove"),
    "Portsmouth": ("E06000044", "Portsmouth"), "Southampton": ("E06000045", "Southampton"),
    "Isle of Wight": ("E06000046", "Isle of Wight"), "County Durham": ("E06000047", "County Durham"),
    "Cheshire East": ("E06000049", "Cheshire East"), "Cheshire West and Chester": ("E06000050", "Cheshire West and Chester"),
    "Shropshire": ("E06000051", "Shropshire"), "Cornwall": ("E06000052", "Cornwall"),
    "Isles of Scilly": ("E06000053", "Isles of Scilly"), "Wiltshire": ("E06000054", "Wiltshire"),
    "Bedford": ("E06000055", "Bedford"), "Central Bedfordshire": ("E06000056", "Central Bedfordshire"),
    "Northumberland": ("E06000057", "Northumberland"),
    "Bournemouth Christchurch and Poole": ("E06000058", "Bournemouth, Christchurch and Poole"),
    "Dorset": ("E06000059", "Dorset"), "Buckinghamshire": ("E06000060", "Buckinghamshire"),
    "North Northamptonshire": ("E06000061", "North Northamptonshire"),
    "West Northamptonshire": ("E06000062", "West Northamptonshire"), "Cumberland": ("E06000063", "Cumberland"),
    "Westmorland and Furness": ("E06000064", "Westmorland and Furness"), "North Yorkshire": ("E06000065", "North Yorkshire"),
    "Somerset": ("E06000066", "Somerset"),
    # E08 metropolitan districts
    "Bolton": ("E08000001", "Bolton"), "Bury": ("E08000002", "Bury"), "Manchester": ("E08000003", "Manchester"),
    "Oldham": ("E08000004", "Oldham"), "Rochdale": ("E08000005", "Rochdale"), "Salford": ("E08000006", "Salford"),
    "Stockport": ("E08000007", "Stockport"), "Tameside": ("E08000008", "Tameside"), "Trafford": ("E08000009", "Trafford"),
    "Wigan": ("E08000010", "Wigan"), "Knowsley": ("E08000011", "Knowsley"), "Liverpool": ("E08000012", "Liverpool"),
    "St. Helens": ("E08000013", "St. Helens"), "Sefton": ("E08000014", "Sefton"), "Wirral": ("E08000015", "Wirral"),
    "Doncaster": ("E08000017", "Doncaster"), "Rotherham": ("E08000018", "Rotherham"),
    "Newcastle upon Tyne": ("E08000021", "Newcastle upon Tyne"), "North Tyneside": ("E08000022", "North Tyneside"),
    "South Tyneside": ("E08000023", "South Tyneside"), "Sunderland": ("E08000024", "Sunderland"),
    "Birmingham": ("E08000025", "Birmingham"), "Coventry": ("E08000026", "Coventry"), "Dudley": ("E08000027", "Dudley"),
    "Sandwell": ("E08000028", "Sandwell"), "Solihull": ("E08000029", "Solihull"), "Walsall": ("E08000030", "Walsall"),
    "Wolverhampton": ("E08000031", "Wolverhampton"), "Bradford": ("E08000032", "Bradford"),
    "Calderdale": ("E08000033", "Calderdale"), "Kirklees": ("E08000034", "Kirklees"), "Leeds": ("E08000035", "Leeds"),
    "Wakefield": ("E08000036", "Wakefield"), "Gateshead": ("E08000037", "Gateshead"),
    "Barnsley": ("E08000038", "Barnsley"), "Sheffield": ("E08000039", "Sheffield"),
    # E09 London
    "City of London": ("E09000001", "City of London"),
    # E10 counties
    "Cambridgeshire": ("E10000003", "Cambridgeshire"), "Derbyshire": ("E10000007", "Derbyshire"),
    "Devon": ("E10000008", "Devon"), "East Sussex": ("E10000011", "East Sussex"), "Essex": ("E10000012", "Essex"),
    "Gloucestershire": ("E10000013", "Gloucestershire"), "Hampshire": ("E10000014", "Hampshire"),
    "Hertfordshire": ("E10000015", "Hertfordshire"), "Kent": ("E10000016", "Kent"), "Lancashire": ("E10000017", "Lancashire"),
    "Leicestershire": ("E10000018", "Leicestershire"), "Lincolnshire": ("E10000019", "Lincolnshire"),
    "Norfolk": ("E10000020", "Norfolk"), "Nottinghamshire": ("E10000024", "Nottinghamshire"),
    "Oxfordshire": ("E10000025", "Oxfordshire"), "Staffordshire": ("E10000028", "Staffordshire"),
    "Suffolk": ("E10000029", "Suffolk"), "Surrey": ("E10000030", "Surrey"), "Warwickshire": ("E10000031", "Warwickshire"),
    "West Sussex": ("E10000032", "West Sussex"), "Worcestershire": ("E10000034", "Worcestershire"),
    # W06 Welsh principal areas
    "Isle of Anglesey": ("W06000001", "Isle of Anglesey"), "Gwynedd": ("W06000002", "Gwynedd"),
    "Conwy": ("W06000003", "Conwy"), "Denbighshire": ("W06000004", "Denbighshire"), "Flintshire": ("W06000005", "Flintshire"),
    "Wrexham": ("W06000006", "Wrexham"), "Ceredigion": ("W06000008", "Ceredigion"),
    "Pembrokeshire": ("W06000009", "Pembrokeshire"), "Carmarthenshire": ("W06000010", "Carmarthenshire"),
    "Swansea": ("W06000011", "Swansea"), "Neath Port Talbot": ("W06000012", "Neath Port Talbot"),
    "Bridgend": ("W06000013", "Bridgend"), "Vale of Glamorgan": ("W06000014", "Vale of Glamorgan"),
    "Cardiff": ("W06000015", "Cardiff"), "Rhondda Cynon Taf": ("W06000016", "Rhondda Cynon Taf"),
    "Caerphilly": ("W06000018", "Caerphilly"), "Blaenau Gwent": ("W06000019", "Blaenau Gwent"),
    "Torfaen": ("W06000020", "Torfaen"), "Monmouthshire": ("W06000021", "Monmouthshire"),
    "Newport": ("W06000022", "Newport"), "Powys": ("W06000023", "Powys"), "Merthyr Tydfil": ("W06000024", "Merthyr Tydfil"),
}
LONDON_BOROUGHS = [
    ("E09000002", "Barking and Dagenham"), ("E09000003", "Barnet"), ("E09000004", "Bexley"), ("E09000005", "Brent"),
    ("E09000006", "Bromley"), ("E09000007", "Camden"), ("E09000008", "Croydon"), ("E09000009", "Ealing"),
    ("E09000010", "Enfield"), ("E09000011", "Greenwich"), ("E09000012", "Hackney"),
    ("E09000013", "Hammersmith and Fulham"), ("E09000014", "Haringey"), ("E09000015", "Harrow"),
    ("E09000016", "Havering"), ("E09000017", "Hillingdon"), ("E09000018", "Hounslow"), ("E09000019", "Islington"),
    ("E09000020", "Kensington and Chelsea"), ("E09000021", "Kingston upon Thames"), ("E09000022", "Lambeth"),
    ("E09000023", "Lewisham"), ("E09000024", "Merton"), ("E09000025", "Newham"), ("E09000026", "Redbridge"),
    ("E09000027", "Richmond upon Thames"), ("E09000028", "Southwark"), ("E09000029", "Sutton"),
    ("E09000030", "Tower Hamlets"), ("E09000031", "Waltham Forest"), ("E09000032", "Wandsworth"),
    ("E09000033", "Westminster"),
]
LA_NOTES = {
    "E08000038": "Code in use from 1 April 2025 (boundary change, SI 2024/1328); earlier data use E08000016 - map on ingest.",
    "E08000039": "Code in use from 1 April 2025 (boundary change, SI 2024/1328); earlier data use E08000019 - map on ingest.",
    "E06000058": "Created 1 April 2019 (replaced Bournemouth E06000028, Poole E06000029 and part of Dorset county E10000009).",
    "E06000059": "Unitary from 1 April 2019 (replaced Dorset county council E10000009).",
    "E06000060": "Unitary from 1 April 2020 (replaced Buckinghamshire county council E10000002).",
    "E06000061": "Created 1 April 2021 (replaced Northamptonshire county council E10000021, with E06000062).",
    "E06000062": "Created 1 April 2021 (replaced Northamptonshire county council E10000021, with E06000061).",
    "E06000063": "Created 1 April 2023 (replaced Cumbria county council E10000006, with E06000064).",
    "E06000064": "Created 1 April 2023 (replaced Cumbria county council E10000006, with E06000063).",
    "E06000065": "Unitary from 1 April 2023 (replaced North Yorkshire county council E10000023).",
    "E06000066": "Unitary from 1 April 2023 (replaced Somerset county council E10000027).",
    "E06000057": "Code since 2013 (formerly E06000048).",
    "E08000037": "Code since 2013 (formerly E08000020).",
    "E06000053": "Children's services provided by the Council of the Isles of Scilly; small numbers.",
    "E09000001": "Policed by City of London Police, not the Metropolitan Police.",
}


def _kind(code):
    return {"E06": "Unitary authority", "E08": "Metropolitan district", "E09": "London borough",
            "E10": "County council", "W06": "Welsh principal area"}[code[:3]]


def police_force_and_local_authority():
    forces, las = [], []
    for r in read_ref("police_forces.csv"):
        pfa = PFA_CODES[r["force"]]
        if r["upper_tier_local_authorities"].strip() == "32 London boroughs":
            members = [(c, n) for c, n in LONDON_BOROUGHS]
        else:
            members = [LA[name.strip()] for name in r["upper_tier_local_authorities"].split(";")]
        covers = "; ".join(n for _, n in members)
        forces.append(row(pfa, r["force"], f"Territorial police force. Upper-tier councils covered: {covers}.",
                          r["country"], "partial", f"{SRC_PFA} ; force name: {r['source']}"))
        for code, name in members:
            note = LA_NOTES.get(code, "")
            desc = f"{_kind(code)}. Police force: {r['force']} ({pfa}); force-area mapping status in reference: {r['areas_status']}."
            if note:
                desc += " " + note
            las.append(row(code, name, desc, pfa, "partial",
                           f"{SRC_LA_CODES} ; force mapping: {SRC_POLICE_ACT} and police_forces.csv ({r['source']})"))
    assert len(forces) == 43, len(forces)
    eng = [x for x in las if x["code"].startswith("E")]
    wal = [x for x in las if x["code"].startswith("W")]
    assert len(eng) == 153 and len(wal) == 22, (len(eng), len(wal))
    las.sort(key=lambda x: x["code"])
    return forces, las


# --------------------------------------------------------------------------------------------------
# Lists built from public sources
# --------------------------------------------------------------------------------------------------
OUTCOMES = [
    (1, "Charged/summonsed", "Charged/Summonsed"),
    (2, "Caution – youths", "Out-of-court (formal)"),
    (3, "Caution – adults", "Out-of-court (formal)"),
    (4, "Taken into consideration", "Taken into consideration"),
    (5, "The offender has died", "Prosecution prevented or not in the public interest"),
    (6, "Penalty Notice for Disorder", "Out-of-court (formal)"),
    (7, "Cannabis/khat warning", "Out-of-court (formal)"),
    (8, "Community resolution", "Out-of-court (informal)"),
    (9, "Prosecution not in the public interest (CPS decision)", "Prosecution prevented or not in the public interest"),
    (10, "Formal action against the offender not in the public interest (police decision)", "Prosecution prevented or not in the public interest"),
    (11, "Prosecution prevented – suspect below the age of criminal responsibility", "Prosecution prevented or not in the public interest"),
    (12, "Prosecution prevented – suspect too ill to prosecute", "Prosecution prevented or not in the public interest"),
    (13, "Prosecution prevented – victim or key witness dead or too ill to give evidence", "Prosecution prevented or not in the public interest"),
    (14, "Evidential difficulties: suspect not identified; victim does not support further action", "Evidential difficulties (victim does not support action)"),
    (15, "Evidential difficulties: suspect identified; victim supports action", "Evidential difficulties (suspect identified; victim supports action)"),
    (16, "Evidential difficulties: suspect identified; victim does not support further action", "Evidential difficulties (victim does not support action)"),
    (17, "Prosecution time limit expired", "Prosecution prevented or not in the public interest"),
    (18, "Investigation complete – no suspect identified", "Investigation complete – no suspect identified"),
    (19, "National Fraud Intelligence Bureau filed (fraud offences only)", "Not applicable to this audit (fraud)"),
    (20, "Further action to be undertaken by another body or agency", "Responsibility for further investigation transferred to another body"),
    (21, "Further investigation to support formal action not in the public interest – police decision", "Further investigation to support formal action not in the public interest – police decision"),
    (22, "Diversionary, educational or intervention activity undertaken; further action not in the public interest", "Diversionary, educational or intervention activity"),
]
OUTCOME_DESC = {
    14: "Suspect not identified; the victim does not support further action.",
    16: "Suspect identified; the victim does not support (or withdraws support for) further action.",
    21: "Home Office text: further investigation, resulting from the crime report, which could provide evidence sufficient to support formal action being taken against the suspect is not in the public interest – police decision. A named suspect must be identified.",
    22: "Home Office text: diversionary, educational or intervention activity, resulting from the crime report, has been undertaken and it is not in the public interest to take any further action.",
    19: "Used only for fraud offences; should not occur for sexual offences.",
}


def police_outcome_type():
    rows = []
    for n, label, group in OUTCOMES:
        status, source = "partial", SRC_OUTCOMES
        if n == 21:
            status, source = "confirmed", f"{SRC_OUT21} ; {SRC_OUTCOMES}"
        elif n == 22:
            status, source = "confirmed", f"{SRC_OUT_GROUPS} ; {SRC_OUTCOMES}"
        elif n in (14, 15, 16, 18, 20):
            source = f"{SRC_OUTCOMES} ; groups: {SRC_OUT_GROUPS}"
        rows.append(row(n, label, OUTCOME_DESC.get(n, "Home Office outcome type."), group, status, source))
    rows.append(row("PENDING", "Investigation ongoing / outcome not yet assigned",
                    "Clearsight code: no outcome assigned yet (the Home Office tables count these as 'not yet assigned an outcome').",
                    "Not yet assigned"))
    return rows


def sex():
    dfe = f"Aligned with DfE CIN census gender codes (1 Male, 2 Female, 9 Indeterminate, 0 Not recorded): {SRC_CIN_XSD}"
    return [
        row("M", "Male", "Map DfE gender code 1 and police 'M' here.", source=f"{LOCAL}; {dfe}"),
        row("F", "Female", "Map DfE gender code 2 and police 'F' here.", source=f"{LOCAL}; {dfe}"),
        row("X", "Indeterminate / other", "Recorded as neither male nor female (DfE code 9 'Indeterminate'; police 'unknown/other' where sex was assessed but not male or female).",
            source=f"{LOCAL}; {dfe}"),
        row("NS", "Not stated (the person was asked and declined)", "Use only when the person was asked and declined."),
        row("NR", "Not recorded (nobody asked or the field was left blank)", "Includes DfE code 0 'Not recorded or unborn' where the child is unborn or sex was not recorded."),
    ]


def disability():
    return [
        row("Y", "Has a disability", "A disability is recorded (self-declared or assessed)."),
        row("N", "No disability", "Recorded as having no disability (DfE disability code NONE maps here)."),
        row("NS", "Not stated (declined)", "The person was asked and declined to say."),
        row("NR", "Not recorded", "Nobody asked, or the field was left blank."),
    ]


DISABILITY_TYPES = [
    ("NONE", "No disability", ""), ("MOB", "Mobility", ""), ("HAND", "Hand function", ""),
    ("PC", "Personal care", ""), ("INC", "Incontinence", ""), ("COMM", "Communication", ""),
    ("LD", "Learning", ""), ("HEAR", "Hearing", ""), ("VIS", "Vision", ""), ("BEH", "Behaviour", ""),
    ("CON", "Consciousness", ""), ("AUT", "Autism", "data-to-insight gloss: diagnosed with autism or Asperger's syndrome."),
    ("DDA", "Other", "Disabled under the Disability Discrimination Act definition but not in the categories above (data-to-insight gloss: 'Disabled under DDA but not in defined categories')."),
]


def disability_type():
    return [row(c, l, ("DfE CIN census disability code. " + d).strip(), "", "confirmed",
                f"{SRC_CIN_XSD} ; github.com/data-to-insight/ssd-data-model data/categories/disability.yml")
            for c, l, d in DISABILITY_TYPES]


def nationality():
    import pycountry  # build-only dependency

    ver = getattr(pycountry, "__version__", None)
    if ver is None:
        try:
            from importlib.metadata import version
            ver = version("pycountry")
        except Exception:  # pragma: no cover
            ver = "unknown"
    src = f"ISO 3166-1 alpha-3 via pycountry {ver} (https://pypi.org/project/pycountry/)"
    rows = []
    for c in sorted(pycountry.countries, key=lambda c: c.alpha_3):
        desc = f"ISO 3166-1 alpha-2 {c.alpha_2}."
        official = getattr(c, "official_name", None)
        if official and official != c.name:
            desc += f" Official name: {official}."
        rows.append(row(c.alpha_3, c.name, desc, "", "confirmed", src))
    rows.append(row("XXA", "Stateless person", "ICAO Doc 9303 code for a stateless person (as in the 1954 Convention).",
                    "", "unconfirmed", "ICAO Doc 9303 Machine Readable Travel Documents, Part 3 (code recalled; not checked in this build)"))
    rows.append(row("NS", "Not stated (the person was asked and declined)", "Use only when the person was asked and declined."))
    rows.append(row("NR", "Not recorded (nobody asked or the field was left blank)", "Nationality not recorded."))
    return rows


def religion():
    rows = [row(c, l, "Census 2021 religion (summary) tick-box category.", "", "confirmed", SRC_RELIGION)
            for c, l in [("NO_RELIGION", "No religion"), ("CHRISTIAN", "Christian"), ("BUDDHIST", "Buddhist"),
                         ("HINDU", "Hindu"), ("JEWISH", "Jewish"), ("MUSLIM", "Muslim"), ("SIKH", "Sikh"),
                         ("OTHER", "Any other religion")]]
    rows.append(row("NS", "Not stated (the person was asked and declined)",
                    "The census 'Not stated/not answered' category (the question is voluntary).", "", "partial", SRC_RELIGION))
    rows.append(row("NR", "Not recorded (nobody asked or the field was left blank)", "Clearsight code."))
    return rows


def person_role():
    return [row("VICTIM", "Victim", "The child recorded as victim (or possible victim) of the offence or concern."),
            row("SUSPECT", "Suspect", "A person recorded as suspect or offender."),
            row("OTHER", "Other", "Any other person linked to the case (witness, associate, parent/carer).")]


REFERRAL_SOURCES = [
    ("1A", "Individual: family member, relative or carer", "Individual"),
    ("1B", "Individual: acquaintance (including neighbours and child minders)", "Individual"),
    ("1C", "Individual: self", "Individual"),
    ("1D", "Individual: other (including strangers)", "Individual"),
    ("2A", "Schools", "Education"),
    ("2B", "Education services", "Education"),
    ("3A", "Health services: general practitioner (GP)", "Health services"),
    ("3B", "Health services: health visitor", "Health services"),
    ("3C", "Health services: school nurse", "Health services"),
    ("3D", "Health services: other primary health services", "Health services"),
    ("3E", "Health services: A&E (accident and emergency department)", "Health services"),
    ("3F", "Health services: other (for example hospice)", "Health services"),
    ("4", "Housing: local authority housing or housing association", "Housing"),
    ("5A", "LA services: social care (for example adults social care services)", "Local authority services"),
    ("5B", "LA services: other internal (e.g. youth offending, excluding housing)", "Local authority services"),
    ("5C", "LA services: external (e.g. another local authority's adults social care services)", "Local authority services"),
    ("5D", "LA services: early help", "Local authority services"),
    ("6", "Police", "Police"),
    ("7", "Other legal agency (courts, probation, immigration, CAFCASS or prison)", "Other legal agency"),
    ("8", "Other (children's centres, independent agency providers or voluntary organisations)", "Other"),
    ("9", "Anonymous", "Anonymous"),
    ("10", "Unknown", "Unknown"),
]


def referral_source():
    rows = []
    for c, l, g in REFERRAL_SOURCES:
        desc = "DfE CIN census source of referral."
        if c == "8":
            desc += " 'Other' is code 8; code 10 is 'Unknown'."
        rows.append(row(c, l, desc, g, "confirmed", SRC_CIN_XSD))
    return rows


def referral_outcome():
    return [
        row("NFA", "No further action", "The referral was closed with no further action by children's social care (DfE ReferralNFA = true; closure reason RC8 after assessment)."),
        row("EH", "Early help", "Stepped down or referred to early help services (cf. DfE closure reason RC9)."),
        row("CIN", "Child in need plan/services", "Assessed as a child in need under s.17 Children Act 1989 and given a child in need plan or services."),
        row("S47", "Section 47 enquiry", "A s.47 Children Act 1989 enquiry was started (reasonable cause to suspect significant harm)."),
        row("CPP", "Child protection plan", "The child became the subject of a child protection plan after an initial child protection conference."),
        row("LAC", "Looked after", "The child became looked after by the local authority (s.20 or care order)."),
    ]


def recorded_status():
    note = ("IICSA found that 'a distinctive professional language around child sexual exploitation ... describes children "
            "being ‘at risk’ despite clear evidence of actual harm having occurred'; recording AT_RISK where harm is "
            "evidenced is the pattern this field lets the audit see.")
    return [
        row("AT_RISK", "Recorded as at risk of harm/exploitation", f"The assessment records the child as at risk of sexual harm or exploitation, not as having been harmed. {note}", source=f"{LOCAL}; {SRC_IICSA_ATRISK}"),
        row("HARMED", "Recorded as harmed / a victim", "The assessment records that the child has been sexually harmed or exploited (a victim).", source=f"{LOCAL}; {SRC_IICSA_ATRISK}"),
        row("NEITHER", "No concern of sexual harm recorded", "The assessment records no concern of sexual harm or exploitation."),
        row("NR", "Not recorded", "The assessment does not say, or the field was left blank."),
    ]


LOCATIONS = [
    ("DWELLING_VICTIM", "Victim's home", "The child's own home or placement (including foster or residential placement they live in)."),
    ("DWELLING_SUSPECT", "Suspect's home", "A dwelling where the suspect lives."),
    ("DWELLING_OTHER", "Other dwelling (flat/house used for abuse, 'party house')", "A flat or house used for abuse that is neither the victim's nor the suspect's home, e.g. a 'party house'."),
    ("HOTEL", "Hotel, B&B or short-let", "Hotel, guest house, B&B or short-let accommodation."),
    ("TAKEAWAY", "Takeaway or fast-food outlet", "Takeaway, fast-food or late-night food premises."),
    ("TAXI", "Taxi or private hire vehicle", "Licensed taxi or private hire vehicle (see licensing disruption)."),
    ("VEHICLE_OTHER", "Other vehicle", "Any other car or vehicle."),
    ("PARK_STREET", "Park, street or other public outdoor place", "Street, park, bus station or other public outdoor place."),
    ("SCHOOL", "School or college", "School, college or other education setting."),
    ("CARE_HOME", "Children's home or care setting", "Children's home, supported accommodation or other care setting (where not the child's own placement, use DWELLING_VICTIM for their own placement)."),
    ("SHOP_BUSINESS", "Shop or other business premises", "Shop or other business premises not listed above."),
    ("NIGHT_TIME_ECONOMY", "Night-time economy venue", "Pub, bar, club or other night-time economy venue."),
    ("ONLINE", "Online", "Online or by phone/messaging (no physical location)."),
    ("OTHER", "Other", "Any other location."),
    ("NR", "Not recorded", "Location not recorded."),
]


def location_type():
    return [row(c, l, d, source=f"{LOCAL}; informed by {SRC_HO_2020}") for c, l, d in LOCATIONS]


def offence_context():
    defs = {r["term"]: r for r in read_ref("definitions.csv")}
    cocad = defs["complex and organised CSAE categories (COCAD)"]
    items = [("FAMILIAL", "Familial", "Abuse within the family."),
             ("CSE", "Child sexual exploitation", "Child sexual exploitation (see the DfE 2017 definition in definitions.csv)."),
             ("INSTITUTIONAL", "Institutional", "Abuse in or through an institution."),
             ("RITUALISTIC", "Ritualistic", "Ritualistic abuse."),
             ("OTHER", "Other", "Other context."),
             ("UNKNOWN", "Unknown", "Context not known.")]
    return [row(c, l, f"COCAD category (police complex and organised CSAE data set). {d}", "",
                cocad["status"], f"definitions.csv (COCAD) ; {cocad['source']}") for c, l, d in items]


def sentence_type():
    items = [("IMMEDIATE_CUSTODY", "Immediate custody", "Immediate custodial sentence (including detention and training orders for children)."),
             ("SUSPENDED_SENTENCE", "Suspended sentence", "Suspended sentence order."),
             ("COMMUNITY_ORDER", "Community sentence", "Community order or youth community sentence (e.g. youth rehabilitation order, referral order)."),
             ("FINE", "Fine", "Fine."),
             ("DISCHARGE", "Absolute or conditional discharge", "Absolute or conditional discharge."),
             ("OTHER", "Otherwise dealt with", "Any other disposal ('otherwise dealt with').")]
    return [row(c, l, d + " Category as in MoJ sentencing outcome groups.", "", "unconfirmed", SRC_MOJ) for c, l, d in items]


DISRUPTIONS = [
    ("CAWN", "Child Abduction Warning Notice", "Notice that a named adult has no permission to associate with the child; issued under s.2 Child Abduction Act 1984 / s.49 Children Act 1989 (child in care).",
     "unconfirmed", f"Child Abduction Act 1984 s.2, {LEG}/ukpga/1984/37/section/2 ; Children Act 1989 s.49, {LEG}/ukpga/1989/41/section/49"),
    ("SRO", "Sexual Risk Order", "Civil order on a person (no conviction needed) who has done an act of a sexual nature, restricting their behaviour.",
     "unconfirmed", f"Sexual Offences Act 2003 s.122A (inserted by Anti-social Behaviour, Crime and Policing Act 2014 s.113), {LEG}/ukpga/2003/42/section/122A"),
    ("SHPO", "Sexual Harm Prevention Order", "Order on a person convicted of (or cautioned for) a relevant sexual or violent offence.",
     "unconfirmed", f"Sexual Offences Act 2003 s.103A (inserted by Anti-social Behaviour, Crime and Policing Act 2014), {LEG}/ukpga/2003/42/section/103A ; Sentencing Act 2020 s.343"),
    ("ARREST", "Arrest", "Suspect arrested.", "local", LOCAL),
    ("CHARGE", "Charge", "Suspect charged or summonsed (police outcome 1).", "local", LOCAL),
    ("STRO", "Slavery and Trafficking Risk Order", "Civil order where there is a risk the person will commit a slavery or trafficking offence.",
     "unconfirmed", f"Modern Slavery Act 2015 s.23, {LEG}/ukpga/2015/30/section/23"),
    ("STPO", "Slavery and Trafficking Prevention Order", "Order on conviction (s.14) or on application (s.15) to prevent slavery or trafficking offences.",
     "unconfirmed", f"Modern Slavery Act 2015 ss.14-15, {LEG}/ukpga/2015/30/section/14"),
    ("INJUNCTION", "Injunction", "Civil injunction against a person (e.g. Anti-social Behaviour, Crime and Policing Act 2014 Part 1 injunction, or an injunction under the High Court's inherent jurisdiction).",
     "unconfirmed", f"Anti-social Behaviour, Crime and Policing Act 2014 Part 1, {LEG}/ukpga/2014/12/part/1"),
    ("LICENSING", "Licensing action (taxi/premises)", "Suspension, revocation or refusal of a taxi/private hire driver licence, or review of a premises licence.",
     "unconfirmed", f"Local Government (Miscellaneous Provisions) Act 1976 s.61, {LEG}/ukpga/1976/57/section/61 ; Licensing Act 2003 s.51, {LEG}/ukpga/2003/17/section/51"),
    ("OTHER", "Other disruption", "Any other disruption tactic (e.g. abduction notices by other means, closure orders, community protection notices).", "local", LOCAL),
]


def disruption_type():
    return [row(c, l, d, "", s, src) for c, l, d, s, src in DISRUPTIONS]


def intel_source_evaluation():
    src = f"{SRC_APP_INTEL} ; {SRC_INTEL_SECONDARY}"
    return [row("A", "Reliable", "3x5x2 source evaluation: the source is reliable (e.g. technical sources, or a human source proven reliable).", "", "partial", src),
            row("B", "Untested", "3x5x2 source evaluation: the source has not been tested or its reliability is not established.", "", "partial", src),
            row("C", "Not reliable", "3x5x2 source evaluation: there are doubts about the source's reliability.", "", "partial", src)]


def intel_assessment():
    src = f"{SRC_APP_INTEL} ; {SRC_INTEL_SECONDARY}"
    items = [("1", "Known to be true without reservation"),
             ("2", "Information known personally to the source but not to the officer"),
             ("3", "Information not known personally to the source but corroborated"),
             ("4", "Information cannot be judged"),
             ("5", "Suspected to be false or malicious")]
    return [row(c, l, "3x5x2 intelligence assessment (the '5').", "", "partial", src) for c, l in items]


def intel_handling():
    src = f"{SRC_APP_INTEL} ; {SRC_INTEL_SECONDARY}"
    return [row("P", "Lawful sharing permitted", "3x5x2 handling code: may be shared under the appropriate security marking where there is a policing purpose.", "", "partial", src),
            row("C", "Lawful sharing permitted with conditions", "3x5x2 handling code: sharing permitted with specific handling conditions.", "", "partial", src)]


PLACEMENTS = [
    ("A3", "Placed for adoption with parental/guardian consent with current foster carer(s)", "Adoption"),
    ("A4", "Placed for adoption with parental/guardian consent not with current foster carer(s)", "Adoption"),
    ("A5", "Placed for adoption with placement order with current foster carer(s)", "Adoption"),
    ("A6", "Placed for adoption with placement order not with current foster carer(s)", "Adoption"),
    ("H5", "Semi-independent living accommodation not subject to children's homes regulations", "Independent and semi-independent living"),
    ("K1", "Secure children's homes", "Children's homes"),
    ("K2", "Children's homes subject to Children's Homes Regulations", "Children's homes"),
    ("P1", "Placed with own parent(s) or other person(s) with parental responsibility", "Placed with parents"),
    ("P2", "Independent living (e.g. flat, lodgings, bedsit, B&B or with friends, with or without formal support)", "Independent and semi-independent living"),
    ("P3", "Residential employment", "Other"),
    ("R1", "Residential care home", "Other residential settings"),
    ("R2", "NHS/health trust or other establishment providing medical or nursing care", "Other residential settings"),
    ("R3", "Family centre or mother and baby unit", "Other residential settings"),
    ("R5", "Young offender institution (YOI)", "Secure units and YOIs"),
    ("S1", "All residential schools, except where dual-registered as a school and children's home", "Residential schools"),
    ("T0", "All types of temporary move", "Temporary"),
    ("T1", "Temporary periods in hospital", "Temporary"),
    ("T2", "Temporary absences of the child on holiday", "Temporary"),
    ("T3", "Temporary accommodation while normal foster carer(s) is/are on holiday", "Temporary"),
    ("T4", "Temporary accommodation of seven days or less, for any reason, not covered by codes T1 to T3", "Temporary"),
    ("U1", "Foster placement with relative(s) or friend(s) – long term fostering", "Foster placements"),
    ("U2", "Foster placement with relative(s) or friend(s) who is/are also approved adopter(s) – fostering for adoption/concurrent planning", "Foster placements"),
    ("U3", "Foster placement with relative(s) or friend(s) – not long term or fostering for adoption/concurrent planning", "Foster placements"),
    ("U4", "Foster placement with other foster carer(s) – long term fostering", "Foster placements"),
    ("U5", "Foster placement with other foster carer(s) who is/are also approved adopter(s) – fostering for adoption/concurrent planning", "Foster placements"),
    ("U6", "Foster placement with other foster carer(s) – not long term or fostering for adoption/concurrent planning", "Foster placements"),
    ("Z1", "Other placements (must be listed on a schedule sent to DfE with annual submission)", "Other"),
]


def placement_type():
    rows = []
    for c, l, g in PLACEMENTS:
        desc = "DfE SSDA903 placement type."
        if c == "H5":
            desc += (" From 28 October 2023 supported accommodation for 16-17 year olds must be Ofsted-registered; "
                     "check the current SSDA903 guide for any new or re-worded codes (not verified in this build).")
        if c in ("K2", "H5", "P2"):
            desc += " Record whether the provider was registered in provider_registration."
        rows.append(row(c, l, desc, g, "partial", SRC_903))
    return rows


def provider_registration():
    return [
        row("REGISTERED", "Registered with Ofsted", "The placement provider is registered with Ofsted (children's home or supported accommodation), or with the relevant regulator.", source=f"{LOCAL}; {SRC_OFSTED}"),
        row("UNREGISTERED", "Unregistered", "The provider was operating without the Ofsted registration it required: an unregistered children's home (providing care and accommodation wholly or mainly for children without registration), or unregistered supported accommodation after 28 October 2023.", source=f"{LOCAL}; {SRC_OFSTED}"),
        row("EXEMPT", "Not required to register", "The setting is outside Ofsted registration (e.g. placement with parents, foster care approved by a fostering service, or accommodation not requiring registration).", source=f"{LOCAL}; {SRC_OFSTED}"),
        row("NR", "Not recorded", "Registration status not recorded."),
    ]


def yes_no_unknown():
    return [row("Y", "Yes"), row("N", "No"), row("U", "Unknown", "Not known, or not recorded.")]


def missing_return_context():
    return [
        row("RETURNED_SELF", "Returned of own accord", "The child came back by themselves."),
        row("FOUND_BY_POLICE", "Found by police", "Located and returned by police."),
        row("RETURNED_BY_ADULT_KNOWN", "Returned by a known adult", "Brought back by a parent, carer, relative or professional known to the child's carers."),
        row("RETURNED_BY_ADULT_UNKNOWN", "Returned by an unknown adult", "Brought or dropped back by an adult not known to the child's carers (a possible exploitation indicator)."),
        row("FOUND_WITH_ADULTS", "Found with adults", "Found in the company of adults (a possible exploitation indicator)."),
        row("NR", "Not recorded", "How the episode ended was not recorded."),
    ]


def submitter_type():
    return [row("FORCE", "Police force", "A territorial police force submitting police data."),
            row("COUNCIL", "Council", "An upper-tier local authority submitting children's social care data.")]


def intel_entity_type():
    return [
        row("VEHICLE", "Vehicle", "A vehicle registration mark."),
        row("PHONE", "Phone", "A phone number."),
        row("ADDRESS", "Address", "A postal address."),
        row("LOCATION", "Location", "A named place: a takeaway, a hotel, a park, a flat."),
        row("ONLINE_ACCOUNT", "Online account", "A social media, messaging or gaming account."),
    ]


def recommendation_status():
    return [
        row("PROPOSED", "Proposed", "Made by the report; no response from the owner yet."),
        row("ACCEPTED", "Accepted", "The owner has accepted it in full."),
        row("ACCEPTED_IN_PART", "Accepted in part", "The owner has accepted part of it."),
        row("REJECTED", "Rejected", "The owner has said it will not act on it."),
        row("IN_PROGRESS", "In progress", "The owner reports work under way."),
        row("IMPLEMENTED", "Implemented", "The owner reports it done."),
        row("VERIFIED", "Verified", "An independent assessment, with evidence, found it done."),
    ]


# --------------------------------------------------------------------------------------------------
# Index metadata
# --------------------------------------------------------------------------------------------------
def meta(title, description, source):
    return {"title": title, "description": description, "source": source, "version": "1.0.0"}


def build():
    forces, las = police_force_and_local_authority()
    lists = {
        "ho_offence_code": (ho_offence_code(), meta(
            "Home Office offence classification codes (sexual offences relevant to children)",
            "Home Office crime classification codes for sexual and related offences relevant to children; group is the ONS offence group and the description says whether the offence is child-specific by statute. The 88B row was dropped (not found in any source); 74 is unconfirmed, 86 and 106 titles partial.",
            "home_office_offence_codes.csv (police.uk / ONS offence hierarchy; Home Office counting rules)")),
        "ethnicity_self_defined": (ethnicity_self_defined(), meta(
            "Self-defined ethnicity (18+1)",
            "Police self-defined ethnicity codes, 18 categories plus NS; group is the high-level group. NS means the person was asked and declined; NR (Clearsight) means not asked or left blank. Keep apart from officer-observed ethnicity.",
            "ethnicity_self_defined_18plus1.csv (https://en.wikipedia.org/wiki/Self_defined_ethnicity)")),
        "ethnicity_self_defined_16plus1": (ethnicity_self_defined_16plus1(), meta(
            "Self-defined ethnicity, legacy 16+1",
            "The older 16+1 codes some systems still send; use for ingest mapping only (O1 Chinese -> A4; the others map to the same 18+1 code).",
            "ethnicity_self_defined_16plus1_legacy.csv (https://www.criminaljusticehub.org.uk/jargon-buster/ethnicity-self-defined-code/)")),
        "ethnicity_officer_observed": (ethnicity_officer_observed(), meta(
            "Officer-observed ethnicity (IC codes)",
            "Officer-observed identity codes IC1-IC6 and IC9 (unknown), plus NR. Officer perception, not self-definition: never merge with self-defined ethnicity.",
            "ethnicity_officer_observed_ic.csv (https://en.wikipedia.org/wiki/IC_code)")),
        "census2021_ethnic_group": (census2021_ethnic_group(), meta(
            "Census 2021 ethnic group (19 categories)",
            "The 19 Census 2021 ethnic group categories for England and Wales, for population comparisons in reports; code is the category number, group the high-level group.",
            "census2021_ethnic_groups.csv (ONS TS021; GSS harmonised ethnicity standard)")),
        "cin_assessment_factor": (cin_assessment_factor(), meta(
            "CIN factors identified at the end of assessment",
            "DfE children in need census factors identified at the end of assessment. 11A is child sexual exploitation, 10A going/being missing, 12A trafficking, 13A gangs, 19B/19C sexual abuse (child on child / adult on child), 24A child criminal exploitation. 18A/19A are legacy codes from older returns.",
            SRC_CIN_XSD)),
        "cin_primary_need": (cin_primary_need(), meta(
            "CIN primary need (N0-N9)",
            "DfE children in need census primary need codes.",
            SRC_CIN_XSD)),
        "police_force": (forces, meta(
            "Territorial police forces of England and Wales",
            "The 43 territorial forces (39 England, 4 Wales); code is the ONS police force area code (E23/W15), group the country, description the upper-tier councils covered. British Transport Police and other non-territorial forces are not included.",
            f"{SRC_PFA} ; police_forces.csv")),
        "local_authority": (las, meta(
            "Upper-tier local authorities of England and Wales",
            "The 153 English upper-tier councils (county councils, unitary authorities, metropolitan districts, London boroughs, City of London, Isles of Scilly) and 22 Welsh principal areas as from April 2023 (Barnsley and Sheffield on their April 2025 codes); group is the police_force code of the covering force.",
            f"{SRC_LA_CODES} ; {SRC_POLICE_ACT} ; police_forces.csv")),
        "police_outcome_type": (police_outcome_type(), meta(
            "Police crime outcome type (Home Office outcomes framework)",
            "Home Office crime outcome types 1-22 (group = Home Office outcome group) plus PENDING for offences with no outcome yet. Outcome 14 is suspect NOT identified and victim does not support action; 16 is suspect identified and victim does not support action.",
            SRC_OUTCOMES)),
        "sex": (sex(), meta(
            "Sex",
            "Sex as recorded: M, F, X (indeterminate/other, DfE code 9), NS (asked and declined), NR (not recorded; includes DfE 0 'not recorded or unborn').",
            f"Clearsight, aligned with {SRC_CIN_XSD}")),
        "disability": (disability(), meta(
            "Disability (summary)",
            "Whether the person has a disability: Y, N, NS (asked and declined), NR (not recorded). Use disability_type for the DfE categories.",
            LOCAL)),
        "disability_type": (disability_type(), meta(
            "Disability type (DfE CIN census)",
            "DfE children in need census disability codes; a child may have several. NONE means no disability.",
            SRC_CIN_XSD)),
        "nationality": (nationality(), meta(
            "Nationality (ISO 3166-1 alpha-3)",
            "Nationality as an ISO 3166-1 alpha-3 country code, plus XXA stateless (ICAO), NS (asked and declined) and NR (not recorded). Use GBR for British nationals.",
            "ISO 3166-1 via pycountry; ICAO Doc 9303")),
        "religion": (religion(), meta(
            "Religion (Census 2021 summary categories)",
            "Census 2021 religion tick-box categories with short codes, plus NS (asked and declined) and NR (not recorded). A protected characteristic: aggregate statistics only.",
            SRC_RELIGION)),
        "person_role": (person_role(), meta("Person role", "The role of a person in a case: victim, suspect or other.", LOCAL)),
        "referral_source": (referral_source(), meta(
            "Source of referral (DfE CIN census)",
            "DfE children in need census source of referral codes. 8 is Other, 9 Anonymous, 10 Unknown.",
            SRC_CIN_XSD)),
        "referral_outcome": (referral_outcome(), meta(
            "Referral outcome",
            "Furthest point a referral reached in children's social care: NFA, early help, child in need, s.47 enquiry, child protection plan, looked after. Record the furthest step reached.",
            LOCAL)),
        "recorded_status": (recorded_status(), meta(
            "How the assessment recorded the child",
            "Whether the assessment recorded the child as at risk, as harmed, or neither. Lets the audit find children labelled 'at risk' despite evidence of harm, which IICSA found was common.",
            f"{LOCAL}; {SRC_IICSA_ATRISK}")),
        "location_type": (location_type(), meta(
            "Location type (context of offending)",
            "Where offending took place, a Clearsight list informed by the Home Office 2020 group-based CSE review and IICSA's organised networks report (hotels, takeaways, taxis, 'party houses').",
            f"{LOCAL}; {SRC_HO_2020}")),
        "offence_context": (offence_context(), meta(
            "Offence context (COCAD categories)",
            "The police complex and organised CSAE data set (COCAD) categories: familial, CSE, institutional, ritualistic, other, unknown.",
            "definitions.csv (https://napac.org.uk/group-based-offending-publication/)")),
        "sentence_type": (sentence_type(), meta(
            "Sentence type",
            "Main sentence on conviction, in the Ministry of Justice's sentence outcome groups (categories not re-checked in this build).",
            SRC_MOJ)),
        "disruption_type": (disruption_type(), meta(
            "Disruption type",
            "Disruption tactics used against suspects: CAWN, SRO, SHPO, arrest, charge, STRO, STPO, injunction, licensing action, other. Statutory references are given per row.",
            "Sexual Offences Act 2003; Anti-social Behaviour, Crime and Policing Act 2014; Child Abduction Act 1984; Children Act 1989; Modern Slavery Act 2015 (legislation.gov.uk)")),
        "intel_source_evaluation": (intel_source_evaluation(), meta(
            "Intelligence source evaluation (3x5x2: the '3')",
            "3x5x2 source evaluation A (reliable), B (untested), C (not reliable).",
            SRC_APP_INTEL)),
        "intel_assessment": (intel_assessment(), meta(
            "Intelligence assessment (3x5x2: the '5')",
            "3x5x2 intelligence assessment 1-5.",
            SRC_APP_INTEL)),
        "intel_handling": (intel_handling(), meta(
            "Intelligence handling code (3x5x2: the '2')",
            "3x5x2 handling code P (lawful sharing permitted) or C (lawful sharing permitted with conditions).",
            SRC_APP_INTEL)),
        "placement_type": (placement_type(), meta(
            "Placement type (DfE SSDA903)",
            "DfE SSDA903 placement type codes for looked-after children; group is a broad placement category (Clearsight). Use with provider_registration for unregistered settings.",
            SRC_903)),
        "provider_registration": (provider_registration(), meta(
            "Placement provider registration",
            "Whether the placement provider was registered with Ofsted: registered, unregistered (an unregistered children's home or, from 28 October 2023, unregistered supported accommodation), not required to register, not recorded.",
            f"{LOCAL}; {SRC_OFSTED}")),
        "yes_no_unknown": (yes_no_unknown(), meta("Yes / no / unknown", "Y, N or U (unknown).", LOCAL)),
        "missing_return_context": (missing_return_context(), meta(
            "How a missing episode ended",
            "How a missing episode ended; RETURNED_BY_ADULT_UNKNOWN and FOUND_WITH_ADULTS are possible exploitation indicators.",
            LOCAL)),
        "submitter_type": (submitter_type(), meta("Submitter type", "Who submits a return: a police force or a council.", LOCAL)),
        "intel_entity_type": (intel_entity_type(), meta(
            "Intelligence entity type",
            "What kind of thing an intelligence report names besides people: shared vehicles, phones, addresses and places tie subjects together.",
            LOCAL)),
        "recommendation_status": (recommendation_status(), meta(
            "Recommendation status",
            "Status of a tracked recommendation, as the owner reports it or as an independent assessment finds it. No response found is not the same as rejection: it stays PROPOSED.",
            LOCAL)),
    }
    return lists


def validate(name, rows):
    codes = [r["code"] for r in rows]
    dupes = {c for c in codes if codes.count(c) > 1}
    if dupes:
        raise SystemExit(f"{name}: duplicate codes {sorted(dupes)}")
    for r in rows:
        if r["status"] not in STATUSES:
            raise SystemExit(f"{name}/{r['code']}: bad status {r['status']!r}")
        if not r["code"] or not r["label"]:
            raise SystemExit(f"{name}: empty code or label in {r}")


def main():
    lists = build()
    OUT.mkdir(parents=True, exist_ok=True)
    index = {"codelists": {}}
    for name, (rows, m) in lists.items():
        validate(name, rows)
        with (OUT / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=HEADER, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        index["codelists"][name] = m
    with (DATA / "codelists.yaml").open("w", encoding="utf-8") as handle:
        handle.write("# Generated by scripts/build_codelists.py - edit the script, not this file.\n")
        yaml.safe_dump(index, handle, sort_keys=False, allow_unicode=True, width=110)
    for name, (rows, _) in lists.items():
        print(f"{name}: {len(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
