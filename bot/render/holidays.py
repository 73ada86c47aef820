"""/holidays: a unit's coming days off, a remove button for each, and Add.

`hn:<unit>` asks for a day and a name; `hr:<unit>:<YYYYMMDD>` removes one.
"""

from __future__ import annotations

from html import escape

from bot.i18n import _, fmt_skeleton, join_sentences, unit_path
from bot.render.callbacks import Codec, Int, Token
from bot.render.payloads import Buttons
from bot.render.when import day_text, days_text
from bot.services.reports.holiday_form import HolidayReply, Status

HOLIDAY_NEW = Codec("hn", Int("unit", 12))
HOLIDAY_REMOVE = Codec("hr", Int("unit", 12), Token("day", 8, r"[0-9]"))


def _unit(reply: HolidayReply) -> str:
    return escape(unit_path(reply.unit))


def holidays_reply(reply: HolidayReply) -> tuple[str, Buttons]:
    if reply.status is Status.NOT_ALLOWED or reply.unit_id is None:
        if reply.status is Status.EXPIRED:
            return _("That step has expired. Send /holidays again."), []
        return _("That unit is outside your own units: you can act on your unit and the units "
                 "below it only."), []
    if reply.status is Status.ASK:
        return _("Which day off for {unit}, and what is it called? Write it as you would say "
                 "it, for example “Jan 1 New Year” or “Feb 10 to Feb 16 Spring Festival”."
                 ).format(unit=_unit(reply)), []
    if reply.status in (Status.BAD, Status.TOO_LONG):
        problem = (_("I could not read a day there.") if reply.status is Status.BAD
                   else _("A holiday can last at most 31 days."))
        return join_sentences([problem, _("Write the day first, then its name, for example "
                                          "“Jan 1 New Year”.")]), []
    lines: list[str] = []
    if reply.status is Status.ADDED and reply.start and reply.end:
        lines += [_("✅ Day off set for {unit}: {days} ({name}). Nobody there is asked to "
                    "report.").format(unit=_unit(reply), days=escape(days_text(
                        reply.start, reply.end)), name=escape(reply.name)), ""]
    if reply.status is Status.REMOVED and reply.start:
        lines += [_("Removed: {day}.").format(day=escape(day_text(reply.start))), ""]
    lines.append(_("<b>Days off of {unit}</b> (for the units below it too):").format(
        unit=_unit(reply)))
    lines += [f"• {escape(day_text(h.day))} — {escape(h.name)}" for h in reply.lines] or [
        _("None coming.")]
    buttons: Buttons = [[(_("➕ Add a day off"), HOLIDAY_NEW.encode(reply.unit_id))]]
    buttons += [[(f"✖ {fmt_skeleton(h.day, 'MMMd')} {h.name}"[:60],
                  HOLIDAY_REMOVE.encode(reply.unit_id, f"{h.day:%Y%m%d}"))]
                for h in reply.lines[:20]]
    return "\n".join(lines), buttons
