"""``theo db upgrade`` on SQLite survives a SIGKILL at any point: the next upgrade completes to head."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from theo.cli.main import app
from theo.persistence.db import head_revision, make_engine

CHILD = Path(__file__).with_name("upgrade_kill_child.py")


def _config(tmp_path: Path, name: str) -> Path:
    cfg = tmp_path / f"{name}.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / name}.db"\n', encoding="utf-8")
    return cfg


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("THEO")}


def _child(kill_at: int, cfg: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CHILD), str(kill_at), str(cfg)], capture_output=True, text=True,
                          env=_env(), timeout=60)


def _assert_upgrades_to_head(cfg: Path, where: str) -> None:
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade", "--config", str(cfg)], env={"THEO_CONFIG": ""})
    assert upgraded.exit_code == 0, f"{where}: second upgrade failed: {upgraded.output}"
    current = runner.invoke(app, ["db", "current", "--config", str(cfg)], env={"THEO_CONFIG": ""})
    assert current.exit_code == 0, current.output
    assert f"{head_revision()} (head)" in current.output, f"{where}: {current.output}"


def _statement_count(tmp_path: Path) -> int:
    done = _child(0, _config(tmp_path, "complete"))
    assert done.returncode == 0, done.stderr
    return int(done.stderr.rsplit("statements=", 1)[1].split()[0])


@pytest.mark.slow
def test_upgrade_killed_after_any_statement_is_completed_by_the_next_upgrade(tmp_path: Path) -> None:
    total = _statement_count(tmp_path)
    assert total > 50  # ten migrations: the kill points below cover all of them
    points = sorted({1, 2, total - 1, *range(3, total - 1, max(1, total // 24))})
    for n in points:
        cfg = _config(tmp_path, f"kill{n}")
        killed = _child(n, cfg)
        assert killed.returncode == -signal.SIGKILL, f"statement {n}: not killed ({killed.stderr[-500:]})"
        _assert_upgrades_to_head(cfg, f"killed after statement {n} of {total}")
    assert len(points) >= 20


@pytest.mark.slow
def test_theo_db_upgrade_killed_after_random_delays_is_completed_by_the_next_upgrade(tmp_path: Path) -> None:
    theo = shutil.which("theo", path=str(Path(sys.executable).parent))
    assert theo is not None
    cfg = _config(tmp_path, "timing")
    started = time.monotonic()
    subprocess.run([theo, "db", "upgrade", "--config", str(cfg)], check=True, capture_output=True, env=_env())
    full = time.monotonic() - started
    rng = random.Random(16)
    for i in range(8):  # where each kill lands depends on the machine's load: every outcome must upgrade
        cfg = _config(tmp_path, f"random{i}")
        proc = subprocess.Popen([theo, "db", "upgrade", "--config", str(cfg)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=_env())
        time.sleep(rng.uniform(0.5, 1.0) * full)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        _assert_upgrades_to_head(cfg, f"killed after {i}")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_tables_without_a_revision_are_refused_with_what_to_do(tmp_path: Path, backend: str,
                                                               request: pytest.FixtureRequest) -> None:
    from sqlalchemy import text

    from theo.core.errors import StorageError
    from theo.persistence.db import upgrade

    url = f"sqlite:///{tmp_path / 'half.db'}" if backend == "sqlite" else request.getfixturevalue("fresh_pg_url")
    engine = make_engine(url)
    with engine.begin() as conn:  # what a release without atomic migrations left behind
        conn.execute(text("CREATE TABLE audit_log (id INTEGER PRIMARY KEY)"))
    with pytest.raises(StorageError) as info:
        upgrade(engine)
    engine.dispose()
    msg = str(info.value)
    assert "audit_log" in msg
    assert "already exists" in msg
    assert "the store has no schema revision" in msg
    assert "point database.url at an empty database" in msg
