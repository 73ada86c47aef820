"""Texts and buttons of the duty roster (render inside the reader's locale).

Callback data (the codecs below): ``dc:<shift>`` confirm, ``dw:<shift>`` ask to swap,
``dsa:<request>`` / ``dsd:<request>`` accept / decline a swap, ``dx:<shift>`` remove
(leaders). The post and weekday labels are shared with bot.render.volunteers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from html import escape

from bot.i18n import _, aside, fmt_date, fmt_time, join_list, ngettext, pgettext
from bot.render.callbacks import Codec, Int
from bot.render.payloads import Buttons, Payload, inline_keyboard, message_payload, payload_for
from bot.render.roster import describe_problem, row_reason
from bot.render.when import day_text
from bot.services.duty.file import DutyErrorCode, DutyRowError
from bot.services.duty.importer import DutyImportSummary
from bot.services.duty.reminders import DutyAlert, DutyReminder
from bot.services.duty.shifts import (
    ConfirmStatus,
    EditResult,
    EditStatus,
    ShiftView,
    SwapOutcome,
)
from bot.services.duty.swaps import SwapAnswered, SwapAsked, SwapDone
from bot.services.roster.file import FileProblem, RowError, RowErrorCode

CONFIRM = Codec("dc", Int("shift", digits=12))
SWAP = Codec("dw", Int("shift", digits=12))
SWAP_ACCEPT = Codec("dsa", Int("request", digits=12))
SWAP_DECLINE = Codec("dsd", Int("request", digits=12))
SWAP_WITH = Codec("dwm", Int("shift", digits=12), Int("member", digits=12))
REMOVE = Codec("dx", Int("shift", digits=12))
MAX_ERRORS_SHOWN = 20


def post_label(key: str) -> str:
    return {
        "checkpoint": _("checkpoint"),
        "screening": _("screening team"),
        "publicity": _("publicity team"),
        "hygiene": _("hygiene squad"),
    }.get(key, key)


def weekday_label(index: int) -> str:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")][index]


def _when(v: ShiftView | None, day: date, start: str, end: str) -> str:
    return _("{date} {start}–{end}").format(date=fmt_date(day), start=start, end=end)


# --- reminders and alerts ----------------------------------------------------------------------


@payload_for.register
def reminder_payload(view: DutyReminder) -> Payload:
    when = _when(None, view.day, view.start, view.end)
    if view.evening:
        text = _("🛡 {name}, tomorrow you are on duty: <b>{post}</b>, {when}.").format(
            name=escape(view.name), post=escape(view.post), when=when)
    else:
        text = _("🛡 {name}, your duty starts in one hour: <b>{post}</b>, {when}.").format(
            name=escape(view.name), post=escape(view.post), when=when)
    if view.confirmed:
        return message_payload(text + "\n" + _("You have confirmed this shift. Thank you!"))
    text += "\n" + _("Please confirm that you will be there.")
    return message_payload(text, reply_markup=inline_keyboard(
        [[(pgettext("shift", "✅ Confirm"), CONFIRM.encode(view.shift_id))]]))


@payload_for.register
def alert_payload(view: DutyAlert) -> Payload:
    return message_payload(_(
        "⚠️ <b>Unconfirmed duty</b>: {name} ({unit}) has not confirmed the shift "
        "<b>{post}</b>, {when}, which starts in 30 minutes.").format(
        name=escape(view.member_name), unit=escape(view.unit_name), post=escape(view.post),
        when=_when(None, view.day, view.start, view.end)))


def confirmed_line(at: datetime, timezone: str) -> str:
    """What the tapped reminder says once the shift is confirmed (instead of the request)."""
    return _("✅ Confirmed at {time}. Thank you!").format(
        time=escape(fmt_time(at, "short", tz=timezone)))


def swap_answered_line(accepted: bool, at: datetime, timezone: str) -> str:
    """What the tapped swap request says once answered."""
    text = (_("✅ You accepted at {time}: the shift is yours now.") if accepted
            else _("✖ You declined at {time}: the shift stays theirs."))
    return escape(text.format(time=fmt_time(at, "short", tz=timezone)))


def confirm_reply(status: ConfirmStatus) -> str:
    if status is ConfirmStatus.CONFIRMED:
        return _("✅ Confirmed. Thank you!")
    if status is ConfirmStatus.ALREADY:
        return _("You have already confirmed this shift.")
    return _("This shift is no longer yours (it was cancelled or handed over).")


# --- /duty and /shifts -----------------------------------------------------------------------


def _shift_line(v: ShiftView, *, with_unit: bool) -> str:
    mark = "✅" if v.confirmed else "⏳"
    name = escape(v.member_name)
    return f"{mark} {v.start}–{v.end} " + (aside(name, escape(v.unit_name)) if with_unit else name)


def duty_today(views: Sequence[ShiftView], *, title: str, with_unit: bool) -> str:
    if not views:
        return _("🛡 <b>{title}</b>\nNobody is on duty today.").format(title=escape(title))
    lines = [_("🛡 <b>{title}</b> — on duty today:").format(title=escape(title))]
    post = None
    for v in views[:80]:
        if v.post != post:
            post = v.post
            lines.append(f"\n<b>{escape(post)}</b>")
        lines.append(_shift_line(v, with_unit=with_unit))
    if len(views) > 80:
        lines.append(_("… and {n} more").format(n=len(views) - 80))
    lines.append("\n" + _("✅ confirmed · ⏳ not confirmed yet"))
    return "\n".join(lines)


def my_shifts(views: Sequence[ShiftView]) -> tuple[str, Buttons]:
    if not views:
        return "", []
    lines = [_("<b>Your coming shifts:</b>")]
    buttons = []
    for v in views:
        lines.append(("✅ " if v.confirmed else "⏳ ") + _("{post}, {when}").format(
            post=escape(v.post), when=_when(v, v.day, v.start, v.end)))
        row = [(_("🔁 Swap {date} {start}").format(date=fmt_date(v.day, "short"),
                                                 start=v.start), SWAP.encode(v.id))]
        if not v.confirmed:
            row.insert(0, (pgettext("shift", "✅ Confirm"), CONFIRM.encode(v.id)))
        buttons.append(row)
    return "\n".join(lines), buttons


def shifts_list(views: Sequence[ShiftView]) -> tuple[str, Buttons]:
    usage = _("Add: /shift_add DATE START-END POST / NAME\n"
              "Hand over: /shift_assign ID NAME\nImport a file: /duty_import")
    if not views:
        return _("No shifts in the coming 7 days.") + "\n\n" + escape(usage), []
    lines = [_("<b>Shifts in the coming 7 days:</b>")]
    buttons = []
    for v in views[:30]:
        lines.append(f"#{v.id} " + fmt_date(v.day, "short") + " " + escape(v.post) + " "
                     + _shift_line(v, with_unit=True))
        buttons.append([(_("✖ Remove #{id}").format(id=v.id), REMOVE.encode(v.id))])
    if len(views) > 30:
        lines.append(_("… and {n} more").format(n=len(views) - 30))
    return "\n".join(lines) + "\n\n" + escape(usage), buttons


def edit_reply(result: EditResult, action: str) -> str:
    s = result.shift
    if result.status is EditStatus.DONE and s is not None:
        # The day in full, with its weekday: a day written in words is read back.
        when = _("{date} {start}–{end}").format(date=escape(day_text(s.day)), start=s.start,
                                                end=s.end)
        what = _("{post}, {when}").format(post=escape(s.post), when=when)
        if action == "remove":
            return _("Shift #{id} removed: {what}. No reminders will be sent.").format(
                id=s.id, what=what)
        return _("Shift #{id}: {name} — {what}. Reminders will follow.").format(
            id=s.id, name=escape(result.member_name), what=what)
    return {
        EditStatus.EXISTS: _("That shift is already on the roster."),
        EditStatus.NOT_FOUND: _("There is no such shift."),
        EditStatus.OUTSIDE_SCOPE: _("You can only change the roster of your own unit and the "
                                    "units under it."),
        EditStatus.CANCELLED: _("That shift has been removed already."),
        EditStatus.SAME: _("That person is already on this shift."),
    }.get(result.status, _("There is no such shift."))


def subtree_title(whole: bool) -> str:
    return _("The whole organisation") if whole else _("Your units")


def file_too_large() -> str:
    return _("The file is too large (at most 5 MB).")


def unreachable(name: str) -> str:
    return _("{name} cannot be reached through the bot yet: ask your unit's leader instead."
             ).format(name=escape(name))


def not_allowed() -> str:
    return _("Only unit leaders and admins can change the duty roster.")


def shift_add_usage() -> str:
    return _("Write: /shift_add DAY START-END POST / NAME, e.g. "
             "<code>/shift_add tomorrow 8am-12pm Gate checkpoint / Li Na</code> or "
             "<code>/shift_add 2026-12-01 08:00-12:00 Gate checkpoint / Li Na</code>")


def shift_assign_usage() -> str:
    return _("Write: /shift_assign ID NAME, e.g. <code>/shift_assign 12 Li Na</code> "
             "(the ID is shown by /shifts).")


def no_match(query: str) -> str:
    return _("Nobody called “{query}” in your units.").format(query=escape(query))


def many_matches(names: Sequence[str]) -> str:
    return _("Several people match: {names}. Write the full name.").format(
        names=escape(join_list(names)))


# --- swaps -----------------------------------------------------------------------------------


def swap_ask_name() -> str:
    return _("Who should take this shift? Write your colleague's name (same unit).")


def swap_choices(shift_id: int, colleagues: tuple[tuple[int, str], ...]) -> tuple[str, Buttons]:
    """The swap's question with the colleagues as buttons (a name may still be typed)."""
    if not colleagues:
        return swap_ask_name(), []
    return (_("Who should take this shift? Tap a colleague, or write a name."),
            [[(name[:60], SWAP_WITH.encode(shift_id, member_id))]
             for member_id, name in colleagues])


