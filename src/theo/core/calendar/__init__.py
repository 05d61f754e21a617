"""Exchange calendars: NYSE sessions with extended hours, and CME equity-futures sessions."""

from theo.core.calendar.sessions import ET, MarketCalendar, SessionTimes, et_date, get_calendar

__all__ = ["ET", "MarketCalendar", "SessionTimes", "et_date", "get_calendar"]
