"""A symbol change joins the old ticker's stored bars into the new one's series on every adjusted read
(FB -> META on 2022-06-09): bar for bar, with the old ticker's splits, along chains, with the new ticker
winning an overlap, and not at all in unadjusted mode."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from tests.integration.indicators.test_cli import run  # noqa: F401  (the fixture: the CLI on a temporary store)
from theo.core.calendar import ET
from theo.data.corporate_actions_join import JoinedHistory
from theo.indicators import batch as vec
from theo.indicators.source import bars_from_store
from theo.model.enums import Adjustment, CorporateActionKind
from theo.model.market import Bar
from theo.model.reference import CorporateAction
from theo.node.data import load_database
from theo.persistence.repositories.bars import BarRepository
from theo.persistence.repositories.corporate_actions import CorporateActionRepository

CHANGE = date(2022, 6, 9)
FB_DAYS = (date(2022, 4, 1), date(2022, 6, 8))
META_DAYS = (CHANGE, date(2022, 7, 29))


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1) if (first + timedelta(n)).weekday() < 5]


def _us(day: date) -> int:
    return int(datetime.combine(day, time(9, 30), tzinfo=ET).timestamp() * 1_000_000)


def _bars(symbol: str, days: list[date], price: float, seed: int,
          splits: dict[date, int] | None = None) -> list[Bar]:
    """Daily bars of a random walk from ``price``; on each day of ``splits`` the raw price divides by its ratio."""
    rng = np.random.default_rng(seed)
    out: list[Bar] = []
    for d in days:
        price /= (splits or {}).get(d, 1)
        o = price
        c = price * (1 + 0.01 * rng.standard_normal())
        start = datetime.combine(d, time(9, 30), tzinfo=ET).astimezone(UTC)
        out.append(Bar(symbol, "1d", start, start + timedelta(hours=6, minutes=30), round(o, 4),
                       round(max(o, c) * 1.005, 4), round(min(o, c) * 0.995, 4), round(c, 4), 1000.0, source="test"))
        price = c
    return out


def _change(old: str, new: str, ex: date) -> CorporateAction:
    return CorporateAction(old, CorporateActionKind.SYMBOL_CHANGE, ex, new_symbol=new, source="csv")


def _split(symbol: str, ex: date, ratio: int) -> CorporateAction:
    return CorporateAction(symbol, CorporateActionKind.SPLIT, ex, ratio=Decimal(ratio), source="csv")


def _store(engine: Engine, bars: list[Bar], actions: list[CorporateAction]) -> JoinedHistory:
    BarRepository(engine).write_bars(bars, source="test")
    CorporateActionRepository(engine).save_actions(actions)
    return JoinedHistory(BarRepository(engine), CorporateActionRepository(engine), Adjustment.SPLITS)


def _closes(bars: list[Bar]) -> np.ndarray:
    return np.array([b.close for b in bars])


@pytest.fixture(params=["sqlite_engine", "pg_engine"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same tests on SQLite and on PostgreSQL (the bar reads are SQL)."""
    found: Engine = request.getfixturevalue(request.param)
    return found


def test_the_new_symbol_reads_old_before_and_new_after_bar_for_bar(engine: Engine) -> None:
    fb, meta = _bars("FB", _days(*FB_DAYS), 200.0, 1), _bars("META", _days(*META_DAYS), 190.0, 2)
    history = _store(engine, fb + meta, [_change("FB", "META", CHANGE)])
    cols = history.bar_columns("META", "1d")
    assert cols.symbol == "META"
    assert cols.start_us.tolist() == [_us(b.start.astimezone(ET).date()) for b in fb + meta]
    assert cols.close.tolist() == _closes(fb + meta).tolist()
    assert cols.volume.tolist() == [1000.0] * len(fb + meta)
    # a window across the change: FB's bars up to the day before, META's from the ex-date on
    window = history.bar_columns("META", "1d", datetime(2022, 6, 6, tzinfo=ET), datetime(2022, 6, 14, tzinfo=ET))
    assert [datetime.fromtimestamp(int(u) / 1e6, ET).date().day for u in window.start_us] == [6, 7, 8, 9, 10, 13]
    assert window.close.tolist() == _closes(fb[-3:] + meta[:3]).tolist()
    # a window after the change reads META only
    assert len(history.bar_columns("META", "1d", datetime(2022, 6, 10, tzinfo=ET))) == len(meta) - 1
    # the old ticker after its change: its own stored bars only
    assert history.bar_columns("FB", "1d").close.tolist() == _closes(fb).tolist()
    loaded = bars_from_store(history, "META", "1d", actions=history.adjusting(["META"])["META"])
    assert loaded.adjustment == "META: adjusted for splits: no actions in range; joined FB before 2022-06-09"
    assert len(loaded.bars) == len(fb) + len(meta)
    fb_only = bars_from_store(history, "FB", "1d", actions=history.adjusting(["FB"])["FB"])
    assert fb_only.adjustment == "FB: adjusted for splits: no actions in range"


