"""Bus payloads on the wire: the engine's dataclasses as versioned JSON, lossless.

The in-process bus hands objects over by reference; across processes (NATS) they travel as bytes. This codec
turns a message into JSON that decodes to an equal object: floats keep every bit (``repr`` round-trips),
``Decimal`` keeps its digits and exponent (``1.10`` stays ``1.10``), datetimes keep their offset and
microseconds, enums come back as members, tuples as tuples and sets as sets, dataclasses (``Tick``, ``Bar``,
``Signal``, ``Order`` with its fills, ``Trade``, ``StateChange``, feed events...) as their class.

Only registered classes are ever built from the wire (never a class named by an arbitrary string): a dataclass
is registered with :func:`register`, which also registers the dataclasses and enums its fields name. The
envelope carries :data:`VERSION`; a payload of another version is refused with a clear error, and a field the
class no longer has is ignored (a newer publisher) while a missing one takes its default (an older one).

Wire form: ``{"v": 1, "m": <value>}``; a plain JSON value stands for itself, and a tagged value is an object
with exactly one key starting with ``$``: ``$d`` Decimal, ``$t`` datetime, ``$date``, ``$td`` timedelta
(µs), ``$e`` [enum, member name], ``$c`` [class, fields], ``$tu`` tuple, ``$set``, ``$fs`` frozenset, ``$m``
mapping as key/value pairs (keys that are not strings, or a lone key that starts with ``$``), ``$f`` a float
JSON cannot spell (nan, inf), ``$b`` bytes (hex).
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from theo.core.errors import TheoError

VERSION = 1


class CodecError(TheoError):
    """A bus payload that cannot be encoded or decoded (names the type or the tag)."""


_CLASSES: dict[str, type[Any]] = {}
_ENUMS: dict[str, type[Enum]] = {}
_FIELDS: dict[type[Any], tuple[tuple[str, ...], tuple[str, ...]]] = {}  # class -> (init fields, other fields)
_CLASS_NAMES: dict[type[Any], str] = {}


def _name(cls: type[Any]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def register(*classes: type[Any]) -> None:
    """Allow these dataclasses (and enums) on the wire, with every dataclass and enum their fields name."""
    for cls in classes:
        if isinstance(cls, type) and issubclass(cls, Enum):
            _ENUMS[_name(cls)] = cls
            continue
        if _name(cls) in _CLASSES:
            continue
        if not dataclasses.is_dataclass(cls):
            if not _slotted(cls):
                raise CodecError(f"{_name(cls)} is neither a dataclass, an enum nor a class with __slots__")
            _CLASSES[_CLASS_NAMES.setdefault(cls, _name(cls))] = cls
            _FIELDS[cls] = ((), _slots(cls))
            continue
        _CLASSES[_CLASS_NAMES.setdefault(cls, _name(cls))] = cls
        fields = dataclasses.fields(cls)
        _FIELDS[cls] = (tuple(f.name for f in fields if f.init), tuple(f.name for f in fields if not f.init))
        try:
            hints = typing.get_type_hints(cls)
        except Exception:  # a hint that does not resolve: its types must then be registered by hand
            continue
        for hint in hints.values():
            register(*_named_types(hint))


def _slotted(cls: type[Any]) -> bool:
    """A plain value class of Theo's own with ``__slots__`` (the ledger's ``Position``)."""
    return cls.__module__.startswith("theo.") and "__slots__" in cls.__dict__


def _slots(cls: type[Any]) -> tuple[str, ...]:
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        for n in klass.__dict__.get("__slots__", ()):
            if n not in names and not n.startswith("__"):
                names.append(n)
    return tuple(names)


def _named_types(hint: Any) -> list[type[Any]]:
    """The dataclasses, enums and slotted value classes inside a type hint (``list[Fill]``, ``Side | None``)."""
    found: list[type[Any]] = []
    stack = [hint]
    while stack:
        h = stack.pop()
        if isinstance(h, type) and (dataclasses.is_dataclass(h) or issubclass(h, Enum) or _slotted(h)):
            found.append(h)
        stack.extend(typing.get_args(h))
    return found


def encode(message: Any) -> bytes:
    """The wire bytes of ``message`` (raises :class:`CodecError` for a type the codec does not know)."""
    return json.dumps({"v": VERSION, "m": _enc(message)}, separators=(",", ":"), allow_nan=False).encode()


def decode(data: bytes) -> Any:
    """The message of wire bytes made by :func:`encode`."""
    try:
        envelope = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CodecError(f"bus payload is not JSON ({exc}); was it published by another program?") from exc
    if not isinstance(envelope, dict) or "v" not in envelope or "m" not in envelope:
        raise CodecError("bus payload has no codec envelope {'v': ..., 'm': ...}; was it published by Theo?")
    if envelope["v"] != VERSION:
        raise CodecError(f"bus payload version {envelope['v']!r}, this Theo reads version {VERSION}: run the "
                         f"same Theo version in every service")
    return _dec(envelope["m"])


def _enc(v: Any) -> Any:
    t = type(v)  # the exact types first: the hot path (a tick's fields) takes a few identity checks
    if t is str or t is int or t is bool or v is None:
        return v
    if t is float:
        return v if math.isfinite(v) else {"$f": repr(v)}
    if t is datetime:
        return {"$t": v.isoformat()}
    if t is Decimal:
        return {"$d": str(v)}
    known = _FIELDS.get(t)
    if known is not None:
        return {"$c": [_CLASS_NAMES[t], {n: _enc(getattr(v, n)) for n in (*known[0], *known[1])}]}
    return _enc_other(v)


def _enc_other(v: Any) -> Any:
    if isinstance(v, Enum):  # before str and int: a StrEnum member is a str too
        cls = type(v)
        if _name(cls) not in _ENUMS:
            _ENUMS[_name(cls)] = cls  # an enum met on the way out is known on the way back in this process
        return {"$e": [_name(cls), v.name]}
    if isinstance(v, bool | str | int):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else {"$f": repr(v)}
    if isinstance(v, Decimal):
        return {"$d": str(v)}
    if isinstance(v, datetime):
        return {"$t": v.isoformat()}
    if isinstance(v, date):
        return {"$date": v.isoformat()}
    if isinstance(v, timedelta):
        return {"$td": (v.days * 86_400 + v.seconds) * 1_000_000 + v.microseconds}
    cls = type(v)
    if cls in _FIELDS or (dataclasses.is_dataclass(v) and not isinstance(v, type)):
        if _name(cls) not in _CLASSES:
            raise CodecError(f"{_name(cls)} is not registered for the bus; call theo.core.bus.codec.register")
        init, other = _FIELDS[cls]
        return {"$c": [_name(cls), {n: _enc(getattr(v, n)) for n in (*init, *other)}]}
    if isinstance(v, list):
        return [_enc(x) for x in v]
    if isinstance(v, tuple):
        return {"$tu": [_enc(x) for x in v]}
    if isinstance(v, frozenset):
        return {"$fs": [_enc(x) for x in v]}
    if isinstance(v, set):
        return {"$set": [_enc(x) for x in v]}
    if isinstance(v, dict):
        if all(isinstance(k, str) for k in v) and not (len(v) == 1 and next(iter(v)).startswith("$")):
            return {k: _enc(x) for k, x in v.items()}
        return {"$m": [[_enc(k), _enc(x)] for k, x in v.items()]}
    if isinstance(v, bytes):
        return {"$b": v.hex()}
    raise CodecError(f"cannot put a {type(v).__name__} on the bus; use a registered dataclass, a dict or a value")


def _dec(v: Any) -> Any:
    if isinstance(v, list):
        return [_dec(x) for x in v]
    if not isinstance(v, dict):
        return v
    if len(v) == 1:
        (tag, body), = v.items()
        if tag.startswith("$"):
            return _tagged(tag, body)
    return {k: _dec(x) for k, x in v.items()}


def _tagged(tag: str, body: Any) -> Any:
    if tag == "$d":
        return Decimal(body)
    if tag == "$t":
        return datetime.fromisoformat(body)
    if tag == "$date":
        return date.fromisoformat(body)
    if tag == "$td":
        return timedelta(microseconds=body)
    if tag == "$f":
        return float(body)
    if tag == "$e":
        cls = _ENUMS.get(body[0])
        if cls is None:
            raise CodecError(f"unknown enum {body[0]} on the bus: run the same Theo version in every service")
        return cls[body[1]]
    if tag == "$c":
        return _build(body[0], body[1])
    if tag == "$tu":
        return tuple(_dec(x) for x in body)
    if tag == "$set":
        return {_dec(x) for x in body}
    if tag == "$fs":
        return frozenset(_dec(x) for x in body)
    if tag == "$m":
        return {_hashable(_dec(k)): _dec(x) for k, x in body}
    if tag == "$b":
        return bytes.fromhex(body)
    raise CodecError(f"unknown tag {tag} in a bus payload: run the same Theo version in every service")


def _hashable(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


def _build(name: str, fields: dict[str, Any]) -> Any:
    cls = _CLASSES.get(name)
    if cls is None:
        raise CodecError(f"{name} is not registered for the bus in this process (run the same Theo version "
                         f"in every service)")
    init, other = _FIELDS[cls]
    obj = cls(**{n: _dec(fields[n]) for n in init if n in fields}) if dataclasses.is_dataclass(cls) \
        else object.__new__(cls)
    for n in other:
        if n in fields:
            object.__setattr__(obj, n, _dec(fields[n]))
    return obj


def _register_engine_types() -> None:
    """The payloads the engine publishes (``grep publish(`` under src/theo)."""
    from theo.data.gate import FeedResumed, FeedStale
    from theo.indicators.swings import SwingEvent
    from theo.model.market import Bar, Quote, Tick
    from theo.model.orders import Order
    from theo.model.signals import Signal, SignalOutcome
    from theo.model.trades import Trade
    from theo.risk.state import StateChange

    register(Tick, Quote, Bar, Signal, SignalOutcome, Order, Trade, StateChange, FeedStale, FeedResumed,
             SwingEvent)


_register_engine_types()
