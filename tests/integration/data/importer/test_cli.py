"""`theo data import`: exit codes, messages and the summary."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.unit.data.test_files import write_corrupt
from theo.cli.main import app

runner = CliRunner()


def _config(tmp_path: Path) -> Path:
    cfg = tmp_path / "theo.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "t.db"}"\n')
    return cfg


def test_import_prints_imported_and_rejected_per_reason(tmp_path: Path) -> None:
    res = runner.invoke(app, ["data", "import", str(write_corrupt(tmp_path)), "--symbol", "SPY",
                              "-c", str(_config(tmp_path))])
    assert res.exit_code == 0, res.output
    assert "corrupt_ticks.csv" in res.output
    for reason in ("unparsable_number", "unparsable_timestamp", "nan_or_inf", "non_positive_price",
                   "negative_size", "out_of_order", "missing_field", "provider_suspicious"):
        assert reason in res.output


def test_missing_file_exits_2_with_the_path(tmp_path: Path) -> None:
    res = runner.invoke(app, ["data", "import", str(tmp_path / "nope.csv"), "--symbol", "SPY",
                              "-c", str(_config(tmp_path))])
    assert res.exit_code == 2
    assert "nope.csv: no such file" in res.output
    assert "Traceback" not in res.output


def test_naive_timestamps_without_tz_exit_2_naming_file_and_value(tmp_path: Path) -> None:
    path = tmp_path / "naive_1min.csv"
    path.write_text("ts,open,high,low,close\n2020-01-02 09:30:00,1,2,0.5,1.5\n")
    args = ["data", "import", str(path), "--symbol", "X", "-c", str(_config(tmp_path))]
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert "naive_1min.csv" in res.output
    assert "'2020-01-02 09:30:00'" in res.output
    assert "--tz" in res.output
    ok = runner.invoke(app, [*args, "--tz", "America/New_York"])
    assert ok.exit_code == 0, ok.output


def test_far_future_tick_is_quarantined_and_later_rows_are_imported(tmp_path: Path) -> None:
    path = tmp_path / "SPY_ticks.csv"
    path.write_text("ts,price,size\n2013-10-07T09:30:00-04:00,167.41,100\n9999-12-31T00:00:00Z,167.41,100\n"
                    "2013-10-07T09:30:01-04:00,167.42,100.5\n2013-10-07T09:30:02-04:00,167.43,100\n")
    res = runner.invoke(app, ["data", "import", str(path), "--symbol", "spy", "-c", str(_config(tmp_path))])
    assert res.exit_code == 0, res.output
    assert "timestamp_out_of_range" in res.output
    assert "fractional_size" in res.output
    assert "out_of_order" not in res.output
    assert "│ SPY_ticks.csv │ ticks │    4 │        2 │" in res.output
    cfg = _config(tmp_path)
    cfg.write_text(cfg.read_text() + "[marketdata.validation]\nfractional_sizes = true\n")
    again = runner.invoke(app, ["data", "import", str(path), "--symbol", "SPY", "-c", str(cfg)])
    assert again.exit_code == 0, again.output
    assert "fractional_size" not in again.output
    assert "│ SPY_ticks.csv │ ticks │    4 │        1 │" in again.output
