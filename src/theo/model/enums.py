"""Enumerations of the domain (plan §4): exchanges, order and product types, sides, statuses."""

from __future__ import annotations

from enum import StrEnum


class InstrumentKind(StrEnum):
    """What an instrument is; decides contract size, fees and whether it can be ordered."""

    STOCK = "STOCK"
    ETF = "ETF"
    INDEX = "INDEX"  # data only: orders on an index are rejected (market-rules.md §5.2)
    FUTURE = "FUTURE"
    OPTION = "OPTION"


class Exchange(StrEnum):
    """Listing or routing venue of an instrument."""

    SMART = "SMART"
    NYSE = "NYSE"
    NASDAQ = "NASDAQ"
    ARCA = "ARCA"
    CBOE = "CBOE"
    CME = "CME"
    CFE = "CFE"


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_LIMIT = "STOP_LIMIT"
    TRAILING_STOP = "TRAILING_STOP"


class ProductType(StrEnum):
    MARGIN = "MARGIN"
    CASH = "CASH"


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """+1 for BUY, -1 for SELL."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderStatus(StrEnum):
    """States of the order state machine (see ``theo.model.orders``)."""

    CREATED = "CREATED"  # intent persisted, not yet sent
    SUBMITTED = "SUBMITTED"  # handed to the broker, no answer yet
    ACCEPTED = "ACCEPTED"  # working at the broker
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"
    PENDING_MODIFY = "PENDING_MODIFY"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"  # sent, fate not confirmed by the broker: resolve by asking, never resend


class SignalStatus(StrEnum):
    """Status of a generated signal (plan §4 SignalGeneration)."""

    PENDING = "PENDING"
    VALIDATED = "VALIDATED"
    EXECUTED = "EXECUTED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"


class RunStatus(StrEnum):
    """Where a ``theo run`` stands (``engine_runs.status``)."""

    RUNNING = "running"
    STOPPED = "stopped"
    COMPLETED = "completed"
    CRASHED = "crashed"


class TimeInForce(StrEnum):
    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class Routing(StrEnum):
    SMART = "SMART"
    DIRECT = "DIRECT"
    ARCA = "ARCA"
    NYSE = "NYSE"
    NASDAQ = "NASDAQ"
    CBOE = "CBOE"


class Allocation(StrEnum):
    FIFO = "FIFO"
    LIFO = "LIFO"
    PRO_RATA = "PRO_RATA"


class OptionRight(StrEnum):
    CALL = "CALL"
    PUT = "PUT"


class SessionKind(StrEnum):
    """Which part of the trading day a timestamp or bar belongs to."""

    PRE = "PRE"
    REGULAR = "REGULAR"
    POST = "POST"
    CLOSED = "CLOSED"


class CorporateActionKind(StrEnum):
    """What a company did to its shares; each kind says how ``ratio``/``amount``/``new_symbol`` read."""

    SPLIT = "split"  # ratio: new shares per old share, > 1 (7 for a 7-for-1)
    REVERSE_SPLIT = "reverse_split"  # ratio: new shares per old share, < 1 (0.25 for a 1-for-4)
    CASH_DIVIDEND = "cash_dividend"  # amount: cash per share
    STOCK_DIVIDEND = "stock_dividend"  # ratio: extra shares per share held (0.05 for 5 %)
    SYMBOL_CHANGE = "symbol_change"  # new_symbol: the ticker from ex_date on


class Adjustment(StrEnum):
    """How stored (raw) prices are adjusted on read for indicators, correlation, gates and backtests."""

    NONE = "none"
    SPLITS = "splits"
    SPLITS_DIVIDENDS = "splits+dividends"

    @property
    def splits(self) -> bool:
        return self is not Adjustment.NONE

    @property
    def dividends(self) -> bool:
        return self is Adjustment.SPLITS_DIVIDENDS
