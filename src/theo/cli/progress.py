"""One progress bar for every long command: count done of total, rate and time left, on a terminal only.

Off a terminal (a pipe, a file, cron, systemd) it draws nothing, so logs and redirected output stay clean.
Commands receive a :class:`Tracker` and hand its ``advance`` or ``update`` to the work as a callback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from theo.cli.common import console as default_console
from theo.cli.common import is_terminal

DESCRIPTION_WIDTH = 20


class CountColumn(ProgressColumn):
    """``12,345/80,000`` (or ``12,345 rows`` while the total is unknown; the rate names the unit)."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        done = f"{int(task.completed):,}"
        if task.total is None:
            return Text(f"{done} {self.unit}" if task.completed else "")
        return Text(f"{done}/{int(task.total):,}")


class RateColumn(ProgressColumn):
    """``5,210 rows/s`` from Rich's moving average of the speed."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} {self.unit}/s")


class EtaColumn(TimeRemainingColumn):
    """``ETA 0:01:05`` once the rate is known."""

    def render(self, task: Task) -> Text:
        left = super().render(task)
        return Text("" if task.total is None else f"ETA {left.plain}")


class Tracker:
    """What a command reports progress through; every method does nothing when no bar is shown."""

    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self._progress = progress
        self._task = task

    @property
    def shown(self) -> bool:
        return self._progress is not None

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more done."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=n)

    def update(self, done: int, total: int | None = None, description: str | None = None) -> None:
        """Set the count done (and the total or the description when they become known)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done, total=total,
                                  description=None if description is None else short(description))

    def restart(self, description: str, total: int | None) -> None:
        """Start counting a new stage from zero."""
        if self._progress is not None and self._task is not None:
            self._progress.reset(self._task, total=total, description=short(description))


@contextmanager
def progress_bar(description: str, total: int | None = None, unit: str = "rows", *,
                 console: Console | None = None, enabled: bool | None = None) -> Iterator[Tracker]:
    """A transient bar with the count, rate and time left; shown only when stdout is a terminal."""
    show = is_terminal() if enabled is None else enabled
    if not show:
        yield Tracker(None, None)
        return
    columns = (TextColumn("{task.description}"), BarColumn(bar_width=10), CountColumn(unit), RateColumn(unit),
               EtaColumn())
    with Progress(*columns, console=console or default_console, transient=True) as bar:
        yield Tracker(bar, bar.add_task(short(description), total=total))


def short(description: str, width: int = DESCRIPTION_WIDTH) -> str:
    """The description cut to ``width`` characters (the count, rate and ETA must fit 80 columns)."""
    return description if len(description) <= width else description[:width - 1] + "…"
