"""/quiet (a member's quiet hours) and /leave (leaders record leave for their units)."""

from __future__ import annotations

import re
from datetime import date

from telegram import Update
from telegram.constants import ParseMode

from bot.context import Context
from bot.db.models import LeaveKind
from bot.render.onboarding import not_linked
from bot.render.settings import (
    LEAVE_CANCEL_PREFIX,
    LEAVE_PICK_PREFIX,
    find_problem,
    leave_args_problem,
    leave_cancel_buttons,
    leave_not_allowed,
    leave_result,
    leave_usage,
    pick_member,
    quiet_problem,
    quiet_set,
    quiet_usage,
)
from bot.services.members import leaves
from bot.services.members.leaves import FindStatus, InvalidLeaveArgs
from bot.services.members.settings import InvalidQuiet, parse_quiet, quiet_of, set_quiet
from bot.services.org.accounts import member_for
from handlers.family import keyboard, plain_text

LEAVE_PATTERN = rf"^(?:{LEAVE_PICK_PREFIX}|{LEAVE_CANCEL_PREFIX})"
_PICK = re.compile(r"lv:(\d{1,12}):(\d{8}):(\d{8}):([le])")
_CANCEL = re.compile(r"lvx:(\d{1,12})")


def _args(context: Context) -> str:
    return " ".join(context.args or [])


async def set_quiet_hours(update: Update, context: Context) -> None:
    """A linked member sets, clears or looks at their quiet hours."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    text = _args(context)
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        if member is None:
            reply = not_linked()
        elif not text:
            reply = quiet_usage(quiet_of(member))
        else:
            try:
                quiet = parse_quiet(text)
            except InvalidQuiet as invalid:
                reply = quiet_problem(invalid.code)
            else:
                set_quiet(member, quiet)
                reply = quiet_set(quiet)
    await message.reply_text(reply, parse_mode=ParseMode.HTML)


async def record_leave(update: Update, context: Context) -> None:
    """A leader or admin records leave: `/leave NAME FROM [TO] [exempt]`; no args lists."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    text, now, zone = _args(context), context.now(), context.settings.default_timezone
    buttons: list[list[tuple[str, str]]] = []
    async with context.transaction() as session:
        scope = context.manager
        if scope is None:
            reply = leave_not_allowed()
        elif not text:
            current = await leaves.current_leaves(session, scope, now=now, default_timezone=zone)
            reply, buttons = leave_usage(current), leave_cancel_buttons(current)
        else:
            try:
                request = leaves.parse_leave_args(text)
            except InvalidLeaveArgs as invalid:
                reply = leave_args_problem(invalid.code)
            else:
                found = await leaves.find_members(session, scope, request.query, now=now)
                if found.status is not FindStatus.FOUND:
                    reply = find_problem(found)
                elif len(found.candidates) > 1:
                    reply, buttons = pick_member(found.candidates, request.start, request.end,
                                                 request.kind)
                else:
                    result = await leaves.set_leave(
                        session, scope, member_id=found.candidates[0].member_id,
                        start=request.start, end=request.end, kind=request.kind, now=now,
                        default_timezone=zone)
                    reply = leave_result(result)
    await message.reply_text(reply, parse_mode=ParseMode.HTML,
                             reply_markup=keyboard(buttons) if buttons else None)


def _day(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


async def leave_button(update: Update, context: Context) -> None:
    """A leave button: pick one of several matches, or cancel a leave; scope checked again."""
    query, user = update.callback_query, update.effective_user
    assert query and user
    data = query.data or ""
    pick, cancel = _PICK.fullmatch(data), _CANCEL.fullmatch(data)
    start, end = (_day(pick[2]), _day(pick[3])) if pick else (None, None)
    now, zone = context.now(), context.settings.default_timezone
    async with context.transaction() as session:
        scope = context.manager
        if scope is None:
            reply = leave_not_allowed()
        elif pick and start and end:
            kind = LeaveKind.EXEMPT if pick[4] == "e" else LeaveKind.LEAVE
            result = await leaves.set_leave(session, scope, member_id=int(pick[1]),
                                            start=start, end=end, kind=kind, now=now,
                                            default_timezone=zone)
            reply = leave_result(result)
        elif cancel:
            result = await leaves.cancel_leave(session, scope, leave_id=int(cancel[1]),
                                               now=now, default_timezone=zone)
            reply = leave_result(result)
        else:
            reply = ""
    if not reply:
        from handlers.common import stale_button

        await stale_button(update, context)
        return
    await query.answer(plain_text(reply)[:200])
    assert query.message is not None
    await query.get_bot().send_message(query.message.chat.id, reply, parse_mode=ParseMode.HTML)
