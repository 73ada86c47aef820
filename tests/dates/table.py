"""Dates and times as leaders write them, with what they mean on Friday 2026-12-04 at 15:00
(Asia/Shanghai): the table the parser is tested on and benchmarks/dates.py measures
candidate libraries with. (text, day, "HH:MM" or None)."""

from __future__ import annotations

from datetime import date

TODAY = date(2026, 12, 4)  # a Friday

TABLE: tuple[tuple[str, date | None, str | None], ...] = (
    ("明天", date(2026, 12, 5), None),
    ("后天", date(2026, 12, 6), None),
    ("大后天", date(2026, 12, 7), None),
    ("下周五", date(2026, 12, 11), None),
    ("下周一", date(2026, 12, 7), None),
    ("周日", date(2026, 12, 6), None),
    ("星期六", date(2026, 12, 5), None),
    ("12月6日", date(2026, 12, 6), None),
    ("12月6号", date(2026, 12, 6), None),
    ("十二月六日", date(2026, 12, 6), None),
    ("1月5日", date(2027, 1, 5), None),
    ("2027年1月5日", date(2027, 1, 5), None),
    ("6号", date(2026, 12, 6), None),
    ("2026-12-06", date(2026, 12, 6), None),
    ("2026/12/6", date(2026, 12, 6), None),
    ("晚上10点", None, "22:00"),
    ("晚上十点半", None, "22:30"),
    ("下午3点", None, "15:00"),
    ("上午9:30", None, "09:30"),
    ("早上8点15分", None, "08:15"),
    ("中午12点", None, "12:00"),
    ("8点", None, "08:00"),
    ("20:00", None, "20:00"),
    ("８：３０", None, "08:30"),
    ("明晚8点", date(2026, 12, 5), "20:00"),
    ("明早7点", date(2026, 12, 5), "07:00"),
    ("今晚9点", date(2026, 12, 4), "21:00"),
    ("明天上午9点", date(2026, 12, 5), "09:00"),
    ("明天 8:00", date(2026, 12, 5), "08:00"),
    ("12月6日 下午3点", date(2026, 12, 6), "15:00"),
    ("下周五晚上7点", date(2026, 12, 11), "19:00"),
    ("6号早上8点", date(2026, 12, 6), "08:00"),
    ("2026-12-06 08:00", date(2026, 12, 6), "08:00"),
    ("tomorrow", date(2026, 12, 5), None),
    ("tomorrow 8pm", date(2026, 12, 5), "20:00"),
    ("next Friday", date(2026, 12, 11), None),
    ("Dec 6", date(2026, 12, 6), None),
    ("6 December", date(2026, 12, 6), None),
    ("December 6, 2026", date(2026, 12, 6), None),
    ("Dec 6 9:30", date(2026, 12, 6), "09:30"),
    ("Monday 9am", date(2026, 12, 7), "09:00"),
    ("8pm", None, "20:00"),
    ("10:30 am", None, "10:30"),
    ("noon", None, "12:00"),
)

# Text that is no date: each must be refused, never guessed.
REFUSED = ("abc", "明天后天", "25:00", "2月30日", "上午15点", "32号", "13月1日", "下周八",
           "8点 9点", "?", "2026-13-01", "hello world")
