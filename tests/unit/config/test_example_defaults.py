"""Every key config/theo.example.toml shows commented out is the real default: uncommenting it changes nothing.

The file's header promises it ("Keys shown commented out are the defaults"); a key whose default is unset is
shown as ``key = "none"`` with an example in its comment. Sections named as examples (per-strategy, per-user,
a futures root, the synthetic instruments, the optional correlation strategy and scanner) are not defaults.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from theo.config.schema import TheoConfig

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "theo.example.toml"
EXAMPLES = ("risk.account.margin.futures.", "risk.strategies.", "risk.users.", "risk.trade_by_strategy.",
            "marketdata.synthetic.instruments", "strategies", "scanner", "risk.accounts.",
            "telegram.recipients")
_SECTION = re.compile(r"^#?\s*\[\[?([a-z_.A-Z0-9]+)\]\]?")
_KEY = re.compile(r"^# ([a-z_]+) = (.+?)(\s+#.*)?$")


def commented_keys() -> list[tuple[str, str, str]]:
    """(section, key, TOML value) of every commented-out key line, in file order."""
    section = ""
    out = []
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        m = _SECTION.match(line)
        if m:
            section = m.group(1)
            continue
        k = _KEY.match(line)
        if k and section and not section.startswith(EXAMPLES) and not k.group(2).strip().endswith("["):
            out.append((section, k.group(1), k.group(2).strip()))
    return out


def _default(section: str, key: str) -> Any:
    node: Any = TheoConfig()
    for part in section.split("."):
        node = getattr(node, part)
    return getattr(node, key)


def _same(shown: Any, default: Any) -> bool:
    if isinstance(shown, str) and shown.lower() == "none":
        return default is None
    if isinstance(default, Decimal):
        return Decimal(str(shown)) == default
    if isinstance(default, tuple) and isinstance(shown, list):
        return len(shown) == len(default) or shown == list(default)
    if isinstance(default, Path):
        return Path(shown) == default
    if hasattr(default, "isoformat") and not isinstance(shown, str):
        return shown == default
    if isinstance(default, list | tuple):
        return list(default) == shown or [str(x) for x in default] == [str(x) for x in shown]
    if isinstance(default, float) and isinstance(shown, int | float):
        return float(shown) == default
    return bool(shown == default or str(shown) == str(default))


def test_the_example_shows_many_defaults() -> None:
    assert len(commented_keys()) > 80


@pytest.mark.parametrize(("section", "key", "shown"), commented_keys())
def test_a_commented_key_shows_its_real_default(section: str, key: str, shown: str) -> None:
    value = tomllib.loads(f"v = {shown}")["v"]
    default = _default(section, key)
    assert _same(value, default), f"[{section}] {key}: the example shows {shown}, the default is {default!r}"
