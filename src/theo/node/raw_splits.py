"""Stored splits for the strategies of a paper or live run, whose bars arrive raw from the feed.

A backtest reads adjusted series (``theo.node.data``), but a running feed delivers prices as traded: on an
ex-date the previous session's close is on the old basis. The strategies' quality gates learn the stored
splits here, so the split day is not refused as a crash (``Strategy.use_raw_splits``).
"""

from __future__ import annotations

from datetime import date

from theo.data.adjust import effective, split_factor
from theo.data.corporate_actions import CorporateActionStore
from theo.model.enums import Adjustment
from theo.node.kernel import Node


def use_stored_splits(node: Node, actions: CorporateActionStore) -> dict[str, list[tuple[date, float]]]:
    """Give every strategy of ``node`` the splits stored for its symbols; return them (for the log)."""
    splits: dict[str, list[tuple[date, float]]] = {}
    for symbol in node.symbols:
        steps = [(a.ex_date, float(f)) for a in effective(actions.actions(symbol), Adjustment.SPLITS)
                 if (f := split_factor(a)) is not None]
        if steps:
            splits[symbol] = steps
    for strategy in node.strategies:
        strategy.use_raw_splits(splits)
    return splits
