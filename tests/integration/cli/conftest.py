"""Run `theo` commands in-process with a clean environment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from theo.cli.main import app

Invoke = Callable[..., Result]


@pytest.fixture
def theo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Invoke:
    """``theo(*args, env={...})`` runs the CLI; THEO_* variables of the caller's shell are removed."""
    import os

    for name in list(os.environ):
        if name.startswith("THEO_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), env=env, catch_exceptions=False)

    return run
