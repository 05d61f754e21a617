"""Splits in real data (QQQ 2000, IWM 2005, VXX's reverse splits) and a synthetic intraday split: with the
actions in the store, adjusted indicators are continuous, the quality gate passes the split day, and the raw
series is still there and different."""

from __future__ import annotations

import gzip
import json
import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from tests.conftest import shared_file
from tests.integration.indicators.test_cli import run  # noqa: F401  (the fixture: the CLI on a temporary store)
from theo.core.calendar import ET
from theo.data.config import BarLimits
from theo.indicators import batch as vec
from theo.indicators.source import LoadedBars, bars_from_file, bars_from_store
from theo.model.enums import Adjustment, CorporateActionKind
from theo.model.market import Bar
from theo.model.reference import CorporateAction
from theo.persistence.repositories.bars import BarRepository
from theo.persistence.repositories.corporate_actions import CorporateActionRepository
from theo.strategy.library.correlation_config import QualitySettings
from theo.strategy.quality import QualityGate

QQQ = "lean/QQQ_1d_1999-03-10_2021-03-31.csv.gz"
IWM = "lean/IWM_1d_2000-05-26_2021-03-31.csv.gz"
VXX = "lean/VXX_seriesA_1h_2009-01-30_2019-01-29.csv.gz"
VXX_EX_DATES = [date(2010, 11, 9), date(2012, 10, 5), date(2013, 11, 8), date(2016, 8, 9), date(2017, 8, 23)]
ACTIONS_CSV = ("symbol,kind,ex_date,ratio,note\n"
               "QQQ,split,2000-03-20,2:1,\nIWM,split,2005-06-09,2-for-1,\n"
               + "".join(f"VXX,reverse_split,{d},1:4,\n" for d in VXX_EX_DATES))


def _raw_copy(rel: str, tmp_path: Path) -> Path:
    """The shared file without its split_factor column: raw prices only, as a store or a feed holds them."""
    frame = pd.read_csv(shared_file(rel))
    out = tmp_path / Path(rel).name
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        frame.drop(columns=["split_factor"]).to_csv(fh, index=False)
    return out


