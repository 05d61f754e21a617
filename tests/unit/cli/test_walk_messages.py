"""Messages a new user meets on the first commands: they name the problem and what to do."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from theo.cli.main import app


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for name in list(os.environ):
        if name.startswith("THEO_"):
            monkeypatch.delenv(name)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), env={"THEO__APP__DATA_DIR": str(tmp_path)}, catch_exceptions=False)

    return invoke


def test_status_of_an_unknown_run_names_the_run(run) -> None:  # type: ignore[no-untyped-def]
    r = run("status", "--run", "99")
    assert r.exit_code == 1
    assert "no engine run 99 in the database; omit --run to see the latest" in r.output


def test_status_without_runs_says_how_to_start_one(run) -> None:  # type: ignore[no-untyped-def]
    r = run("status")
    assert r.exit_code == 1
    assert "no engine run recorded yet; start one with `theo run`" in r.output


EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "theo.example.toml"


def test_replay_of_a_missing_file_is_refused_before_a_run_is_recorded(run) -> None:  # type: ignore[no-untyped-def]
    r = run("run", "-c", str(EXAMPLE), "--replay", "SPY=nofile.csv", "--unlimited")
    assert r.exit_code == 2
    assert "--replay nofile.csv: no such file; check the path" in r.output
    assert "no engine run recorded yet" in run("status", "-c", str(EXAMPLE)).output


def test_replay_file_without_a_symbol_in_its_name_asks_for_symbol_eq_path(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bars = tmp_path / "bars.csv"
    bars.write_text("ts,open,high,low,close,volume\n2019-02-11T09:30:00-05:00,1,1,1,1,1\n")
    r = run("run", "-c", str(EXAMPLE), "--replay", str(bars), "--unlimited")
    assert r.exit_code == 2
    assert "cannot tell the symbol from the file name; pass it as SYMBOL=PATH" in r.output
    assert "no engine run recorded yet" in run("status", "-c", str(EXAMPLE)).output


def test_sweep_table_shows_every_metric_whole_on_an_84_column_terminal(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import shared_file

    aapl = shared_file("react-stockcharts/AAPL_1min_2016-04-15_2016-05-13.csv.gz")
    msft = shared_file("react-stockcharts/MSFT_1min_2016-04-15_2016-05-13.csv.gz")
    cfg = Path(__file__).resolve().parents[3] / "config" / "backtest-aapl-msft.toml"
    runner = CliRunner()
    r = runner.invoke(app, ["backtest", "sweep", "-c", str(cfg), "-s", "zscore", "-g", "lookback=20,40",
                            "--data", str(aapl), "--data", str(msft), "--out", str(tmp_path / "sweep")],
                      env={"THEO__APP__DATA_DIR": str(tmp_path), "COLUMNS": "84"}, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    table = r.output.split("best ")[0]
    assert "return" in table  # "total return" wraps instead of being truncated
    assert "factor" in table
    assert "…" not in table


def test_corr_of_files_with_different_timeframes_does_not_suggest_timeframe(run) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import shared_file

    spy = shared_file("eqker/SPY_15min_2019-01-04_2019-02-15.csv.gz")
    vix = shared_file("eqker/VIX_1d_2018-01-02_2019-02-15.csv.gz")
    r = run("corr", "matrix", "-f", f"SPY={spy}", "-f", f"VIX={vix}")
    assert r.exit_code == 2
    assert ("the series have different timeframes (15m, 1d); give bars of one timeframe (--timeframe names a "
            "file's bar size, it does not resample)") in " ".join(r.output.split())


def test_import_of_a_file_without_a_header_says_what_the_first_line_must_be(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    notes = tmp_path / "notes.csv"
    notes.write_text("# my notes about SPY\n2019-01-02,250.1\n")
    r = run("data", "import", str(notes), "--symbol", "SPY")
    assert r.exit_code == 2
    assert ("notes.csv: no 'ts' column in header '# my notes about SPY'; the first line must name the columns, "
            "e.g. ts,price,size (ticks) or ts,open,high,low,close (bars)") in " ".join(r.output.split())
