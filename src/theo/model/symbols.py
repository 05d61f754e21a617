"""The one rule for instrument symbols, used by the configuration, the command line and the importer.

A symbol is upper-case letters and digits, optionally split by single ``.``, ``-`` or ``/`` characters
(``BRK.B``, ``BF-B``, ``EUR/USD``, futures such as ``MESZ26``), at most :data:`MAX_SYMBOL_LENGTH` characters.
The limit leaves room below every ``symbol`` column of the database (32 characters) and covers the longest
broker symbols Theo trades (21, an OCC option root with its expiry, right and strike written without
spaces). Anything else (spaces, ``../``, control characters) is refused with a message naming the value.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

from theo.core.errors import SymbolError

MAX_SYMBOL_LENGTH = 21
_SYMBOL = re.compile(r"[A-Z0-9]+(?:[./-][A-Z0-9]+)*")
_FORM = ("upper-case letters and digits, optionally split by single '.', '-' or '/' "
         f"(e.g. SPY, BRK.B, BF-B, MESZ26), at most {MAX_SYMBOL_LENGTH} characters")


def is_symbol(value: str) -> bool:
    """Whether ``value`` is a valid symbol as written (no case folding, no trimming)."""
    return len(value) <= MAX_SYMBOL_LENGTH and _SYMBOL.fullmatch(value) is not None


def check_symbol(value: str, *, what: str = "symbol") -> str:
    """Return ``value`` when it is a valid symbol as written; raise :class:`SymbolError` naming it otherwise."""
    if is_symbol(value):
        return value
    shown = value if len(value) <= 40 else value[:37] + "..."
    if value and is_symbol(value.strip().upper()):
        raise SymbolError(f"{what} {shown!r} must be written {value.strip().upper()!r}: {_FORM}")
    if len(value) > MAX_SYMBOL_LENGTH:
        raise SymbolError(f"{what} {shown!r} has {len(value)} characters; a symbol is {_FORM}")
    raise SymbolError(f"{what} {shown!r} is not a symbol; a symbol is {_FORM}")


def parse_symbol(value: str, *, what: str = "symbol") -> str:
    """The symbol typed by a user: trimmed and upper-cased, then checked (``spy`` gives ``SPY``)."""
    return check_symbol(value.strip().upper(), what=what)


def _pydantic_symbol(value: str) -> str:
    return check_symbol(value)


#: A configuration field holding one symbol, written upper-case.
Symbol = Annotated[str, AfterValidator(_pydantic_symbol)]

__all__ = ["MAX_SYMBOL_LENGTH", "Symbol", "check_symbol", "is_symbol", "parse_symbol"]
