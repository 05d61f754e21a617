"""The simulated venue: a seeded synthetic market, file replay, and the simulated broker."""
