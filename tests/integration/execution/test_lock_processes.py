"""Two real processes on one store: the second refuses to trade while the first runs, and may once it stopped."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.integration.execution.test_crash_recovery import _check

REPO = Path(__file__).resolve().parents[3]  # the repository root: the child runs `python -m tests...`

SECOND = textwrap.dedent("""
    import sys
    from pathlib import Path
    from theo.core.errors import SingleWriterLockError
    from tests.integration.execution.crash_child import run_script
    try:
        run_script(Path(sys.argv[1]))
    except SingleWriterLockError as exc:
        print("REFUSED", exc)
        sys.exit(4)
    print("RAN")
""")


def test_a_second_process_on_the_same_store_refuses_to_trade(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "THEO_CRASH_SLOW": "0.1"}  # the first run trades for about 4 s
    first = subprocess.Popen([sys.executable, "-m", "tests.integration.execution.crash_child", str(tmp_path)],
                             env=env, cwd=REPO,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "STARTED"  # it holds the lock and is trading
        second = subprocess.run([sys.executable, "-c", SECOND, str(tmp_path)], capture_output=True, text=True,
                                timeout=60)
        assert second.returncode == 4, second.stdout + second.stderr
        assert "REFUSED" in second.stdout
        assert f"pid {first.pid} on " in second.stdout  # the message names the live holder
        assert first.poll() is None  # the first one was not disturbed
    finally:
        out, _ = first.communicate(timeout=120)
    assert first.returncode == 0
    assert out.startswith("DONE")
    again = subprocess.run([sys.executable, "-c", SECOND, str(tmp_path)], capture_output=True, text=True,
                           timeout=60)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "RAN" in again.stdout
    _check(tmp_path)  # the refused instance changed nothing: journal and broker still agree
