"""/leave by buttons: units to open and members to tap, the days, the confirmation.

`ln` starts, `lu:<unit>` opens a unit (0: the top), `lw:<member>` picks a member,
`lp:<member>:<preset>` picks days; the confirmation's buttons are /leave's own (`lv:…`).
"""

from __future__ import annotations

from html import escape

from bot.db.models import LeaveKind
from bot.i18n import _, pgettext, unit_path
from bot.render.callbacks import Codec, Int, Word
from bot.render.payloads import Buttons
from bot.render.settings import KIND_CODES, LEAVE_PICK, span, who
from bot.render.when import when_problem
from bot.services.members.leave_form import FormReply, FormStatus, Preset

LEAVE_NEW = Codec("ln")
LEAVE_UNIT = Codec("lu", Int("unit", 12))
LEAVE_WHO = Codec("lw", Int("member", 12))
LEAVE_PRESET = Codec("lp", Int("member", 12), Word.of("preset", Preset))


def new_leave_button() -> list[tuple[str, str]]:
    return [(_("➕ Record leave"), LEAVE_NEW.encode())]


def _preset_label(preset: Preset) -> str:
    return {Preset.TODAY: pgettext("leave days", "Today"),
            Preset.TOMORROW: pgettext("leave days", "Tomorrow"),
            Preset.REST_OF_WEEK: pgettext("leave days", "Until Sunday"),
            Preset.WEEK: pgettext("leave days", "7 days from today")}[preset]


def form_reply(reply: FormReply) -> tuple[str, Buttons]:
    status = reply.status
    if status is FormStatus.PICK:
        if reply.unit:
            text = _("<b>{unit}</b>: whom is it for? Tap a member, 📁 to look inside a unit, "
                     "or write a name or phone number.").format(
                unit=escape(unit_path(reply.unit)))
        else:
            text = _("Whom is it for? Tap a member, 📁 to look inside a unit, or write a name "
                     "or phone number.")
        rows: Buttons = [[(f"📁 {name}"[:60], LEAVE_UNIT.encode(unit_id))]
                         for unit_id, name in reply.units]
        rows += [[(f"👤 {name}"[:60], LEAVE_WHO.encode(member_id))]
                 for member_id, name in reply.members]
        if reply.unit_id is not None:
            rows.append([(_("⬆️ Back to the top"), LEAVE_UNIT.encode(0))])
        return text, rows
    if status in (FormStatus.DAYS, FormStatus.BAD_DAYS) and reply.member is not None:
        text = _("Which days is {who} away? Tap, or write them as you would say them, for "
                 "example “tomorrow to next Friday” or “Dec 6 to Dec 10”.").format(
            who=who(reply.member))
        if status is FormStatus.BAD_DAYS and reply.error is not None:
            text = when_problem(reply.error) + "\n\n" + text
        member_id = reply.member.member_id
        presets = list(Preset)
        return text, [[(_preset_label(p), LEAVE_PRESET.encode(member_id, p))
                       for p in presets[i:i + 2]] for i in range(0, len(presets), 2)]
    if status is FormStatus.CONFIRM and reply.member and reply.start and reply.end:
        text = _("Record this? {who}: {span}.").format(who=who(reply.member),
                                                       span=span(reply.start, reply.end))
        data = (reply.member.member_id, f"{reply.start:%Y%m%d}", f"{reply.end:%Y%m%d}")
        return text, [[(_("✅ On leave"), LEAVE_PICK.encode(*data, KIND_CODES[LeaveKind.LEAVE])),
                       (_("✅ Exempt"), LEAVE_PICK.encode(*data,
                                                         KIND_CODES[LeaveKind.EXEMPT]))]]
    if status is FormStatus.NOT_FOUND:
        return _("No active member of your units matches that. Write another name, or tap "
                 "one."), []
    if status is FormStatus.EXPIRED:
        return _("That step has expired. Send /leave again."), []
    return _("That member is not in your units, so you cannot record leave for them."), []
