"""Market data: feeds, quality gate, latency, bar aggregation, futures and archive."""
