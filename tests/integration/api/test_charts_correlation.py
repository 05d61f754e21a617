"""Charts and correlations from real 1-minute bars in the store (skipped when ../shared/data is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from tests.conftest import shared_file
from tests.integration.api.records import VIEWER, context
from theo.api.services import charts, correlation
from theo.api.services.context import ServiceContext
from theo.api.services.errors import Invalid
from theo.data.bars.batch import resample_bars
from theo.data.files import read_market_file
from theo.persistence.db import make_engine, upgrade
from theo.persistence.repositories.bars import BarRepository

SYMBOLS = ("SPY", "QQQ", "VIX")


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[ServiceContext, Path]:
    tmp = tmp_path_factory.mktemp("charts")
    data = tmp / "var"
    data.mkdir()
    engine = make_engine(f"sqlite:///{data / 'theo.db'}")
    upgrade(engine)
    for sym in SYMBOLS:
        path = shared_file(f"eqker/{sym}_1min_2019-02-11_2019-02-15.csv.gz")
        bars = read_market_file(path, sym).bars
        assert bars is not None
        BarRepository(engine).write_bars(bars, "eqker")
    config = tmp / "theo.toml"
    config.write_text(f'[app]\ndata_dir = "{data}"\n')
    return context(engine, data, config), config


def test_a_15_minute_chart_is_the_batch_rollup_of_the_stored_minutes(stored: tuple[ServiceContext, Path]) -> None:
    ctx, _ = stored
    chart = charts.chart(ctx, VIEWER, symbol="SPY", timeframe="15m", start="2019-02-12", end="2019-02-12")
    minutes = BarRepository(ctx.store).stored_bars("SPY", "1m")
    expected = resample_bars(minutes, "15m", charts.calendar(ctx))
    day = (expected.start_us >= 1549947600 * 10**6) & (expected.start_us < 1550034000 * 10**6)  # 12 Feb, ET
    assert [b.t for b in chart.bars] == (expected.start_us[day] // 10**6).tolist()
    got = np.array([[b.open, b.high, b.low, b.close, b.volume] for b in chart.bars])
    want = np.c_[expected.open, expected.high, expected.low, expected.close, expected.volume][day]
    assert np.array_equal(got, want)
    first = [b for b in minutes if 1549981800 <= b.start.timestamp() < 1549981800 + 900]  # 09:30-09:45 ET
    assert len(first) == 15
    assert chart.bars[0].t == 1549981800
    assert chart.bars[0].open == first[0].open
    assert chart.bars[0].close == first[-1].close
    assert chart.bars[0].high == max(b.high for b in first)
    assert chart.bars[0].low == min(b.low for b in first)
    highs = got[:, 1]
    for c in chart.overlays.donchian:
        i = [b.t for b in chart.bars].index(c.t)
        assert c.upper == highs[i - 19:i + 1].max()
    assert len(chart.overlays.donchian) == len(chart.bars) - 19
    for p in chart.overlays.swing_highs:
        i = [b.t for b in chart.bars].index(p.t)
        assert p.price == highs[i]
        assert highs[i] > highs[i - 2:i].max()
        assert highs[i] >= highs[i + 1:i + 3].max()
    assert chart.overlays.swing_highs
    assert chart.overlays.swing_lows
    assert chart.markers == []


def test_chart_limits_timeframes_and_symbols(stored: tuple[ServiceContext, Path]) -> None:
    ctx, _ = stored
    last = charts.chart(ctx, VIEWER, symbol="qqq", timeframe="60m", limit=10)
    assert len(last.bars) == 10
    assert last.symbol == "QQQ"
    assert last.bars[-1].t == 1550262600  # Fri 15 Feb 2019 15:30 ET: hours run from 09:30, the last is short
    one = charts.chart(ctx, VIEWER, symbol="SPY", timeframe="1m", limit=3)
    assert [b.t for b in one.bars][-1] - next(b.t for b in one.bars) == 120
    with pytest.raises(Invalid) as bad:
        charts.chart(ctx, VIEWER, symbol="SPY", timeframe="2h")
    assert bad.value.field == "timeframe"
    assert "'2h'" in str(bad.value)
    assert charts.chart(ctx, VIEWER, symbol="XYZ").bars == []
    listed = charts.symbols(ctx, VIEWER).items
    assert [s.symbol for s in listed] == sorted(SYMBOLS)
    assert listed[0].timeframes == ["1m", "5m", "15m", "30m", "60m"]
    assert listed[0].first.isoformat().startswith("2019-02-11")


def _corr_cli(config: Path, *args: str) -> str:
    from theo.cli import corr_cmd

    app = typer.Typer()
    corr_cmd.register(app)
    res = CliRunner().invoke(app, ["corr", *args, "-c", str(config)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return res.output


@pytest.mark.slow
def test_the_heatmap_has_ones_on_its_diagonal_and_the_values_of_theo_corr(
        stored: tuple[ServiceContext, Path]) -> None:
    ctx, config = stored
    m = correlation.matrix(ctx, VIEWER, symbols="SPY,QQQ,VIX", method="spearman", window=200, timeframe="1m")
    assert m.symbols == list(SYMBOLS)
    assert [m.values[i][i] for i in range(3)] == [1.0, 1.0, 1.0]
    assert m.points[0][1] == 200
    assert m.as_of is not None
    cli = json.loads(_corr_cli(config, "matrix", "--symbols", "SPY,QQQ,VIX", "--timeframe", "1m", "--method",
                               "spearman", "--window", "200", "--format", "json"))
    assert m.values == cli["values"]
    assert m.points == cli["n_points"]
    assert m.values[0][1] is not None
    assert m.values[0][1] > 0.5
    assert m.values[0][2] is not None
    assert m.values[0][2] < 0
    r = correlation.rolling(ctx, VIEWER, a="SPY", b="VIX", window=50, timeframe="1m", limit=5)
    rows = json.loads(_corr_cli(config, "rolling", "--symbols", "SPY,VIX", "--timeframe", "1m", "--window", "50",
                                "--format", "json", "--tail", "5"))
    assert [p.value for p in r.points] == [row["value"] for row in rows]
    hourly = correlation.matrix(ctx, VIEWER, symbols="SPY,QQQ", window=20, timeframe="60m")
    assert hourly.points[0][1] == 20
    assert hourly.values[0][0] == 1.0
    with pytest.raises(Invalid) as bad:
        correlation.matrix(ctx, VIEWER, symbols="SPY", window=20)
    assert bad.value.field == "symbols"
    with pytest.raises(Invalid) as bad:
        correlation.matrix(ctx, VIEWER, symbols="SPY,QQQ", method="cosine")
    assert bad.value.field == "method"