def test_splits_of_the_old_ticker_adjust_the_joined_part_and_atr_is_continuous(engine: Engine) -> None:
    fb = _bars("FB", _days(*FB_DAYS), 400.0, 3, splits={date(2022, 5, 16): 2})
    meta = _bars("META", _days(*META_DAYS), fb[-1].close, 4, splits={date(2022, 7, 1): 3})
    after = _bars("FB", _days(date(2022, 6, 20), date(2022, 6, 24)), 50.0, 5)  # a vendor kept filing FB
    history = _store(engine, fb + meta + after, [
        _change("FB", "META", CHANGE), _split("FB", date(2022, 5, 16), 2), _split("META", date(2022, 7, 1), 3),
        _split("FB", date(2022, 6, 20), 5)])  # after the change: FB's own, not META's
    loaded = bars_from_store(history, "META", "1d", actions=history.adjusting(["META"])["META"])
    assert loaded.adjustment == ("META: adjusted for splits: split 2022-05-16 (2:1, factor 0.5, csv); "
                                 "split 2022-07-01 (3:1, factor 0.333333, csv); joined FB before 2022-06-09")
    raw = _closes(fb + meta)
    days = [b.start.astimezone(ET).date() for b in fb + meta]
    factor = np.array([1 / 6 if d < date(2022, 5, 16) else 1 / 3 if d < date(2022, 7, 1) else 1.0 for d in days])
    np.testing.assert_allclose(loaded.bars.close, raw * factor, rtol=1e-12)
    np.testing.assert_allclose(loaded.bars.volume, 1000.0 / factor, rtol=1e-12)
    atr = vec.atr(loaded.bars.high, loaded.bars.low, loaded.bars.close, 14)
    for d in (date(2022, 5, 16), CHANGE, date(2022, 7, 1)):
        i = days.index(d)
        assert 0.5 < atr[i] / atr[i - 1] < 2.0, d
    raw_joined = JoinedHistory(BarRepository(engine), CorporateActionRepository(engine), Adjustment.SPLITS)
    cols = raw_joined.bar_columns("META", "1d")  # the join alone leaves stored prices as they are
    assert cols.close.tolist() == raw.tolist()


def test_a_chain_joins_every_older_ticker(sqlite_engine: Engine) -> None:
    a = _bars("AAA", _days(date(2021, 1, 4), date(2021, 3, 31)), 10.0, 6)
    b = _bars("BBB", _days(date(2021, 4, 1), date(2021, 6, 30)), a[-1].close, 7)
    c = _bars("CCC", _days(date(2021, 7, 1), date(2021, 8, 31)), b[-1].close, 8)
    history = _store(sqlite_engine, a + b + c, [_change("AAA", "BBB", date(2021, 4, 1)),
                                                _change("BBB", "CCC", date(2021, 7, 1)),
                                                _split("AAA", date(2021, 2, 1), 2)])
    loaded = bars_from_store(history, "CCC", "1d", actions=history.adjusting(["CCC"])["CCC"])
    assert loaded.adjustment == ("CCC: adjusted for splits: split 2021-02-01 (2:1, factor 0.5, csv); "
                                 "joined BBB before 2021-07-01, AAA before 2021-04-01")
    assert len(loaded.bars) == len(a) + len(b) + len(c)
    np.testing.assert_allclose(loaded.bars.close[len(a):], _closes(b + c))
    # BBB after its change is its own history (AAA's before it), never CCC's bars
    assert history.bar_columns("BBB", "1d").close.tolist() == _closes(a + b).tolist()
    assert history.bar_columns("AAA", "1d").close.tolist() == _closes(a).tolist()


