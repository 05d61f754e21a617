"""Commented blocks of config/theo.example.toml not covered elsewhere load when uncommented."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from theo.config.schema import TheoConfig

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "theo.example.toml"


def uncommented(start_marker: str) -> str:
    """Return the block starting at ``start_marker`` up to the first blank line, with ``# `` removed."""
    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index(start_marker)
    lines = []
    for line in text[start:].splitlines():
        if not line.strip():
            break
        lines.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    return "\n".join(lines)


def test_every_foundation_line_is_a_key_when_uncommented() -> None:
    foundation = EXAMPLE.read_text(encoding="utf-8").split("# --- component sections below")[0]
    # A commented key without a value ("# key   # note") would be invalid TOML once uncommented.
    assert [line for line in foundation.splitlines() if re.match(r"^# [a-z_]+\s*(#|$)", line)] == []
    body = "\n".join(re.sub(r"^# ([a-z_]+ = )", r"\1", line) for line in foundation.splitlines())
    data = tomllib.loads(body)
    assert data["database"]["timescale_retention_days"] == "none"
    assert TheoConfig.model_validate(data).database.timescale_retention_days is None


def test_archive_block() -> None:
    cfg = TheoConfig.model_validate(tomllib.loads(uncommented("# [archive]")))
    assert cfg.archive.compression == "zstd"
    assert cfg.archive.older_than == "30d"


def test_engine_block() -> None:
    block = uncommented("[engine]\n")
    cfg = TheoConfig.model_validate(tomllib.loads(block))
    assert cfg.engine.heartbeat_seconds == 5.0
    assert cfg.engine.status_interval == 1.0
    assert cfg.engine == TheoConfig().engine.model_copy(update={"speed": 60.0})
    for gone in ("execution", "quantity", "charges", "slippage_ticks", "max_leverage"):
        assert f"\n{gone} =" not in block  # settings of the second execution model, removed


def test_execution_block() -> None:
    cfg = TheoConfig.model_validate(tomllib.loads(uncommented("# [execution]")))
    assert cfg.execution.sim.participation is None
    assert len(cfg.execution.commissions.sec_fee_rates) == 3
