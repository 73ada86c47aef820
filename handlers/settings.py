"""/quiet (a member's quiet hours) and /leave (leaders record leave for their units)."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.render.leave_form import new_leave_button
from bot.render.onboarding import not_linked
from bot.render.payloads import Buttons
from bot.render.quiet_buttons import QUIET, quiet_buttons, quiet_text
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
from bot.services.members.leaves import FindStatus
from bot.services.members.settings import QuietChange, quiet_command
from handlers import tg
from handlers.common import stale_button


def _args(context: Context) -> str:
    return " ".join(context.args or [])


async def set_quiet_hours(update: Update, context: Context) -> None:
    """A linked member sets, clears or looks at their quiet hours."""
    user = update.effective_user
    assert user
    async with context.transaction() as session:
        change = await quiet_command(session, user.id, _args(context))
    await tg.reply(update, *_quiet_reply(change))


async def quiet_pressed(update: Update, context: Context) -> None:
    """A window (or Off) tapped under /quiet."""
    query, (token,) = tg.pressed(update, QUIET)
    user = update.effective_user
    assert user
    async with context.transaction() as session:
        change = await quiet_command(session, user.id, quiet_text(token))
    await tg.answer(query)
    await tg.edit_or_keep(query, *_quiet_reply(change))


def _quiet_reply(change: QuietChange | None) -> tuple[str, Buttons]:
    if change is None:
        return not_linked(), []
    if change.error is not None:
        return quiet_problem(change.error), quiet_buttons()
    if change.changed:
        return quiet_set(change.quiet), []
    return quiet_usage(change.quiet), quiet_buttons()


async def record_leave(update: Update, context: Context) -> None:
    """A leader or admin records leave: `/leave NAME FROM [TO] [exempt]`; no args lists."""
    buttons: Buttons = []
    async with context.transaction() as session:
        actor = context.manager
        done = None if actor is None else await leaves.leave_command(
            session, actor, _args(context), now=context.now(),
            default_timezone=context.settings.default_timezone)
    if done is None:
        reply = leave_not_allowed()
    elif done.current is not None:
        reply = leave_usage(done.current)
        buttons = [new_leave_button(), *leave_cancel_buttons(done.current)]
    elif done.args_error is not None:
        reply = leave_args_problem(done.args_error)
    elif done.found is not None and done.found.status is not FindStatus.FOUND:
        reply = find_problem(done.found)
    elif done.found is not None and done.request is not None:
        request = done.request
        reply, buttons = pick_member(done.found.candidates, request.start, request.end,
                                     request.kind)
    else:
        assert done.result is not None
        reply = leave_result(done.result)
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
    query, values = tg.pressed(update, LEAVE_CANCEL)
    async with context.transaction() as session:
        actor = context.manager
        reply = leave_not_allowed() if actor is None else leave_result(
            await leaves.cancel_leave(session, actor, leave_id=values[0], now=context.now(),
                                      default_timezone=context.settings.default_timezone))
    await _leave_answered(update, reply)


async def _leave_answered(update: Update, reply: str) -> None:
    assert update.callback_query
    await tg.answer(update.callback_query, reply)
    await tg.send(update, reply)