@payload_for.register
def swap_request_payload(view: SwapAsked) -> Payload:
    return message_payload(
        _("🔁 {name} asks you to take their shift <b>{post}</b>, {when}.").format(
            name=escape(view.from_name), post=escape(view.post),
            when=_when(None, view.day, view.start, view.end)),
        reply_markup=inline_keyboard([[(_("✅ Accept"), SWAP_ACCEPT.encode(view.request_id)),
                                       (_("✖ Decline"), SWAP_DECLINE.encode(view.request_id))]]))


def swap_reply(outcome: SwapOutcome, colleague: str = "") -> str:
    return {
        SwapOutcome.ASKED: _("Asked {name}. You will hear their answer here.").format(
            name=escape(colleague)),
        SwapOutcome.NOT_YOURS: _("This shift is no longer yours (it was cancelled or handed "
                                 "over)."),
        SwapOutcome.SELF: _("You cannot swap a shift with yourself."),
        SwapOutcome.PENDING: _("A swap of this shift is already waiting for an answer."),
        SwapOutcome.ACCEPTED: _("✅ You have taken over the shift. Reminders will follow."),
        SwapOutcome.DECLINED: _("You declined the swap."),
        SwapOutcome.GONE: _("This swap request has been answered or is no longer valid."),
    }[outcome]


