"""Read corporate actions from a CSV file (``theo data actions import``): all rows or none.

Columns (header row, any order, case-insensitive): ``symbol``, ``kind``, ``ex_date`` (YYYY-MM-DD) are
required; ``ratio``, ``amount``, ``pay_date``, ``new_symbol``, ``source``, ``note`` are optional. ``ratio``
takes a number (new shares per old share: ``7``, ``0.25``) or the way a trader writes a split: ``7:1``,
``7-for-1``, ``1:4`` (new:old). Every mistake is reported with its file, line, field and value.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from theo.core.errors import DataError, ImportFileError, SymbolError
from theo.model.enums import CorporateActionKind
from theo.model.reference import CorporateAction
from theo.model.symbols import parse_symbol

REQUIRED = ("symbol", "kind", "ex_date")
OPTIONAL = ("ratio", "amount", "pay_date", "new_symbol", "source", "note")
#: Spellings a vendor file uses for our kinds.
KIND_ALIASES = {"dividend": CorporateActionKind.CASH_DIVIDEND, "cash": CorporateActionKind.CASH_DIVIDEND,
                "reverse": CorporateActionKind.REVERSE_SPLIT, "forward_split": CorporateActionKind.SPLIT,
                "ticker_change": CorporateActionKind.SYMBOL_CHANGE}
_RATIO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?::|-for-|/| for )\s*(\d+(?:\.\d+)?)\s*$", re.IGNORECASE)
MAX_SHOWN = 20


class _Row:
    """One CSV row being read; problems go to the shared list instead of stopping at the first."""

    def __init__(self, path: Path, line: int, cells: dict[str, str], problems: list[str]) -> None:
        self.path, self.line, self.cells, self.problems = path, line, cells, problems

    def bad(self, field: str, value: str, expected: str) -> None:
        self.problems.append(f"{self.path}:{self.line}: {field}={value!r}: {expected}")

    def text(self, field: str) -> str:
        return (self.cells.get(field) or "").strip()

    def day(self, field: str) -> date | None:
        value = self.text(field)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.bad(field, value, "expected a date YYYY-MM-DD")
            return None

    def number(self, field: str) -> Decimal | None:
        value = self.text(field)
        if not value:
            return None
        m = _RATIO.match(value) if field == "ratio" else None
        try:
            got = Decimal(m.group(1)) / Decimal(m.group(2)) if m else Decimal(value)
        except (InvalidOperation, ZeroDivisionError):
            got = None
        if got is None or not got.is_finite() or got <= 0:
            self.bad(field, value, "expected a positive number" + (" or NEW:OLD such as 7:1 or 1:4"
                                                                   if field == "ratio" else ""))
            return None
        return got

    def symbol(self, field: str) -> str | None:
        value = self.text(field)
        try:
            return parse_symbol(value, what=field)
        except SymbolError as exc:
            self.bad(field, value, str(exc))
            return None

    def kind(self) -> CorporateActionKind | None:
        value = self.text("kind").lower().replace(" ", "_").replace("-", "_")
        if value in KIND_ALIASES:
            return KIND_ALIASES[value]
        try:
            return CorporateActionKind(value)
        except ValueError:
            self.bad("kind", self.text("kind"), "expected one of " + ", ".join(k.value for k in CorporateActionKind))
            return None


def read_actions_csv(path: Path, *, default_source: str = "csv") -> list[CorporateAction]:
    """Every action in ``path``; raise :class:`DataError` naming each bad line, field and value."""
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file; give the path of a CSV with columns "
                              f"{', '.join(REQUIRED)}[, {', '.join(OPTIONAL)}]")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFileError(f"{path}:1: the header lacks {', '.join(missing)} (it has "
                              f"{', '.join(header) or 'nothing'}); expected {', '.join(REQUIRED)}"
                              f"[, {', '.join(OPTIONAL)}]")
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if unknown:
        raise ImportFileError(f"{path}:1: unknown column(s) {', '.join(unknown)}; "
                              f"known: {', '.join(REQUIRED + OPTIONAL)}")
    problems: list[str] = []
    actions: list[CorporateAction] = []
    seen: dict[tuple[str, str, date, str], int] = {}
    for n, raw in enumerate(reader, start=2):
        cells = {k.strip().lower(): v for k, v in raw.items() if k is not None}
        if not any((v or "").strip() for v in cells.values()):
            continue
        row = _Row(path, n, cells, problems)
        before = len(problems)
        symbol, kind, ex = row.symbol("symbol"), row.kind(), row.day("ex_date")
        if not row.text("ex_date"):
            row.bad("ex_date", "", "required")
        ratio, amount, pay = row.number("ratio"), row.number("amount"), row.day("pay_date")
        new_symbol = row.symbol("new_symbol") if row.text("new_symbol") else None
        source = row.text("source") or default_source
        if len(source) > 32:
            row.bad("source", source, "at most 32 characters")
        if len(problems) > before or symbol is None or kind is None or ex is None:
            continue
        try:
            action = CorporateAction(symbol, kind, ex, amount, ratio, pay, source, row.text("note")[:200], new_symbol)
        except DataError as exc:
            problems.append(f"{path}:{n}: {exc}")
            continue
        key = (symbol, kind.value, ex, source)
        if key in seen:
            problems.append(f"{path}:{n}: {kind.value} of {symbol} on {ex} from {source} is already on line "
                            f"{seen[key]}; keep one")
            continue
        seen[key] = n
        actions.append(action)
    if problems:
        more = f"\n... and {len(problems) - MAX_SHOWN} more" if len(problems) > MAX_SHOWN else ""
        raise DataError(f"{path}: {len(problems)} bad row(s), nothing imported; fix them and import again:\n"
                        + "\n".join(problems[:MAX_SHOWN]) + more)
    return actions
