"""Dates and times echoed back as the bot understood them, and why one was not understood.

A date people typed in words (明天, next Friday) is shown in full, with its weekday and, for a
moment, the time zone it is meant in, so the reader sees what the bot will do before it counts.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.i18n import _, fmt_date, fmt_time
from bot.services.when import WhenError


def day_text(day: date) -> str:
    """`12月6日周日` / `Sun, Dec 6` (the year only when it is not this one)."""
    return fmt_date(day, "full")


def days_text(start: date, end: date) -> str:
    if start == end:
        return day_text(start)
    return _("{start} to {end}").format(start=day_text(start), end=day_text(end))


def moment_text(moment: datetime, timezone: str) -> str:
    """The moment in `timezone`, with its weekday and the zone's name."""
    local = moment.astimezone(ZoneInfo(timezone))
    return _("{day} {time} ({zone})").format(day=day_text(local.date()),
                                            time=fmt_time(local, "HH:mm"), zone=timezone)


def when_problem(code: WhenError | str) -> str:
    """Why a date or time was not taken, with examples in the reader's language (HTML)."""
    if code == WhenError.NO_TIME:
        text = _("Which time on that day? Add it, for example “tomorrow 8pm” or "
                 "“Dec 6 08:00”.")
    elif code == WhenError.NO_DATE:
        text = _("Which day? For example “tomorrow”, “next Friday” or “Dec 6”.")
    elif code == WhenError.PAST:
        text = _("That time has passed. Send a later one.")
    else:
        text = _("I could not read that date or time. Write it as you would say it, for "
                 "example “tomorrow 8pm”, “next Friday”, “Dec 6 09:30”, or as "
                 "2026-12-06 08:00.")
    return escape(text)
