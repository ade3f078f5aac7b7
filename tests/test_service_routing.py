"""Routing by postcode, the outward-code table, and the service's CLI commands."""

from __future__ import annotations

import csv
import os

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from clearsight.cli import app as cli_app
from clearsight.service.db import make_engine
from clearsight.service.routing import OUTWARD_CODES, _outward_lookup, councils, normalise_postcode, route


def test_postcodes_are_normalised_or_refused() -> None:
    assert normalise_postcode(" bd71aa ") == "BD7 1AA"
    assert normalise_postcode("SW1A 1AA") == "SW1A 1AA"
    assert normalise_postcode("EC1A1BB") == "EC1A 1BB"
    for bad in ("", "12345", "BD7", "ZZZZ 1AA"):
        assert normalise_postcode(bad) is None


def test_routes_by_postcode_then_chosen_council_then_unrouted() -> None:
    lookup = _outward_lookup()
    unique = next(outward for outward, codes in sorted(lookup.items()) if len(codes) == 1)
    shared = next(outward for outward, codes in sorted(lookup.items()) if len(codes) > 1)
    council = lookup[unique][0]
    assert route(f"{unique} 2XY", None) == route(f"{unique} 2XY", "E06000001")
    assert route(f"{unique} 2XY", None).council_code == council
    assert route(f"{unique} 2XY", None).force_code == councils()[council][1]
    second = lookup[shared][1]
    assert (route(f"{shared} 1AA", second).council_code, route(f"{shared} 1AA", second).routed_by) == (second,
                                                                                                      "postcode")
    assert route(f"{shared} 1AA", None).routed_by == "postcode-ambiguous"
    assert route("ZZ9 9ZZ", "E06000001").routed_by == "form"
    assert route("ZZ9 9ZZ", "not-a-council").routed_by == "unrouted"


def test_outward_code_table_holds_only_real_council_codes() -> None:
    with OUTWARD_CODES.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 500
    assert {row["council_code"] for row in rows} <= set(councils())


def test_outward_code_table_matches_the_synthetic_geography() -> None:
    """The table is the synthetic generator's geography for seed 1; regenerate it when that changes with
    CLEARSIGHT_REGENERATE_OUTWARD_CODES=1."""
    geography = pytest.importorskip("clearsight.synth.geography")
    from clearsight.synth import stable_rng

    geo = geography.build_geography(stable_rng(1, "geography"))
    expected = sorted({(f"{geo.council_postcode_area[i]}{district}", code)
                       for i, code in enumerate(geo.council_codes) for district in geo.council_districts[i]})
    if os.environ.get("CLEARSIGHT_REGENERATE_OUTWARD_CODES") == "1":
        with OUTWARD_CODES.open("w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["outward_code", "council_code"])
            writer.writerows(expected)
    with OUTWARD_CODES.open() as handle:
        stored = [(row["outward_code"], row["council_code"]) for row in csv.DictReader(handle)]
    assert stored == expected


def test_cli_users_add_and_serve_migrate(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    migrated = runner.invoke(cli_app, ["serve", "--migrate", "--database-url", url])
    assert migrated.exit_code == 0, migrated.output
    assert {"users", "mandatory_reports", "audit_log"} <= set(inspect(make_engine(url)).get_table_names())
    force = next(iter(councils().values()))[1]
    added = runner.invoke(cli_app, ["users", "add", "fa@police.example", "--role", "force_analyst", "--scope", force,
                                    "--password", "a long enough password", "--database-url", url])
    assert added.exit_code == 0, added.output
    bad = runner.invoke(cli_app, ["users", "add", "x@police.example", "--role", "force_analyst", "--scope", "nope",
                                  "--password", "a long enough password", "--database-url", url])
    assert bad.exit_code != 0
    verified = runner.invoke(cli_app, ["audit-log", "verify", "--database-url", url])
    assert verified.exit_code == 0 and "1 entries" in verified.output
