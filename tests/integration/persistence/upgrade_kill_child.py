"""Run ``theo db upgrade`` and SIGKILL this process right after its N-th SQL statement (N = argv[1]).

With N = 0 nothing is killed and the number of statements is printed on stderr at exit.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
from typing import Any

from sqlalchemy import Engine, event

from theo.cli.main import app

kill_at = int(sys.argv[1])
executed = 0


@event.listens_for(Engine, "after_cursor_execute")
def _count(*_args: Any) -> None:
    global executed
    executed += 1
    if executed == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)


atexit.register(lambda: print(f"statements={executed}", file=sys.stderr))
app(["db", "upgrade", "--config", sys.argv[2]], standalone_mode=True)
