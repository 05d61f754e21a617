"""Pre-trade risk and compliance (plan §5.1–§5.2, §9; market-rules.md §1–§2).

``config`` (RiskConfig) · ``checks`` (PreTradeChecks, the order service's pre-trade hook) · ``sizing``
(TradePlan, size_from_risk) · ``pdt`` (day-trade counter) · ``margin`` (Reg T / FINRA / IBKR house) ·
``state`` (ACTIVE / REDUCING / HALTED, rate limit, kill requests) · ``portfolio`` (what the checks read) ·
``decisions`` (the risk_decisions record).
"""
