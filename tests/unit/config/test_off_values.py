"""An optional limit or rule can be turned off from a TOML file with "none", and is shown off."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from theo.config import load_config
from theo.config.render import to_toml
from theo.core.errors import ConfigError

OFF = """
[risk.trade]
time_exit = "none"
[risk.breakers]
max_drawdown_pct = "none"
max_consecutive_losses = "None"
[risk.account.limits]
daily_loss_limit_pct = "NONE"
max_trade_qty = "none"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "theo.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_optional_limit_and_rule_turns_off_from_a_file(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, OFF), env={})
    assert cfg.risk.trade.time_exit is None
    assert cfg.risk.breakers.max_drawdown_pct is None
    assert cfg.risk.breakers.max_consecutive_losses is None
    assert cfg.risk.account.limits.daily_loss_limit_pct is None
    assert cfg.risk.account.limits.max_trade_qty is None


def test_config_show_prints_off_as_none_and_its_output_loads_back(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, OFF), env={})
    text = to_toml(cfg, date(2026, 12, 4))
    for key in ("time_exit", "max_drawdown_pct", "max_consecutive_losses", "daily_loss_limit_pct"):
        assert f'{key} = "none"  # off' in text
    assert "# password is not set" in text  # a secret is never written, not even as "none"
    again = load_config(write(tmp_path, text), env={})
    assert again.risk == cfg.risk


@pytest.mark.parametrize(("text", "expected"), [
    ('[risk.trade]\ntime_exit = "never"\n',
     'risk.trade: time_exit = \'never\': write time_exit = "none" to turn it off'),
    ('[risk.breakers]\nmax_drawdown_pct = "off"\n', 'write max_drawdown_pct = "none" to turn it off'),
    ('[risk.account.limits]\nmax_active_trades = "none"\n',
     'max_active_trades = "none": this key cannot be turned off; set a value (default 5) or remove the line'),
    ('[risk.strategies.a]\nmax_active_trades = "none"\n',
     'max_active_trades = "none": this limit cannot be turned off'),
])
def test_a_wrong_off_word_or_none_on_a_required_key_is_a_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text), env={})
    assert expected in str(err.value)


def test_a_strategy_turns_a_limit_off_with_none_and_inherits_what_it_leaves_out(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, '[risk.strategies.swing]\ndaily_loss_limit_pct = "none"\n'
                                      "max_active_trades = 2\n"), env={})
    assert cfg.risk.limits_for("swing").daily_loss_limit_pct is None
    assert cfg.risk.limits_for("swing").max_active_trades == 2
    assert cfg.risk.limits_for("other").daily_loss_limit_pct == 3
    assert 'daily_loss_limit_pct = "none"  # off' in to_toml(cfg, date(2026, 12, 4))
    assert "max_trade_qty" not in to_toml(cfg, date(2026, 12, 4)).split("[risk.strategies.swing]")[1]


def test_the_plan_ss_type_is_read_in_any_case_and_checked(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, '[[strategies]]\ntype = "donchian_breakout"\nname = "d"\n'
                                      'ss_type = "Positional"\n'), env={})
    assert cfg.strategies[0].ss_type == "positional"
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, '[[strategies]]\ntype = "donchian_breakout"\nname = "d"\nss_type = "swing"\n'),
                    env={})
    assert "strategies.0.ss_type = 'swing'" in str(err.value)
