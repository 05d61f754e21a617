"""`theo archive run | verify | restore` as a user runs them, on a SQLite store."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner

from tests.unit.persistence.archive.seed import db_ticks, insert_ticks, make_ticks
from theo.cli.main import app
from theo.persistence.db import make_engine, upgrade

runner = CliRunner()


def _out(result: object) -> str:
    """Output with Rich's line wrapping undone."""
    return " ".join(str(getattr(result, "output", "")).split())


def _setup(tmp_path: Path) -> tuple[Path, list[tuple[object, ...]]]:
    cfg = tmp_path / "theo.toml"
    cfg.write_text(f'[app]\ndata_dir = "{tmp_path}"\n\n[archive]\nolder_than = "30d"\n')
    engine = make_engine(f"sqlite:///{tmp_path / 'theo.db'}")
    upgrade(engine)
    rows = make_ticks(1000, days=5)
    insert_ticks(engine, rows)
    engine.dispose()
    return cfg, rows


def test_run_verify_restore(tmp_path: Path) -> None:
    cfg, rows = _setup(tmp_path)
    result = runner.invoke(app, ["archive", "run", "--older-than", "30d", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert f"rows archived {len(rows):,}" in _out(result)  # 2013 ticks are all older than 30 days
    engine = make_engine(f"sqlite:///{tmp_path / 'theo.db'}")
    assert db_ticks(engine) == []
    files = sorted((tmp_path / "archive" / "ticks").rglob("*.parquet"))
    assert len(files) == 10
    assert (tmp_path / "archive" / "manifest.jsonl").is_file()

    ok = runner.invoke(app, ["archive", "verify", "--config", str(cfg)])
    assert ok.exit_code == 0, ok.output
    assert "10 file(s)" in _out(ok)
    assert "archive OK" in _out(ok)

    restored = runner.invoke(app, ["archive", "restore", "--from", "2013-10-08", "--to", "2013-10-09",
                                   "--symbol", "SPY", "--config", str(cfg)])
    assert restored.exit_code == 0, restored.output
    assert "from 2 file(s)" in _out(restored)
    back = db_ticks(engine)
    assert back
    assert {r[0] for r in back} == {"SPY"}
    assert sorted(back) == sorted(r for r in rows if r[0] == "SPY" and r in set(back))

    os.chmod(files[0], 0o644)
    files[0].write_bytes(files[0].read_bytes()[:-10] + b"0123456789")
    bad = runner.invoke(app, ["archive", "verify", "--config", str(cfg)])
    assert bad.exit_code == 1
    assert "tampered" in _out(bad)
    assert "archive check failed" in _out(bad)
    bad_jsonl = runner.invoke(app, ["archive", "verify", "--jsonl", "--config", str(cfg)])
    assert bad_jsonl.exit_code == 1


def test_before_date_and_bad_input(tmp_path: Path) -> None:
    cfg, _rows = _setup(tmp_path)
    result = runner.invoke(app, ["archive", "run", "--before", "2013-10-09", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert "ticks before 2013-10-09 00:00:00 EDT" in _out(result)  # a New York midnight, zone named
    assert "files written 4" in _out(result)
    bad_age = runner.invoke(app, ["archive", "run", "--older-than", "soon", "--config", str(cfg)])
    assert bad_age.exit_code == 2
    assert "not understood" in _out(bad_age)
    bad_date = runner.invoke(app, ["archive", "restore", "--from", "10/08/2013", "--to", "2013-10-09",
                                   "--config", str(cfg)])
    assert bad_date.exit_code == 2
    assert "YYYY-MM-DD" in _out(bad_date)
    both = runner.invoke(app, ["archive", "run", "--before", "2013-10-09", "--older-than", "3d",
                               "--config", str(cfg)])
    assert both.exit_code == 2
