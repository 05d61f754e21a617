"""`theo --help` and every group's `--help` list each command with its one-line description."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from theo.cli.main import app

ROOT = typer.main.get_command(app)


def _walk(command: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found.extend(_walk(sub, (*path, name)))
    return found


ALL = _walk(ROOT, ())
GROUPS = [(path, cmd) for path, cmd in ALL if getattr(cmd, "commands", None)]


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "240", "TERMINAL_WIDTH": "240"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_root_lists_every_foundation_and_engine_command() -> None:
    expected = {"config", "calendar", "db", "data", "archive", "futures", "indicators", "corr", "scan", "orders",
                "positions", "report", "run", "status", "backtest"}
    assert expected <= set(ROOT.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("path", "group"), GROUPS, ids=[" ".join(p) or "theo" for p, _ in GROUPS])
def test_group_help_shows_each_command_with_its_description(path: tuple[str, ...], group: Any) -> None:
    out = _help(path)
    for name, sub in group.commands.items():
        first = (sub.help or "").strip().splitlines()[0] if (sub.help or "").strip() else ""
        assert first, f"`theo {' '.join((*path, name))}` has no help text"
        line = next((ln for ln in out.splitlines() if ln.strip(" │").startswith(f"{name} ")), None)
        assert line is not None, f"`theo {' '.join(path)} --help` does not list {name}"
        shown = line.strip(" │")[len(name):].strip()
        assert shown == first, (name, shown, first)


@pytest.mark.parametrize("path", [p for p, c in ALL if p and not getattr(c, "commands", None)],
                         ids=[" ".join(p) for p, c in ALL if p and not getattr(c, "commands", None)])
def test_every_command_answers_help_with_its_usage(path: tuple[str, ...]) -> None:
    out = _help(path)
    assert f"Usage: theo {' '.join(path)}" in " ".join(out.split())
