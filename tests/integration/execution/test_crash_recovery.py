"""SIGKILL the order flow before each of its durable steps, restart, finish: no duplicate order, no lost fill,
positions agree, brackets and OCO groups hold.

The child is a forked copy of this process (imports and the exchange calendar are already loaded, so each
run takes a fraction of a second) that runs ``tests.integration.execution.crash_child.run_script`` and kills itself with
SIGKILL just before its N-th durable step (a journal write or a broker state write), for every N. A second child then
restarts on the same store and broker state file, reconciles and finishes the flow. Two more runs use a
fresh interpreter killed from outside after a random delay. Stores live in /dev/shm when it exists: a
SIGKILL does not lose the page cache, so memory-backed files test the same thing, faster.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.execution import crash_child as _crashchild
from theo.adapters.sim.state import load_state
from theo.core.calendar import get_calendar
from theo.model.enums import OrderStatus
from theo.persistence.db import make_engine, upgrade
from theo.persistence.repositories.orders import SqlOrderJournal as OrderJournal

REPO = Path(__file__).resolve().parents[3]  # the repository root: the child runs `python -m tests...`

MIN_STEPS = 100  # the flow takes more durable steps than this; it is killed before each of them


@pytest.fixture
def fast_dir(tmp_path: Path) -> Iterator[Path]:
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        import tempfile

        d = Path(tempfile.mkdtemp(prefix="theo-crash-", dir=shm))
        yield d
        shutil.rmtree(d, ignore_errors=True)
    else:
        yield tmp_path


def _forked(workdir: Path, crash_after: int | None) -> int:
    """Run the script in a forked child; return its wait status as a signal number or exit code."""
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            _crashchild.run_script(workdir, crash_after)
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _check(workdir: Path) -> None:
    engine = make_engine(f"sqlite:///{workdir / 'theo.db'}")
    journal = OrderJournal(engine)
    state = load_state(workdir / "sim.db", _crashchild.ExecutionConfig().sim.initial_cash)
    orders = {o.client_order_id: o for o in journal.load_orders()}
    # no lost fill, no invented fill
    assert {e.exec_id for e in state.executions} == journal.exec_ids()
    # journal positions == broker positions
    assert journal.positions() == {k: p.quantity for k, p in state.positions.items() if p.quantity != 0}
    # no duplicate order: each broker order is one journaled order, sent once, never re-sent
    assert state.order_seq == len(state.orders)
    assert set(state.orders) <= set(orders)
    for cid, order in orders.items():
        kinds = [e["kind"] for e in journal.events(cid)]
        assert kinds.count("submit") <= 1, (cid, kinds)
        assert "submit_failed" not in kinds, (cid, kinds)
        so = state.orders.get(cid)
        if so is not None:
            assert order.filled_qty == so.filled_qty, cid
            assert order.status is so.status or (order.status.value, so.status.value) == ("FILLED", "FILLED"), \
                (cid, order.status, so.status)
        else:
            assert order.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED), (cid, order.status)
    # a bracket child never traded more than its entry filled, and one-cancels-other held
    filled_in_group: dict[str, int] = {}
    for so in state.orders.values():
        if so.parent_id is not None:
            assert so.filled_qty <= state.orders[so.parent_id].filled_qty, so.client_order_id
        if so.oco_group and so.filled_qty:
            filled_in_group[so.oco_group] = filled_in_group.get(so.oco_group, 0) + 1
    assert all(n == 1 for n in filled_in_group.values()), filled_in_group
    # the flow finished: nothing is left in an in-between state
    assert not [o for o in orders.values() if o.status in (OrderStatus.SUBMITTED, OrderStatus.UNKNOWN,
                                                           OrderStatus.PENDING_CANCEL, OrderStatus.CREATED)]
    engine.dispose()


def test_sigkill_at_many_points_then_restart(fast_dir: Path) -> None:
    get_calendar("XNYS")  # build once here; the forked children inherit it
    template = fast_dir / "template.db"
    engine = make_engine(f"sqlite:///{template}")
    upgrade(engine)
    engine.dispose()
    reference = fast_dir / "reference"
    reference.mkdir()
    total = _crashchild.run_script(reference)  # also warms every cache the children inherit
    _check(reference)
    assert total > MIN_STEPS
    points = range(1, total + 1)
    killed = 0
    for n in points:
        work = fast_dir / f"kill-{n}"
        work.mkdir()
        shutil.copyfile(template, work / "theo.db")
        first = _forked(work, n)
        assert first == -signal.SIGKILL, f"kill point {n}: child ended with {first}"
        killed += 1
        second = _forked(work, None)
        assert second == 0, f"kill point {n}: the restarted flow failed ({second})"
        _check(work)
    assert killed == len(points)


def test_sigkill_from_outside_a_fresh_interpreter(fast_dir: Path) -> None:
    rng = random.Random(20261124)
    env = {**os.environ, "PYTHONPATH": str(REPO), "THEO_CRASH_SLOW": "0.03"}
    for run in range(2):
        work = fast_dir / f"outside-{run}"
        work.mkdir()
        proc = subprocess.Popen([sys.executable, "-m", "tests.integration.execution.crash_child", str(work)],
                                env=env, cwd=REPO,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "STARTED"
        time.sleep(rng.uniform(0.05, 1.0))  # somewhere in the 40 bars x 30 ms of trading
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
        assert _forked(work, None) == 0
        _check(work)
