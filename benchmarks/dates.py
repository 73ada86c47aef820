"""Which reader of dates and times: dateparser alone, parsedatetime alone, or what the bot runs
(bot.services.when: dateparser for English words plus a small layer for the Chinese forms).

Every candidate reads the same table (tests/dates/table.py: what leaders write, and text that
must be refused) on Friday 2026-12-04 15:00; a row counts when the day and the time of day
both come out right, a refusal when nothing is read. Prints a table; exits non-zero when the
bot's reader misses a row or takes over 2 ms a reading at the median.

    .venv/bin/python benchmarks/dates.py
"""

from __future__ import annotations

import statistics
import sys
import time as clock
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.services.when import InvalidWhen, understand  # noqa: E402
from tests.dates.table import REFUSED, TABLE, TODAY  # noqa: E402

BASE = datetime(2026, 12, 4, 15, 0)
Reading = tuple[date | None, str | None] | None


def _ours(text: str) -> Reading:
    try:
        u = understand(text, TODAY)
    except InvalidWhen:
        return None
    return u.day, u.clock.strftime("%H:%M") if u.clock else None


def _from_datetime(value: datetime | None, text: str, has_time: bool) -> Reading:
    if value is None:
        return None
    # Neither library says whether the text named a time: take the table's word for it.
    return value.date(), value.strftime("%H:%M") if has_time else None


def _dateparser() -> Callable[[str, bool], Reading]:
    import dateparser

    settings = {"RELATIVE_BASE": BASE, "PREFER_DATES_FROM": "future"}

    def read(text: str, has_time: bool) -> Reading:
        value = dateparser.parse(text, languages=["zh", "en"],
                                 settings=settings)  # type: ignore[arg-type]
        return _from_datetime(value, text, has_time)
    return read


def _parsedatetime() -> Callable[[str, bool], Reading] | None:
    try:
        import parsedatetime  # type: ignore[import-untyped]
    except ImportError:
        return None
    calendar = parsedatetime.Calendar()

    def read(text: str, has_time: bool) -> Reading:
        value, status = calendar.parseDT(text, sourceTime=BASE)
        return _from_datetime(value if status else None, text, has_time)
    return read


def measure(read: Callable[[str, bool], Reading]) -> tuple[int, int, float, float]:
    right, refused, times = 0, 0, []
    for text, day, hhmm in TABLE:
        start = clock.perf_counter()
        got = read(text, hhmm is not None)
        times.append(clock.perf_counter() - start)
        # A time alone (day None in the table) may land on any day.
        if got is not None and got[1] == hhmm and (day is None or got[0] == day):
            right += 1
    for text in REFUSED:
        if read(text, False) is None:
            refused += 1
    return right, refused, statistics.median(times) * 1000, max(times) * 1000


def main() -> int:
    _ours("tomorrow")  # dateparser loads its language data once
    candidates: list[tuple[str, Callable[[str, bool], Reading] | None]] = [
        ("bot", lambda text, _has_time: _ours(text)),
        ("dateparser", _dateparser()), ("parsedatetime", _parsedatetime())]
    print(f"| reader | right of {len(TABLE)} | refused of {len(REFUSED)} | p50 ms | max ms |")
    print("|---|---|---|---|---|")
    failed = False
    for name, read in candidates:
        if read is None:
            print(f"| {name} | not installed | | | |")
            continue
        read("tomorrow", False)
        right, refused, p50, worst = measure(read)
        print(f"| {name} | {right} | {refused} | {p50:.2f} | {worst:.2f} |")
        if name == "bot" and (right < len(TABLE) or refused < len(REFUSED) or p50 > 2.0):
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
