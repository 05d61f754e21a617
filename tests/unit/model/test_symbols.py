"""One symbol rule for config, command line and importer: real symbols pass, paths and spaces do not."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from theo.cli.main import app
from theo.core.errors import SymbolError
from theo.data.config import SyntheticInstrument
from theo.model.symbols import MAX_SYMBOL_LENGTH, check_symbol, is_symbol, parse_symbol
from theo.node.data import parse_data_arg
from theo.strategy.library.donchian_config import DonchianBreakoutConfig

BAD = ["../../etc", "SP Y", "A" * 100, "", " ", "SP\nY", "A..B", ".SPY", "SPY-", "A//B", "SPY;DROP", "ÄPFEL"]


@pytest.mark.parametrize("symbol", ["SPY", "BRK.B", "BF-B", "MESZ26", "EUR/USD", "VIX", "A" * MAX_SYMBOL_LENGTH])
def test_real_symbols_are_accepted(symbol: str) -> None:
    assert is_symbol(symbol)
    assert check_symbol(symbol) == symbol


@pytest.mark.parametrize("symbol", BAD)
def test_paths_spaces_and_overlong_values_are_refused_naming_the_value(symbol: str) -> None:
    with pytest.raises(SymbolError) as info:
        parse_symbol(symbol, what="--symbol")
    assert str(info.value).startswith("--symbol ")
    assert "at most 21 characters" in str(info.value)


def test_lower_case_typed_by_a_user_is_upper_cased_but_config_asks_for_upper_case() -> None:
    assert parse_symbol(" brk.b ") == "BRK.B"
    with pytest.raises(SymbolError, match="'spy' must be written 'SPY'"):
        check_symbol("spy")


def test_the_column_length_leaves_room_for_every_accepted_symbol() -> None:
    from theo.persistence.models.marketdata import Base

    lengths = [c.type.length for t in Base.metadata.tables.values() for c in t.columns
               if c.name in ("symbol", "underlying") and getattr(c.type, "length", None)]
    assert lengths
    assert min(lengths) >= MAX_SYMBOL_LENGTH
    assert len(check_symbol("A" * MAX_SYMBOL_LENGTH)) == MAX_SYMBOL_LENGTH


def test_config_refuses_a_bad_strategy_symbol_and_a_bad_synthetic_instrument() -> None:
    with pytest.raises(ValidationError, match=r"symbol '\.\./\.\./etc' is not a symbol"):
        DonchianBreakoutConfig(name="d", symbols=["../../etc"])
    with pytest.raises(ValidationError, match="'SP Y' is not a symbol"):
        SyntheticInstrument(symbol="SP Y", start_price=10)


def test_replay_argument_symbol_is_checked() -> None:
    assert parse_data_arg("spy=x.csv").symbol == "SPY"
    with pytest.raises(SymbolError, match=r"in 'SP Y=x\.csv', symbol 'SP Y' is not a symbol"):
        parse_data_arg("SP Y=x.csv")


@pytest.mark.parametrize("args", [
    ["data", "import", "{file}", "--symbol", "../../etc"],
    ["data", "bars", "--symbol", "SP Y", "--timeframe", "1m", "--from", "2020-01-02", "--to", "2020-01-03"],
    ["archive", "restore", "--from", "2020-01-02", "--to", "2020-01-03", "--symbol", "A" * 100],
])
def test_commands_refuse_a_bad_symbol_with_exit_2_and_no_traceback(tmp_path: Path, args: list[str]) -> None:
    cfg = tmp_path / "theo.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "t.db"}"\n')
    file = tmp_path / "SPY_ticks.csv"
    file.write_text("ts,price,size\n2020-01-02T10:00:00-05:00,100,1\n")
    res = CliRunner().invoke(app, [a.replace("{file}", str(file)) for a in args] + ["-c", str(cfg)])
    assert res.exit_code == 2, res.output
    assert "is not a symbol" in res.output or "has 100 characters" in res.output
    assert "Traceback" not in res.output
