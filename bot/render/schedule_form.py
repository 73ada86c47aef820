"""/setschedule's buttons: one per setting under the schedule, then each setting's common
values, `inherit`, and Back; any value can be typed instead.

`sf:<unit>:<setting>` opens a setting, `sv:<unit>:<setting>:<value>` sets it (times as
`0730`, reminders `1000.1130` or `none`, zones `z<index>`, `skip` / `work`, `i` to inherit),
`sb:<unit>` goes back to the schedule.
"""

from __future__ import annotations

from html import escape

from bot.i18n import _, join_list
from bot.render.admin import schedule_problem, schedule_text, setting_label
from bot.render.callbacks import Codec, Int, Token, Word
from bot.render.payloads import Buttons
from bot.services.org.schedule_form import ZONES, FormReply, FormStatus
from bot.services.org.unit_admin import ScheduleView, Setting

SCHED_FIELD = Codec("sf", Int("unit", 12), Word.of("setting", Setting))
SCHED_VALUE = Codec("sv", Int("unit", 12), Word.of("setting", Setting),
                    Token("value", 24, r"[0-9a-z.]"))
SCHED_BACK = Codec("sb", Int("unit", 12))

_TIMES = {Setting.PROMPT: ("0600", "0630", "0700", "0730", "0800", "0830", "0900"),
          Setting.DEADLINE: ("1000", "1100", "1200", "1300", "1400", "1700"),
          Setting.DIGEST: ("1000", "1130", "1200", "1230", "1300", "1800"),
          Setting.REMINDERS: ("1000", "1000.1130", "0930.1100", "1100", "none")}


def raw_value(token: str) -> str:
    """A button's value as the form reads a typed one."""
    if token == "i":
        return "inherit"
    if token.startswith("z") and token[1:].isdigit() and int(token[1:]) < len(ZONES):
        return ZONES[int(token[1:])]
    if token.replace(".", "").isdigit():
        return ",".join(f"{t[:2]}:{t[2:]}" for t in token.split("."))
    return token


def _time_label(token: str) -> str:
    if token == "none":
        return _("No reminders")
    return join_list(f"{t[:2]}:{t[2:]}" for t in token.split("."))


def schedule_buttons(unit_id: int) -> Buttons:
    settings = list(Setting)
    return [[(f"✏️ {setting_label(s)}", SCHED_FIELD.encode(unit_id, s))
             for s in settings[i:i + 2]] for i in range(0, len(settings), 2)]


def _choices(unit_id: int, setting: Setting) -> Buttons:
    if setting is Setting.TZ:
        values = [(zone, f"z{i}") for i, zone in enumerate(ZONES)]
    elif setting is Setting.WEEKENDS:
        values = [(_("No reports on weekends"), "skip"), (_("Weekends are working days"),
                                                          "work")]
    else:
        values = [(_time_label(t), t) for t in _TIMES[setting]]
    per_row = 2 if setting in (Setting.TZ, Setting.WEEKENDS, Setting.REMINDERS) else 4
    rows: Buttons = [[(label, SCHED_VALUE.encode(unit_id, setting, token))
                      for label, token in values[i:i + per_row]]
                     for i in range(0, len(values), per_row)]
    rows.append([(_("↩️ As the unit above"), SCHED_VALUE.encode(unit_id, setting, "i")),
                 (_("⬅️ Back"), SCHED_BACK.encode(unit_id))])
    return rows


def _example(setting: Setting) -> str:
    if setting is Setting.TZ:
        return _("Tap a time zone, or write its name, for example <code>Asia/Urumqi</code>.")
    if setting is Setting.WEEKENDS:
        return _("Should members report on Saturdays and Sundays?")
    if setting is Setting.REMINDERS:
        return _("Tap one, or write the times as you would say them, for example "
                 "<code>10:00, 11:30</code> or <code>10am, 11:30am</code>.")
    return _("Tap a time, or write it as you would say it, for example <code>7:30</code> or "
             "<code>7:30am</code>.")


def schedule_screen(view: ScheduleView, unit_id: int) -> tuple[str, Buttons]:
    return schedule_text(view), schedule_buttons(unit_id)


def form_reply(reply: FormReply) -> tuple[str, Buttons]:
    if reply.status is FormStatus.ASK and reply.setting is not None and reply.unit_id:
        text = f"<b>{escape(setting_label(reply.setting))}</b>\n{_example(reply.setting)}"
        return text, _choices(reply.unit_id, reply.setting)
    if reply.status is FormStatus.SAVED and reply.view is not None and reply.unit_id:
        return schedule_screen(reply.view, reply.unit_id)
    if reply.status is FormStatus.INVALID and reply.error is not None and reply.unit_id \
            and reply.setting is not None:
        error = reply.error
        return (schedule_problem(error.code, error.key, error.value),
                _choices(reply.unit_id, reply.setting))
    if reply.status is FormStatus.EXPIRED:
        return _("That step has expired. Send /setschedule again."), []
    return _("That unit is outside your own units: you can act on your unit and the units "
             "below it only."), []
