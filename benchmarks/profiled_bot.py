"""Run `python -m bot ...` with cProfile switched on by SIGUSR1 and dumped by SIGUSR2.

For benchmarks/throughput.py --cprofile: only the measured phase is profiled, not the
start-up and the prompt fan-out before it. Usage: profiled_bot.py OUT.pstats run
"""

from __future__ import annotations

import cProfile
import signal
import sys
import time
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

out, *argv = sys.argv[1:]
# CPU time, not the wall clock: on a loaded machine a function preempted mid-call would
# otherwise be charged for the other processes' time.
profile = cProfile.Profile(time.process_time)


def start(signum: int, frame: FrameType | None) -> None:
    profile.enable()


def stop(signum: int, frame: FrameType | None) -> None:
    profile.disable()
    profile.dump_stats(out)


signal.signal(signal.SIGUSR1, start)
signal.signal(signal.SIGUSR2, stop)
sys.argv = ["bot", *argv]
from bot.cli.entry import main  # noqa: E402

raise SystemExit(main())
