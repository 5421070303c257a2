"""Every command is documented: a --help with an example, and a mention in the README."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from worker.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found += _commands(command, path + " ")
    return found


COMMANDS = _commands(cli)


def test_contract_commands_exist() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"scan", "contacts", "draft", "secret", "secret set", "reminders", "run"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_has_help_and_readme_mention(name: str, command: click.Command) -> None:
    assert command.help and len(command.help.strip()) > 20, name
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    if not isinstance(command, click.Group):
        assert "Example" in command.help or "example" in command.help, f"{name}: no example in help"
    assert f"kizuna {name}" in (ROOT / "README.md").read_text(), (
        f"README does not mention kizuna {name}"
    )


def test_python_dash_m_runs_the_same_cli() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "worker", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0 and "kizuna" in done.stdout and "scan" in done.stdout


def test_bad_usage_is_exit_2_with_one_line() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "worker", "scan", "--bogus"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--bogus" in done.stderr
    assert done.stdout == ""
