"""The multi-symbol correlation strategy (plan §3.1).

BUY when the primary closes above its swing high (SH) while each correlated symbol breaks the other way
(close below its swing low, SL; or above its SH with ``confirm = "same"``), the rolling correlation with
each correlated symbol passes its threshold and sign, the data-quality gates pass and every entry rule
holds. SELL is the mirror image. ``require = "any"`` lets one correlated symbol suffice.

Bars of one start time form a *bar set*. A set is evaluated once every symbol delivered its bar, or when
a later bar arrives for any symbol (the missing bar is then late: the stale/gap gates judge it), or on
:meth:`CorrelationStrategy.flush`. Everything used at a set comes from bars that closed by its end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from theo.data.bars.timeframes import parse_timeframe
from theo.indicators.atr import ATR
from theo.indicators.correlation.rolling import RollingCorrelation
from theo.indicators.donchian import Donchian
from theo.indicators.swings import Swings
from theo.model.enums import Side
from theo.model.market import Bar
from theo.model.signals import InputValue, Signal
from theo.strategy.base import Strategy, split_bar
from theo.strategy.library.correlation_config import CorrelatedSymbol, CorrelationStrategyConfig
from theo.strategy.quality import QualityGate, QualityReport
from theo.strategy.rules import Requirement, Rule

Values = dict[str, float | None]


@dataclass
class _SymbolState:
    swings: Swings
    indicators: dict[tuple[str, int], Any] = field(default_factory=dict)
    last: Bar | None = None


def _indicator_value(name: str, indicator: Any) -> float | None:
    """Read one number from an indicator object (``value`` or its Donchian band)."""
    if not getattr(indicator, "ready", True):
        return None
    value = indicator.value
    if value is None:
        return None
    if name == "atr":
        return float(value)
    part = name.removeprefix("donchian_")
    aliases = {"upper": ("upper", "high"), "lower": ("lower", "low"), "mid": ("mid", "middle")}[part]
    for attr in aliases:
        if hasattr(value, attr):
            got = getattr(value, attr)
            return None if got is None else float(got)
    raise TypeError(f"Donchian value {value!r} has no {part} band")


def _make_indicator(name: str, period: int) -> Any:
    return ATR(period) if name == "atr" else Donchian(period)


def correlation_passes(value: float | None, sign: str, threshold: float) -> bool:
    """The threshold/sign test: ``negative`` is corr <= -t, ``positive`` corr >= t, ``abs`` |corr| >= t."""
    if value is None:
        return False
    if sign == "negative":
        return value <= -threshold
    if sign == "positive":
        return value >= threshold
    return abs(value) >= threshold


class CorrelationStrategy(Strategy):
    """Signals from a primary symbol's swing breaks confirmed by correlated symbols (see module doc)."""

    def __init__(self, config: CorrelationStrategyConfig, extra_rules: Sequence[Rule] = ()) -> None:
        self.config = config
        self.name = config.name
        self.raw_splits: dict[str, list[tuple[date, float]]] = {}
        self.timeframe = config.timeframe
        self.indicator_timeframe = config.indicator_timeframe or config.timeframe
        self.interval = parse_timeframe(config.timeframe).length
        self.entry_rules = config.parsed_entry_rules()
        self.exit_rules = config.parsed_exit_rules()
        needs: set[Requirement] = set()
        for rule in (*self.entry_rules, *self.exit_rules, *extra_rules):
            needs |= rule.requirements
        if config.stop == "atr":
            needs.add(Requirement(None, "atr", config.atr_period))
        self.requirements = frozenset(needs)
        self.values: Values = {}
        self.reset()

    @property
    def subscriptions(self) -> Sequence[tuple[str, str]]:
        subs = [(s, self.timeframe) for s in self.config.symbols]
        if self.indicator_timeframe != self.timeframe:
            subs += [(s, self.indicator_timeframe) for s in self.config.symbols]
        return subs

    def reset(self) -> None:
        cfg = self.config
        self._state: dict[str, _SymbolState] = {}
        for s in cfg.symbols:
            st = _SymbolState(Swings(left=cfg.swing_left, right=cfg.swing_right))
            for req in self.requirements:
                if (req.symbol or cfg.primary) == s:
                    st.indicators[(req.name, req.period)] = _make_indicator(req.name, req.period)
            self._state[s] = st
        g = cfg.correlation
        self._corr = {c.symbol: RollingCorrelation(g.method, g.window, g.min_points, on=g.on) for c in cfg.correlated}
        self._quality = QualityGate(cfg.symbols, cfg.quality, self.interval, self.raw_splits)
        self._pending: dict[datetime, dict[str, Bar]] = {}
        self._last_signal: dict[Side, datetime] = {}
        self._position: Side | None = None
        self.values = {}
        self.last_evaluated: datetime | None = None

    def use_raw_splits(self, splits: Mapping[str, Sequence[tuple[date, float]]]) -> None:
        self.raw_splits = {s: list(v) for s, v in splits.items()}
        self._quality.use_raw_splits(self.raw_splits)

    def apply_split(self, symbol: str, ex_date: date, factor: float) -> bool:
        """Swings, indicators, correlation inputs, quality gate and waiting bar sets of ``symbol`` on the new
        basis (``values`` is rebuilt at the next evaluation, before anything reads it)."""
        state = self._state.get(symbol)
        if state is None:
            return True
        state.swings.rescale(factor)
        for ind in state.indicators.values():
            ind.rescale(factor)
        if state.last is not None:
            state.last = split_bar(state.last, factor)
        for other, rc in self._corr.items():
            if symbol == self.config.primary:
                rc.rescale(x_factor=factor)
            elif symbol == other:
                rc.rescale(y_factor=factor)
        self._quality.apply_split(symbol, ex_date, factor)
        if symbol in self.raw_splits:
            self.raw_splits[symbol] = [(ex, f) for ex, f in self.raw_splits[symbol] if ex != ex_date]
        for bar_set in self._pending.values():
            if symbol in bar_set:
                bar_set[symbol] = split_bar(bar_set[symbol], factor)
        return True

    # -- events ----------------------------------------------------------------------------------------------
    def on_bar(self, bar: Bar) -> Sequence[Signal]:
        state = self._state.get(bar.symbol)
        if state is None:
            return ()
        if bar.timeframe == self.indicator_timeframe:
            state.swings.update(bar)
            for ind in state.indicators.values():
                ind.update(bar)
        if bar.timeframe != self.timeframe:
            return ()
        out = list(self.flush(before=bar.start))
        state.last = bar
        self._quality.update(bar)
        bar_set = self._pending.setdefault(bar.start, {})
        bar_set[bar.symbol] = bar
        if len(bar_set) == len(self._state):
            out += self._evaluate(bar.start)
        return out

    def flush(self, before: datetime | None = None) -> list[Signal]:
        """Evaluate the incomplete bar sets that started before ``before`` (all when ``None``)."""
        out: list[Signal] = []
        for start in sorted(self._pending):
            if before is None or start < before:
                out += self._evaluate(start)
        return out

    # -- evaluation ------------------------------------------------------------------------------------------
    def _evaluate(self, start: datetime) -> list[Signal]:
        cfg = self.config
        bars = self._pending.pop(start)
        primary = bars.get(cfg.primary)
        for c in cfg.correlated:
            other = bars.get(c.symbol)
            if primary is not None and other is not None:
                self._corr[c.symbol].update(primary.close, other.close)
        self.values = values = self._collect_values(bars)
        self.last_evaluated = start + self.interval
        if primary is None:
            return []
        report = self._quality.check(primary.end, set(bars))
        exit_signal = self._exit(primary, values)
        if exit_signal is not None:
            return [exit_signal]
        entry = self._entry(primary, bars, values, report)
        return [entry] if entry is not None else []

    def _collect_values(self, bars: Mapping[str, Bar]) -> Values:
        cfg = self.config
        values: Values = {}
        for s, st in self._state.items():
            bar = bars.get(s)
            sw = st.swings.value
            q = self._quality.symbols[s]
            own: Values = {
                "open": bar.open if bar else None, "high": bar.high if bar else None,
                "low": bar.low if bar else None, "close": bar.close if bar else None,
                "price": bar.close if bar else None, "volume": bar.volume if bar else None,
                "sh": None if sw is None else sw.high, "sl": None if sw is None else sw.low,
                "zscore": q.zscore if bar else None,
            }
            for (name, period), ind in st.indicators.items():
                own[f"{name}({period})"] = _indicator_value(name, ind)
            if s in self._corr:
                rc = self._corr[s]
                own["corr"] = rc.value
                own["n"] = float(rc.count)
            for key, v in own.items():
                values[f"{s}.{key}"] = v
                if s == cfg.primary:
                    values[key] = v
        first = cfg.correlated[0].symbol
        values["corr"] = values[f"{first}.corr"]
        values["n"] = values[f"{first}.n"]
        return values

    def _side(self, values: Values) -> Side | None:
        close, sh, sl = values["close"], values["sh"], values["sl"]
        assert close is not None
        up = sh is not None and close > sh
        down = sl is not None and close < sl
        if up == down:  # neither, or both (SL above SH): nothing to act on
            return None
        return Side.BUY if up else Side.SELL

    def _confirms(self, c: CorrelatedSymbol, side: Side, values: Values) -> bool:
        close, sh, sl = values[f"{c.symbol}.close"], values[f"{c.symbol}.sh"], values[f"{c.symbol}.sl"]
        if close is None:
            return False
        wants_down = (side is Side.BUY) == (c.confirm == "opposite")
        broke = (sl is not None and close < sl) if wants_down else (sh is not None and close > sh)
        g = self.config.correlation
        enough = (values[f"{c.symbol}.n"] or 0) >= g.min_points
        return broke and enough and correlation_passes(values[f"{c.symbol}.corr"], self.config.sign_of(c),
                                                       g.threshold)

    def _entry(self, primary: Bar, bars: Mapping[str, Bar], values: Values, report: QualityReport) -> Signal | None:
        cfg = self.config
        side = self._side(values)
        if side is None or (side is Side.BUY and not cfg.allow_long) or (side is Side.SELL and not cfg.allow_short):
            return None
        checks = [self._confirms(c, side, values) for c in cfg.correlated]
        if not (all(checks) if cfg.require == "all" else any(checks)):
            return None
        if not report.ok or not all(rule.evaluate(values) for rule in self.entry_rules):
            return None
        last = self._last_signal.get(side)
        if last is not None and primary.end - last < timedelta(seconds=cfg.signal_interval_seconds):
            return None
        stop, target = self._stop_target(side, primary.close, values)
        self._last_signal[side] = primary.end
        self._position = side
        confirmed = [c.symbol for c, ok in zip(cfg.correlated, checks, strict=True) if ok]
        reason = (f"{cfg.primary} close {primary.close:g} {'>' if side is Side.BUY else '<'} "
                  f"{'SH' if side is Side.BUY else 'SL'}; confirmed by {', '.join(confirmed)}")
        return Signal(cfg.name, cfg.primary, side, primary.end, primary.close, cfg.timeframe,
                      stop_loss=stop, take_profit=target, reason=reason,
                      inputs=self._inputs(values, report, self.entry_rules))

    def _exit(self, primary: Bar, values: Values) -> Signal | None:
        if self._position is None or not self.exit_rules:
            return None
        fired = [r for r in self.exit_rules if r.evaluate(values)]
        if not fired:
            return None
        side = self._position.opposite
        self._position = None
        return Signal(self.config.name, self.config.primary, side, primary.end, primary.close,
                      self.config.timeframe, exit=True, reason=f"exit rule: {fired[0].expression}",
                      inputs=self._inputs(values, None, fired))

    def _stop_target(self, side: Side, close: float, values: Values) -> tuple[float | None, float | None]:
        cfg = self.config
        stop: float | None = None
        if cfg.stop == "swing":
            stop = values["sl"] if side is Side.BUY else values["sh"]
        elif cfg.stop == "atr":
            atr = values.get(f"atr({cfg.atr_period})")
            stop = None if atr is None else close - side.sign * cfg.stop_atr_multiple * atr
        if stop is not None and (stop - close) * side.sign >= 0:
            stop = None  # a stop on the wrong side of the entry is no stop: leave it to risk settings
        target = None
        if stop is not None and cfg.target_r_multiple is not None:
            target = close + side.sign * cfg.target_r_multiple * abs(close - stop)
        return stop, target

    def _inputs(self, values: Values, report: QualityReport | None, rules: Sequence[Rule]) -> dict[str, InputValue]:
        cfg = self.config
        inputs: dict[str, InputValue] = {}
        for s in cfg.symbols:
            for key in ("close", "sh", "sl", "corr", "n", "zscore"):
                if f"{s}.{key}" in values:
                    inputs[f"{s}.{key}"] = values[f"{s}.{key}"]
            sw = self._state[s].swings.value
            inputs[f"{s}.sh_ts"] = None if sw is None or sw.high_ts is None else sw.high_ts.isoformat()
            inputs[f"{s}.sl_ts"] = None if sw is None or sw.low_ts is None else sw.low_ts.isoformat()
        for rule in rules:
            for key in rule.keys:
                inputs[key] = values.get(key)
        inputs["quality"] = "n/a" if report is None else report.describe()
        return inputs

