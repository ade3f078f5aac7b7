"""The report on a tiny synthetic warehouse: files, tidy tables, safety of the whole release, determinism."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from clearsight import ingest
from clearsight.report import run
from clearsight.report.disclosure import audit
from clearsight.report.publish import SUPPRESSED
from clearsight.report.release import CellStatus, Release
from clearsight.synth import run as synth_run

COUNT_COLUMNS = {"offences", "victims", "suspects", "groups", "children_flagged", "missing_episodes",
                 "children_missing", "placements", "children_placed"}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    synth_run(root / "synth", scale="tiny", years=1, seed=3)
    db = root / "w.duckdb"
    ingest.run(root / "synth" / "submissions", db)
    return db


@pytest.fixture(scope="module")
def report_dir(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "report"
    run(warehouse, out, pdf=False)
    return out


def _tables(folder: Path) -> dict[str, list[dict[str, str]]]:
    return {p.stem: list(csv.DictReader(p.open(encoding="utf-8"))) for p in sorted((folder / "tables").glob("*.csv"))}


def test_the_report_folder_holds_every_output(report_dir: Path) -> None:
    for name in ("report.html", "report.xlsx", "manifest.json"):
        assert (report_dir / name).is_file(), name
    manifest = json.loads((report_dir / "manifest.json").read_text())
    assert manifest["inputs"] and all(len(f["sha256"]) == 64 for s in manifest["inputs"] for f in s["files"])
    assert manifest["parameters"]["threshold"] == 5
    withheld = [c for t in manifest["tables"] for c in t["suppressed_cells"]]
    assert withheld and all("suppression" not in c and "primary" not in c["reason"] for c in withheld), \
        "the public manifest must not say which withheld cells are the small ones"
    restricted = json.loads((report_dir.parent / "report-restricted" / "suppression_log.json").read_text())
    assert {c["suppression"] for t in restricted["tables"] for c in t["cells"]} == {"primary", "secondary"}
    written = {f"tables/{p.name}" for p in (report_dir / "tables").glob("*.csv")}
    assert {t["file"] for t in manifest["tables"]} == written


def test_tables_are_tidy_with_totals_and_no_small_counts(report_dir: Path) -> None:
    for name, rows in _tables(report_dir).items():
        assert rows, name
        counts = [c for c in rows[0] if c in COUNT_COLUMNS]
        if not counts:
            continue
        assert any("Total" in row.values() for row in rows), f"{name} has no Total row"
        for row in rows:
            for column in counts:
                value = row[column]
                assert value == SUPPRESSED or (value.isdigit() and not 0 < int(value) < 5), (name, row)


def test_the_published_release_passes_the_whole_release_audit(warehouse: Path) -> None:
    import duckdb

    from clearsight.report.care import care_specs
    from clearsight.report.disclosure import protect
    from clearsight.report.optional import optional_specs
    from clearsight.report.tables import SPECS, build_all
    from clearsight.report.views import create_views
    from clearsight.standard import load_standard

    con = duckdb.connect(str(warehouse), read_only=True)
    standard = load_standard()
    create_views(con, standard)
    extra, _ = optional_specs(con)
    care = care_specs(con, standard)
    assert care, "the tiny warehouse holds missing episodes, placements and disruptions"
    release = Release(build_all(con, SPECS + care + extra))
    con.close()
    protection = protect(release)
    withheld = {k for k, s in protection.status.items() if s is not CellStatus.published}
    assert withheld and not audit(release, withheld)


def test_every_number_shown_in_html_and_excel_is_in_the_csv_tables(report_dir: Path) -> None:
    from openpyxl import load_workbook

    published = {cell.replace(",", "") for rows in _tables(report_dir).values() for row in rows
                 for cell in row.values()}
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    shown = re.findall(r'<td class="n">([^<]*)</td>', html) + re.findall(r"<strong>([^<]*)</strong>", html)
    assert shown
    for value in shown:
        assert value.replace(",", "") in published, value
    book = load_workbook(report_dir / "report.xlsx", read_only=True)
    for sheet in book.worksheets[2:]:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, int | float) and not isinstance(value, bool):
                    assert str(value) in published or f"{value:.1f}" in published, (sheet.title, value)


def test_html_is_self_contained_and_charts_have_text_alternatives(report_dir: Path) -> None:
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    charts = re.findall(r"<svg[^>]*>", html)
    assert charts and all('role="img"' in svg and "aria-labelledby" in svg for svg in charts)
    assert html.count("<title id=") == len(charts)
    ids = re.findall(r' id="([^"]*)"', html)
    assert all(re.fullmatch(r"[a-z0-9-]+", i) for i in ids) and len(ids) == len(set(ids)), "ids must be valid, unique"
    targets = re.findall(r'href="#([^"]*)"', html)
    assert all(f' id="{target}"' in html for target in targets), "a contents link is broken"


def test_the_same_warehouse_gives_byte_identical_tables_and_manifest(warehouse: Path, report_dir: Path,
                                                                     tmp_path: Path) -> None:
    again = tmp_path / "again"
    run(warehouse, again, pdf=False)
    for path in sorted((report_dir / "tables").glob("*.csv")):
        assert (again / "tables" / path.name).read_bytes() == path.read_bytes(), path.name

    def without_time(folder: Path) -> dict:
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest.pop("generated_at")
        return manifest

    assert without_time(again) == without_time(report_dir)


def test_the_cli_writes_the_report_and_its_pdf(warehouse: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from clearsight.cli import app

    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["report", "--db", str(warehouse), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tables"] >= 30
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    missing = CliRunner().invoke(app, ["report", "--db", str(tmp_path / "none.duckdb"), "--out", str(out)])
    assert missing.exit_code == 1


def test_audit_runs_every_installed_stage_then_the_report(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from clearsight.cli import app

    synth_run(tmp_path / "synth", scale="tiny", years=1, seed=5)
    out, db = tmp_path / "audit", tmp_path / "a.duckdb"
    result = CliRunner().invoke(app, ["audit", str(tmp_path / "synth" / "submissions"), "--out", str(out),
                                      "--db", str(db), "--no-pdf"])
    assert result.exit_code == 0, result.output
    names = {p.stem for p in (out / "tables").glob("*.csv")}
    assert "offences_by_year" in names
    assert "groups_by_size" in names and "children_flagged_by_indicator" in names
    assert {"groups_by_force", "groups_by_first_year", "missing_episodes_by_year"} <= names
    groups = {p.stem: list(csv.DictReader(p.open(encoding="utf-8"))) for p in (out / "tables").glob("groups_*.csv")}
    totals = {name: next(r["groups"] for r in rows if list(r.values())[0] == "Total") for name, rows in groups.items()}
    assert len(set(totals.values())) == 1, totals  # every groups table counts the same groups in its total


def test_an_attacker_reading_only_the_published_csv_files_cannot_narrow_a_withheld_cell(report_dir: Path,
                                                                                         warehouse: Path) -> None:
    """Rebuild the release from tables/*.csv alone (what the public has) and attack every `[c]` cell."""
    import duckdb

    from clearsight.report.care import care_specs
    from clearsight.report.disclosure import Auditor
    from clearsight.report.optional import optional_specs
    from clearsight.report.release import Relation, ReleaseTable
    from clearsight.report.tables import SPECS
    from clearsight.report.views import create_views
    from clearsight.standard import load_standard

    con = duckdb.connect(str(warehouse), read_only=True)
    standard = load_standard()
    create_views(con, standard)
    every = SPECS + care_specs(con, standard) + optional_specs(con)[0]
    con.close()
    specs = {spec.name: spec for spec in every}
    assert {"missing_episodes_by_year", "placements_by_type_and_registration"} <= set(specs)
    tables, values, withheld = [], {}, set()
    for name, rows in _tables(report_dir).items():
        if name not in specs:
            continue
        spec = specs[name]
        for row in rows:  # a rate times its population is its count: withheld counts have withheld rates
            for column, value in row.items():
                if "_per_10000_children" in column and row[column.split("_per_")[0]] == SUPPRESSED:
                    assert value == SUPPRESSED, (name, row)
        parsed = [{**{d: row[d] for d in spec.dimensions}, **{m: row[m] for m in spec.measures}} for row in rows]
        table = ReleaseTable(name, name, "", list(spec.dimensions), list(spec.measures), parsed,
                             {m: Relation.union if m in spec.union else Relation.sum for m in spec.measures})
        for row in parsed:
            for measure in spec.measures:
                key = table.key(row, measure)
                if row[measure] == SUPPRESSED:
                    withheld.add(key)
                    values.setdefault(key, 0)  # unknown to the attacker; never read for a withheld cell
                else:
                    assert values.setdefault(key, int(row[measure])) == int(row[measure]), key
        tables.append(table)
    constraints = Release(tables).constraints()
    proved = Auditor(values, constraints).intervals(withheld)
    assert proved
    for interval in proved:
        assert not interval.unsafe(5, 5), interval


def _sex_table(counts: dict[str, int]) -> tuple:
    from clearsight.report.disclosure import protect
    from clearsight.report.release import Derived, ReleaseTable

    rows = [{"sex": k, "victims": v} for k, v in counts.items()] + [{"sex": "Total", "victims": sum(counts.values())}]
    table = ReleaseTable("victims_by_sex", "Victims by sex", "Demographics", ["sex"], ["victims"], rows,
                         derived=[Derived("percent", ("victims",), ("@total:victims",))])
    release = Release([table])
    table.status = protect(release).status
    return table, release.values()


def test_a_percentage_from_a_withheld_count_is_withheld_too() -> None:
    from clearsight.report.publish import published_rows

    table, values = _sex_table({"Female": 40, "Male": 3, "Not recorded": 9})
    rows = {r["sex"]: r for r in published_rows(table, values, 5)}
    assert rows["Male"]["victims"] == SUPPRESSED and rows["Male"]["percent"] == SUPPRESSED
    for row in rows.values():
        assert (row["victims"] == SUPPRESSED) == (row["percent"] == SUPPRESSED)


def test_incomplete_recording_gets_a_plain_warning() -> None:
    from clearsight.report.publish import completeness_sentences, published_rows

    table, values = _sex_table({"Female": 40, "Male": 30, "Not recorded": 30})
    sentence = completeness_sentences(table, published_rows(table, values, 5), "victims")[0]
    assert "not recorded for 30.0%" in sentence and "cannot support a conclusion" in sentence
    table, values = _sex_table({"Female": 60, "Male": 35, "Not recorded": 5})
    sentence = completeness_sentences(table, published_rows(table, values, 5), "victims")[0]
    assert "cannot support" not in sentence


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _force_codes(warehouse: Path) -> dict[str, str]:
    import duckdb

    from clearsight.standard import load_standard

    labels = {c.code: c.label for c in load_standard().codelist("police_force").codes}
    con = duckdb.connect(str(warehouse), read_only=True)
    codes = sorted(r[0] for r in con.execute("SELECT DISTINCT source FROM current_offence").fetchall())
    con.close()
    return {code: labels[code] for code in codes if code in labels}


def test_without_a_population_for_the_area_covered_rates_are_not_available_and_say_why(report_dir: Path) -> None:
    """The tiny warehouse holds two forces: a rate over every child in England and Wales would understate."""
    tables = _tables(report_dir)
    for name in ("offences_by_year", "offences_by_force"):
        for row in tables[name]:
            assert row["offences_per_10000_children"] == "[x]", (name, row)
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert "Rates per 10,000 children are shown as [x]" in html
    manifest = json.loads((report_dir / "manifest.json").read_text())
    assert all(f["source"] for f in manifest["populations"]["figures"])


def test_rates_per_10000_children_are_worked_out_from_the_published_counts(warehouse: Path, tmp_path: Path) -> None:
    from clearsight.report.population import COLUMNS
    from clearsight.report.publish import garwood

    forces = _force_codes(warehouse)
    children = {code: 150_000 + 37_000 * i for i, code in enumerate(forces)}  # test figures, not official ones
    population = tmp_path / "population.csv"
    with population.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        for code, value in children.items():
            writer.writerow({"geography_code": code, "geography": forces[code], "measure": "children_0_17",
                             "category": "All", "value": value, "unit": "people", "period": "test",
                             "status": "confirmed", "source": "test fixture", "note": ""})
    out = tmp_path / "rated"
    run(warehouse, out, pdf=False, population=population)
    tables = _tables(out)
    by_label = {forces[c]: v for c, v in children.items()}
    covered = sum(children.values())
    for row in tables["offences_by_force"]:
        people = covered if row["force"] == "Total" else by_label[row["force"]]
        for measure in ("offences", "victims"):
            rate = row[f"{measure}_per_10000_children"]
            if row[measure] == SUPPRESSED:
                assert rate == SUPPRESSED
            else:
                assert float(rate) == round(10_000 * int(row[measure]) / people, 1)
    for row in tables["offences_by_year"]:
        count = int(row["offences"])
        lower, upper = (round(10_000 * v / covered, 1) for v in garwood(count))
        assert float(row["offences_per_10000_children"]) == round(10_000 * count / covered, 1)
        assert (float(row["offences_per_10000_children_lower_95"]),
                float(row["offences_per_10000_children_upper_95"])) == (lower, upper)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"({covered:,})" in html, "the report must say which population the rates are per"


def test_demographic_tables_compare_the_share_recorded_with_the_census(report_dir: Path) -> None:
    from clearsight.report.population import load_population

    reference = load_population()
    tables = _tables(report_dir)
    compared = (("victims_by_sex", "sex"), ("suspects_by_ethnicity_self_defined", "ethnicity_self_defined"))
    for name, dimension in compared:
        shares = reference.shares(dimension)
        assert shares and abs(sum(shares.values()) - 100) < 0.2
        rows = {row[dimension]: row for row in tables[name]}
        measure = name.split("_")[0]
        unknown = [rows[k][measure] for k in ("Not recorded", "Not stated") if k in rows]
        for category, row in rows.items():
            if category in ("Not recorded", "Not stated"):
                assert row["percent_of_recorded"] == row["population_percent"] == "[z]"
                continue
            if category == "Total":
                continue
            assert _number(row["population_percent"]) == shares.get(category), (name, category)
            if SUPPRESSED in (row[measure], rows["Total"][measure], *unknown):
                assert row["percent_of_recorded"] == SUPPRESSED
            else:
                recorded = int(rows["Total"][measure]) - sum(int(v) for v in unknown)
                assert float(row["percent_of_recorded"]) == round(100 * int(row[measure]) / recorded, 1)
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert "Compare it with the percent of those recorded" in html


def test_missing_episode_and_placement_tables_count_what_was_submitted(warehouse: Path, report_dir: Path) -> None:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    episodes, children = con.execute(
        "SELECT count(*), count(DISTINCT source || '|' || person_record_id) FROM current_missing_episode").fetchone()
    disruptions = con.execute("SELECT count(*) FROM current_disruption").fetchone()[0]
    placements, unregistered = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE provider_registration = 'UNREGISTERED') FROM current_placement"
    ).fetchone()
    con.close()
    assert episodes and placements
    tables = _tables(report_dir)
    total = {name: max(rows, key=lambda r: list(r.values()).count("Total")) for name, rows in tables.items()}
    assert int(total["missing_episodes_by_year"]["missing_episodes"]) == episodes
    assert int(total["missing_episodes_by_year"]["children_missing"]) == children
    assert int(total["children_by_missing_episodes"]["children_missing"]) == children
    assert int(total["placements_by_type_and_registration"]["placements"]) == placements
    assert int(total["disruptions_by_type"]["disruptions"]) == disruptions
    row = next(r for r in tables["children_placed_by_provider_registration"]
               if r["provider_registration"] == "Unregistered")
    assert row["placements"] == SUPPRESSED or int(row["placements"]) == unregistered
    by_band = [r for r in tables["children_by_missing_episodes"] if r["episodes_recorded"] != "Total"]
    shown = [int(r["children_missing"]) for r in by_band if r["children_missing"] != SUPPRESSED]
    assert sum(shown) <= children and (len(shown) < len(by_band) or sum(shown) == children)


def test_a_population_file_must_cite_every_figure(tmp_path: Path) -> None:
    from clearsight.errors import ClearsightError
    from clearsight.report.population import load_population

    bad = tmp_path / "p.csv"
    bad.write_text("geography_code,geography,measure,category,value,unit,period,status,source,note\n"
                   "E23000001,X,children_0_17,All,100,people,2024,confirmed,,\n", encoding="utf-8")
    with pytest.raises(ClearsightError, match="row 2, field source"):
        load_population(bad)
    unconfirmed = tmp_path / "u.csv"
    unconfirmed.write_text(bad.read_text().replace("confirmed,,", "unconfirmed,somewhere,"), encoding="utf-8")
    assert load_population(unconfirmed).children("E23000001") is None


def test_the_pdf_lists_a_long_table_by_where_to_find_it_and_the_page_keeps_it() -> None:
    from clearsight.report.html import render

    rows = [{"council": f"council {i}", "offences": i} for i in range(30)] + [{"council": "Total", "offences": 435}]
    document = {"title": "t", "subtitle": "s", "headline": [], "summary": [], "about": [], "tables": [
        {"name": "offences_by_council", "title": "Offences by council", "section": "Scale", "sheet": "Table 3",
         "description": "d", "notes": [], "rows": rows, "columns": ["council", "offences"],
         "dimensions": ["council"], "chart": None}]}
    printed = render(document, max_rows=10)
    assert "31 rows, too many to print" in printed and "Table 3 of report.xlsx" in printed
    assert "<table><caption>Offences by council" not in printed
    assert "<table><caption>Offences by council" in render(document)
