"""Futures: contract specifications, expiries and rolls, and back-adjusted continuous series."""

from theo.data.futures.contracts import (
    MONTH_CODES,
    QUARTERLY,
    SPECS,
    Contract,
    ContractSpec,
    contracts,
    front_contract,
    get_spec,
    last_trade_date,
    parse_symbol,
    roll_date,
    third_friday,
)

__all__ = [
    "MONTH_CODES",
    "QUARTERLY",
    "SPECS",
    "Contract",
    "ContractSpec",
    "contracts",
    "front_contract",
    "get_spec",
    "last_trade_date",
    "parse_symbol",
    "roll_date",
    "third_friday",
]
