"""Long-running services built on the node's pieces without trading: the market-data collector and its peers."""
