"""IBKR error and notice codes (TWS API message 4) and what Theo does with each.

TWS reports everything through one ``error`` message: real errors, order rejections and plain notices.
:func:`classify` sorts a code into the :class:`Kind` the adapter acts on; the texts are IBKR's usual wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from theo.core.errors import BrokerError


class Kind(StrEnum):
    CONNECTIVITY_LOST = "connectivity_lost"  # 1100: TWS lost IB's servers; the socket stays up
    RESTORED_DATA_LOST = "restored_data_lost"  # 1101: back, market-data subscriptions are gone
    RESTORED = "restored"  # 1102: back, subscriptions kept
    FARM_DOWN = "farm_down"  # 2103/2105/2157/10182: a data farm flaps; orders are unaffected
    FARM_OK = "farm_ok"  # 2104/2106/2107/2108/2158
    CLIENT_ID_IN_USE = "client_id_in_use"  # 326
    ORDER_REJECTED = "order_rejected"  # 201, 203, 103, 110 on a new order ...
    ORDER_CANCELLED = "order_cancelled"  # 202
    CANCEL_REFUSED = "cancel_refused"  # 161, 10147, 10148
    PACING = "pacing"  # 162 pacing violation, 420, 100
    NO_DATA = "no_data"  # 162 other, 366
    NO_SECURITY = "no_security"  # 200
    NOT_SUBSCRIBED = "not_subscribed"  # 354, 10089, 10090, 10168
    DELAYED = "delayed"  # 10167
    WARNING = "warning"  # everything IBKR calls a warning
    ERROR = "error"


_KINDS: dict[int, Kind] = {
    1100: Kind.CONNECTIVITY_LOST, 2110: Kind.CONNECTIVITY_LOST,
    1101: Kind.RESTORED_DATA_LOST, 1102: Kind.RESTORED,
    2103: Kind.FARM_DOWN, 2105: Kind.FARM_DOWN, 2157: Kind.FARM_DOWN, 10182: Kind.FARM_DOWN,
    2104: Kind.FARM_OK, 2106: Kind.FARM_OK, 2107: Kind.FARM_OK, 2108: Kind.FARM_OK, 2158: Kind.FARM_OK,
    326: Kind.CLIENT_ID_IN_USE,
    103: Kind.ORDER_REJECTED, 201: Kind.ORDER_REJECTED, 203: Kind.ORDER_REJECTED, 110: Kind.ORDER_REJECTED,
    202: Kind.ORDER_CANCELLED,
    161: Kind.CANCEL_REFUSED, 10147: Kind.CANCEL_REFUSED, 10148: Kind.CANCEL_REFUSED,
    100: Kind.PACING, 420: Kind.PACING,
    366: Kind.NO_DATA,
    200: Kind.NO_SECURITY,
    354: Kind.NOT_SUBSCRIBED, 10089: Kind.NOT_SUBSCRIBED, 10090: Kind.NOT_SUBSCRIBED, 10168: Kind.NOT_SUBSCRIBED,
    10167: Kind.DELAYED,
}

#: What a trader should do about an error, where there is something to do.
HINTS: dict[int, str] = {
    326: "another program uses this API client id; Theo retries with the same id (set [execution.ibkr] client_id "
         "to a free one if it lasts)",
    354: "the account has no market-data subscription for this instrument (Account Management > Market Data "
         "Subscriptions), or set [execution.ibkr] market_data_type = \"delayed\"",
    10089: "this data needs an extra market-data subscription in Account Management",
    10167: "showing delayed data: the account has no live subscription for this instrument",
    162: "historical data: IBKR allows 60 requests in 10 minutes; Theo waits and asks again",
    200: "IBKR does not know this contract: check the symbol, exchange and currency",
    502: "TWS / IB Gateway is not reachable: is it running, logged in, with the API enabled on this port?",
}


def classify(code: int, message: str = "") -> Kind:
    """The kind of an IBKR error code (162 is a pacing violation only when the text says so)."""
    if code == 162:
        return Kind.PACING if "pacing" in message.lower() else Kind.NO_DATA
    kind = _KINDS.get(code)
    if kind is not None:
        return kind
    if 2100 <= code <= 2199 or code in (105, 165, 321, 329, 399, 404, 434, 492):
        return Kind.WARNING
    return Kind.ERROR


@dataclass(frozen=True, slots=True)
class IbError:
    """One error message of TWS, as the adapter records it (never IBKR's own objects)."""

    req_id: int
    code: int
    message: str
    advanced: str = ""

    @property
    def kind(self) -> Kind:
        return classify(self.code, self.message)

    def __str__(self) -> str:
        hint = HINTS.get(self.code)
        return f"IBKR error {self.code}: {self.message}" + (f" ({hint})" if hint else "")


class IbkrError(BrokerError):
    """TWS refused a request or did not answer in time (the message says which, and what to do)."""


class IbkrUnavailable(IbkrError):
    """Not connected to TWS / IB Gateway (or inside its restart window): nothing was sent."""
