"""Config errors never quote a secret: URL passwords and secret values from the environment are masked."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from theo.config import load_config
from theo.config.loader import redact
from theo.core.errors import ConfigError
from theo.persistence.db import mask_url

SENTINEL = "Zq9sentinelSECRET"


def _error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    cfg = tmp_path / "theo.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(cfg, env=env or {})
    return str(info.value)


def test_a_password_in_the_url_is_refused_and_masked(tmp_path: Path) -> None:
    msg = _error(tmp_path, f'[database]\nurl = "postgresql://theo:{SENTINEL}@db:5432/theo"\n')
    assert "database.url = 'postgresql://theo:***@db:5432/theo'" in msg
    assert "THEO__DATABASE__PASSWORD" in msg
    assert SENTINEL not in msg


def test_an_unsupported_url_with_a_password_is_masked(tmp_path: Path) -> None:
    msg = _error(tmp_path, f'[database]\nurl = "mysql://theo:{SENTINEL}@db/theo"\n')
    assert "mysql://theo:***@db/theo" in msg
    assert SENTINEL not in msg


@pytest.mark.parametrize("line", [f'url = "postgresql://u:{SENTINEL}@h/x', f'password = "{SENTINEL}'])
def test_a_toml_syntax_error_on_a_secret_line_does_not_show_the_secret(tmp_path: Path, line: str) -> None:
    msg = _error(tmp_path, f"[database]\n{line}\n")
    assert "not valid TOML at line 2" in msg
    assert SENTINEL not in msg


@pytest.mark.parametrize("name", ["THEO__DATABASE__TOKEN", "THEO__MARKETDATA__API_KEY", "THEO__APP__SECRET",
                                  "THEO__TELEGRAM__BOT_TOKEN"])
def test_an_unknown_secret_from_the_environment_is_named_not_shown(tmp_path: Path, name: str) -> None:
    msg = _error(tmp_path, "", {name: SENTINEL})
    assert name in msg
    assert SENTINEL not in msg


def test_a_password_with_url_characters_reaches_the_driver_whole() -> None:
    password = f"{SENTINEL}/@:?#x"
    config = load_config(None, env={"THEO__DATABASE__URL": "postgresql://theo@db:5432/theo",
                                    "THEO__DATABASE__PASSWORD": password})
    url = make_url(config.database_url())
    assert (url.username, url.password, url.host, url.port, url.database) == ("theo", password, "db", 5432, "theo")
    assert SENTINEL not in mask_url(config.database_url())


def test_redact_masks_url_passwords_and_environment_secrets() -> None:
    load_config(None, env={"THEO__DATABASE__PASSWORD": SENTINEL})
    text = f"failed: postgresql+psycopg://u:p@ss@h/x and '{SENTINEL}' and sqlite:///var/theo.db"
    assert redact(text) == "failed: postgresql+psycopg://u:***@h/x and '***' and sqlite:///var/theo.db"
