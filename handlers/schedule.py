"""/setschedule by buttons: a setting's button, a value's button, or a value typed in words."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.render import schedule_form as render
from bot.render.admin import leaders_only
from bot.services.org import schedule_form
from bot.services.org.unit_admin import Setting
from handlers import tg


async def field_pressed(update: Update, context: Context) -> None:
    """✏️ a setting: its choices; a typed value is awaited."""
    query, (unit_id, setting) = tg.pressed(update, render.SCHED_FIELD)
    actor = context.manager
    if actor is None:
        await tg.answer(query, leaders_only())
        return
    async with context.transaction() as session:
        reply = await schedule_form.ask(session, actor, unit_id, Setting(setting),
                                        now=context.now())
    await tg.answer(query)
    await tg.edit_or_keep(query, *render.form_reply(reply))


async def value_pressed(update: Update, context: Context) -> None:
    """A value tapped: saved (the scope and the day's order checked again)."""
    query, (unit_id, setting, token) = tg.pressed(update, render.SCHED_VALUE)
    actor = context.manager
    if actor is None:
        await tg.answer(query, leaders_only())
        return
    async with context.transaction() as session:
        reply = await schedule_form.choose(
            session, actor, unit_id, Setting(setting), render.raw_value(token),
            now=context.now(), default_timezone=context.settings.default_timezone)
    await tg.answer(query)
    await tg.edit_or_keep(query, *render.form_reply(reply))


async def back_pressed(update: Update, context: Context) -> None:
    """⬅️ Back: the schedule with its buttons."""
    query, (unit_id,) = tg.pressed(update, render.SCHED_BACK)
    actor = context.manager
    if actor is None:
        await tg.answer(query, leaders_only())
        return
    async with context.transaction() as session:
        reply = await schedule_form.overview(
            session, actor, unit_id, now=context.now(),
            default_timezone=context.settings.default_timezone)
    await tg.answer(query)
    await tg.edit_or_keep(query, *render.form_reply(reply))


async def schedule_answer(update: Update, context: Context) -> None:
    """A value typed while a setting's choices are shown."""
    message = update.effective_message
    assert message and message.text is not None
    actor = context.manager
    if actor is None:
        await tg.reply(update, leaders_only())
        return
    async with context.transaction() as session:
        reply = await schedule_form.typed(
            session, actor, message.text, now=context.now(),
            default_timezone=context.settings.default_timezone)
    await tg.reply(update, *render.form_reply(reply))
