"""/quiet (a member's quiet hours) and /leave (leaders record leave for their units)."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.render.onboarding import not_linked, toast
from bot.render.payloads import Buttons
from bot.render.settings import (
    LEAVE_CANCEL,
    LEAVE_PICK,
    find_problem,
    leave_args_problem,
    leave_cancel_buttons,
    leave_not_allowed,
    leave_result,
    leave_usage,
    pick_member,
    picked_leave,
    quiet_problem,
    quiet_set,
    quiet_usage,
)
from bot.services.members import leaves
from bot.services.members.leaves import FindStatus, InvalidLeaveArgs
from bot.services.members.settings import InvalidQuiet, parse_quiet, quiet_of, set_quiet
from bot.services.org.accounts import member_for
from handlers import tg
from handlers.common import stale_button


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
    await tg.reply(update, reply)


async def record_leave(update: Update, context: Context) -> None:
    """A leader or admin records leave: `/leave NAME FROM [TO] [exempt]`; no args lists."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    text, now, zone = _args(context), context.now(), context.settings.default_timezone
    buttons: Buttons = []
    async with context.transaction() as session:
        actor = context.manager
        if actor is None:
            reply = leave_not_allowed()
        elif not text:
            current = await leaves.current_leaves(session, actor, now=now, default_timezone=zone)
            reply, buttons = leave_usage(current), leave_cancel_buttons(current)
        else:
            try:
                request = leaves.parse_leave_args(text)
            except InvalidLeaveArgs as invalid:
                reply = leave_args_problem(invalid.code)
            else:
                found = await leaves.find_members(session, actor, request.query, now=now)
                if found.status is not FindStatus.FOUND:
                    reply = find_problem(found)
                elif len(found.candidates) > 1:
                    reply, buttons = pick_member(found.candidates, request.start, request.end,
                                                 request.kind)
                else:
                    result = await leaves.set_leave(
                        session, actor, member_id=found.candidates[0].member_id,
                        start=request.start, end=request.end, kind=request.kind, now=now,
                        default_timezone=zone)
                    reply = leave_result(result)
    await tg.reply(update, reply, buttons)


async def leave_picked(update: Update, context: Context) -> None:
    """One of several matching members picked: record the leave; the scope checked again."""
    query = update.callback_query
    assert query
    values = LEAVE_PICK.decode(query.data)
    picked = None if values is None else picked_leave(values)
    if picked is None:
        await stale_button(update, context)
        return
    async with context.transaction() as session:
        actor = context.manager
        reply = leave_not_allowed() if actor is None else leave_result(await leaves.set_leave(
            session, actor, member_id=picked.member_id, start=picked.start, end=picked.end,
            kind=picked.kind, now=context.now(),
            default_timezone=context.settings.default_timezone))
    await _leave_answered(update, reply)


async def leave_cancelled(update: Update, context: Context) -> None:
    """A leave's cancel button: cancel it; the scope checked again."""
    query = update.callback_query
    assert query
    values = LEAVE_CANCEL.decode(query.data)
    if values is None:
        await stale_button(update, context)
        return
    async with context.transaction() as session:
        actor = context.manager
        reply = leave_not_allowed() if actor is None else leave_result(
            await leaves.cancel_leave(session, actor, leave_id=values[0], now=context.now(),
                                      default_timezone=context.settings.default_timezone))
    await _leave_answered(update, reply)


async def _leave_answered(update: Update, reply: str) -> None:
    assert update.callback_query
    await tg.answer(update.callback_query, toast(reply))
    await tg.send(update, reply)
