"""Adding a shift by buttons (/shifts → Add a shift): each step tapped or written."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.render import duty as render_duty
from bot.render import shift_form as render
from bot.services.duty import shift_form
from handlers import tg


async def new_pressed(update: Update, context: Context) -> None:
    """➕ Add a shift: which day?"""
    query, _values = tg.pressed(update, render.SHIFT_NEW)
    actor = context.manager
    if actor is None:
        await tg.answer(query, render_duty.not_allowed())
        return
    async with context.transaction() as session:
        reply = await shift_form.start(session, actor, now=context.now(),
                                       default_timezone=context.settings.default_timezone)
    await tg.answer(query)
    await tg.send(update, *render.form_reply(reply))


async def pick_pressed(update: Update, context: Context) -> None:
    """A day, hours, post or person tapped: the next step."""
    query, (_step, value) = tg.pressed(update, render.SHIFT_PICK)
    await tg.answer(query)
    await _answer(update, context, value, tapped=True)


async def shift_answer(update: Update, context: Context) -> None:
    """A step answered in words."""
    message = update.effective_message
    assert message and message.text is not None
    await _answer(update, context, message.text, tapped=False)


async def _answer(update: Update, context: Context, value: str, *, tapped: bool) -> None:
    actor = context.manager
    if actor is None:
        await tg.send(update, render_duty.not_allowed())
        return
    async with context.transaction() as session:
        reply = await shift_form.answer(session, actor, value, tapped=tapped, now=context.now(),
                                        default_timezone=context.settings.default_timezone)
    await tg.send(update, *render.form_reply(reply))
