"""Which TWS error belongs to which data request.

``ib_async`` ends a failed request with an empty answer and reports the error separately, with the contract
object the request was made with. :class:`RequestErrors` keeps the errors of the contracts being watched, so
a caller can tell "no data" from "refused: not subscribed" and say which. Each request uses its own contract
object (:func:`fresh`), so two requests for one symbol never see each other's errors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from copy import copy
from typing import Any

from ib_async import IB, Contract

from theo.adapters.ibkr.errors import IbError, IbkrError, Kind

#: Kinds that are notices about the link or the data farms, never the answer to one request.
NOTICES = frozenset({Kind.FARM_DOWN, Kind.FARM_OK, Kind.CONNECTIVITY_LOST, Kind.RESTORED,
                     Kind.RESTORED_DATA_LOST})


def fresh(contract: Contract) -> Contract:
    """A copy of ``contract`` to make one request with (errors are matched by the object)."""
    return copy(contract)


class RequestErrors:
    """Collect the errors TWS reports for watched contract objects (see the module docstring)."""

    def __init__(self, ib: IB) -> None:
        self._watched: dict[int, list[IbError]] = {}
        self._streams: dict[int, Callable[[IbError], None]] = {}
        ib.errorEvent += self._on_error

    def _on_error(self, req_id: int, code: int, message: str, contract: Any = None) -> None:
        if contract is None:
            return
        err = IbError(int(req_id), int(code), str(message))
        if err.kind in NOTICES:
            return
        key = id(contract)
        bucket = self._watched.get(key)
        if bucket is not None:
            bucket.append(err)
        handler = self._streams.get(key)
        if handler is not None:
            handler(err)

    @contextlib.contextmanager
    def watch(self, contract: Contract) -> Iterator[list[IbError]]:
        """Errors of requests made with ``contract`` while the block runs."""
        bucket: list[IbError] = []
        self._watched[id(contract)] = bucket
        try:
            yield bucket
        finally:
            self._watched.pop(id(contract), None)

    def stream(self, contract: Contract, handler: Callable[[IbError], None]) -> None:
        """Call ``handler`` with every error of the streaming request made with ``contract``."""
        self._streams[id(contract)] = handler

    def unstream(self, contract: Contract) -> None:
        self._streams.pop(id(contract), None)


def refused(errors: list[IbError], what: str) -> IbkrError | None:
    """The error to raise for a request that TWS refused (``None`` when nothing but warnings came)."""
    for err in errors:
        if err.kind in (Kind.WARNING, Kind.DELAYED):
            continue
        return IbkrError(f"{what}: {err}")
    return None
