"""The README's PostgreSQL steps work for a new user: the database exists before `theo db upgrade`."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_postgresql_steps_create_the_role_and_database_before_upgrading() -> None:
    section = README.read_text(encoding="utf-8").split("## PostgreSQL", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    lines = [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]
    steps = [line for line in lines if line]
    created = next(i for i, s in enumerate(steps) if "createdb" in s)
    assert "createuser theo" in steps[created - 1]
    assert steps[created].endswith("--owner theo theo")
    assert steps.index("theo db upgrade") > created
    assert "postgresql://theo@127.0.0.1:5432/theo" in block
