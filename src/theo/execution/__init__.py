"""Orders and the simulated broker (docs/orders.md).

``orders`` (requests, orders, validation) · ``state_machine`` · ``ids`` (client order ids) · ``broker``
(the interface every adapter implements) and ``events`` · ``simulated/`` (the paper/backtest broker) ·
``commissions`` (IBKR schedules) · ``journal`` (the order journal) · ``service`` (``OrderService``) ·
``recovery`` (reconciliation at start) · ``lock`` (single-writer lock).
"""
