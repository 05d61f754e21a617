"""No output and no log line of a command that reads the config or opens the store shows a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.persistence.cli_proc import paper_config, theo

SENTINEL = "Zq9sentinelSECRET"
#: As a password: characters that must be quoted in a URL, around the sentinel.
PASSWORD = f"{SENTINEL}/@:x"


def _leaks(tmp_path: Path, outputs: list[str]) -> list[str]:
    found = [f"output {i}: {o[:2000]}" for i, o in enumerate(outputs) if SENTINEL in o or "x@" in o]
    for log in tmp_path.rglob("*.log*"):
        if SENTINEL in log.read_text(encoding="utf-8", errors="replace"):
            found.append(str(log))
    return found


def _run_all(tmp_path: Path, cfg: Path, env: dict[str, str]) -> list[str]:
    outputs = []
    for args in (("config", "validate", str(cfg)), ("config", "show", "--config", str(cfg)),
                 ("db", "upgrade", "--config", str(cfg)), ("db", "current", "--config", str(cfg)),
                 ("run", "--config", str(cfg), "--duration", "2"), ("status", "--config", str(cfg))):
        r = theo(*args, env=env)
        outputs.append(f"$ theo {' '.join(args)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
    return outputs


@pytest.mark.slow
def test_a_password_in_the_database_url_is_refused_without_showing_it(tmp_path: Path) -> None:
    cfg = paper_config(tmp_path, f"postgresql://postgres:{SENTINEL}@127.0.0.1:5432/theo")
    outputs = _run_all(tmp_path, cfg, {})
    assert "the URL holds a password; put it in THEO__DATABASE__PASSWORD" in outputs[0]
    assert "postgresql://postgres:***@127.0.0.1:5432/theo" in outputs[0]
    assert _leaks(tmp_path, outputs) == []


@pytest.mark.slow
def test_secrets_in_the_environment_are_never_shown(tmp_path: Path) -> None:
    from theo.config.loader import SECRET_KEYS

    cfg = paper_config(tmp_path, "postgresql://postgres@127.0.0.1:5432/theo")
    env = {f"THEO__{section}__{key.upper()}": SENTINEL for key in SECRET_KEYS
           for section in ("DATABASE", "TELEGRAM", "MARKETDATA") if key != "password"}
    env["THEO__DATABASE__PASSWORD"] = PASSWORD
    outputs = _run_all(tmp_path, cfg, env)
    assert "database.token: unknown key (value ***)" in outputs[0]
    assert "Traceback" not in "".join(outputs)
    assert _leaks(tmp_path, outputs) == []


@pytest.mark.slow
def test_the_database_password_is_never_shown_when_the_store_is_unreachable(tmp_path: Path) -> None:
    cfg = paper_config(tmp_path, "postgresql://postgres@127.0.0.1:1/theo")
    outputs = _run_all(tmp_path, cfg, {"THEO__DATABASE__PASSWORD": PASSWORD})
    assert "postgres:***@127.0.0.1:1/theo" in outputs[2]  # db upgrade names the store, password masked
    assert "Traceback" not in "".join(outputs)
    assert _leaks(tmp_path, outputs) == []


@pytest.mark.slow
def test_the_database_password_is_never_shown_by_a_run_on_postgresql(tmp_path: Path, fresh_pg_url: str) -> None:
    cfg = paper_config(tmp_path, fresh_pg_url)  # trust authentication: the password is sent and ignored
    outputs = _run_all(tmp_path, cfg, {"THEO__DATABASE__PASSWORD": PASSWORD})
    assert outputs[4].split("\n", 1)[0].endswith("-> 0"), outputs[4]
    assert (tmp_path / "var" / "theo.log").stat().st_size > 0
    assert _leaks(tmp_path, outputs) == []
