"""The engine: mode, feed and broker selection."""
