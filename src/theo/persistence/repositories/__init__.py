"""Repositories: the only place SQL lives (see each module)."""
