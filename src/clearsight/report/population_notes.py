"""What the report says about the populations it used: per-table notes, the About text, the manifest entry.

A reader must be able to tell which population a rate is per, where each figure came from, and why a
rate is `[x]`; and must be warned off reading a population comparison as more than it is.
"""

from __future__ import annotations

from typing import Any

from clearsight.report.population import CHILDREN, NATIONAL, SHARES, Population
from clearsight.report.release import TOTAL, ReleaseTable

SUPPLY = ("ONS mid-year estimates of children aged 0 to 17 by area can be supplied as a CSV of the same columns "
          "as the packaged reference file, with `clearsight report --population FILE`.")


def _cite(url: str) -> str:
    """A source as plain text: the page works offline, so it names addresses without linking them."""
    return url.removeprefix("https://").removeprefix("http://")


def population_notes(table: ReleaseTable, population: Population) -> list[str]:
    """Plain sentences under a table with rates or a population comparison."""
    notes = []
    for rate in table.rates[:1]:
        areas = len([k for k in rate.populations if k != TOTAL])
        if not rate.basis and rate.by and areas:
            plural = "s" if areas != 1 else ""
            notes.append(f"Rates by {rate.by} use each area's child population aged 0 to 17 from the reference "
                         f"data ({areas} area{plural}; the others show [x]). The Total row is [x]: the child "
                         "population of the whole area these offences cover is not known.")
            continue
        if not rate.basis:
            notes.append("Rates per 10,000 children are shown as [x]: the child population of the area these "
                         "offences cover is not known (the reference data hold a national figure, used only when "
                         "every force has submitted, and no figure by force area). " + SUPPLY)
            continue
        base = f"Rates are per 10,000 {rate.basis}; see About these statistics."
        if rate.by is None:
            notes.append(base + " The same population is used for every year, so a change in a rate between "
                         "years is the change in the count.")
        else:
            if areas:
                notes.append(base + f" By {rate.by}: {areas} area{'s' if areas != 1 else ''} with a child "
                             "population in the reference data; the others show [x].")
            else:
                notes.append(f"Rates by {rate.by} are shown as [x]: no child population by {rate.by} area is in "
                             "the report's reference data; the Total row is per 10,000 " + rate.basis + ". "
                             + SUPPLY)
    for reference in table.references:
        if not reference.values:
            notes.append("The population's share is [x]: no population figures for this characteristic are in "
                         "the report's reference data.")
            continue
        measure = table.measures[0]
        who = ("victims are mostly children, whose make-up differs from that of all ages (children are, for "
               "instance, more often of mixed ethnicity)"
               if measure == "victims" else "suspects differ from the whole population in age and sex, which "
               "the comparison does not allow for")
        notes.append(
            "The population percent (population_percent in the CSV) is the share of all usual residents of "
            "England and Wales, of all ages, in Census 2021. Compare it with the percent of those recorded "
            f"(percent_of_recorded: the share among {measure} whose characteristic is recorded), not with percent. "
            f"The {measure} here are not a sample of the population: {who}; and a difference says nothing on its "
            "own about why it arises. Where much is not recorded, those recorded may not be typical.")
    return notes


def population_about(population: Population) -> list[str]:
    """Lines for 'About these statistics': which populations were used and where they came from."""
    lines = []
    national = population.children(NATIONAL)
    if national:
        total, used = national
        lines.append(f"Rates per 10,000 children use {total:,.0f} children aged 0 to 17 in England and Wales, "
                     "the sum of " + "; ".join(f"{f.geography}: {f.value:,.0f} ({f.period}, {f.status}, source "
                                               f"{_cite(f.source)})" for f in used) + ". "
                     "A 'derived' figure was worked out from a published count and its published rate per "
                     "10,000 children (see the reference file's notes); it will be replaced by the ONS mid-year "
                     "estimate. The populations are of different years from each other and from the offences.")
    else:
        lines.append("No child population is in the reference data, so rates per 10,000 children are [x].")
    forces = [f for f in population.sources(CHILDREN) if f.geography_code.startswith(("E23", "W15"))]
    if not forces:
        lines.append("No child population by police force area or council is in the reference data, so rates by "
                     "area are [x]. " + SUPPLY)
    shares = [f for measure in SHARES.values() for f in population.sources(measure)]
    if shares:
        sources = sorted({_cite(f.source) for f in shares})
        lines.append("Population shares by sex and by ethnic group are of all usual residents of England and "
                     "Wales (all ages) in Census 2021, from " + " and ".join(sources) + ". Officer-observed "
                     "ethnicity, nationality and disability are not compared: no matching population figures are "
                     "in the reference data.")
    lines.append(f"Population figures: {population.origin} reference file (report/data/population.csv in the "
                 "Clearsight package unless another file was given).")
    return lines


def population_manifest(population: Population) -> dict[str, Any]:
    """The manifest's record of every population figure the report could use, with its source."""
    return {"origin": population.origin,
            "figures": [{"geography_code": f.geography_code, "geography": f.geography, "measure": f.measure,
                         "category": f.category, "value": f.value, "period": f.period, "status": f.status,
                         "source": f.source} for f in population.figures]}