def _imported(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    csv = tmp_path / "actions.csv"
    csv.write_text(ACTIONS_CSV, encoding="utf-8")
    r = invoke("data", "actions", "import", str(csv))
    assert r.exit_code == 0, r.output
    assert "7 actions of 3 symbol(s) (IWM, QQQ, VXX); 7 new or changed" in " ".join(r.output.split())


def _day_index(loaded: LoadedBars, day: date) -> int:
    days = pd.to_datetime(loaded.bars.start_us, unit="us", utc=True).tz_convert(ET).date
    return int(np.argmax(days == day))


def _atr(bars: LoadedBars) -> np.ndarray:
    b = bars.bars
    return vec.atr(b.high, b.low, b.close, 14)


@pytest.mark.parametrize(("rel", "symbol", "ex"), [(QQQ, "QQQ", date(2000, 3, 20)), (IWM, "IWM", date(2005, 6, 9))])
def test_daily_two_for_one_splits_adjusted_from_the_table_equal_the_vendors_and_atr_does_not_jump(
        run, tmp_path: Path, rel: str, symbol: str, ex: date) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _imported(run, tmp_path)
    actions = CorporateActionRepository(_engine(tmp_path)).actions(symbol)
    raw_file = _raw_copy(rel, tmp_path)
    adjusted = bars_from_file(raw_file, symbol, adjust=Adjustment.SPLITS, actions=actions)
    raw = bars_from_file(raw_file, symbol, adjust=Adjustment.NONE, actions=actions)
    vendor = pd.read_csv(shared_file(rel))
    # the table's split gives exactly the vendor's split-adjusted series (price × split_factor)
    np.testing.assert_allclose(adjusted.bars.close, vendor.close * vendor.split_factor, rtol=1e-12)
    np.testing.assert_allclose(adjusted.bars.volume, vendor.volume / vendor.split_factor, rtol=1e-12)
    np.testing.assert_allclose(raw.bars.close, vendor.close, rtol=1e-12)  # unadjusted is still there
    i = _day_index(adjusted, ex)
    assert abs(math.log(adjusted.bars.close[i] / adjusted.bars.close[i - 1])) < 0.1
    assert math.log(raw.bars.close[i - 1] / raw.bars.close[i]) > 0.6  # the raw series halves
    atr_adj, atr_raw = _atr(adjusted), _atr(raw)
    assert 0.7 < atr_adj[i] / atr_adj[i - 1] < 1.3
    assert atr_raw[i] / atr_raw[i - 1] > 1.5  # the raw true range of the split day is the whole gap
    assert f"{symbol}: adjusted for splits: split {ex}" in adjusted.adjustment


def test_vxx_reverse_splits_in_the_hourly_series(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _imported(run, tmp_path)
    actions = CorporateActionRepository(_engine(tmp_path)).actions("VXX")
    assert [(a.kind, a.ratio) for a in actions] == [(CorporateActionKind.REVERSE_SPLIT, Decimal("0.25"))] * 5
    raw_file = _raw_copy(VXX, tmp_path)
    adjusted = bars_from_file(raw_file, "VXX", adjust=Adjustment.SPLITS, actions=actions)
    raw = bars_from_file(raw_file, "VXX", adjust=Adjustment.NONE, actions=actions)
    a, r = adjusted.bars, raw.bars
    upper_adj = vec.donchian(a.high, a.low, 20).upper
    upper_raw = vec.donchian(r.high, r.low, 20).upper
    for ex in VXX_EX_DATES:
        i = _day_index(adjusted, ex)
        assert abs(math.log(a.close[i] / a.close[i - 1])) < 0.1, ex  # ≈ ln 4 in the raw series
        assert math.log(r.close[i] / r.close[i - 1]) > 1.2, ex
        assert 0.8 < upper_adj[i] / upper_adj[i - 1] < 1.25, ex  # the channel does not jump 4x
        assert upper_raw[i] / upper_raw[i - 1] > 2.5, ex
    # the last segment is as traded; the first is on today's basis: 4^5 times the raw price
    assert a.close[-1] == r.close[-1]
    assert a.close[0] == pytest.approx(r.close[0] * 1024)
    # the vendor's own factors (Lean's, rounded) agree with the table's to within its rounding
    vendor = pd.read_csv(shared_file(VXX))
    ratio = a.close / (vendor.close * vendor.split_factor).to_numpy()
    assert np.all(np.abs(ratio - 1) < 0.03)


def _engine(tmp_path: Path) -> Engine:
    from theo.persistence.db import make_engine

    return make_engine(f"sqlite:///{tmp_path / 'theo.db'}")


def _synthetic_split_bars(symbol: str, ratio: int) -> list[Bar]:
    """Three sessions of 1-minute bars (random walk) with a ``ratio``-for-1 split before the third, at
    AAPL's 2014 prices (645 -> 92)."""
    rng = np.random.default_rng(7)
    bars: list[Bar] = []
    price = 645.0
    for k, day in enumerate((date(2014, 6, 5), date(2014, 6, 6), date(2014, 6, 9))):
        if k == 2:
            price /= ratio
        t0 = datetime(day.year, day.month, day.day, 9, 30, tzinfo=ET)
        for m in range(390):
            step = price * 0.0005 * rng.standard_normal()
            o, c = price, price + step
            hi, lo = max(o, c) + price * 0.0003, min(o, c) - price * 0.0003
            start = (t0 + timedelta(minutes=m)).astimezone(UTC)
            bars.append(Bar(symbol, "1m", start, start + timedelta(minutes=1), round(o, 4), round(hi, 4),
                            round(lo, 4), round(c, 4), 1000.0, source="test"))
            price = c
    return bars


def _gate_on_split_day(loaded: LoadedBars, raw_splits: dict[str, list[tuple[date, float]]] | None) -> str:
    gate = QualityGate(("AAPL",), QualitySettings(), timedelta(minutes=1), raw_splits)
    b = loaded.bars
    first = _day_index(loaded, date(2014, 6, 9))
    for i in range(first + 1):
        start = datetime.fromtimestamp(int(b.start_us[i]) / 1e6, tz=UTC)
        gate.update(Bar("AAPL", "1m", start, start + timedelta(minutes=1), float(b.open[i]), float(b.high[i]),
                        float(b.low[i]), float(b.close[i]), float(b.volume[i])))
    end = datetime.fromtimestamp(int(b.start_us[first]) / 1e6, tz=UTC) + timedelta(minutes=1)
    return gate.check(end, {"AAPL"}).describe()


def test_synthetic_intraday_split_adjusted_indicators_continuous_and_the_gate_passes(sqlite_engine: Engine) -> None:
    BarRepository(sqlite_engine).write_bars(_synthetic_split_bars("AAPL", 7), source="test")
    CorporateActionRepository(sqlite_engine).save_actions(
        [CorporateAction("AAPL", CorporateActionKind.SPLIT, date(2014, 6, 9), ratio=Decimal(7), source="csv")])
    actions = CorporateActionRepository(sqlite_engine).actions("AAPL")
    store = BarRepository(sqlite_engine)
    adjusted = bars_from_store(store, "AAPL", "1m", adjust=Adjustment.SPLITS, actions=actions)
    raw = bars_from_store(store, "AAPL", "1m", adjust=Adjustment.NONE, actions=actions)
    i = _day_index(adjusted, date(2014, 6, 9))
    a = adjusted.bars
    atr = vec.atr(a.high, a.low, a.close, 14)
    assert 0.5 < atr[i] / atr[i - 1] < 2.0
    atr_raw = vec.atr(raw.bars.high, raw.bars.low, raw.bars.close, 14)
    assert atr_raw[i] / atr_raw[i - 1] > 10
    lower = vec.donchian(a.high, a.low, 20).lower
    assert 0.97 < lower[i] / lower[i - 1] < 1.03
    assert raw.bars.close[0] == pytest.approx(a.close[0] * 7)  # unadjusted mode is still available
    assert raw.bars.close[i] == a.close[i]
    # the quality gate: adjusted passes; raw with the table's split passes; raw without it refuses the day
    assert _gate_on_split_day(adjusted, None) == "ok"
    assert _gate_on_split_day(raw, {"AAPL": [(date(2014, 6, 9), 1 / 7)]}) == "ok"
    assert _gate_on_split_day(raw, None).startswith("settlement:AAPL:85.")


def test_a_minute_bar_seven_times_its_low_is_left_out_of_indicators_and_named(sqlite_engine: Engine) -> None:
    bars = _synthetic_split_bars("AAPL", 7)[:60]
    bad = bars[30]
    bars[30] = Bar("AAPL", "1m", bad.start, bad.end, bad.open, bad.low * 7, bad.low, bad.close, bad.volume,
                   source="test")
    BarRepository(sqlite_engine).write_bars(bars, source="test")
    loaded = bars_from_store(BarRepository(sqlite_engine), "AAPL", "1m", limits=BarLimits())
    assert len(loaded.bars) == 59
    assert loaded.prepared is not None
    assert loaded.prepared.check.by_reason == {"impossible_range": 1}
    assert "2014-06-05 10:00:00 EDT: impossible_range: high" in loaded.rejected[0]
    assert float(np.nanmax(vec.atr(loaded.bars.high, loaded.bars.low, loaded.bars.close, 14))) < 5


def test_cli_names_the_mode_and_unadjusted_mode_differs(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _imported(run, tmp_path)
    raw_file = _raw_copy(QQQ, tmp_path)
    out_adj, out_raw = tmp_path / "adj.csv", tmp_path / "raw.csv"
    r = run("indicators", "--file", str(raw_file), "-i", "atr:14", "--out", str(out_adj))
    assert r.exit_code == 0, r.output
    assert "prices: QQQ: adjusted for splits: split 2000-03-20 (2:1, factor 0.5, csv)" in " ".join(r.output.split())
    r = run("indicators", "--file", str(raw_file), "-i", "atr:14", "--out", str(out_raw), "--adjust", "none")
    assert "prices: QQQ: unadjusted (raw prices)" in r.output
    adj, raw = pd.read_csv(out_adj), pd.read_csv(out_raw)
    assert adj.close.iloc[0] == pytest.approx(raw.close.iloc[0] / 2)
    assert adj.close.iloc[-1] == raw.close.iloc[-1]
    r = run("corr", "matrix", "--file", f"QQQ={raw_file}", "--file", f"IWM={_raw_copy(IWM, tmp_path)}",
            "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["adjustment"]["IWM"].startswith("IWM: adjusted for splits: split 2005-06-09")
    r = run("indicators", "--file", str(raw_file), "--adjust", "total")
    assert r.exit_code == 2
    assert "--adjust 'total' is unknown; use one of none, splits, splits+dividends" in r.output
    r = run("data", "actions", "list", "VXX", "--format", "csv")
    assert r.output.splitlines()[1] == "VXX,reverse_split,2010-11-09,0.25,,,,csv,"
