"""The command line: version, help on every command, exit codes, and commands documented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from clearsight import __version__
from clearsight.cli import app

runner = CliRunner()


def _commands(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        found.append(path)
        if hasattr(command, "commands"):
            found.extend(_commands(command, path))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_every_command_has_a_docstring() -> None:
    group = typer.main.get_command(app)
    for path in COMMANDS:
        command = group
        for name in path:
            command = command.commands[name]
        assert command.help and len(command.help) > 15, f"{' '.join(path)} needs help text"


def test_bad_usage_exits_2_and_explained_failure_exits_1(tmp_path: Path) -> None:
    bad = subprocess.run([sys.executable, "-m", "clearsight.cli", "no-such-command"], capture_output=True)
    assert bad.returncode == 2
    missing = subprocess.run(
        [sys.executable, "-m", "clearsight.cli", "ingest", str(tmp_path / "nowhere")], capture_output=True, text=True
    )
    assert missing.returncode == 1 and "no such folder" in missing.stderr


def test_standard_show_json_lists_tables() -> None:
    result = runner.invoke(app, ["standard", "show", "--json"])
    assert result.exit_code == 0
    tables = {row["table"] for row in json.loads(result.output)}
    assert {"person", "offence", "referral"} <= tables


def test_the_readme_documents_every_top_level_command() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for path in COMMANDS:
        if len(path) == 1:
            assert f"clearsight {path[0]}" in readme, f"README does not mention `clearsight {path[0]}`"


def test_demo_trains_its_own_model_over_one_an_earlier_demo_left(tmp_path: Path) -> None:
    # An earlier demo's model, saved by code with other blocking rules (which `link` refuses without --retrain):
    # the demo regenerates everything, its model included, so it must not stop on it
    from clearsight.link import model as link_model

    stale = tmp_path / "clearsight.link-model"
    stale.mkdir()
    (stale / "model.json").write_text(json.dumps({"clearsight_model_version": link_model.MODEL_VERSION,
                                                  "blocking_rules_to_generate_predictions": ["l.x = r.x"]}))
    result = runner.invoke(app, ["demo", "--scale", "tiny", "--no-pdf", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report" / "report.html").is_file()
    model = link_model.load(stale / "model.json")  # trained anew by this code, so accepted
    assert model["clearsight_blocking"] == link_model.blocking_fingerprint()
