"""Interactive Brokers (TWS / IB Gateway) through ``ib_async``: IBKR's types and names stay in this package."""
