"""Universal settings (plan §8) persisted in the ``settings`` table.

Session times are configured as New York wall-clock times; the table keeps each one in ET and as the UTC
time of day it maps to under standard time (EST, UTC−5) and daylight time (EDT, UTC−4), so a reader of
the database never has to guess the offset. Capital is a string so no digit of the Decimal is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from theo.config.market import MarketConfig, OptionCategorySplit
from theo.core.errors import StorageError
from theo.persistence.db import transaction
from theo.persistence.models.core import SettingRow
from theo.persistence.repositories.base import Repository

#: Reference dates whose New York offsets are standard (EST) and daylight (EDT) time.
_STANDARD_DAY = date(2026, 1, 15)
_DAYLIGHT_DAY = date(2026, 7, 15)

#: The keys this module owns in the ``settings`` table.
KEYS = ("capital", "open_time", "close_time", "pre_market", "post_market", "early_close_time", "calendar",
        "extra_holidays", "option_category_split", "timezone")


def _wall(market: MarketConfig, t: time) -> dict[str, str]:
    """A wall-clock time with its UTC time of day in winter and in summer."""
    return {
        "et": t.isoformat(),
        "utc_standard": market.to_utc(_STANDARD_DAY, t).time().isoformat(),
        "utc_daylight": market.to_utc(_DAYLIGHT_DAY, t).time().isoformat(),
    }


def _window(market: MarketConfig, start: time, end: time) -> dict[str, dict[str, str]]:
    return {"start": _wall(market, start), "end": _wall(market, end)}


def settings_rows(market: MarketConfig) -> dict[str, Any]:
    """The JSON values stored per key for ``market``."""
    split = market.option_category_split.model_dump(mode="python")
    return {
        "capital": str(market.capital),
        "timezone": market.timezone,
        "open_time": _wall(market, market.open_time),
        "close_time": _wall(market, market.close_time),
        "pre_market": _window(market, market.pre_market_start, market.open_time),
        "post_market": _window(market, market.close_time, market.post_market_end),
        "early_close_time": _wall(market, market.early_close_time),
        "calendar": market.calendar,
        "extra_holidays": [d.isoformat() for d in sorted(market.extra_holidays)],
        "option_category_split": {k: str(v) for k, v in split.items()},
    }


@dataclass(frozen=True, slots=True)
class StoredSettings:
    """Universal settings as read back from the store."""

    market: MarketConfig
    raw: dict[str, Any]
    updated_at: datetime

    def utc_time(self, key: str, *, daylight: bool) -> time:
        """The stored UTC time of day of ``open_time``/``close_time``/``early_close_time``."""
        value = self.raw[key]["utc_daylight" if daylight else "utc_standard"]
        return time.fromisoformat(value)


class SettingsRepository(Repository):
    """The universal settings of one store (keys :data:`KEYS` of the ``settings`` table)."""

    def save(self, market: MarketConfig, *, now: datetime | None = None) -> None:
        """Write (insert or replace) the universal settings of ``market``."""
        stamp = now or datetime.now(UTC)
        with transaction(self.engine) as session:
            for key, value in settings_rows(market).items():
                row = session.get(SettingRow, key)
                if row is None:
                    session.add(SettingRow(key=key, value=value, updated_at=stamp))
                elif row.value != value:
                    row.value = value
                    row.updated_at = stamp

    def load(self) -> StoredSettings | None:
        """Read the universal settings back; ``None`` when they were never saved (run ``theo db upgrade``)."""
        with transaction(self.engine) as session:
            rows = {r.key: r for r in session.scalars(select(SettingRow).where(SettingRow.key.in_(KEYS)))}
        if not rows:
            return None
        missing = [k for k in KEYS if k not in rows]
        if missing:
            raise StorageError(f"settings table lacks {', '.join(missing)}; run `theo db upgrade --config FILE`")
        raw = {k: rows[k].value for k in KEYS}
        try:
            market = MarketConfig(
                capital=Decimal(raw["capital"]),
                timezone=raw["timezone"],
                open_time=time.fromisoformat(raw["open_time"]["et"]),
                close_time=time.fromisoformat(raw["close_time"]["et"]),
                pre_market_start=time.fromisoformat(raw["pre_market"]["start"]["et"]),
                post_market_end=time.fromisoformat(raw["post_market"]["end"]["et"]),
                early_close_time=time.fromisoformat(raw["early_close_time"]["et"]),
                calendar=raw["calendar"],
                extra_holidays=[date.fromisoformat(d) for d in raw["extra_holidays"]],
                option_category_split=OptionCategorySplit(**{k: Decimal(v) for k, v in
                                                             raw["option_category_split"].items()}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StorageError(f"settings table holds an unreadable value ({exc}); "
                               "run `theo db upgrade --config FILE` to rewrite it") from None
        return StoredSettings(market, raw, max(r.updated_at for r in rows.values()))
