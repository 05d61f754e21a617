"""The node: one kernel builds the same object graph for backtest, paper and live; drivers feed it."""
