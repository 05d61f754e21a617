"""Golden run on the real SPY/QQQ/VIX/VXXB week (2019-02-11..15, ../shared/data/eqker/).

Every signal's recorded inputs are checked against the strategy's rules and recomputed independently from
the raw files with pandas/NumPy: the 5-minute closes, the swing points (confirmed before the signal: no
look-ahead) and the rolling correlation.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.conftest import shared_file
from theo.config import TheoConfig, load_config
from theo.model.enums import Side
from theo.strategy.scanner.records import SignalRecord
from theo.strategy.scanner.run import ScanResult, run_scan

FILES = {
    "SPY": "eqker/SPY_1min_2019-02-11_2019-02-15.csv.gz",
    "QQQ": "eqker/QQQ_1min_2019-02-11_2019-02-15.csv.gz",
    "VIX": "eqker/VIX_1min_2019-02-11_2019-02-15.csv.gz",
    "VXXB": "eqker/VXXB_1min_2019-02-11_2019-02-15.csv.gz",
}

CONFIG = """
[app]
data_dir = "{data_dir}"

[[strategies]]
type = "correlation"
name = "spy_vol"
primary = "SPY"
timeframe = "5m"
correlated = [{{symbol = "VIX", sign = "negative"}}, {{symbol = "VXXB", sign = "negative"}},
              {{symbol = "QQQ", sign = "positive", confirm = "same"}}]
require = "all"
signal_interval_seconds = 1800
correlation = {{method = "pearson", window = 60, min_points = 30, on = "returns", threshold = 0.5}}
entry_rules = ["abs(corr) >= 0.6"]

