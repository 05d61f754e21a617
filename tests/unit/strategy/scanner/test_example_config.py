"""The commented correlation-strategy and scanner blocks of config/theo.example.toml load when uncommented."""

from __future__ import annotations

import re
from pathlib import Path

from theo.config import load_config

EXAMPLE = Path(__file__).resolve().parents[4] / "config" / "theo.example.toml"


def test_uncommented_example_blocks_are_valid(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    block = text[text.index("# Correlation strategy, every key"):]
    # The block ends where another component's commented section starts (e.g. ``# [execution]``).
    other = re.search(r"^# \[(?!\[?(strategies|scanner)\b)", block, re.MULTILINE)
    block = block[: other.start()] if other else block
    lines = [line[2:] for line in block.splitlines() if re.match(r"^# (\[|[a-z_]+ = |\s+\{)", line)]
    path = tmp_path / "example.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    cfg = load_config(path, env={})
    [strategy] = cfg.strategies
    assert strategy.name == "spy-vol"
    assert strategy.symbols == ("SPY", "VIX", "VXXB", "QQQ")  # type: ignore[union-attr]
    [scan] = cfg.scanner.scanners
    assert (scan.strategy, scan.scheduler) == ("spy-vol", "*/5 9-15 * * mon-fri")
