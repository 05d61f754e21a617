"""Reports of a run: performance metrics, the deals report, equity/drawdown charts and the output folder."""
