"""`theo calendar` commands: a day's sessions and a year's holidays and early closes."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from theo.cli.common import ConfigOption, friendly_errors, get_config
from theo.core.calendar import ET, MarketCalendar, SessionTimes, get_calendar
from theo.core.errors import CalendarError

calendar_app = typer.Typer(help="Exchange sessions, holidays and early closes.", no_args_is_help=True)


class CalendarName(StrEnum):
    XNYS = "XNYS"
    CME_EQUITY = "CME_EQUITY"


CalendarOption = Annotated[
    CalendarName | None,
    typer.Option("--calendar", help="calendar (default: market.calendar of the config, XNYS)", show_default=False),
]


def _hm(ts: datetime) -> str:
    return f"{ts.astimezone(ET):%H:%M} ET ({ts:%Y-%m-%d %H:%M} UTC)"


def _range(start: datetime, end: datetime, zone: str) -> str:
    if start.date() == end.date():
        return f"{start:%H:%M}–{end:%H:%M} {zone}"
    return f"{start:%a %Y-%m-%d %H:%M} – {end:%a %Y-%m-%d %H:%M} {zone}"


def _span(start: datetime, end: datetime) -> str:
    """A session window in ET, then in UTC with dates (UTC windows often cross midnight)."""
    et = _range(start.astimezone(ET), end.astimezone(ET), "ET")
    utc = f"{start:%Y-%m-%d} {_range(start, end, 'UTC')}" if start.date() == end.date() else _range(start, end, "UTC")
    return f"{et}   ({utc})"


def session_lines(cal: MarketCalendar, day: date) -> list[str]:
    """The lines `theo calendar show` prints for ``day``."""
    header = f"{cal.name} {day.isoformat()} ({day:%A})"
    s = cal.session(day)
    if s is None:
        reason = "weekend" if day.weekday() >= 5 else f"holiday ({cal.holiday_name(day)})"
        nxt = cal.session(cal.next_session(day))
        assert nxt is not None
        opens = nxt.open.astimezone(ET)
        what = "opens" if cal.name == "CME_EQUITY" else "regular session opens"
        return [header, f"closed: {reason}", f"next session: {nxt.day.isoformat()} ({nxt.day:%A}), {what} "
                f"{opens:%a %Y-%m-%d %H:%M} ET ({nxt.open:%Y-%m-%d %H:%M} UTC)"]
    return [header, *_describe(cal, s)]


def _describe(cal: MarketCalendar, s: SessionTimes) -> list[str]:
    if cal.name == "CME_EQUITY":
        et, _, utc = _span(s.open, s.close).partition("   ")
        lines = [f"  globex:       {et}", f"{'':16}{utc}"]  # two lines: the overnight window is wide
        if s.early_close:
            why = cal.nyse_holiday_name(s.day)
            lines.append(f"early close: yes (halt {s.close.astimezone(ET):%H:%M} ET"
                         + (f"; NYSE holiday: {why})" if why else "; NYSE early close)"))
        else:
            lines.append("early close: no")
        return lines
    lines = [f"  {label + ':':13} {_span(a, b)}" for label, a, b in s.describe()]
    lines.append("early close: " + (f"yes (regular session ends {s.close.astimezone(ET):%H:%M} ET)"
                                    if s.early_close else "no"))
    return lines


def _calendar(config_path: Path | None, name: CalendarName | None) -> MarketCalendar:
    cfg = get_config(config_path)
    return get_calendar(name.value if name else cfg.market.calendar, cfg.market)


@calendar_app.command("show")
@friendly_errors
def show(
    day: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today in New York)",
                                            show_default=False)] = None,
    calendar: CalendarOption = None,
    config: ConfigOption = None,
) -> None:
    """Print a day's pre-market, regular and post-market sessions in ET and UTC."""
    if day is None:
        when = datetime.now(ET).date()
    else:
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise CalendarError(f"--date {day!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-27") from None
    for line in session_lines(_calendar(config, calendar), when):
        typer.echo(line)


@calendar_app.command("holidays")
@friendly_errors
def holidays(
    year: Annotated[int, typer.Option("--year", help="calendar year, 1990–2030")],
    calendar: CalendarOption = None,
    config: ConfigOption = None,
) -> None:
    """List a year's holidays and early closes."""
    cal = _calendar(config, calendar)
    closed = cal.holidays(year)
    typer.echo(f"{cal.name} {year}")
    typer.echo("holidays (closed):")
    for d, name in closed:
        typer.echo(f"  {d.isoformat()} {d:%a}  {name}")
    typer.echo("early closes:")
    for s in cal.early_closes(year):
        why = cal.nyse_holiday_name(s.day) if cal.name == "CME_EQUITY" else None
        note = f"  (NYSE holiday: {why})" if why else ""
        typer.echo(f"  {s.day.isoformat()} {s.day:%a}  closes {_hm(s.close)}{note}")


def register(app: typer.Typer) -> None:
    """Add `theo calendar ...` to the root app."""
    app.add_typer(calendar_app, name="calendar")