def test_a_reused_ticker_does_not_loop(sqlite_engine: Engine) -> None:
    a = _bars("AAA", _days(date(2021, 1, 4), date(2021, 1, 29)), 10.0, 9)
    b = _bars("BBB", _days(date(2021, 2, 1), date(2021, 2, 26)), 11.0, 10)
    a2 = _bars("AAA", _days(date(2021, 3, 1), date(2021, 3, 31)), 12.0, 11)
    history = _store(sqlite_engine, a + b + a2, [_change("AAA", "BBB", date(2021, 2, 1)),
                                                 _change("BBB", "AAA", date(2021, 3, 1))])
    assert history.bar_columns("AAA", "1d").close.tolist() == _closes(a + b + a2).tolist()
    assert [c.symbol for c in history.chain("AAA")] == ["BBB", "AAA"]
    assert history.bar_columns("BBB", "1d").close.tolist() == _closes(a + b).tolist()


def test_overlap_the_new_ticker_wins_from_the_ex_date_and_no_bar_is_doubled(engine: Engine) -> None:
    fb_days = [d for d in _days(date(2022, 5, 2), date(2022, 6, 17)) if d != date(2022, 6, 3)]  # FB lacks a day
    fb = _bars("FB", fb_days, 200.0, 12)
    meta = _bars("META", _days(date(2022, 6, 1), date(2022, 6, 30)), 300.0, 13)  # filed under both
    history = _store(engine, fb + meta, [_change("FB", "META", CHANGE)])
    cols = history.bar_columns("META", "1d")
    assert len(np.unique(cols.start_us)) == len(cols)
    assert np.all(np.diff(cols.start_us) > 0)
    want = sorted([(b.start, b.close) for b in fb if b.start.astimezone(ET).date() < CHANGE]
                  + [(b.start, b.close) for b in meta if b.start.astimezone(ET).date() >= CHANGE
                     or b.start.astimezone(ET).date() == date(2022, 6, 3)])
    assert cols.close.tolist() == [c for _, c in want]
    assert cols.start_us.tolist() == [int(t.timestamp() * 1_000_000) for t, _ in want]


def test_unadjusted_mode_reads_every_ticker_as_stored(engine: Engine) -> None:
    fb, meta = _bars("FB", _days(*FB_DAYS), 200.0, 14), _bars("META", _days(*META_DAYS), 190.0, 15)
    _store(engine, fb + meta, [_change("FB", "META", CHANGE), _split("FB", date(2022, 5, 16), 2)])
    raw = JoinedHistory(BarRepository(engine), CorporateActionRepository(engine), Adjustment.NONE)
    assert raw.bar_columns("META", "1d").close.tolist() == _closes(meta).tolist()
    assert raw.adjusting(["META"]) == {"META": []}
    loaded = bars_from_store(raw, "META", "1d", adjust=Adjustment.NONE, actions=raw.actions("META"))
    assert loaded.adjustment == "META: unadjusted (raw prices)"
    assert loaded.bars.close.tolist() == _closes(meta).tolist()
    # stored rows were never rewritten by the adjusted reads
    _ = JoinedHistory(BarRepository(engine), CorporateActionRepository(engine), Adjustment.SPLITS).bar_columns(
        "META", "1d")
    assert BarRepository(engine).bar_columns("FB", "1d").close.tolist() == _closes(fb).tolist()


def test_a_backtest_from_the_store_reads_the_joined_series_and_says_so(engine: Engine) -> None:
    fb = _bars("FB", _days(*FB_DAYS), 400.0, 16, splits={date(2022, 5, 16): 2})
    meta = _bars("META", _days(*META_DAYS), fb[-1].close, 17)
    _store(engine, fb + meta, [_change("FB", "META", CHANGE), _split("FB", date(2022, 5, 16), 2)])
    data = load_database(BarRepository(engine), ["META"], "1d", date(2022, 5, 2), date(2022, 6, 30),
                         history=CorporateActionRepository(engine))
    s = data.series["META"]
    days = _days(date(2022, 5, 2), date(2022, 6, 30))
    assert len(s) == len(days)
    assert data.adjustment["META"] == ("META: adjusted for splits: split 2022-05-16 (2:1, factor 0.5, csv); "
                                       "joined FB before 2022-06-09")
    assert data.notes[-1] == "prices: " + data.adjustment["META"]
    closes = {b.start.astimezone(ET).date(): b.close for b in fb + meta}
    assert s.close.tolist() == pytest.approx([closes[d] / (2 if d < date(2022, 5, 16) else 1) for d in days])
    plain = load_database(BarRepository(engine), ["META"], "1d", date(2022, 5, 2), date(2022, 6, 30))
    assert len(plain.series["META"]) == len([d for d in days if d >= CHANGE])  # without the history: as before


