"""A cron-like schedule: ``minute hour day-of-month month day-of-week``, evaluated in New York time.

Each field accepts ``*``, a number, a range ``a-b``, a step ``*/n`` or ``a-b/n`` and comma lists; months
and weekdays also accept names (``jan``..``dec``, ``mon``..``sun``; 0 and 7 are Sunday). Example:
``*/5 9-15 * * mon-fri`` is every five minutes from 09:00 to 15:55 on weekdays. As in cron, when both the
day-of-month and the day-of-week are restricted, a time matches when either does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from theo.core.calendar import ET

_MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES)}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
#: (name, lowest, highest, names)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)


class CronError(ValueError):
    """A schedule expression is malformed; the message names the field and the value."""


def _value(text: str, name: str, lo: int, hi: int, names: dict[str, int]) -> int:
    key = text.lower()
    if key in names:
        return names[key]
    if not text.isdigit():
        raise CronError(f"{name} field: {text!r} is not a number" + (f" or a name ({', '.join(names)})"
                                                                    if names else ""))
    v = int(text)
    if not lo <= v <= hi:
        raise CronError(f"{name} field: {v} is outside {lo}-{hi}")
    return v


def _field(text: str, name: str, lo: int, hi: int, names: dict[str, int]) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        if not part:
            raise CronError(f"{name} field: empty list item in {text!r}")
        rng, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise CronError(f"{name} field: step {step_text!r} must be a positive whole number")
            step = int(step_text)
        if rng == "*":
            a, b = lo, hi
        elif "-" in rng:
            left, _, right = rng.partition("-")
            a, b = _value(left, name, lo, hi, names), _value(right, name, lo, hi, names)
            if a > b:
                raise CronError(f"{name} field: range {rng!r} runs backwards")
        else:
            a = _value(rng, name, lo, hi, names)
            b = hi if step_text else a
        out.update(range(a, b + 1, step))
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A parsed schedule; :meth:`matches` tells whether a minute is due."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    days_restricted: bool
    weekdays_restricted: bool

    def matches(self, ts: datetime) -> bool:
        """True when the New York wall-clock minute of ``ts`` (UTC-aware) is in the schedule."""
        t = ts.astimezone(ET)
        if t.minute not in self.minutes or t.hour not in self.hours or t.month not in self.months:
            return False
        dom = t.day in self.days
        dow = (t.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return dom or dow
        return dom and dow


def parse_cron(expression: str) -> CronSchedule:
    """Parse a five-field expression; raise :class:`CronError` naming the bad field."""
    parts = expression.split()
    if len(parts) != 5:
        raise CronError(f"schedule {expression!r} has {len(parts)} fields; expected 5: "
                        "minute hour day-of-month month day-of-week (e.g. '*/5 9-15 * * mon-fri')")
    sets = [_field(p, *spec) for p, spec in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in sets[4])
    return CronSchedule(expression, sets[0], sets[1], sets[2], sets[3], weekdays,
                        parts[2] != "*", parts[4] != "*")
