"""Import tick, quote and bar files into the store; bad rows go to the quarantine with their reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from theo.core.errors import DataError, ImportFileError
from theo.data.config import InputLimits
from theo.data.files import PROVIDER_SUSPICIOUS, BarColumns, ReadResult, RowRejection, TickColumns, read_market_file
from theo.data.quarantine import QuarantineItem
from theo.model.symbols import parse_symbol

ImportProgress = Callable[[str, int, int | None], None]


class ImportStore(Protocol):
    """Where an import goes: idempotent tick and bar writes, and the quarantine."""

    def write_ticks(self, ticks: TickColumns, source: str, progress: Callable[[int], None] | None = None) -> int:
        """Store ticks (one already stored is kept); return how many were new; report ticks written so far."""
        ...

    def write_bars(self, bars: BarColumns, source: str) -> int:
        """Store bars (one already stored is kept); return how many were new."""
        ...

    def write_quarantine(self, items: Sequence[QuarantineItem]) -> int:
        """Keep rejected rows with their reason (a row already kept is not added again)."""
        ...


@dataclass
class ImportSummary:
    """What one file gave: rows read, imported, already present, and rejected per reason."""

    path: Path
    symbol: str
    kind: str
    timeframe: str | None
    rows_read: int = 0
    imported: int = 0
    already_present: int = 0
    rejected: dict[str, int] = field(default_factory=dict)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


def import_file(store: ImportStore, path: str | Path, symbol: str, tz: str | None = None,
                timeframe: str | None = None, progress: ImportProgress | None = None,
                limits: InputLimits | None = None) -> ImportSummary:
    """Read, validate and store one file; re-importing it adds nothing.

    ``progress(stage, done, total)`` hears ``reading`` (no count: the file is read whole) and then
    ``storing`` with the rows stored so far.

    Rows outside ``limits`` (``[marketdata.validation]``: timestamp window, price and size bounds, tick
    grid, whole sizes) are quarantined with their reason; a futures contract's prices must be on its
    exchange tick (ESZ13: 0.25). Ticks the provider flags as suspicious are quarantined (reason
    ``provider_suspicious``), not stored.
    Quote files are validated and their bad rows quarantined, but quotes are not stored (no quotes
    table yet): the summary then shows 0 imported.
    """
    p = Path(path)
    if not symbol.strip():
        raise ImportFileError(f"{p}: --symbol is empty; give the instrument symbol, e.g. --symbol SPY")
    sym = parse_symbol(symbol, what="--symbol")
    report = progress or _quiet
    report("reading", 0, None)
    result = read_market_file(p, sym, tz=tz, timeframe=timeframe, limits=instrument_limits(sym, limits))
    source = str(p.resolve())  # one quarantine key per file, whatever the working directory
    rejections = list(result.rejections)
    summary = ImportSummary(p, sym, result.kind, result.timeframe)
    if result.ticks is not None:
        ticks = result.ticks
        sus = ticks.suspicious
        rejections += [
            RowRejection(int(line), "suspicious", "1", PROVIDER_SUSPICIOUS, "flagged bad by the data provider",
                         f"{ts},{price!r},{size!r},{ex},{cond},1", int(ts))
            for line, ts, price, size, ex, cond in zip(
                ticks.line[sus].tolist(), ticks.ts_us[sus].tolist(), ticks.price[sus].tolist(),
                ticks.size[sus].tolist(), ticks.exchange[sus].tolist(), ticks.condition[sus].tolist(),
                strict=True)
        ]
        kept = ticks.select(~sus)
        report("storing", 0, len(kept))
        summary.imported = store.write_ticks(kept, p.name[:32], lambda done: report("storing", done, len(kept)))
        summary.already_present = len(kept) - summary.imported
    elif result.bars is not None:
        report("storing", 0, len(result.bars))
        summary.imported = store.write_bars(result.bars, p.name[:32])
        report("storing", len(result.bars), len(result.bars))
        summary.already_present = len(result.bars) - summary.imported
    summary.rows_read = result.rows + len(result.rejections)
    summary.rejected = dict(Counter(r.reason for r in rejections))
    store.write_quarantine([QuarantineItem.from_rejection(r, kind=_kind(result), source=source, symbol=sym)
                            for r in rejections])
    return summary


def instrument_limits(symbol: str, limits: InputLimits | None) -> InputLimits:
    """``limits`` with the instrument's own price grid where Theo knows it (a futures contract's tick)."""
    from theo.data.futures.contracts import parse_symbol as parse_contract

    base = limits or InputLimits()
    if base.price_increment == 0:
        return base
    try:
        contract = parse_contract(symbol)
    except DataError:
        return base
    return base.model_copy(update={"price_increment": float(contract.spec.tick_size)})


def _quiet(stage: str, done: int, total: int | None) -> None:
    """No progress report (the default)."""


def _kind(result: ReadResult) -> str:
    return {"ticks": "tick", "bars": "bar", "quotes": "quote"}[result.kind]
