"""The one exception tree of Theo.

Every error Theo raises on purpose derives from :class:`TheoError`. The docstring of each class says how
the system reacts to it, so a reader of a traceback or a log line knows what happened next::

    TheoError
    ├── ConfigError                 stop at start-up; the message names file, key, value, expectation
    │   ├── TimeframeError          a timeframe label or a source/target timeframe pair is refused
    │   └── SymbolError             a symbol with spaces, path characters or too many characters
    ├── DataError                   reject the input, keep it in quarantine, carry on
    │   ├── ImportFileError         the whole file cannot be read; nothing is imported
    │   └── QualityRejection        one tick/bar failed the quality gate
    ├── StorageError                stop the component; the store is unreachable or inconsistent
    │   ├── StoreConnectionLost     the server dropped the connection: idempotent writes retry, else stop
    │   └── SingleWriterLockError   a second instance refuses to trade
    ├── CalendarError               stop at start-up (unknown calendar or date out of range)
    ├── FeedError                   retry with back-off, then publish feed.stale
    ├── StrategyError               isolate the strategy: it stops, the others go on
    │   └── RuleSyntaxError         reject the config at load; the message points at the token
    ├── OrderError                  reject the order; nothing is sent
    │   ├── OrderValidationError    price off tick, quantity off lot, missing price ...
    │   ├── IllegalTransition       a bug or a broker message out of order: logged, order set UNKNOWN
    │   └── RiskDenied              a pre-trade check said no; the reason is recorded
    └── BrokerError                 the broker failed; open orders become UNKNOWN and are reconciled
"""

from __future__ import annotations


class TheoError(Exception):
    """Root of every error Theo raises on purpose."""


class ConfigError(TheoError):
    """A configuration file or environment override is invalid.

    Reaction: Theo refuses to start and prints the file, the key, the value and what is expected.
    """


class TimeframeError(ConfigError, ValueError):
    """A timeframe label cannot be read, or bars of one timeframe cannot be built from another.

    Reaction: as :class:`ConfigError`. It is also a ``ValueError`` so that a configuration validator
    (pydantic) reports it beside the field it checks.
    """


class SymbolError(ConfigError, ValueError):
    """A symbol is not a valid instrument symbol (empty, too long, spaces, path characters).

    Reaction: as :class:`ConfigError`; the message names the value and the accepted form. It is also a
    ``ValueError`` so that a configuration validator (pydantic) reports it beside the field it checks.
    """


class DataError(TheoError):
    """Market data cannot be used as given.

    Reaction: the input is rejected with a readable reason, counted and kept in quarantine; processing of
    the remaining input goes on.
    """


class ImportFileError(DataError):
    """A whole import file cannot be read (missing, unknown layout, unknown timezone).

    Reaction: nothing from the file is imported; the command exits non-zero with the reason.
    """


class QualityRejection(DataError):
    """One tick or bar failed a quality-gate rule.

    Reaction: the item goes to quarantine with ``reason``; the feed carries on.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class StorageError(TheoError):
    """The store is unreachable or inconsistent.

    Reaction: the component stops; at start-up Theo exits with the database URL (password masked).
    """


class StoreConnectionLost(StorageError):
    """The connection to the database server was lost (or cannot be opened again) during an operation.

    Reaction: an idempotent write (a run's heartbeat and checkpoint) is retried with back-off on a new
    connection; anything else stops with the message, and a restart resumes from the journal.
    """


class SingleWriterLockError(StorageError):
    """Another live instance holds the single-writer lock of this store.

    Reaction: this instance refuses to trade and exits; read-only commands still work.
    """


class CalendarError(TheoError):
    """An exchange calendar is unknown or a date lies outside its range.

    Reaction: Theo refuses to start (or the command fails) and names the calendar and the date.
    """


class FeedError(TheoError):
    """A market-data feed failed (connection lost, subscription refused).

    Reaction: the feed reconnects with back-off; meanwhile ``feed.stale`` is published for its symbols.
    """


class StrategyError(TheoError):
    """A strategy failed while handling an event.

    Reaction: that strategy is stopped and reported; other strategies and open trades carry on.
    """


class RuleSyntaxError(StrategyError):
    """An entry/exit rule expression cannot be parsed or names an unknown value.

    Reaction: the configuration is rejected at load; the message shows the expression and a caret under
    the offending token.
    """

    def __init__(self, expression: str, position: int, message: str) -> None:
        caret = " " * position + "^"
        super().__init__(f"{message} at position {position}\n  {expression}\n  {caret}")
        self.expression = expression
        self.position = position
        self.message = message


class OrderError(TheoError):
    """An order cannot be created, changed or sent.

    Reaction: the order is rejected before it leaves the process; nothing is sent to the broker.
    """


class OrderValidationError(OrderError):
    """An order's fields are invalid (price off the tick grid, quantity off the lot size, missing price).

    Reaction: the order is rejected with the field, the value and the rule.
    """


class IllegalTransition(OrderError):
    """An order state change outside the state machine was attempted.

    Reaction: the change is refused and logged; the order keeps its state (or is set UNKNOWN and
    reconciled with the broker when the event came from the broker).
    """


class RiskDenied(OrderError):
    """A pre-trade risk or compliance check denied the order.

    Reaction: the order is not sent; the denial and its rule name are recorded and notified.
    """

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(f"{rule}: {reason}")
        self.rule = rule
        self.reason = reason


class BrokerError(TheoError):
    """The broker rejected a request or stopped answering.

    Reaction: orders whose fate is unknown become UNKNOWN and are resolved by asking the broker, never by
    sending them again.
    """
