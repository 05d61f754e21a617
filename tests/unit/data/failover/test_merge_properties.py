"""Property: at a fail-over the merged tape is the union of both feeds, each print counted once.

The truth is a tape with repeated prints (the same price and size in the same second are common). The
primary delivers its first ``i`` prints and goes silent; the secondary delivers from print ``j`` on (before,
at or after the cut: any overlap). The supervisor must forward exactly what the seam rule says (the reference
model below), and when the secondary covers the primary's last second entirely, exactly the truth.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.data.failover.scripted import ScriptedFeed
from theo.core.calendar import get_calendar
from theo.core.time import to_us
from theo.data.failover.config import FeedsConfig
from theo.data.supervisor import FeedSupervisor
from theo.model.market import Tick

T0 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
CAL = get_calendar()

prints = st.lists(st.tuples(st.integers(0, 15),  # tenths of a second after the previous print
                            st.sampled_from([100.0, 100.01, 100.02]), st.sampled_from([100.0, 200.0])),
                  min_size=1, max_size=40)


def build(head: list[tuple[int, float, float]]) -> list[tuple[datetime, float, float]]:
    out, t = [], T0
    for gap, price, size in head:
        t += timedelta(milliseconds=100 * gap)
        out.append((t, price, size))
    for k in range(1, 30):  # a tail only the secondary delivers, so the primary's silence is noticed
        out.append((t + timedelta(milliseconds=500 * k), 200.0 + k, 1.0))
    return out


def feed(name: str, rows: list[tuple[datetime, float, float]]) -> ScriptedFeed:
    return ScriptedFeed(name, [Tick("SPY", ts, p, s, name, "", "", None, f"{name}-{k}")
                               for k, (ts, p, s) in enumerate(rows)])


def reference(p: list[tuple[datetime, float, float]], s: list[tuple[datetime, float, float]]
              ) -> list[tuple[datetime, float, float]]:
    """The seam rule written plainly: before the primary's last second nothing of the secondary, in it the
    n-th copy of a print only when the primary had fewer than n, after it everything."""
    if not p:
        return list(s)
    slot = to_us(p[-1][0]) // 1_000_000
    had = Counter((pr, sz) for ts, pr, sz in p if to_us(ts) // 1_000_000 == slot)
    seen: Counter[tuple[float, float]] = Counter()
    out = list(p)
    for ts, pr, sz in s:
        k = to_us(ts) // 1_000_000
        if k < slot:
            continue
        if k == slot:
            seen[(pr, sz)] += 1
            if seen[(pr, sz)] <= had[(pr, sz)]:
                continue
        out.append((ts, pr, sz))
    return out


@settings(max_examples=300, deadline=None)
@given(head=prints, cut=st.floats(0, 1), start=st.floats(0, 1))
def test_merged_tape_is_the_union_of_both_feeds_without_double_counting(head: list[tuple[int, float, float]],
                                                                        cut: float, start: float) -> None:
    truth = build(head)
    i = int(cut * len(head))  # the primary stops inside the head
    j = int(start * (len(head) + 1))  # the secondary starts anywhere in the head (or right after it)
    p, s = truth[:i], truth[j:]
    config = FeedsConfig(secondary="polygon", stale_after_seconds=2.0, failback_after_seconds=5.0)
    sup = FeedSupervisor(feed("ibkr", p), feed("polygon", s), config, lambda _s: CAL)
    sup.subscribe(["SPY"])
    out = [(t.ts, t.price, t.size) for t in sup.events() if isinstance(t, Tick)]
    assert out == reference(p, s)
    if p and j <= i:
        slot = to_us(p[-1][0]) // 1_000_000
        first_of_slot = next(k for k, row in enumerate(truth) if to_us(row[0]) // 1_000_000 == slot)
        if j <= first_of_slot:  # the secondary saw the whole of the primary's last second: nothing lost or doubled
            assert out == truth
    # never more copies of a print in a second than the feed that saw it most often
    def per_second(rows: list[tuple[datetime, float, float]]) -> Counter[tuple[int, float, float]]:
        return Counter((to_us(ts) // 1_000_000, pr, sz) for ts, pr, sz in rows)

    most = per_second(p) | per_second(s)
    assert all(n <= most[key] for key, n in per_second(out).items())
