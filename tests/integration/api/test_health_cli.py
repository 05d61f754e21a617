"""``theo health``: the readiness checks on the command line; exit 0 ready, 1 a check failed, 2 bad config."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.integration.api.seed import running
from theo.cli.common import open_store
from theo.cli.main import app
from theo.config import load_config

SECRET = "cli-s3cret-Pw"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("THEO_"):
            monkeypatch.delenv(name)


def write(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "theo.toml"
    path.write_text(f'[app]\ndata_dir = "{tmp_path / "var"}"\n[api]\nready_min_free_mb = 0\n{extra}',
                    encoding="utf-8")
    return path


def test_ready_with_a_running_engine_exits_0(tmp_path: Path) -> None:
    cfg = write(tmp_path)
    running(open_store(load_config(cfg)), datetime.now(UTC), {"last_price": {"SPY": 100.0}})
    r = CliRunner().invoke(app, ["health", "--json", "-c", str(cfg)])
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert body["ready"] is True
    assert [c["name"] for c in body["checks"]] == ["database", "broker", "data SPY", "disk space", "memory"]
    table = CliRunner().invoke(app, ["health", "-c", str(cfg)])
    assert table.exit_code == 0
    assert "theo health: ready" in table.stdout
    assert "simulated broker (paper)" in table.stdout


def test_a_failed_check_exits_1_and_hides_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path, '[database]\nurl = "postgresql://theo@127.0.0.1:1/theo"\n')
    monkeypatch.setenv("THEO__DATABASE__PASSWORD", SECRET)
    r = CliRunner().invoke(app, ["health", "--json", "-c", str(cfg)])
    assert r.exit_code == 1, r.output
    body = json.loads(r.stdout)
    assert body["ready"] is False
    assert body["checks"][0]["name"] == "database"
    assert body["checks"][0]["ok"] is False
    table = CliRunner().invoke(app, ["health", "-c", str(cfg)])
    assert table.exit_code == 1
    assert "NOT ready" in table.stdout
    for out in (r.output, table.output):
        assert SECRET not in out


def test_a_config_error_exits_2(tmp_path: Path) -> None:
    cfg = write(tmp_path, "[api]\nready_max_rss_mb = 0\n")  # duplicate table and an invalid value
    r = CliRunner().invoke(app, ["health", "-c", str(cfg)])
    assert r.exit_code == 2
    assert "error:" in r.output
