"""Mapping tables between Polygon's (``massive``) payloads and Theo's ticks, quotes and bars. Pure: no I/O.

**Sale conditions.** Polygon sends a trade's SIP conditions as its own normalised integer codes (``c``). Each
code has update rules for the consolidated tape: whether the print may set high/low, last (open/close) and
volume. :data:`TRADE_CONDITIONS` is Polygon's stock trade condition list with those rules
(https://polygon.io/glossary/us/stocks/conditions-indicators, the same data as
``GET /v3/reference/conditions?asset_class=stocks&data_type=trade`` ``update_rules.consolidated``; it follows
the CTA and UTP SIP specifications). A print is:

* **regular** when every code lets it set high/low *and* last and add volume: its ``Tick.condition`` is ``""``,
  the code of an IBKR print without special conditions, which ``[marketdata.conditions] ohlc_conditions``
  counts for OHLC by default (:mod:`theo.data.conditions`);
* **volume only** when some code stops it from setting last or high/low (odd lots 37, Form T / extended hours
  12, average price 2, out-of-sequence 32/33, contingent 52/53 ...): its condition is ``p`` + those codes (e.g.
  ``p12,37``; cut to 16 characters with a ``+`` in the rare print with more), which no OHLC list contains, so
  the bar aggregator adds its volume and nothing else, as it does with late and out-of-sequence prints of
  other feeds. Theo's bars have one switch per print, so the few
  codes the SIP lets move high/low but not last (5, 10, 22, 29, 32, 33) are volume only here;
* **not a trade** when some code says it adds no volume (official open/close 15/16, corrected close 38,
  cancels, corrections, errors, non-eligible 42/43): :func:`condition_of` returns ``None`` and the feed counts
  and logs it instead of delivering a tick (it would double the day's volume).

Codes missing from the table are treated as volume only (never as regular: an unknown rule must not move a
price bar).

**Exchanges.** ``x`` is Polygon's exchange id (``GET /v3/reference/exchanges``); :data:`EXCHANGES` names them
as IBKR's tick-by-tick prints do, so the quality gate can match the same print from both feeds.

**Times.** ``t``/``s``/``e`` are epoch milliseconds on the socket and in aggregates; the REST trade endpoints use
nanoseconds. :func:`epoch_utc` reads either by magnitude.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from theo.core.calendar import MarketCalendar
from theo.model.market import Bar, Quote, Tick

FEED = "polygon"
CONDITION_WIDTH = 16  # ticks.condition is VARCHAR(16)


@dataclass(frozen=True, slots=True)
class Rule:
    """The consolidated-tape update rules of one condition code."""

    name: str
    high_low: bool
    last: bool
    volume: bool


def _r(name: str, rules: str) -> Rule:
    return Rule(name, rules[0] == "Y", rules[1] == "Y", rules[2] == "Y")


#: Polygon stock trade conditions: code -> (name, updates high/low, last, volume), consolidated processing.
TRADE_CONDITIONS: dict[int, Rule] = {
    0: _r("Regular Sale", "YYY"), 1: _r("Acquisition", "YYY"), 2: _r("Average Price Trade", "NNY"),
    3: _r("Automatic Execution", "YYY"), 4: _r("Bunched Trade", "YYY"), 5: _r("Bunched Sold Trade", "YNY"),
    6: _r("CAP Election", "YYY"), 7: _r("Cash Sale", "NNY"), 8: _r("Closing Prints", "YYY"),
    9: _r("Cross Trade", "YYY"), 10: _r("Derivatively Priced", "YNY"), 11: _r("Distribution", "YYY"),
    12: _r("Form T / Extended Hours", "NNY"), 13: _r("Extended Trading Hours (Sold Out of Sequence)", "NNY"),
    14: _r("Intermarket Sweep", "YYY"), 15: _r("Market Center Official Close", "NNN"),
    16: _r("Market Center Official Open", "NNN"), 17: _r("Market Center Opening Trade", "YYY"),
    18: _r("Market Center Reopening Trade", "YYY"), 19: _r("Market Center Closing Trade", "YYY"),
    20: _r("Next Day", "NNY"), 21: _r("Price Variation Trade", "NNY"), 22: _r("Prior Reference Price", "YNY"),
    23: _r("Rule 155 Trade (AMEX)", "YYY"), 24: _r("Rule 127 (NYSE)", "YYY"), 25: _r("Opening Prints", "YYY"),
    27: _r("Stopped Stock (Regular Trade)", "YYY"), 28: _r("Re-Opening Prints", "YYY"),
    29: _r("Seller", "YNY"), 30: _r("Sold Last", "YYY"), 31: _r("Sold Last and Stopped Stock", "YYY"),
    32: _r("Sold (Out of Sequence)", "YNY"), 33: _r("Sold (Out of Sequence) and Stopped Stock", "YNY"),
    34: _r("Split Trade", "YYY"), 35: _r("Stock Option", "YYY"), 36: _r("Yellow Flag Regular Trade", "YYY"),
    37: _r("Odd Lot Trade", "NNY"), 38: _r("Corrected Consolidated Close", "YYN"), 41: _r("Trade Thru Exempt", "YYY"),
    42: _r("Non-Eligible", "NNN"), 43: _r("Non-Eligible Extended", "NNN"), 44: _r("Cancelled", "NNN"),
    46: _r("Correction", "NNN"), 47: _r("As Of", "NNY"), 48: _r("As Of Correction", "NNN"),
    49: _r("As Of Cancel", "NNN"), 51: _r("Summary", "NNN"), 52: _r("Contingent Trade", "NNY"),
    53: _r("Qualified Contingent Trade", "NNY"), 54: _r("Errored", "NNN"), 59: _r("611 Exempt", "YYY"),
}

#: Polygon exchange id -> the exchange name IBKR's prints carry (Tick.exchange; the store keeps 8 characters).
EXCHANGES: dict[int, str] = {
    1: "AMEX", 2: "BEX", 3: "NYSENAT", 4: "FINRA", 5: "UTP", 6: "ISE", 7: "EDGEA", 8: "EDGX", 9: "CHX",
    10: "NYSE", 11: "ARCA", 12: "NASDAQ", 13: "CTS", 14: "LTSE", 15: "IEX", 16: "CBSX", 17: "PSX", 18: "BYX",
    19: "BATS", 20: "PEARL", 21: "MEMX", 62: "OTC",
}
#: Aggregate timespans of the REST API -> (Theo's timeframe unit, the length its multiplier must divide).
#: Polygon's buckets start on the clock; Theo's are counted from each session segment's start (04:00, 09:30,
#: 16:00 ET), so only lengths dividing 30 minutes give the same bars. Polygon's hour bars (09:00-10:00) and
#: daily bars do not match Theo's (09:30-10:30; the regular session): download minutes and roll them up.
TIMESPANS: dict[str, tuple[str, int]] = {"second": ("s", 60), "minute": ("m", 30)}


def condition_of(codes: Iterable[int] | None) -> str | None:
    """``Tick.condition`` of a print with Polygon condition ``codes``: ``""`` regular, ``"p<codes>"`` volume
    only, ``None`` not a trade (see the module docstring)."""
    limiting: list[int] = []
    for code in sorted(set(codes or ())):
        rule = TRADE_CONDITIONS.get(code)
        if rule is not None and not rule.volume:
            return None
        if rule is None or not (rule.high_low and rule.last):
            limiting.append(code)
    if not limiting:
        return ""
    text = "p" + ",".join(map(str, limiting))
    if len(text) > CONDITION_WIDTH:  # the store keeps 16 characters: keep the first codes, mark the cut
        text = text[:CONDITION_WIDTH - 1].rsplit(",", 1)[0] + "+"
    return text


def unknown_codes(codes: Iterable[int] | None) -> list[int]:
    """The codes of ``codes`` that are not in :data:`TRADE_CONDITIONS` (to be logged)."""
    return sorted({c for c in codes or () if c not in TRADE_CONDITIONS})


def epoch_utc(value: int | float) -> datetime:
    """An epoch time in seconds, milliseconds, microseconds or nanoseconds (read by magnitude) as aware UTC."""
    v = int(value)
    if abs(v) >= 10**17:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=v // 1000)
    if abs(v) >= 10**14:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=v)
    if abs(v) >= 10**11:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=v)
    return datetime.fromtimestamp(v, UTC)


def exchange_of(exchange_id: int | None) -> str:
    if exchange_id is None:
        return ""
    return EXCHANGES.get(int(exchange_id), str(exchange_id))


def trade_id_of(sequence: int | None, exchange_id: int | None, trade_id: str | None) -> str:
    """The print's id for the quality gate: Polygon's sequence number (unique per ticker), exchange and trade
    id. A message re-sent after a reconnect carries the same three, so the gate drops the copy."""
    return f"{sequence if sequence is not None else ''}:{exchange_id if exchange_id is not None else ''}:" \
           f"{trade_id or ''}"


def tick_of(symbol: str, ts_ms: int, px: float, size: float | int, *, exchange_id: int | None,
            conditions: Iterable[int] | None, sequence: int | None, trade_id: str | None,
            received: datetime | None, fractional: str | None = None) -> Tick | None:
    """A Polygon trade as a :class:`Tick` (``None`` when its conditions say it is not a trade)."""
    condition = condition_of(conditions)
    if condition is None:
        return None
    shares = float(fractional) if fractional else float(size)
    return Tick(symbol.upper(), epoch_utc(ts_ms), float(px), shares, FEED, exchange_of(exchange_id), condition,
                received, trade_id_of(sequence, exchange_id, trade_id))


def quote_of(symbol: str, ts_ms: int, bid: float, bid_lots: float, ask: float, ask_lots: float, *,
             lot_shares: int, received: datetime | None) -> Quote:
    """A Polygon NBBO quote as a :class:`Quote`; sizes from round lots to shares."""
    return Quote(symbol.upper(), epoch_utc(ts_ms), float(bid), float(bid_lots) * lot_shares, float(ask),
                 float(ask_lots) * lot_shares, FEED, received)


def trades_in(volume: float, average_size: float | None) -> int:
    """The number of trades in a socket aggregate: Polygon sends the average trade size ``z`` = volume / trades."""
    if not average_size or average_size <= 0 or volume <= 0:
        return 0
    return max(1, round(volume / average_size))


def bar_of(symbol: str, timeframe: str, start: datetime, end: datetime, o: float, h: float, low: float,
           c: float, volume: float, trades: int, calendar: MarketCalendar, *, otc: bool = False,
           flags: frozenset[str] = frozenset()) -> Bar:
    """A Polygon aggregate as a :class:`Bar`: its session from the calendar, flagged ``otc`` when it is."""
    return Bar(symbol.upper(), timeframe, start, end, float(o), float(h), float(low), float(c),
               max(float(volume), 0.0), max(int(trades), 0), calendar.session_kind(start), FEED,
               flags | {"otc"} if otc else flags)


def timeframe_of(timespan: str, multiplier: int) -> str:
    """Theo's timeframe label of a REST aggregate size (``minute``, 5 -> ``5m``); a ``ValueError`` for sizes whose
    buckets would not be Theo's (see :data:`TIMESPANS`)."""
    found = TIMESPANS.get(timespan)
    if found is None:
        raise ValueError(f"timespan {timespan!r}: use second or minute (Polygon's hour and day buckets are not "
                         f"Theo's; roll minutes up with `theo data bars`)")
    unit, divides = found
    if multiplier < 1 or divides % multiplier:
        raise ValueError(f"multiplier {multiplier} with timespan {timespan!r}: use a divisor of {divides}")
    return f"{multiplier}{unit}"


def bar_span(start: datetime, timeframe: str) -> tuple[datetime, datetime]:
    """``(start, end)`` of an aggregate of ``timeframe`` (``Ns`` / ``Nm``) starting at ``start``."""
    n, unit = int(timeframe[:-1]), timeframe[-1]
    return start, start + timedelta(seconds=n * (60 if unit == "m" else 1))
