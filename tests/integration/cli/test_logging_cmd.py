"""Every command sets up logging from its config: logs on stderr (JSON lines off a terminal), stdout clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from theo.persistence.db import head_revision

HEAD = head_revision()

THEO = [sys.executable, "-m", "theo.cli.main"]


def _theo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THEO")}
    return subprocess.run([*THEO, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def test_db_upgrade_logs_json_to_stderr_and_the_file_at_the_configured_level(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('[app]\ndata_dir = "d"\n[logging]\nlevel = "DEBUG"\nfile = "logs/theo.log"\n',
                                     encoding="utf-8")
    result = _theo(tmp_path, "db", "upgrade", "-c", "c.toml")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == ["database: sqlite:///d/theo.db",
                                              f"revision: {HEAD} (head)"]
    assert "{" not in result.stdout
    records = [json.loads(line) for line in result.stderr.splitlines()]
    upgrades = [r for r in records if r["event"].startswith("Running upgrade")]
    assert len(upgrades) == int(HEAD[:4])  # 0001_core ... the head, one upgrade each
    assert upgrades[0]["event"].startswith("Running upgrade  -> 0001_core, ")
    assert {r["logger"] for r in upgrades} == {"alembic.runtime.migration"}
    assert {r["level"] for r in upgrades} == {"info"}
    in_file = [json.loads(line) for line in (tmp_path / "d" / "logs" / "theo.log").read_text().splitlines()]
    assert [r["event"] for r in in_file] == [r["event"] for r in records]


def test_default_level_keeps_library_chatter_out_of_a_command(tmp_path: Path) -> None:
    result = _theo(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines()[0] == "database: sqlite:///var/theo.db"
