"""``python -m tests.integration.ibkr.live_proc CONFIG OFFSET_SECONDS``: a live run in its own process.

The crash tests SIGKILL it. It is the live run ``theo run --broker ibkr`` runs, with the test strategy and the
wall clock shifted into a trading session by ``OFFSET_SECONDS`` (the fake TWS is shifted alike).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

from tests.integration.ibkr.live import BuyFirstBar, ShiftedClock
from theo.cli.common import open_store
from theo.config import load_config
from theo.node.live import LiveRun


def main() -> None:
    cfg = load_config(Path(sys.argv[1]))
    clock = ShiftedClock(timedelta(seconds=float(sys.argv[2])))
    run = LiveRun(cfg, open_store(cfg), clock=clock, strategies=[BuyFirstBar()])

    async def go() -> None:
        run.install_signal_handlers()
        await run.run()

    asyncio.run(go())


if __name__ == "__main__":
    main()
