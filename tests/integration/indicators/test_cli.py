"""`theo indicators` and `theo corr` on the real files and on bars in the store."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.conftest import shared_file
from theo.cli.main import app
from theo.core.time import from_us
from theo.indicators.source import bars_from_file
from theo.persistence.db import make_engine, transaction, upgrade
from theo.persistence.models import BarRow
from theo.persistence.models.indicators import IndicatorValueRow

SPY15 = "eqker/SPY_15min_2019-01-04_2019-02-15.csv.gz"
QQQ15 = "eqker/QQQ_15min_2019-01-04_2019-02-15.csv.gz"
VIX15 = "eqker/VIX_15min_2019-01-04_2019-02-15.csv.gz"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    import os

    for name in list(os.environ):
        if name.startswith("THEO_"):
            monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'theo.db'}"
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), env={"THEO__DATABASE__URL": url}, catch_exceptions=False)

    invoke.url = url  # type: ignore[attr-defined]
    return invoke


def _store_bars(url: str, rel: str, symbol: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    b = bars_from_file(shared_file(rel), symbol).bars
    with transaction(engine) as s:
        for i in range(len(b)):
            start = from_us(int(b.start_us[i]))
            s.add(BarRow(symbol=symbol, timeframe="15m", start=start, end=start, open=float(b.open[i]),
                         high=float(b.high[i]), low=float(b.low[i]), close=float(b.close[i]),
                         volume=float(b.volume[i]), session="REGULAR"))
    engine.dispose()


def test_indicators_export_one_row_per_bar_and_one_column_per_output(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "values.csv"
    r = run("indicators", "--file", str(shared_file(SPY15)), "--indicators",
            "atr:14,donchian:20,fractal:2,swing:3:3,pivot:classic", "--out", str(out))
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert len(df) == 780
    for col in ("atr_14", "donchian_20_upper", "donchian_20_middle", "donchian_20_lower", "fractal_2_2_high",
                "fractal_2_2_low", "fractal_2_2_high_ts", "swing_3_3_high", "swing_3_3_low", "pivot_classic_pp",
                "pivot_classic_r3", "pivot_classic_s3"):
        assert col in df.columns
    assert df["atr_14"].isna().sum() == 14
    assert df["donchian_20_upper"].isna().sum() == 19
    assert df["pivot_classic_pp"].isna().sum() == 26  # empty through the first session
    assert df["ts"][0] == "2019-01-04T14:30:00+00:00"
    # 2019-01-07 bars carry the pivots of 2019-01-04 (H 253.11, L 247.1701, C 252.45)
    assert df["pivot_classic_pp"][26] == pytest.approx((253.11 + 247.1701 + 252.45) / 3, abs=1e-9)
    assert df["fractal_2_2_low"][5] == 248.04
    assert df["fractal_2_2_low_ts"][5] == "2019-01-04T15:15:00+00:00"


def test_indicators_read_stored_bars_and_save_values(run) -> None:  # type: ignore[no-untyped-def]
    _store_bars(run.url, SPY15, "SPY")
    r = run("indicators", "--symbol", "SPY", "--timeframe", "15m", "-i", "atr:14,donchian:5", "--save", "--tail", "2")
    assert r.exit_code == 0, r.output
    assert "atr_14" in r.output
    assert "stored 3120 values" in r.output
    engine = make_engine(run.url)
    with transaction(engine) as s:
        n = s.scalar(select(func.count()).select_from(IndicatorValueRow).where(IndicatorValueRow.name == "atr_14"))
    assert n == 780


def test_since_keeps_the_warm_up_and_never_overwrites_values_with_blanks(run) -> None:  # type: ignore[no-untyped-def]
    _store_bars(run.url, SPY15, "SPY")
    assert run("indicators", "-s", "SPY", "-t", "15m", "-i", "atr:14", "--save").exit_code == 0
    engine = make_engine(run.url)

    def stored() -> dict[object, float | None]:
        with transaction(engine) as s:
            return dict(s.execute(select(IndicatorValueRow.ts, IndicatorValueRow.value)
                                  .where(IndicatorValueRow.name == "atr_14")).all())

    before = stored()
    r = run("indicators", "-s", "SPY", "-t", "15m", "-i", "atr:14", "--since", "2019-02-01", "--save", "--tail", "1")
    assert r.exit_code == 0, r.output
    assert "stored 286 values" in r.output  # 11 sessions × 26 bars from Friday 2019-02-01 on
    assert stored() == before  # the same values: ATR was warmed up on the bars before --since
    r = run("indicators", "-s", "SPY", "-t", "15m", "-i", "atr:14", "--since", "2024-01-01")
    assert r.exit_code == 2
    assert "no bars of SPY 15m from --since 2024-01-01T00:00:00+00:00 on" in r.output


def test_indicators_explain_user_mistakes(run) -> None:  # type: ignore[no-untyped-def]
    r = run("indicators")
    assert r.exit_code == 2
    assert "give --file" in r.output
    r = run("indicators", "--symbol", "SPY", "--timeframe", "15m")
    assert r.exit_code == 2
    assert "no 15m bars of SPY in the store" in r.output
    r = run("indicators", "--file", str(shared_file(SPY15)), "-i", "atr:14,swing:a")
    assert r.exit_code == 2
    assert "indicator 'swing:a'" in r.output


def test_corr_matrix_from_files_in_every_format(run) -> None:  # type: ignore[no-untyped-def]
    files = ["--file", f"SPY={shared_file(SPY15)}", "--file", f"QQQ={shared_file(QQQ15)}",
             "--file", f"VIX={shared_file(VIX15)}"]
    r = run("corr", "matrix", *files, "--method", "kendall", "--window", "100", "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["symbols"] == ["SPY", "QQQ", "VIX"]
    assert data["method"] == "kendall"
    v = np.array(data["values"], dtype=float)
    assert v[0, 1] > 0.5
    assert v[0, 2] < 0
    assert data["n_points"][0][1] == 100
    r = run("corr", "matrix", *files, "--window", "779", "--format", "csv")
    spy_qqq = float(r.output.splitlines()[1].split(",")[2])
    assert spy_qqq == pytest.approx(0.928, abs=5e-4)  # the data README's 15-minute reference
    r = run("corr", "matrix", *files, "--symbols", "SPY,QQQ", "--format", "table")
    assert r.exit_code == 0
    assert "│ SPY │ 1.0000 │ 0.8882 │" in r.output
    assert "VIX" not in r.output
    r = run("corr", "matrix", *files, "--format", "xml")
    assert r.exit_code == 2
    assert "--format 'xml' is unknown" in r.output


def test_corr_rolling_from_the_store_and_too_few_points(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _store_bars(run.url, SPY15, "SPY")
    _store_bars(run.url, QQQ15, "QQQ")
    out = tmp_path / "roll.csv"
    r = run("corr", "rolling", "--symbols", "SPY,QQQ", "--timeframe", "15m", "--method", "spearman",
            "--window", "50", "--out", str(out))
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert len(df) == 779
    assert df.iloc[:, 1].isna().sum() == 29
    r = run("corr", "rolling", "--symbols", "SPY,QQQ", "--timeframe", "15m", "--tail", "3")
    assert r.exit_code == 0
    assert "2019-02-15 15:45:00" in r.output  # 20:45 UTC, shown in exchange time (ET)
    assert "time (ET)" in r.output
    r = run("corr", "matrix", "--symbols", "SPY,QQQ", "--timeframe", "15m", "--window", "2000",
            "--min-points", "1000")
    assert r.exit_code == 0
    assert "not enough data" in r.output
    r = run("corr", "rolling", "--symbols", "SPY", "--timeframe", "15m")
    assert r.exit_code == 2
    assert "exactly two symbols" in r.output
    full = run("corr", "rolling", "--symbols", "SPY,QQQ", "--timeframe", "15m", "--format", "csv")
    assert full.exit_code == 0, full.output
    rows = full.output.splitlines()
    assert rows[0] == "ts,pearson_SPY_QQQ"
    assert len(rows) == 780  # csv without --tail: the whole series
    last3 = run("corr", "rolling", "--symbols", "SPY,QQQ", "--timeframe", "15m", "--format", "csv", "--tail", "3")
    assert last3.output.splitlines() == [rows[0], *rows[-3:]]
    js = run("corr", "rolling", "--symbols", "SPY,QQQ", "--timeframe", "15m", "--format", "json", "--tail", "2")
    got = json.loads(js.output)
    assert [g["ts"] for g in got] == [line.split(",")[0] for line in rows[-2:]]
    assert got[-1]["value"] == pytest.approx(float(rows[-1].split(",")[1]), abs=1e-15)
    r = run("corr", "rolling", "--symbols", "SPY,QQQ", "--timeframe", "15m", "--tail", "0")
    assert r.exit_code == 2
    assert "--tail 0" in r.output


def test_corr_matrix_of_imported_bars_equals_scipy_in_every_format(run) -> None:  # type: ignore[no-untyped-def]
    from scipy.stats import kendalltau

    symbols = ["SPY", "QQQ", "VIX"]
    files = {"SPY": SPY15, "QQQ": QQQ15, "VIX": VIX15}
    for s in symbols:  # the user's path: `theo data import`, then `theo corr matrix` on the store
        r = run("data", "import", str(shared_file(files[s])), "--symbol", s)
        assert r.exit_code == 0, r.output
    closes = pd.concat({s: pd.read_csv(shared_file(files[s]), index_col="ts")["close"] for s in symbols},
                       axis=1, join="inner")
    rets = np.log(closes.to_numpy(float))
    rets = np.diff(rets, axis=0)[-100:]
    expected = np.array([[kendalltau(rets[:, i], rets[:, j]).statistic for j in range(3)] for i in range(3)])
    base = ("corr", "matrix", "--symbols", "SPY,QQQ,VIX", "--timeframe", "15m", "--method", "kendall",
            "--window", "100")
    js = run(*base, "--format", "json")
    assert js.exit_code == 0, js.output
    data = json.loads(js.output)
    assert data["status"] == [["ok"] * 3] * 3
    np.testing.assert_allclose(np.array(data["values"], dtype=float), expected, atol=1e-9)
    csv = run(*base, "--format", "csv")
    assert csv.exit_code == 0, csv.output
    frame = pd.read_csv(io.StringIO(csv.output), index_col="symbol")
    assert list(frame.index) == symbols
    np.testing.assert_allclose(frame.to_numpy(float), expected, atol=1e-9)
    table = run(*base)  # --format table is the default
    assert table.exit_code == 0, table.output
    assert f"│ SPY │  1.0000 │  {expected[0, 1]:.4f} │ {expected[0, 2]:.4f} │" in table.output
