"""/leave by buttons: the member from the leader's units, the days, then /leave's own
confirmation buttons (handlers.settings.leave_picked records it)."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.render import leave_form as render
from bot.render.settings import leave_not_allowed
from bot.services.members import leave_form
from bot.services.members.leave_form import Preset
from handlers import tg


async def new_pressed(update: Update, context: Context) -> None:
    """➕ Record leave: the leader's own unit to pick from."""
    tg.pressed(update, render.LEAVE_NEW)
    await _browse(update, context, None)


async def unit_pressed(update: Update, context: Context) -> None:
    """📁 a unit: its units and members (0: the top)."""
    _query, (unit_id,) = tg.pressed(update, render.LEAVE_UNIT)
    await _browse(update, context, unit_id or None)


async def _browse(update: Update, context: Context, unit_id: int | None) -> None:
    assert update.callback_query
    actor = context.manager
    if actor is None:
        await tg.answer(update.callback_query, leave_not_allowed())
        return
    async with context.transaction() as session:
        reply = await leave_form.browse(session, actor, unit_id, now=context.now())
    await tg.answer(update.callback_query)
    await tg.send(update, *render.form_reply(reply))


async def who_pressed(update: Update, context: Context) -> None:
    """👤 a member: which days?"""
    query, (member_id,) = tg.pressed(update, render.LEAVE_WHO)
    actor = context.manager
    if actor is None:
        await tg.answer(query, leave_not_allowed())
        return
    async with context.transaction() as session:
        reply = await leave_form.pick(session, actor, member_id, now=context.now())
    await tg.answer(query)
    await tg.send(update, *render.form_reply(reply))


async def preset_pressed(update: Update, context: Context) -> None:
    """Days tapped: the confirmation, with the days in full."""
    query, (member_id, which) = tg.pressed(update, render.LEAVE_PRESET)
    actor = context.manager
    if actor is None:
        await tg.answer(query, leave_not_allowed())
        return
    async with context.transaction() as session:
        reply = await leave_form.preset(session, actor, member_id, Preset(which),
                                        now=context.now(),
                                        default_timezone=context.settings.default_timezone)
    await tg.answer(query)
    await tg.send(update, *render.form_reply(reply))


async def leave_answer(update: Update, context: Context) -> None:
    """A name typed at the first step, the days at the second."""
    message = update.effective_message
    assert message and message.text is not None
    actor = context.manager
    if actor is None:
        await tg.reply(update, leave_not_allowed())
        return
    async with context.transaction() as session:
        reply = await leave_form.typed(session, actor, message.text, now=context.now(),
                                       default_timezone=context.settings.default_timezone)
    await tg.reply(update, *render.form_reply(reply))
