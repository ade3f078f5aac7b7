"""Offender groups and link explanations in the service: scope per role, names only from the reader's own
records, the drawing and its tables agree, every read and judgement audited, CSRF, and pages without data."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from clearsight import networks
from clearsight.audit_log import AuditLog
from clearsight.link.pipeline import model_dir_for
from clearsight.service import create_app
from clearsight.service.accounts import Role
from clearsight.service.settings import ServiceSettings
from clearsight.vault import KEY_ENV, Vault
from test_networks import COUNCIL, FORCE, PERSONS, SUB_F
from test_networks import _build as build_network_warehouse
from test_service_support import add_account, csrf_of, signed_in_as

KEY = bytes(range(32))
NAMES = {record: (f"Fore{record}", f"Sur{record}") for _, record in PERSONS}


def _vault(warehouse: Path) -> None:
    """The force's person records (and the council's one) with names, sealed in the vault beside the warehouse."""
    rows = [{"submission_id": sub, "source": FORCE if sub == SUB_F else COUNCIL, "file_name": "f.csv",
             "row_number": number, "record_id": record, "forename": NAMES[record][0], "surname": NAMES[record][1]}
            for number, (sub, record) in enumerate(sorted(PERSONS), start=1)]
    with Vault.open(warehouse, key=KEY) as vault:
        vault.put_persons(rows)


def _evidence(warehouse: Path) -> None:
    """A scored pair (the council's C-V1 and the force's V1) with a two-comparison model, as link writes them."""
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE TABLE link_evidence AS SELECT 'r' AS run_id, 'v' AS model_version, ? AS source_l, "
                "'C-V1' AS record_id_l, ? AS source_r, 'V1' AS record_id_r, 9.5 AS match_weight, "
                "0.9986 AS match_probability, 2 AS gamma_name, 1 AS gamma_dob, 8.0 AS mw_name, -1.5 AS mw_dob, "
                "3.0 AS mw_tf_adj_name", [COUNCIL, FORCE])
    con.close()
    levels = [{"label_for_charts": "null", "is_null_level": True}, {"label_for_charts": "exact"},
              {"label_for_charts": "similar"}, {"label_for_charts": "else"}]
    model = {"probability_two_random_records_match": 0.001,
             "comparisons": [{"output_column_name": "name", "comparison_levels": levels[:3] + levels[3:]},
                             {"output_column_name": "dob", "comparison_levels": levels}]}
    folder = model_dir_for(warehouse)
    folder.mkdir()
    (folder / "model.json").write_text(json.dumps(model))


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    warehouse = tmp_path / "warehouse.duckdb"
    build_network_warehouse(warehouse)
    networks.run(warehouse)
    _vault(warehouse)
    _evidence(warehouse)
    monkeypatch.setenv(KEY_ENV, base64.b64encode(KEY).decode())
    app = create_app(ServiceSettings(database_url=f"sqlite:///{tmp_path / 'service.db'}",
                                     warehouse_path=str(warehouse)))
    add_account(app, "force@example.org", Role.force_analyst, FORCE)
    add_account(app, "other.force@example.org", Role.force_analyst, "E23000005")
    add_account(app, "council@example.org", Role.council_analyst, COUNCIL)
    add_account(app, "auditor@example.org", Role.national_auditor)
    add_account(app, "admin@example.org", Role.admin)
    with TestClient(app) as client:
        yield app, client, warehouse
    app.state.engine.dispose()


def _groups(warehouse: Path) -> dict[str, set[str]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("SELECT group_id, person_id FROM offender_group_member").fetchall()
    finally:
        con.close()
    out: dict[str, set[str]] = {}
    for group_id, person_id in rows:
        out.setdefault(group_id, set()).add(person_id)
    return out


def _audit(app, prefix: str) -> list:  # noqa: ANN001
    return [entry for entry in AuditLog(app.state.engine).entries() if entry.action.startswith(prefix)]


def test_groups_are_listed_to_the_roles_and_areas_that_may_see_them(world) -> None:  # noqa: ANN001
    app, client, warehouse = world
    groups = _groups(warehouse)
    for email in ("force@example.org", "auditor@example.org"):
        page = signed_in_as(client, email).get("/networks").text
        assert all(group_id in page for group_id in groups), email
    # the council sees the groups offending in its area, not the one found from the force's intelligence alone
    in_area = {g for g, members in groups.items() if members & {"PV1", "PV2"}}
    page = signed_in_as(client, "council@example.org").get("/networks").text
    assert {g for g in groups if g in page} == in_area and len(in_area) == len(groups) - 1
    other = signed_in_as(client, "other.force@example.org").get("/networks").text
    assert not any(group_id in other for group_id in groups)
    assert signed_in_as(client, "admin@example.org").get("/networks").status_code == 403
    client.cookies.clear()
    assert client.get("/networks").status_code == 401
    one = sorted(groups)[0]
    assert signed_in_as(client, "other.force@example.org").get(f"/networks/{one}").status_code == 404
    assert [e.details["rows"] for e in _audit(app, "networks.read")] == [len(groups)] * 2 + [len(in_area), 0]


def test_a_group_page_draws_every_member_and_tie_it_lists(world) -> None:  # noqa: ANN001
    _, client, warehouse = world
    groups = _groups(warehouse)
    group_id = next(g for g, members in groups.items() if "PV1" in members)
    page = signed_in_as(client, "auditor@example.org").get(f"/networks/{group_id}").text
    svg = re.search(r'<svg id="group-network".*?</svg>', page, re.S).group(0)
    assert "<title" in svg and "<desc" in svg
    assert svg.count("<circle") == len(groups[group_id])
    con = duckdb.connect(str(warehouse), read_only=True)
    ties = con.execute("SELECT count(*) FROM network_edge WHERE list_contains(?, person_a) AND "
                       "list_contains(?, person_b)", [sorted(groups[group_id])] * 2).fetchall()[0][0]
    con.close()
    assert svg.count("<line") == ties and f"{ties} ties" in page
    for person_id in groups[group_id]:
        assert person_id in page
    assert "ForeS1" not in page  # the national team sees pseudonyms only


def test_names_are_shown_only_for_the_readers_own_records_and_counted_in_the_audit(world) -> None:  # noqa: ANN001
    app, client, warehouse = world
    group_id = next(g for g, members in _groups(warehouse).items() if "PV1" in members)
    force_page = signed_in_as(client, "force@example.org").get(f"/networks/{group_id}").text
    assert "ForeS1 SurS1" in force_page and "ForeV1 SurV1" in force_page
    assert "ForeC-V1" not in force_page  # the council's record of the same child is not the force's to show
    council_page = signed_in_as(client, "council@example.org").get(f"/networks/{group_id}").text
    assert "ForeC-V1 SurC-V1" in council_page and "ForeS1" not in council_page
    reads = _audit(app, "network.group.read")
    assert [entry.details["names_shown"] for entry in reads] == [3, 1]
    assert all("Fore" not in json.dumps(entry.details) for entry in reads)


def test_without_the_vault_key_no_names_and_the_page_says_why(world, monkeypatch) -> None:  # noqa: ANN001
    _, client, warehouse = world
    monkeypatch.delenv(KEY_ENV)
    monkeypatch.setenv("CLEARSIGHT_VAULT_KEY_FILE", str(warehouse.parent / "absent.key"))
    group_id = next(g for g, members in _groups(warehouse).items() if "PV1" in members)
    page = signed_in_as(client, "force@example.org").get(f"/networks/{group_id}").text
    assert "ForeS1" not in page and "vault key is not configured" in page


def test_a_pair_is_explained_to_its_own_analysts_and_the_auditor_only(world) -> None:  # noqa: ANN001
    app, client, _ = world
    url = f"/linkage/explain?a={COUNCIL}:C-V1&b={FORCE}:V1"
    page = signed_in_as(client, "council@example.org").get(url).text
    assert 'id="waterfall"' in page and "linked as one person" in page
    assert "+8.00" in page and "-1.50" in page and "+3.00" in page  # the stored weights, as stored
    assert signed_in_as(client, "auditor@example.org").get(url).status_code == 200
    assert signed_in_as(client, "other.force@example.org").get(url).status_code == 404
    assert len(_audit(app, "link.explain.read")) == 2
    unknown = signed_in_as(client, "auditor@example.org").get(f"/linkage/explain?a={FORCE}:S1&b={FORCE}:S8").text
    assert 'id="explain-problem"' in unknown and "not scored" in unknown


def test_a_judgement_is_kept_with_who_and_why_and_audited(world) -> None:  # noqa: ANN001
    app, client, warehouse = world
    signed_in_as(client, "force@example.org")
    token = csrf_of(client.get(f"/linkage/explain?a={COUNCIL}:C-V1&b={FORCE}:V1").text)
    form = {"csrf_token": token, "a": f"{COUNCIL}:C-V1", "b": f"{FORCE}:V1", "judgement": "not_same", "why": ""}
    assert client.post("/linkage/judgement", data=form).status_code == 400  # a reason is needed
    assert client.post("/linkage/judgement", data={**form, "csrf_token": "x", "why": "twins"}).status_code == 403
    done = client.post("/linkage/judgement", data={**form, "why": "different school years"}, follow_redirects=False)
    assert done.status_code == 303
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute("SELECT record_a, record_b, judgement, made_by, reason FROM link_judgement").fetchall()
    con.close()
    assert rows == [(f"{COUNCIL}:C-V1", f"{FORCE}:V1", "not_same", "force@example.org", "different school years")]
    [entry] = _audit(app, "link.judge")
    assert entry.details["judgement"] == "not_same" and "school" not in json.dumps(entry.details)
    form["a"] = "E23000077:X1"
    form["b"] = "E23000077:X2"
    assert client.post("/linkage/judgement", data={**form, "why": "x"}).status_code == 404  # not theirs


def test_without_a_warehouse_the_pages_say_so(tmp_path: Path) -> None:
    app = create_app(ServiceSettings(database_url=f"sqlite:///{tmp_path / 'service.db'}"))
    add_account(app, "auditor@example.org", Role.national_auditor)
    with TestClient(app) as client:
        signed_in_as(client, "auditor@example.org")
        for url in ("/networks", "/networks/G1", f"/linkage/explain?a={FORCE}:A&b={FORCE}:B"):
            page = client.get(url)
            assert page.status_code == 200 and 'id="networks-unavailable"' in page.text, url
    app.state.engine.dispose()
