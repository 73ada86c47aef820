"""The daily question and its reminder, and the callback data of their buttons.

Buttons carry ``r:<YYYY-MM-DD>:<choice>`` (the `REPORT` codec): compact (Telegram allows 64
bytes), stateless, and dated, so the handler can tell today's buttons from yesterday's.

Render inside ``use_locale(recipient's locale)``: the text is fixed when the message is queued
(bot.outbox.send draws the services' `Prompt` and `Reminder` views through `payload_for`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from html import escape

from bot.i18n import _, fmt_date, fmt_time
from bot.render.callbacks import Codec, Token, Word
from bot.render.payloads import (
    InlineKeyboard,
    Payload,
    inline_keyboard,
    message_payload,
    payload_for,
)
from bot.services.reports.answered import PromptAnswered
from bot.services.reports.prompts import Prompt, Reminder


class ReportChoice(enum.StrEnum):
    OK = "ok"  # me and my household are all well: the report is done
    SICK = "sick"  # someone is unwell: the guided form
    OTHER = "other"  # contact with a case, travel, isolation
    SAME = "same"  # copy yesterday's (abnormal) report to today


# A date as YYYY-MM-DD (checked when decoded: the pattern lets through digits and dashes).
DAY = Token("day", 10, r"[0-9\-]")
REPORT = Codec("r", DAY, Word.of("choice", ReportChoice))
# For CallbackQueryHandler(pattern=...): anything else starting with "r:" is not ours.
REPORT_CALLBACK_PATTERN = REPORT.pattern


def report_callback(day: date, choice: ReportChoice) -> str:
    return REPORT.encode(day.isoformat(), choice)


def iso_day(text: str) -> date | None:
    """The date written YYYY-MM-DD, and only that way (fromisoformat takes 20261130 too)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:  # 2026-02-30 matches the pattern but is no date
        return None
    return day if day.isoformat() == text else None


def parse_report_callback(data: str | None) -> tuple[date, ReportChoice] | None:
    """(report date, choice) from a button's data; None for anything malformed or forged."""
    values = REPORT.decode(data)
    if values is None:
        return None
    day_text, choice = values
    day = iso_day(day_text)
    return None if day is None else (day, ReportChoice(choice))


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


@payload_for.register
def _prompt(view: Prompt) -> Payload:
    return prompt_payload(name=view.name, day=view.day, offer_same=view.offer_same)


@payload_for.register
def _reminder(view: Reminder) -> Payload:
    return reminder_payload(name=view.name, day=view.day, deadline=view.deadline,
                            timezone=view.timezone, offer_same=view.offer_same)


def answered_text(day: date, reported_at: datetime, timezone: str) -> str:
    """A sent prompt or reminder once the day is reported: it no longer asks."""
    return _("<b>Daily health report · {date}</b>\n\n✅ Reported at {time}. Thank you! Send "
             "/report to see or change it.").format(
        date=escape(fmt_date(day, "full")), time=escape(fmt_time(reported_at, "short",
                                                                   tz=timezone)))


@payload_for.register
def _answered(view: PromptAnswered) -> Payload:
    # An edit of the message sent earlier, without reply_markup: its buttons go.
    return {"method": "editMessageText", "message_id": view.message_id,
            "text": answered_text(view.day, view.reported_at, view.timezone),
            "parse_mode": "HTML"}
