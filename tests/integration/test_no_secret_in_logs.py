"""Real commands run with secrets in the environment, DEBUG logging and SQL echo: no output line, no log line (the
rotated file and a syslog receiver on 127.0.0.1) holds any of them, as given or URL-quoted."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.secrets_kit import bot_token

THEO = [sys.executable, "-m", "theo.cli.main"]
SECRETS = {
    "THEO__DATABASE__PASSWORD": "db-Pa55word-7d1c",
    "THEO_ADMIN_PASSWORD": "admin-Secret-48af",
    "TELEGRAM_BOT_TOKEN": bot_token(987654321, "no-secret"),
    "POLYGON_API_KEY": "pk_7YkQ2mZr4TbW9",
}


@pytest.mark.slow
def test_commands_with_secrets_set_log_none_of_them(tmp_path: Path, pg_database_url: str) -> None:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.5)
    cfg = tmp_path / "theo.toml"
    cfg.write_text(f'[app]\ndata_dir = "{tmp_path / "state"}"\n'
                   f'[database]\nurl = "{pg_database_url}"\necho = true\n'
                   '[logging]\nlevel = "DEBUG"\nformat = "json"\nfile = "theo.log"\n'
                   f'syslog_address = "127.0.0.1:{udp.getsockname()[1]}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("THEO")}
    env |= SECRETS | {"THEO_CONFIG": str(cfg), "THEO_ADMIN_USERNAME": "ann", "NO_PROXY": "127.0.0.1,localhost"}
    # each command starts a Python process (about 4 s): the ones that connect, dump and check the most
    commands = [["db", "upgrade"], ["health"], ["db", "backup", "--out", str(tmp_path / "b.dump")]]
    outputs: list[str] = []
    for args in commands:
        done = subprocess.run([*THEO, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert "Traceback" not in done.stderr, (args, done.stderr[-2000:])
        outputs += [done.stdout, done.stderr]
    # a failing connection prints the URL: the password in it is masked
    bad = env | {"THEO__DATABASE__URL": "postgresql://theo@127.0.0.1:1/theo"}
    failed = subprocess.run([*THEO, "db", "current"], cwd=tmp_path, env=bad, capture_output=True, text=True,
                            timeout=60, check=False)
    assert failed.returncode == 2
    assert "postgresql+psycopg://theo:***@127.0.0.1:1/theo" in failed.stderr or "theo:***@" in failed.stderr
    outputs += [failed.stdout, failed.stderr]
    shipped: list[str] = []
    try:
        while True:
            shipped.append(udp.recv(1 << 16).decode())
    except TimeoutError:
        pass
    finally:
        udp.close()
    logs = [p.read_text(encoding="utf-8") for p in (tmp_path / "state").glob("theo.log*")]
    lines = [line for text in [*outputs, *logs, *shipped] for line in text.splitlines()]
    assert len([line for text in logs for line in text.splitlines()]) > 50  # DEBUG + SQL echo: plenty of lines
    assert len(shipped) > 50
    assert any("SELECT" in line for line in lines)
    for name, secret in SECRETS.items():
        for form in {secret, quote(secret, safe="")}:
            leaks = [line[:200] for line in lines if form in line]
            assert leaks == [], f"{name} leaked: {leaks[:3]}"
