"""Scanner configuration: every plan §3 parameter, validated at load with precise messages."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from theo.config import TheoConfig, load_config
from theo.core.errors import ConfigError

STRATEGY = """
[[strategies]]
type = "correlation"
name = "spy_vix"
primary = "SPY"
correlated = ["VIX"]
"""


def _load(tmp_path: Path, body: str) -> TheoConfig:
    path = tmp_path / "theo.toml"
    path.write_text(body, encoding="utf-8")
    return load_config(path, env={})


def test_every_parameter_loads(tmp_path: Path) -> None:
    cfg = _load(tmp_path, STRATEGY + """
[[scanner.scanners]]
name = "spy_calls"
strategy = "spy_vix"
expiry = "monthly"
type = "positional"
days = ["mon", "wed", "fri"]
scheduler = "*/5 9-15 * * mon-fri"
start_time = 08:00:00
end_time = 17:30:00
pre_market = true
post_market = true
holiday_check = true
max_signals = 3
direction = "long"
instrument_type = "OPTION"
option_type = "CALL"
option_category = "OTM"
mode = "live"
entry_rules = ["abs(corr) >= 0.7"]
exit_rules = ["close < sl"]
symbols = ["SPY"]
quantity = 200
""")
    s = cfg.scanner.scanners[0]
    assert (s.expiry, s.type, s.mode, s.direction) == ("monthly", "positional", "live", "long")
    assert s.weekdays == frozenset({1, 3, 5})
    assert (s.start_time, s.end_time) == (time(8, 0), time(17, 30))
    assert s.effective_contract_size == 100
    assert s.effective_quantity == 200


def test_defaults_are_the_regular_session(tmp_path: Path) -> None:
    s = _load(tmp_path, STRATEGY + '[[scanner.scanners]]\nname = "a"\nstrategy = "spy_vix"\n').scanner.scanners[0]
    assert (s.start_time, s.end_time) == (time(9, 30), time(16, 0))
    assert s.weekdays == frozenset(range(1, 8))
    assert s.instrument_type == "ETF"
    assert s.effective_quantity == 1


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        ('start_time = 15:00:00\nend_time = 10:00:00', ["start_time 15:00:00 must be before end_time 10:00:00"]),
        ("start_time = 08:00:00", ["before 09:30:00", "pre_market = true"]),
        ("end_time = 18:00:00", ["after 16:00:00", "post_market = true"]),
        ('option_category = "ITM"', ["option_category = 'ITM' needs instrument_type = 'OPTION'", "'ETF'"]),
        ('instrument_type = "FUT"\noption_type = "PUT"', ["option_type = 'PUT' needs instrument_type = 'OPTION'"]),
        ('instrument_type = "OPTION"', ["needs option_category"]),
        ('scheduler = "*/5 9-15 * *"', ["scheduler", "has 4 fields"]),
        ('scheduler = "*/5 25 * * *"', ["hour field: 25"]),
        ('scheduler = "* * * * *"\ninterval_seconds = 60', ["either scheduler or interval_seconds"]),
        ('days = ["all", "mon"]', ["'all' cannot be combined"]),
        ('days = ["someday"]', ["days.0", "someday"]),
        ('entry_rules = ["corr >= "]', ["entry_rules", "rule 1", "ends too early"]),
        ('entry_rules = ["XYZ.close > 1"]', ["unknown symbol 'XYZ'", "spy_vix"]),
        ('symbols = ["QQQ"]', ["unknown symbol 'QQQ'", "trades SPY, VIX"]),
        ('instrument_type = "OPTION"\noption_category = "OTM"\nquantity = 150', ["150", "multiple", "100"]),
        ('mode = "paper"', ["mode", "paper"]),
        ('max_signals = 0', ["max_signals"]),
    ],
)
def test_invalid_scanners_are_refused_at_load(tmp_path: Path, extra: str, fragments: list[str]) -> None:
    body = STRATEGY + '[[scanner.scanners]]\nname = "a"\nstrategy = "spy_vix"\n' + extra + "\n"
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, body)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_a_scanner_must_name_a_configured_strategy(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="strategy 'nope' is not configured"):
        _load(tmp_path, STRATEGY + '[[scanner.scanners]]\nname = "a"\nstrategy = "nope"\n')


def test_scanner_names_are_unique(tmp_path: Path) -> None:
    body = STRATEGY + '[[scanner.scanners]]\nname = "a"\nstrategy = "spy_vix"\n' * 2
    with pytest.raises(ConfigError, match="scanner name 'a' is used twice"):
        _load(tmp_path, body)
