"""Tables a trader reads on a terminal: short unique ids, prices to the tick, columns chosen by width.

Files and pipes get the full data instead (``--format csv|json``): full ids, exact values, UTC times.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from rich.table import Table

CENT = Decimal("0.01")
ELLIPSIS = "…"
_TOKEN = re.compile(r"[0-9A-Za-z]{11,}")  # a hash or sequence number long enough to be worth shortening
_MIN_KEPT = 6
_PADDING = 3  # Rich's cell padding and the column separator
WIDE = 1000  # the print width of a --wide table: lines as long as they need, the terminal or `less -S` copes


class OutputFormat(StrEnum):
    """How a listing is printed: a table for people, CSV or JSON for programs."""

    table = "table"
    csv = "csv"
    json = "json"


def price_text(value: Decimal | float | None, tick: Decimal = CENT) -> str:
    """A price rounded to the instrument's tick decimals, never fewer than two: ``167.30``, ``168.00``."""
    if value is None:
        return ""
    places = max(2, -tick.normalize().as_tuple().exponent)  # type: ignore[operator]
    return f"{Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"


def qty_text(value: Decimal | None) -> str:
    """A quantity without trailing zeros: ``100``, ``0.5``."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def short_ids(ids: Iterable[str]) -> dict[str, str]:
    """A display form of each id that stays unique among ``ids``: the long hash in it cut to a prefix + ``…``.

    ``dc-s1845919202731836469-entry-sl`` becomes ``dc-s184591…-entry-sl``; the prefix grows until no two ids
    collide, and an id whose short form would still collide is kept whole.
    """
    full = list(dict.fromkeys(ids))
    tokens = {m.group() for i in full for m in _TOKEN.finditer(i)}
    longest = max(map(len, tokens), default=0)
    # Distinct hashes must keep distinct prefixes, or two trades' orders would read as one trade's.
    keep = next((k for k in range(_MIN_KEPT, longest) if len({t[:k] for t in tokens}) == len(tokens)), None)
    if keep is None:
        return {i: i for i in full}
    return {i: _TOKEN.sub(lambda m: m.group()[:keep] + ELLIPSIS, i) for i in full}


@dataclass(frozen=True, slots=True)
class Column:
    """A table column; ``priority`` 0 is always shown, higher numbers are dropped first on a narrow terminal."""

    name: str
    priority: int = 0
    justify: str = "left"
    max_width: int | None = None


def fitted_table(columns: Sequence[Column], rows: Sequence[Mapping[str, str]], width: int | None, *,
                 title: str | None = None) -> tuple[Table, list[str]]:
    """A table of the columns that fit in ``width`` characters; also the names of the columns left out.

    ``width=None`` (``--wide``) keeps every column and cell whole: print it with :data:`WIDE` as the width.
    """
    if width is None:
        table = Table(title=title)
        for c in columns:
            table.add_column(c.name, justify=c.justify, no_wrap=True)  # type: ignore[arg-type]
        for r in rows:
            table.add_row(*(r.get(c.name, "") for c in columns))
        return table, []
    need = {c.name: min(max([len(c.name), *(len(r.get(c.name, "")) for r in rows)]), c.max_width or 10**6)
            + _PADDING for c in columns}
    shown = list(columns)
    for c in sorted(columns, key=lambda c: -c.priority):
        if sum(need[s.name] for s in shown) + 1 <= width or c.priority == 0:
            break
        shown.remove(c)
    table = Table(title=title)
    for c in shown:
        table.add_column(c.name, justify=c.justify, max_width=c.max_width, overflow="ellipsis",  # type: ignore[arg-type]
                         no_wrap=c.max_width is None)
    for r in rows:
        table.add_row(*(r.get(c.name, "") for c in shown))
    return table, [c.name for c in columns if c not in shown]


def write_records(records: Sequence[Mapping[str, Any]], fmt: OutputFormat) -> None:
    """Print records as CSV (a header row; nested values as JSON) or as a JSON list on stdout."""
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(list(records), indent=2, default=str) + "\n")
        return
    if not records:
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(records[0]), lineterminator="\n")
    writer.writeheader()
    for r in records:
        writer.writerow({k: json.dumps(v, default=str) if isinstance(v, list | dict) else v for k, v in r.items()})
