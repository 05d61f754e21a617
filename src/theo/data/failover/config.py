"""Configuration of market-data fail-over: which feed is primary, which takes over, and when."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from theo.config.base import Section

FeedName = Literal["ibkr", "polygon"]


class FeedsConfig(Section):
    """``[feeds]``: the primary feed, the fail-over feed and the freshness rules that switch between them.

    A symbol is *stale* on a feed when that feed delivered nothing for it for ``stale_after_seconds`` while its
    market is open (or when the feed's connection is down). A stale primary hands the symbol to the secondary;
    the primary takes it back once it has been fresh again for ``failback_after_seconds``.
    """

    primary: FeedName = "ibkr"
    #: The fail-over feed; "" runs on the primary alone (no fail-over).
    secondary: FeedName | Literal[""] = ""
    #: Seconds without any event for a symbol (in session) after which a feed counts as stale for it.
    stale_after_seconds: float = Field(default=5.0, gt=0, le=3600)
    #: Per-symbol overrides of ``stale_after_seconds`` (a thinly traded symbol prints less often).
    stale_after_by_symbol: dict[str, float] = Field(default_factory=dict)
    #: The primary must be fresh this long before a symbol goes back to it (no flapping).
    failback_after_seconds: float = Field(default=30.0, ge=0, le=86_400)
    #: Watch freshness in pre- and post-market too, not only in the regular session.
    extended_hours: bool = False
    #: How often the supervisor looks at freshness (seconds of wall time).
    check_every_seconds: float = Field(default=0.25, gt=0, le=10)
    #: Exchange times are compared at this resolution when two feeds' prints are matched at a switch:
    #: IBKR's tick-by-tick prints carry whole seconds, Polygon's nanoseconds.
    match_resolution_ms: int = Field(default=1000, ge=1, le=60_000)

    @field_validator("stale_after_by_symbol")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        out = {}
        for symbol, seconds in value.items():
            if not symbol.strip():
                raise ValueError("stale_after_by_symbol has an empty symbol name")
            if not 0 < seconds <= 3600:
                raise ValueError(f"stale_after_by_symbol.{symbol} = {seconds!r}: give seconds in (0, 3600]")
            out[symbol.strip().upper()] = float(seconds)
        return out

    @model_validator(mode="after")
    def _two_feeds(self) -> FeedsConfig:
        if self.secondary == self.primary:
            raise ValueError(f'secondary = "{self.secondary}" is also the primary; name another feed or "" for '
                             f"no fail-over")
        return self

    def stale_after(self, symbol: str) -> float:
        """Seconds of silence after which ``symbol`` is stale on a feed."""
        return self.stale_after_by_symbol.get(symbol, self.stale_after_seconds)
