"""With CI=true an unreachable PostgreSQL fails the PostgreSQL tests; locally they skip with a message.

Runs pytest in a subprocess on a one-test probe that asks for ``pg_engine``, with THEO_TEST_PG_URL pointing
at a port where nothing listens.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BOGUS = "postgresql://postgres@127.0.0.1:9/postgres"  # discard port: connection refused at once

PROBE = '''
def test_needs_postgres(pg_engine):
    assert pg_engine.dialect.name == "postgresql"
'''


def _run_probe(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER")}
    env["THEO_TEST_PG_URL"] = BOGUS
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-q", "-rs", "--rootdir", str(REPO), str(probe)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_ci_true_turns_an_unreachable_postgres_into_a_failure(tmp_path: Path) -> None:
    result = _run_probe(tmp_path, "true")
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "1 error" in out
    assert f"PostgreSQL at {BOGUS} is unreachable and CI=true" in out


@pytest.mark.parametrize("ci", [None, "false"])
def test_without_ci_an_unreachable_postgres_skips_with_a_message(tmp_path: Path, ci: str | None) -> None:
    result = _run_probe(tmp_path, ci)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "1 skipped" in out
    assert f"PostgreSQL at {BOGUS} is unreachable (set CI=true to make this a failure)" in out
