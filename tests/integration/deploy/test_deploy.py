"""The systemd deployment: the unit runs commands that exist on a config that lets `theo run` start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from theo.config import load_config

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"


def _unit() -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for line in (DEPLOY / "theo.service").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            keys.setdefault(key, []).append(value)
    return keys


def test_unit_validates_migrates_then_runs_and_stops_like_ctrl_c() -> None:
    unit = _unit()
    theo, config = "/opt/theo/.venv/bin/theo", "/etc/theo/theo.toml"
    assert unit["ExecStartPre"] == [f"{theo} config validate {config}", f"{theo} db upgrade --config {config}"]
    assert unit["ExecStart"] == [f"{theo} run --config {config}"]
    assert unit["KillSignal"] == ["SIGINT"]
    assert unit["EnvironmentFile"] == ["/etc/theo/theo.env"]


def test_env_example_holds_names_only() -> None:
    lines = [ln for ln in (DEPLOY / "theo.env.example").read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    assert lines
    assert all(ln.endswith("=") for ln in lines), lines


def test_deploy_config_is_valid_and_has_a_strategy_to_run() -> None:
    cfg = load_config(DEPLOY / "theo.toml", env={})
    assert cfg.app.data_dir == Path("/var/lib/theo")
    assert cfg.logging.format == "json"
    assert [s.name for s in cfg.strategies] == ["corr-spy-qqq"]


def test_theo_run_starts_and_stops_on_the_deploy_config(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THEO")}
    env |= {"THEO__APP__DATA_DIR": str(tmp_path / "state"), "THEO__LOGGING__FILE": str(tmp_path / "theo.log"),
            "THEO__ENGINE__SPEED": "600", "THEO__API__PORT": "0"}
    cmd = [sys.executable, "-m", "theo.cli.main", "run", "--config", str(DEPLOY / "theo.toml"), "--duration", "2"]
    result = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert " ".join(result.stdout.split()).startswith("run 1 stopped:")
    events = (tmp_path / "theo.log").read_text(encoding="utf-8")
    assert '"event": "run.started"' in events
    assert '"event": "run.stopped"' in events
