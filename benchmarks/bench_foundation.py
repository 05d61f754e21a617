"""Foundation hot paths: calendar look-ups (per-tick quality gate), bus dispatch, simulated-clock timers.

No targets are set for these; the figures show the per-event overhead the rest of the engine pays.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from benchmarks.common import Result, Section, best_of

LOOKUPS = 200_000
MESSAGES = 200_000
TIMERS = 100_000


def _calendar() -> list[Result]:
    from theo.core.calendar.sessions import MarketCalendar

    build, cal = best_of(lambda: MarketCalendar("XNYS"), repeat=3)
    start = datetime(2026, 1, 2, tzinfo=UTC)
    stamps = [start + timedelta(seconds=157 * i) for i in range(LOOKUPS)]  # ~1 year, every session kind

    def lookups() -> int:
        return sum(1 for ts in stamps if cal.is_open(ts, extended=True))

    t, _ = best_of(lookups)
    return [
        Result("XNYS calendar build (1990–2030)", build * 1000, "ms", note="once per process (cached)"),
        Result("calendar session_kind look-ups", LOOKUPS / t, "look-ups/s", note="UTC timestamps over 2026"),
    ]


def _bus() -> list[Result]:
    from theo.core.bus import InMemoryBus

    bus = InMemoryBus(raise_errors=True)
    count = [0]

    def handler(topic: str, msg: object) -> None:
        count[0] += 1

    bus.subscribe("ticks.*", handler)
    bus.subscribe("ticks.SPY", handler)
    bus.subscribe("bars.>", handler)

    def publish() -> None:
        for i in range(MESSAGES):
            bus.publish("ticks.SPY", i)

    t, _ = best_of(publish)
    return [Result("bus publish, 2 matching of 3 subscribers", MESSAGES / t, "messages/s")]


def _clock() -> list[Result]:
    from theo.core.clock import SimulatedClock

    start = datetime(2026, 1, 2, tzinfo=UTC)

    def run() -> None:
        clock = SimulatedClock(start)
        for i in range(TIMERS):
            clock.call_at(start + timedelta(seconds=i % 3600), lambda t: None)
        clock.advance_to(start + timedelta(hours=2))

    t, _ = best_of(run)
    return [Result("simulated clock: set + fire timers", TIMERS / t, "timers/s")]


def run() -> Section:
    return Section(
        title="Foundation: calendar, bus, clock",
        command="python -m benchmarks foundation",
        results=[*_calendar(), *_bus(), *_clock()],
        notes=["Pure Python, one core; best of 3 runs."],
    )