[[scanner.scanners]]
name = "spy_week"
strategy = "spy_vol"
type = "positional"
expiry = "weekly"
"""

THRESHOLD, MIN_POINTS, WINDOW = 0.5, 30, 60


@pytest.fixture(scope="module")
def data() -> dict[str, Path]:
    return {s: shared_file(f) for s, f in FILES.items()}


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> TheoConfig:
    folder = tmp_path_factory.mktemp("scan")
    path = folder / "theo.toml"
    path.write_text(CONFIG.format(data_dir=folder), encoding="utf-8")
    return load_config(path, env={})


@pytest.fixture(scope="module")
def result(config: TheoConfig, data: dict[str, Path]) -> ScanResult:
    return run_scan(config, data)


@pytest.fixture(scope="module")
def bars5(data: dict[str, Path]) -> dict[str, pd.DataFrame]:
    out = {}
    for symbol, path in data.items():
        df = pd.read_csv(path)
        df["ts"] = pd.to_datetime(df["ts"], utc=True)
        five = df.set_index("ts").resample("5min", origin="epoch").agg(
            {"open": "first", "high": "max", "low": "min", "close": "last"}).dropna()
        out[symbol] = five
    return out


def test_the_week_fires_a_few_signals_without_duplicates(result: ScanResult) -> None:
    records = result.records
    assert 3 <= len(records) <= 40
    assert {r.side for r in records} == {Side.BUY, Side.SELL}
    keys = [r.key for r in records]
    assert len(keys) == len(set(keys))
    assert result.duplicates == 0
    assert result.rejected == []
    assert all(r.scanner == "spy_week" and r.expires_at is not None for r in records)
    # Positional weekly: everything expires at Friday 2019-02-15 16:00 New York.
    assert {r.expires_at.isoformat() for r in records if r.expires_at} == {"2019-02-15T21:00:00+00:00"}


def _f(r: SignalRecord, key: str) -> float:
    value = r.inputs[key]
    assert isinstance(value, float | int), f"{key} missing from the inputs of {r.key}"
    return float(value)


def test_recorded_inputs_satisfy_the_rules(result: ScanResult) -> None:
    for r in result.records:
        buy = r.side is Side.BUY
        close, sh, sl = _f(r, "SPY.close"), _f(r, "SPY.sh"), _f(r, "SPY.sl")
        assert close > sh if buy else close < sl
        for sym in ("VIX", "VXXB"):  # negative, opposite break
            c_close = _f(r, f"{sym}.close")
            assert c_close < _f(r, f"{sym}.sl") if buy else c_close > _f(r, f"{sym}.sh")
            assert _f(r, f"{sym}.corr") <= -THRESHOLD
            assert _f(r, f"{sym}.n") >= MIN_POINTS
        q_close = _f(r, "QQQ.close")  # positive, same-direction break
        assert q_close > _f(r, "QQQ.sh") if buy else q_close < _f(r, "QQQ.sl")
        assert _f(r, "QQQ.corr") >= THRESHOLD
        assert abs(_f(r, "corr")) >= 0.6
        assert r.inputs["quality"] == "ok"
        assert r.entry_price is not None
        assert float(r.entry_price) == pytest.approx(close)
        assert r.stop_loss is not None
        assert r.take_profit is not None
        assert (r.stop_loss < r.entry_price < r.take_profit) if buy else (r.stop_loss > r.entry_price > r.take_profit)


def test_inputs_match_an_independent_recomputation(result: ScanResult, bars5: dict[str, pd.DataFrame]) -> None:
    for r in result.records:
        for sym in FILES:
            five = bars5[sym]
            assert _f(r, f"{sym}.close") == pytest.approx(five.loc[r.bar_ts, "close"])
            for kind, col in (("sh", "high"), ("sl", "low")):
                ts = pd.Timestamp(str(r.inputs[f"{sym}.{kind}_ts"]))
                assert _f(r, f"{sym}.{kind}") == pytest.approx(five.loc[ts, col])
                pos, here = five.index.get_loc(ts), five.index.get_loc(r.bar_ts)
                assert pos + 2 <= here  # confirmed by two later bars that closed by the signal: no look-ahead
                values = five[col].to_numpy()
                left, right = values[pos - 2:pos], values[pos + 1:pos + 3]
                if kind == "sh":
                    assert (values[pos] > left).all()
                    assert (values[pos] >= right).all()
                else:
                    assert (values[pos] < left).all()
                    assert (values[pos] <= right).all()
        spy = bars5["SPY"]["close"]
        for sym in ("VIX", "VXXB", "QQQ"):
            joined = pd.concat([spy, bars5[sym]["close"]], axis=1, join="inner").loc[:r.bar_ts]
            rets = np.log(joined / joined.shift(1)).dropna().to_numpy()[-WINDOW:]
            expected = np.corrcoef(rets[:, 0], rets[:, 1])[0, 1]
            assert _f(r, f"{sym}.corr") == pytest.approx(expected, abs=1e-9)


def test_the_same_run_twice_gives_identical_signals(config: TheoConfig, data: dict[str, Path],
                                                    result: ScanResult) -> None:
    again = run_scan(config, data)
    assert again.records == result.records


def test_from_date_keeps_later_signals_only(config: TheoConfig, data: dict[str, Path], result: ScanResult) -> None:
    start = result.records[len(result.records) // 2].created_at - timedelta(seconds=1)
    later = run_scan(config, data, start=start)
    assert later.records == [r for r in result.records if r.created_at > start]
    assert later.warmup_signals > 0


def _store_twice(engine: Any, config: TheoConfig, data: dict[str, Path]) -> None:
    from theo.persistence.signals import SignalStore

    first = run_scan(config, data, store=SignalStore(engine))
    assert first.stored == len(first.records) > 0
    second = run_scan(config, data, store=SignalStore(engine))
    assert second.stored == 0
    assert second.duplicates == len(first.records)
    stored = SignalStore(engine).list(strategy="spy_vol")
    assert [s.record.key for s in stored] == [r.key for r in first.records]
    for s, r in zip(stored, first.records, strict=True):
        assert s.record.inputs == dict(r.inputs)
        assert (s.record.entry_price, s.record.stop_loss, s.record.take_profit) == \
            (r.entry_price, r.stop_loss, r.take_profit)


def test_signals_persist_once_on_sqlite(sqlite_engine: Any, config: TheoConfig, data: dict[str, Path]) -> None:
    _store_twice(sqlite_engine, config, data)


def test_signals_persist_once_on_postgresql(pg_engine: Any, config: TheoConfig, data: dict[str, Path]) -> None:
    _store_twice(pg_engine, config, data)


EXITS = CONFIG.replace('entry_rules = ["abs(corr) >= 0.6"]',
                       'entry_rules = ["abs(corr) >= 0.6"]\nexit_rules = ["close < sl"]') + \
    'exit_rules = ["close < sl"]\n'


def test_exit_rules_close_earlier_entries_and_every_printed_signal_is_stored(
        sqlite_engine: Any, data: dict[str, Path], tmp_path: Path) -> None:
    from theo.persistence.signals import SignalStore

    path = tmp_path / "theo.toml"
    path.write_text(EXITS.format(data_dir=tmp_path), encoding="utf-8")
    config = load_config(path, env={})
    result = run_scan(config, data, store=SignalStore(sqlite_engine))
    records = result.records
    exits = [r for r in records if r.is_exit]
    assert exits
    assert len(exits) < len(records)
    # What the run reports is exactly what the table accepted (UNIQUE user, strategy, symbol, created_at).
    assert result.stored == len(records)
    assert len({(r.symbol, r.created_at) for r in records}) == len(records)
    open_side: Side | None = None
    opened = None
    for r in records:
        if r.is_exit:
            # An exit closes an entry of the other side taken on an earlier bar, never the one of its own bar.
            assert open_side is r.side.opposite
            assert opened is not None
            assert r.created_at > opened
            open_side = None
        else:
            open_side, opened = r.side, r.created_at