def test_cli_imports_the_change_lists_it_and_indicators_run_across_it(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from theo.persistence.db import make_engine, upgrade

    engine = make_engine(run.url)
    upgrade(engine)
    fb = _bars("FB", _days(*FB_DAYS), 400.0, 18, splits={date(2022, 5, 16): 2})
    meta = _bars("META", _days(*META_DAYS), fb[-1].close, 19)
    BarRepository(engine).write_bars(fb + meta, source="test")
    engine.dispose()
    csv = tmp_path / "actions.csv"
    csv.write_text("symbol,kind,ex_date,ratio,new_symbol\nFB,split,2022-05-16,2:1,\n"
                   "FB,ticker_change,2022-06-09,,META\n", encoding="utf-8")
    r = run("data", "actions", "import", str(csv))
    assert r.exit_code == 0, r.output
    assert "2 actions of 1 symbol(s) (FB); 2 new or changed" in " ".join(r.output.split())
    r = run("data", "actions", "list", "META", "--format", "csv")
    assert r.output.splitlines()[1:] == ["FB,symbol_change,2022-06-09,,,,META,csv,"]
    r = run("data", "actions", "list", "META")
    assert "FB -> META" in r.output
    out = tmp_path / "ind.csv"
    r = run("indicators", "--symbol", "META", "--timeframe", "1d", "-i", "donchian:10,atr:14", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert ("prices: META: adjusted for splits: split 2022-05-16 (2:1, factor 0.5, csv); joined FB before "
            "2022-06-09") in " ".join(r.output.split())
    frame = pd.read_csv(out)
    assert len(frame) == len(fb) + len(meta)
    days = pd.to_datetime(frame.ts, utc=True).dt.tz_convert(ET).dt.date.tolist()
    lower = next(c for c in frame.columns if c.startswith("donchian") and "lower" in c)
    for d in (date(2022, 5, 16), CHANGE):
        i = days.index(d)
        assert 0.9 < frame[lower].iloc[i] / frame[lower].iloc[i - 1] <= 1.0, d  # no fake breakdown
    r = run("indicators", "--symbol", "META", "--timeframe", "1d", "-i", "atr:14", "--out", str(out),
            "--adjust", "none")
    assert "prices: META: unadjusted (raw prices)" in r.output
    assert len(pd.read_csv(out)) == len(meta)
    r = run("corr", "matrix", "--symbols", "META,FB", "--timeframe", "1d", "--format", "json")
    assert r.exit_code == 0, r.output
    assert '"META": "META: adjusted for splits: split 2022-05-16 (2:1, factor 0.5, csv); joined FB before ' \
           '2022-06-09"' in r.output


def test_cli_backtest_from_the_store_runs_over_the_joined_history(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from theo.persistence.db import make_engine, upgrade

    engine = make_engine(run.url)
    upgrade(engine)
    fb = _bars("FB", _days(*FB_DAYS), 400.0, 20, splits={date(2022, 5, 16): 2})
    meta = _bars("META", _days(*META_DAYS), fb[-1].close, 21)
    _store(engine, fb + meta, [_change("FB", "META", CHANGE), _split("FB", date(2022, 5, 16), 2)])
    engine.dispose()
    cfg = tmp_path / "bt.toml"
    cfg.write_text('[market]\ncapital = 100000\n[[strategies]]\ntype = "donchian_breakout"\nname = "dc"\n'
                   'symbols = ["META"]\ntimeframe = "1d"\nentry_period = 20\nexit_period = 10\nquantity = 10\n',
                   encoding="utf-8")
    r = run("backtest", "-c", str(cfg), "--db", "1d", "--from", "2022-04-01", "--to", "2022-07-29",
            "-o", str(tmp_path / "out"))
    assert r.exit_code == 0, r.output
    said = " ".join(r.output.split())
    assert ("prices: META: adjusted for splits: split 2022-05-16 (2:1, factor 0.5, csv); joined FB before "
            "2022-06-09") in said
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["items"] == len(fb) + len(meta)
