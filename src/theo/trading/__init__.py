"""Trade management: trades, the event-driven trade manager, P&L and trade status (plan §5–§6)."""
