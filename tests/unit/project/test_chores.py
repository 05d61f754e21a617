"""The repository's chores: a self-documenting Makefile, CI running lint plus the README's test command,
an exact lock and a typed package."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
MAKEFILE = (REPO / "Makefile").read_text(encoding="utf-8")
TARGET = re.compile(r"^([a-z][a-z_-]*):(?!=)(.*)$", re.MULTILINE)


def _recipe(target: str) -> list[str]:
    lines = MAKEFILE.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"{target}:"))
    recipe = []
    for ln in lines[start + 1:]:
        if not ln.startswith("\t"):
            break
        recipe.append(ln.strip())
    return recipe


def test_every_make_target_documents_itself_and_help_lists_it() -> None:
    targets = {name: rest for name, rest in TARGET.findall(MAKEFILE)}
    assert {"help", "install", "run", "test", "test-unit", "lint", "bench", "clean"} <= set(targets)
    undocumented = [name for name, rest in targets.items() if "## " not in rest]
    assert undocumented == []
    phony = set(re.search(r"^\.PHONY:(.*)$", MAKEFILE, re.MULTILINE).group(1).split())  # type: ignore[union-attr]
    assert phony == set(targets)
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-s", "-C", str(REPO), "help"], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    listed = {re.sub(r"\x1b\[[0-9;]*m", "", ln).split()[0] for ln in out.splitlines() if ln.strip()}
    assert listed == set(targets)


def test_make_run_migrates_makes_sure_of_a_dashboard_user_then_starts_theo_run() -> None:
    assert _recipe("run") == ["$(BIN)/theo db upgrade --config $(CONFIG)",
                              "$(BIN)/theo users first-admin --config $(CONFIG)", "$(BIN)/theo run --config $(CONFIG)"]


def test_ci_installs_lints_and_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```bash", 1)[1].split("```", 1)[0]
    commands = [ln.split("#", 1)[0].strip() for ln in first_block.splitlines() if ln.strip()]
    assert commands == ["make run", "make test"]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    steps = [ln.strip() for ln in ci.splitlines() if ln.startswith("make ")]
    assert steps[0] == "make install"
    assert "make lint" in steps
    assert any(step.startswith("make test") for step in steps)
    assert 'export CI="${CI:-true}"' in ci  # an unreachable PostgreSQL fails CI instead of skipping
    assert _recipe("lint") == ["$(BIN)/ruff check src tests benchmarks", "$(BIN)/mypy",
                               "cd web && npm run lint && npm run typecheck"]
    assert any("-r requirements.lock" in step for step in _recipe("$(STAMP)"))


def test_lock_pins_every_dependency_exactly() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lock = {}
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep == "==", f"requirements.lock line {line!r} is not pinned with =="
            assert re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version), line
            lock[re.sub(r"[-_.]+", "-", name).lower()] = version
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    for spec in wanted:
        name = re.split(r"[<>=!\[ ]", spec, maxsplit=1)[0]
        assert re.sub(r"[-_.]+", "-", name).lower() in lock, f"{name} is not in requirements.lock"


def test_the_package_is_typed() -> None:
    assert (REPO / "src" / "theo" / "py.typed").is_file()
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "py.typed" in package_data["package-data"]["theo"]
