"""Run the installed ``theo`` command in a subprocess with a clean environment (no THEO_* of the caller)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

THEO = str(Path(sys.executable).with_name("theo"))

#: A one-strategy paper config on the synthetic market; format with ``data_dir`` and ``url``.
PAPER_CONFIG = """
[app]
data_dir = "{data_dir}"

[api]
enabled = false

[database]
url = "{url}"

[logging]
file = "theo.log"

[engine]
heartbeat_seconds = 0.5

[[strategies]]
type = "donchian_breakout"
name = "d"
symbols = ["SPY"]
timeframe = "1m"
quantity = 10
entry_period = 5
exit_period = 3
"""


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THEO")}
    env.update({"COLUMNS": "120", **(extra or {})})
    return env


def theo(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([THEO, *args], capture_output=True, text=True, env=clean_env(env), timeout=timeout)


def paper_config(tmp_path: Path, url: str) -> Path:
    cfg = tmp_path / "theo.toml"
    cfg.write_text(PAPER_CONFIG.format(data_dir=tmp_path / "var", url=url), encoding="utf-8")
    return cfg
