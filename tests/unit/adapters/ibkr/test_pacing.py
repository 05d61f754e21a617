"""The historical-data pacer never lets a window of IBKR's limits overflow, and backs off after violations."""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from theo.adapters.ibkr.pacing import HistoryPacer

LIMITS = st.tuples(st.integers(1, 8), st.floats(1, 60), st.integers(1, 4), st.floats(0.1, 5), st.floats(0, 20))
REQUESTS = st.lists(st.tuples(st.floats(0, 30), st.integers(0, 3), st.integers(0, 5)), min_size=1, max_size=80)


@settings(max_examples=300, deadline=None)
@given(LIMITS, REQUESTS)
def test_no_window_ever_exceeds_the_limits(limits: tuple[int, float, int, float, float],
                                           requests: list[tuple[float, int, int]]) -> None:
    per_window, window, per_contract, contract_window, identical = limits
    pacer = HistoryPacer(per_window=per_window, window=window, per_contract=per_contract,
                         contract_window=contract_window, identical_seconds=identical)
    now = 0.0
    sent: list[tuple[float, int, tuple[int, int]]] = []
    for gap, contract, variant in requests:
        now += gap
        at = pacer.slot(contract, (contract, variant), now)
        assert at >= now
        pacer.take(contract, (contract, variant), at)
        sent.append((at, contract, (contract, variant)))
        now = at  # the caller waited for its slot
    times = [t for t, _, _ in sent]
    eps = 1e-9
    for i in range(len(times) - per_window):
        assert times[i + per_window] - times[i] >= window - eps
    for c in {c for _, c, _ in sent}:
        mine = [t for t, cc, _ in sent if cc == c]
        for i in range(len(mine) - per_contract):
            assert mine[i + per_contract] - mine[i] >= contract_window - eps
    for key in {k for _, _, k in sent}:
        same = [t for t, _, k in sent if k == key]
        for a, b in itertools.pairwise(same):
            assert b - a >= identical - eps


def test_slot_is_immediate_when_within_limits_and_waits_for_the_oldest_otherwise() -> None:
    pacer = HistoryPacer(per_window=3, window=10, per_contract=2, contract_window=2, identical_seconds=5)
    for t, c, r in ((0.0, "A", "A1"), (0.5, "A", "A2")):
        assert pacer.slot(c, r, t) == t
        pacer.take(c, r, t)
    assert pacer.slot("A", "A3", 1.0) == 2.0  # third request for A inside 2 s
    assert pacer.slot("B", "B1", 1.0) == 1.0
    pacer.take("B", "B1", 1.0)
    assert pacer.slot("C", "C1", 1.5) == 10.0  # fourth request inside 10 s
    assert pacer.slot("A", "A1", 10.0) == 10.0
    assert pacer.slot("B", "B1", 3.0) == 10.0  # the identical request waits 5 s, then the 10 s window


def test_violations_block_everything_with_a_doubling_backoff_reset_by_success() -> None:
    clock = [100.0]
    pacer = HistoryPacer(backoff=10, max_backoff=25, clock=lambda: clock[0])
    assert pacer.violation() == 10
    assert pacer.slot("A", 1, 100.0) == 110.0
    assert pacer.violation() == 20
    assert pacer.violation() == 25  # capped
    pacer.succeeded()
    clock[0] = 200.0
    assert pacer.violation() == 10


def test_acquire_sleeps_until_the_slot() -> None:
    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        pacer = HistoryPacer(per_contract=1, contract_window=0.2, identical_seconds=0, clock=loop.time)
        await pacer.acquire("A", 1)
        t0 = loop.time()
        waited = await pacer.acquire("A", 2)
        return waited, loop.time() - t0

    waited, elapsed = asyncio.run(main())
    assert 0.15 <= waited <= 0.25
    assert elapsed >= 0.15
