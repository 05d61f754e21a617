"""The simulated broker for backtests and paper trading: fills against bars/ticks, state kept on disk."""

from theo.execution.simulated.broker import SimulatedBroker

__all__ = ["SimulatedBroker"]
