"""Theo: an algorithmic trading platform for U.S. markets.

One engine serves backtest, paper and live trading; only the clock, the feed and the broker differ.
"""

__version__ = "0.1.0"
