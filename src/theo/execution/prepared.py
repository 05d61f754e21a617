"""Moved to :mod:`theo.persistence.prepared` (SQL lives in persistence).

lead: journal/trades/runs repositories — kept for ``execution/journal.py`` until the order journal moves to
``theo.persistence.repositories``; delete this module then.
"""

from theo.persistence.prepared import PreparedInsert

__all__ = ["PreparedInsert"]
