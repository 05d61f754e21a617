"""Orders and the simulated broker."""
