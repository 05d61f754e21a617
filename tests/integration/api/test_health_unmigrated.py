"""`theo health` on a store that was never migrated: a failing database check that says what to do, not a
traceback."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from theo.cli.main import app


def test_health_on_an_empty_store_fails_the_database_check_with_the_fix(tmp_path: Path) -> None:
    cfg = tmp_path / "theo.toml"
    cfg.write_text(f'[app]\ndata_dir = "{tmp_path}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["health", "--json", "--config", str(cfg)], env={"THEO_CONFIG": ""})
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["database"]["ok"] is False
    assert "no such table: engine_runs" in checks["database"]["detail"]
    assert checks["database"]["detail"].endswith("run `theo db upgrade`")
