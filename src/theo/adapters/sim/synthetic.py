"""A seeded synthetic market: the default feed of ``theo run``, so a new user sees prices move at once.

Model, per session segment (regular hours; pre/post too with ``extended_hours``):

* a latent log price per instrument on a one-second grid, with correlated Gaussian increments (Cholesky
  factor of the configured correlation matrix), annualised volatility and drift;
* U-shaped intraday seasonality (busier and more volatile at the open and the close), the same for every
  instrument so it does not change their correlation;
* jumps: with ``jump_prob`` per instrument-minute, a move of ``jump_size`` one-minute standard deviations;
* trade prints at Poisson times (rate ``ticks_per_minute`` × volume seasonality) priced from the latent
  path rounded to the instrument's tick size, sizes in round lots.

The market starts at each instrument's ``start_price`` on the first session it is asked for and continues
from there, session after session; the same seed and the same first session give the same prints.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from theo.core.calendar import MarketCalendar, get_calendar
from theo.core.clock import Clock
from theo.core.time import from_us, to_us
from theo.data.bars.timeframes import Segment, session_segments
from theo.data.config import SyntheticConfig
from theo.data.feeds.base import EventHandler, Feed, MarketEvent
from theo.model.enums import SessionKind
from theo.model.market import Tick, ensure_utc

#: Trading seconds in a year of regular sessions (252 × 6.5 h), the unit of ``annual_vol`` and ``drift``.
YEAR_SECONDS = 252 * 390 * 60


@dataclass
class SegmentTicks:
    """The prints of one segment, all instruments, sorted by time."""

    symbol: npt.NDArray[np.int64]  # index into the instruments
    ts_us: npt.NDArray[np.int64]
    price: npt.NDArray[np.float64]
    size: npt.NDArray[np.float64]
    latency_us: npt.NDArray[np.int64]


def _season(x: npt.NDArray[np.float64], strength: float) -> npt.NDArray[np.float64]:
    """U shape over the day (x in [0, 1]) with mean 1."""
    u = 1.0 + strength * (2.0 * x - 1.0) ** 2
    return np.asarray(u / u.mean(), dtype=np.float64)


class SyntheticMarket(Feed):
    """Correlated random-walk prints for several instruments (see the module docstring)."""

    def __init__(self, config: SyntheticConfig | None = None, clock: Clock | None = None,
                 source: str = "synthetic", calendar: MarketCalendar | None = None) -> None:
        super().__init__(source)
        self.config = config or SyntheticConfig()
        self.clock = clock
        self.calendar = calendar or get_calendar()
        self.symbols = [i.symbol.upper() for i in self.config.instruments]
        self._chol = np.linalg.cholesky(np.asarray(self.config.correlation, dtype=float) + 1e-12 * np.eye(
            len(self.symbols)))
        self._log_price = np.log([i.start_price for i in self.config.instruments])
        self._next_us: int | None = None  # generation continues from here
        self.subscribe(self.symbols)

    # -- generation ----------------------------------------------------------------------------------------
    def _segments_from(self, ts_us: int) -> Iterator[Segment]:
        day = from_us(ts_us).date() - timedelta(days=1)
        while True:
            if self.calendar.is_session(day):
                for seg in session_segments(self.calendar, day):
                    if seg.end_us > ts_us and (self.config.extended_hours or seg.kind is SessionKind.REGULAR):
                        yield seg
            day = self.calendar.next_session(day)

    def generate(self, seg: Segment) -> SegmentTicks:
        """Prints of one segment, continuing the price path (advances the market's state)."""
        cfg = self.config
        k = len(self.symbols)
        rng = np.random.default_rng([cfg.seed, seg.start_us // 1_000_000])
        n_sec = (seg.end_us - seg.start_us) // 1_000_000
        n_min = -(-n_sec // 60)
        x = (np.arange(n_min) + 0.5) / n_min
        regular = seg.kind is SessionKind.REGULAR
        vol_season = _season(x, 1.5) if cfg.seasonality and regular else np.ones(n_min)
        volume_season = _season(x, 3.0) if cfg.seasonality and regular else np.ones(n_min)
        if not regular:
            volume_season = volume_season * 0.05  # thin extended hours
        sig = np.array([i.annual_vol for i in cfg.instruments]) / np.sqrt(YEAR_SECONDS)
        mu = np.array([i.drift for i in cfg.instruments]) / YEAR_SECONDS - 0.5 * sig**2
        z = rng.standard_normal((n_sec, k)) @ self._chol.T
        per_sec_vol = vol_season[np.arange(n_sec) // 60]
        steps = mu + z * sig * per_sec_vol[:, None]
        if cfg.jump_prob > 0:
            jumps = rng.random((n_min, k)) < cfg.jump_prob
            if jumps.any():
                mi, ki = np.nonzero(jumps)
                size = cfg.jump_size * sig[ki] * np.sqrt(60.0) * rng.choice([-1.0, 1.0], len(mi))
                np.add.at(steps, (np.minimum(mi * 60 + rng.integers(0, 60, len(mi)), n_sec - 1), ki), size)
        path = self._log_price + np.cumsum(steps, axis=0)
        self._log_price = path[-1].copy()
        sym_l: list[npt.NDArray[np.int64]] = []
        ts_l: list[npt.NDArray[np.int64]] = []
        px_l: list[npt.NDArray[np.float64]] = []
        sz_l: list[npt.NDArray[np.float64]] = []
        for j, inst in enumerate(cfg.instruments):
            rate = inst.ticks_per_minute or cfg.ticks_per_minute
            counts = rng.poisson(rate * volume_season)
            minute = np.repeat(np.arange(n_min), counts)
            offs = (minute * 60_000_000 + rng.integers(0, 60_000_000, len(minute))).astype(np.int64)
            offs = np.sort(offs[offs < n_sec * 1_000_000])
            sec = offs // 1_000_000
            tick = inst.tick_size
            price = np.round(np.round(np.exp(path[sec, j]) / tick) * tick, 8)
            sym_l.append(np.full(len(offs), j, dtype=np.int64))
            ts_l.append(seg.start_us + offs)
            px_l.append(np.maximum(price, tick))
            sz_l.append((100.0 * rng.geometric(0.45, len(offs))).astype(np.float64))
        sym = np.concatenate(sym_l)
        ts = np.concatenate(ts_l)
        order = np.argsort(ts, kind="stable")
        latency = (150 + rng.exponential(600.0, len(ts))).astype(np.int64)
        return SegmentTicks(sym[order], ts[order], np.concatenate(px_l)[order], np.concatenate(sz_l)[order],
                            latency)

    def segment_ticks_between(self, start: datetime, end: datetime) -> Iterator[tuple[Segment, SegmentTicks]]:
        """Generated segments overlapping ``[start, end)`` with all their prints (vectorised form)."""
        a, b = to_us(ensure_utc(start)), to_us(ensure_utc(end))
        if self._next_us is not None and a < self._next_us:
            raise ValueError(f"the synthetic market already ran to {from_us(self._next_us).isoformat()}; "
                             "ask for later times (it only moves forward)")
        for seg in self._segments_from(a if self._next_us is None else max(a, self._next_us)):
            if seg.start_us >= b:
                break
            ticks = self.generate(seg)
            self._next_us = seg.end_us
            yield seg, ticks

    def fast_forward(self, start: datetime, until: datetime) -> datetime:
        """Move the price path from ``start`` through every segment that ends by ``until`` without producing
        its prints (a few milliseconds a day); return where the prints continue: the next segment's start, or
        ``start`` when no segment ends by then. The prints from there are those a run from ``start`` gives."""
        a, b = to_us(ensure_utc(start)), to_us(ensure_utc(until))
        if self._next_us is not None:
            raise ValueError("fast_forward moves a market that has produced nothing yet")
        for seg in self._segments_from(a):
            if seg.end_us > b:
                return from_us(max(a, seg.start_us)) if self._next_us is not None else start
            self.generate(seg)
            self._next_us = seg.end_us
        raise AssertionError("the calendar has no end")  # pragma: no cover

    def events_between(self, start: datetime, end: datetime) -> Iterator[Tick]:
        """Prints of the subscribed symbols in ``[start, end)``, in time order (simulated time)."""
        a, b = to_us(ensure_utc(start)), to_us(ensure_utc(end))
        wanted = np.array([s in self._subscribed for s in self.symbols])
        for _, st in self.segment_ticks_between(start, end):
            keep = (st.ts_us >= a) & (st.ts_us < b) & wanted[st.symbol]
            for j, t, p, s, lat in zip(st.symbol[keep].tolist(), st.ts_us[keep].tolist(), st.price[keep].tolist(),
                                       st.size[keep].tolist(), st.latency_us[keep].tolist(), strict=True):
                tick = Tick(self.symbols[j], from_us(t), p, s, self.name, "", "", from_us(t + lat))
                self._seen(tick)
                yield tick

    # -- Feed ----------------------------------------------------------------------------------------------
    def events(self) -> Iterator[MarketEvent]:
        start = self.clock.now() if self.clock is not None else from_us(self._next_us or 0)
        yield from self.events_between(start, datetime(2030, 12, 31, tzinfo=start.tzinfo))

    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        """Deliver prints in wall-clock time from the clock's now (each stamped ``received`` on delivery)."""
        if self.clock is None:
            raise ValueError("SyntheticMarket.run needs a clock (the wall clock in paper mode)")
        self.connect()
        for ev in self.events():
            assert isinstance(ev, Tick)
            delay = (ev.ts - self.clock.now()).total_seconds()
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                    return
                except TimeoutError:
                    pass
            if stop.is_set():
                return
            handler(replace(ev, received=self.clock.now()))
