"""The daily question and its reminder, and the callback data of their buttons.

Buttons carry ``r:<YYYY-MM-DD>:<choice>``: compact (Telegram allows 64 bytes), stateless, and
dated, so the handler can tell today's buttons from yesterday's. The report form's handlers
import `REPORT_CALLBACK_PATTERN` and `parse_report_callback` from here.

Render inside ``use_locale(recipient's locale)``: the text is fixed when the message is queued.
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from html import escape

from bot.i18n import _, fmt_date, fmt_time
from bot.render.payloads import InlineKeyboard, Payload, inline_keyboard, message_payload


class ReportChoice(enum.StrEnum):
    OK = "ok"  # me and my household are all well: the report is done
    SICK = "sick"  # someone is unwell: the guided form
    OTHER = "other"  # contact with a case, travel, isolation
    SAME = "same"  # copy yesterday's (abnormal) report to today


REPORT_CALLBACK_PREFIX = "r:"
# For CallbackQueryHandler(pattern=...): anything else starting with "r:" is not ours.
REPORT_CALLBACK_PATTERN = (
    r"^r:[0-9]{4}-[0-9]{2}-[0-9]{2}:(?:" + "|".join(c.value for c in ReportChoice) + r")\Z"
)
_CALLBACK = re.compile(REPORT_CALLBACK_PATTERN)


def report_callback(day: date, choice: ReportChoice) -> str:
    return f"{REPORT_CALLBACK_PREFIX}{day.isoformat()}:{choice.value}"


def parse_report_callback(data: str | None) -> tuple[date, ReportChoice] | None:
    """(report date, choice) from a button's data; None for anything malformed or forged."""
    if not data or not _CALLBACK.fullmatch(data):
        return None
    _prefix, day_text, choice = data.split(":")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:  # 2026-02-30 matches the pattern but is no date
        return None
    return day, ReportChoice(choice)


def report_buttons(day: date, *, offer_same: bool) -> list[tuple[str, str]]:
    """(label, callback_data) of the report buttons, in the current locale, in display order."""
    buttons = [(_("✅ Me and my household are all well"), report_callback(day, ReportChoice.OK))]
    if offer_same:
        buttons.append((_("🔁 Same as yesterday"), report_callback(day, ReportChoice.SAME)))
    buttons += [
        (_("🤒 Someone is unwell"), report_callback(day, ReportChoice.SICK)),
        (_("📝 Something else to report"), report_callback(day, ReportChoice.OTHER)),
    ]
    return buttons


def report_keyboard(day: date, *, offer_same: bool) -> InlineKeyboard:
    """One button a row: the labels are too long to share one."""
    return inline_keyboard([[button] for button in report_buttons(day, offer_same=offer_same)])


def prompt_payload(*, name: str, day: date, offer_same: bool) -> Payload:
    """The daily question. `offer_same` when the member's report for the day before was
    abnormal."""
    text = _(
        "<b>Daily health report · {date}</b>\n\n"
        "Hello, {name}! How are you and your household today?\n"
        "If everyone is well, one tap is enough."
    ).format(date=escape(fmt_date(day, "full")), name=escape(name))
    if offer_same:
        text += "\n" + _("Nothing changed since yesterday? Tap “Same as yesterday”.")
    return message_payload(text, reply_markup=report_keyboard(day, offer_same=offer_same))


def reminder_payload(*, name: str, day: date, deadline: datetime, timezone: str,
                     offer_same: bool) -> Payload:
    """The reminder: shorter, with the deadline, and the same buttons."""
    text = _(
        "⏰ {name}, we have not received your health report for {date} yet. "
        "Please report by {time}."
    ).format(name=escape(name), date=escape(fmt_date(day, "long")),
             time=escape(fmt_time(deadline, "short", tz=timezone)))
    return message_payload(text, reply_markup=report_keyboard(day, offer_same=offer_same))