@payload_for.register
def swap_answer_payload(view: SwapAnswered) -> Payload:
    when = _when(None, view.day, view.start, view.end)
    if view.accepted:
        text = _("🔁 {name} accepted: they take your shift <b>{post}</b>, {when}.")
    else:
        text = _("🔁 {name} declined to take your shift <b>{post}</b>, {when}. "
                 "It stays yours.")
    return message_payload(text.format(name=escape(view.colleague), post=escape(view.post),
                                       when=when))


@payload_for.register
def swap_leader_payload(view: SwapDone) -> Payload:
    return message_payload(_("🔁 Duty swap: {to} takes over from {old} — <b>{post}</b>, "
                             "{when}.").format(to=escape(view.to_name),
                                               old=escape(view.from_name),
                                               post=escape(view.post),
                                               when=_when(None, view.day, view.start,
                                                          view.end)))


# --- import ----------------------------------------------------------------------------------


def _reason(error: DutyRowError) -> str:
    p = error.params
    texts = {
        DutyErrorCode.BAD_DATE: lambda: _("“{value}” is not a date (use YYYY-MM-DD)").format(
            value=p.get("value")),
        DutyErrorCode.BAD_TIME: lambda: _("“{value}” is not a time (use HH:MM)").format(
            value=p.get("value")),
        DutyErrorCode.SAME_TIMES: lambda: _("the shift ends when it starts"),
        DutyErrorCode.POST_TOO_LONG: lambda: _("the post is too long (at most {limit} "
                                               "characters)").format(limit=p.get("limit")),
        DutyErrorCode.DUPLICATE: lambda: _("the same shift is already on line {line}").format(
            line=p.get("first_line")),
        DutyErrorCode.UNKNOWN_UNIT: lambda: _("no unit “{unit}”").format(unit=p.get("unit")),
        DutyErrorCode.UNKNOWN_PHONE: lambda: _("nobody on the roster has the phone number "
                                               "{phone}").format(phone=p.get("phone")),
        DutyErrorCode.OTHER_UNIT: lambda: _("the person with {phone} is not a member of this "
                                            "unit").format(phone=p.get("phone")),
        DutyErrorCode.OUTSIDE_SCOPE: lambda: _("“{unit}” is not one of your units").format(
            unit=p.get("unit")),
    }
    try:
        return texts[DutyErrorCode(error.code)]()
    except ValueError:
        return row_reason(RowError(error.line, None, RowErrorCode(error.code), error.params))


