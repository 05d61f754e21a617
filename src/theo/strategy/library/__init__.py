"""The strategies that ship with Theo: correlation, Donchian breakout, z-score reversion."""
