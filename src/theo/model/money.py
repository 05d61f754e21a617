"""Money and price helpers: everything that is money is a finite :class:`~decimal.Decimal`."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

ZERO = Decimal(0)


def to_decimal(value: object, *, field: str = "value") -> Decimal:
    """Convert ``value`` to a finite Decimal, going through ``str`` for floats (no binary noise).

    Raises ``ValueError`` naming ``field`` when the value is not a finite number.
    """
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{field}={value!r} is not a number") from exc
    if not result.is_finite():
        raise ValueError(f"{field}={value!r} is not finite")
    return result


def is_on_tick(price: Decimal, tick_size: Decimal) -> bool:
    """True when ``price`` is an exact multiple of ``tick_size``."""
    return tick_size > 0 and (price % tick_size) == 0


def round_to_tick(price: Decimal, tick_size: Decimal, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    """Round ``price`` to the nearest multiple of ``tick_size`` (banker's rounding by default).

    The result carries the tick's exponent (``100.00`` for a 0.01 tick), never ``normalize()``'s
    scientific form such as ``1E+2``.
    """
    if tick_size <= 0:
        raise ValueError(f"tick_size={tick_size} must be > 0")
    steps = (price / tick_size).quantize(Decimal(1), rounding=rounding)
    return steps * tick_size


def cents(amount: Decimal) -> Decimal:
    """Round an amount of USD to the cent (half-even)."""
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