def describe_duty_error(error: DutyRowError) -> str:
    return _("Line {line}: {reason}").format(line=error.line, reason=_reason(error))


def import_lines(summary: DutyImportSummary) -> list[str]:
    lines = [describe_duty_error(e) for e in summary.errors[:MAX_ERRORS_SHOWN]]
    if len(summary.errors) > MAX_ERRORS_SHOWN:
        lines.append(_("… and {n} more bad rows").format(
            n=len(summary.errors) - MAX_ERRORS_SHOWN))
    if summary.stopped:
        lines.append(ngettext("{n} bad row: nothing was changed. Fix it and import again, or "
                              "skip the bad rows.",
                              "{n} bad rows: nothing was changed. Fix them and import again, "
                              "or skip the bad rows.", len(summary.errors)).format(
            n=len(summary.errors)))
        return lines
    text = _("Shifts: {added} added, {updated} updated, {unchanged} unchanged, "
             "{skipped} bad rows skipped.").format(
        added=summary.added, updated=summary.updated, unchanged=summary.unchanged,
        skipped=len(summary.errors))
    if summary.dry_run:
        text = _("Dry run, nothing written. ") + text
    lines.append(text)
    return lines


def import_reply(summary: DutyImportSummary) -> str:
    """import_lines for the chat (HTML: the file's own words escaped)."""
    return escape("\n".join(import_lines(summary)))


def file_problem(problem: FileProblem) -> str:
    """Why the file cannot be read, for the chat (HTML)."""
    return escape(describe_problem(problem))


def import_prompt() -> str:
    return _("Send the roster file now (CSV or XLSX, columns "
             "<code>unit,date,start,end,post,phone</code>). /cancel stops.")
