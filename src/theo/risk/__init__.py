"""Pre-trade risk, compliance and the trade manager."""
