"""`theo futures contracts` and `theo futures continuous` as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from tests.conftest import shared_file
from theo.cli.main import app

runner = CliRunner()


def _out(result: object) -> str:
    """Output with Rich's line wrapping undone."""
    return " ".join(str(getattr(result, "output", "")).split())


def test_contracts_lists_expiries_and_rolls() -> None:
    result = runner.invoke(app, ["futures", "contracts", "--root", "MES", "--year", "2026"])
    assert result.exit_code == 0, result.output
    out = _out(result)
    assert "MESZ6" in out
    assert "Fri 2026-12-18" in out
    assert "Thu 2026-12-10" in out
    assert "MESM6" in out
    assert "Thu 2026-06-18" in out


def test_unknown_root_is_a_clear_error() -> None:
    result = runner.invoke(app, ["futures", "contracts", "--root", "NQ"])
    assert result.exit_code == 2
    assert "unknown futures root 'NQ'" in _out(result)


def test_continuous_writes_series_and_stores_rolls(tmp_path: Path) -> None:
    z = shared_file("lean/ES_ESZ13_1min_2013-10-06_2013-10-11.csv.gz")
    h = shared_file("lean/ES_ESH14_1min_2013-10-06_2013-10-11.csv.gz")
    out = tmp_path / "es.csv"
    cfg = tmp_path / "theo.toml"
    cfg.write_text(f'[app]\ndata_dir = "{tmp_path}"\n')
    result = runner.invoke(app, ["futures", "continuous", "--files", str(z), str(h), "--method", "difference",
                                 "--roll", "calendar", "--roll-date", "2013-10-09", "--out", str(out), "--store",
                                 "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert "ESZ13 → ESH14" in _out(result)
    assert "difference -7" in _out(result)
    df = pd.read_csv(out)
    assert list(df.columns) == ["ts", "open", "high", "low", "close", "volume", "contract", "adjustment"]
    assert df["contract"].iloc[0] == "ESZ13"
    assert df["contract"].iloc[-1] == "ESH14"
    assert set(df.loc[df.contract == "ESZ13", "adjustment"]) == {-7.0}
    assert "1 new or changed" in _out(result)
    again = runner.invoke(app, ["futures", "continuous", "--files", str(z), str(h), "--roll-date", "2013-10-09",
                                "--store", "--config", str(cfg)])
    assert "0 new or changed" in _out(again)


def test_volume_roll_reports_no_roll() -> None:
    z = shared_file("lean/ES_ESZ13_1min_2013-10-06_2013-10-11.csv.gz")
    h = shared_file("lean/ES_ESH14_1min_2013-10-06_2013-10-11.csv.gz")
    result = runner.invoke(app, ["futures", "continuous", "--files", str(z), str(h), "--roll", "volume",
                                 "--method", "ratio"])
    assert result.exit_code == 0, result.output
    assert "no roll inside the data: ESZ13" in _out(result)


def test_file_without_contract_in_name_needs_symbols(tmp_path: Path) -> None:
    f = tmp_path / "bars.csv"
    f.write_text("ts,open,high,low,close,volume\n2013-10-07T09:30:00-04:00,1,1,1,1,1\n")
    result = runner.invoke(app, ["futures", "continuous", "--files", str(f)])
    assert result.exit_code == 2
    assert "pass --symbols" in _out(result)
