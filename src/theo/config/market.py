"""Universal market settings (plan §8): capital, session times, calendar, option category split."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from theo.config.base import Section

ET = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")
#: Calendar names understood by ``theo.core.calendar`` (same strings as ``theo.model.instruments``).
KNOWN_CALENDARS = ("XNYS", "CME_EQUITY")


class OptionCategorySplit(Section):
    """How far (in strike increments) from the money an option must be to count as deep.

    ``itm_strikes`` strikes in the money or fewer is ITM, beyond is DITM; the same for OTM/DOTM. The plan's
    "200 to 100" split is expressed as ``deep_itm_pct``/``deep_otm_pct`` percentages of the underlying
    (market-rules.md §6 platform defaults: 10 %).
    """

    itm_strikes: int = Field(default=2, ge=1)
    otm_strikes: int = Field(default=2, ge=1)
    deep_itm_pct: Decimal = Field(default=Decimal("10"), gt=0, lt=100)
    deep_otm_pct: Decimal = Field(default=Decimal("10"), gt=0, lt=100)
    deep_itm_delta: Decimal = Field(default=Decimal("0.80"), gt=0, le=1)
    deep_otm_delta: Decimal = Field(default=Decimal("0.10"), gt=0, le=1)


class MarketConfig(Section):
    """Universal settings. Times are wall-clock times in ``America/New_York``; for each session date the
    calendar turns them into UTC instants, which is what Theo stores and compares (see
    :meth:`open_utc`)."""

    capital: Decimal = Field(default=Decimal("100000"), gt=0, description="account capital in USD")
    timezone: str = Field(default="America/New_York", description="zone of the wall-clock times below")
    open_time: time = time(9, 30)
    close_time: time = time(16, 0)
    pre_market_start: time = time(4, 0)
    post_market_end: time = time(20, 0)
    early_close_time: time = Field(
        default=time(13, 0),
        description="the NYSE half-day close (market-rules.md §4.1); the calendar takes each day's actual "
                    "early close from the exchange calendar library, which is 13:00 ET since 1993",
    )
    calendar: str = Field(default="XNYS", description="exchange calendar of the session dates: XNYS or CME_EQUITY")
    extra_holidays: list[date] = Field(default_factory=list, description="ad-hoc closures (full days)")
    option_category_split: OptionCategorySplit = OptionCategorySplit()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception as exc:
            raise ValueError(f"unknown timezone {value!r}; use an IANA name such as America/New_York") from exc
        return value

    @field_validator("open_time", "close_time", "pre_market_start", "post_market_end", "early_close_time")
    @classmethod
    def _wall_clock(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError(f"{value.isoformat()} has a UTC offset; write a wall-clock time such as 09:30:00 "
                             "(times are in [market] timezone)")
        return value

    @field_validator("calendar")
    @classmethod
    def _known_calendar(cls, value: str) -> str:
        if value not in KNOWN_CALENDARS:
            raise ValueError(f"unknown calendar {value!r}; expected one of {', '.join(KNOWN_CALENDARS)}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> MarketConfig:
        if not self.pre_market_start <= self.open_time < self.close_time <= self.post_market_end:
            raise ValueError(
                "expected pre_market_start <= open_time < close_time <= post_market_end, got "
                f"{self.pre_market_start} / {self.open_time} / {self.close_time} / {self.post_market_end}"
            )
        return self

    def open_utc(self, day: date) -> datetime:
        """The regular open of ``day`` as a UTC instant (DST handled by the zone)."""
        return self.to_utc(day, self.open_time)

    def close_utc(self, day: date) -> datetime:
        """The regular close of ``day`` as a UTC instant."""
        return self.to_utc(day, self.close_time)

    def to_utc(self, day: date, wall: time) -> datetime:
        """The wall-clock time ``wall`` of ``day`` in :attr:`timezone` as a UTC instant."""
        return datetime.combine(day, wall, tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)
