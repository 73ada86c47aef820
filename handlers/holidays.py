"""/holidays: a leader's days off for their unit, listed, added in words, removed by button."""

from __future__ import annotations

from datetime import date

from telegram import Update

from bot.context import Context
from bot.render import holidays as render
from bot.render.admin import leaders_only, unit_problem
from bot.services.org import admin
from bot.services.reports import holiday_form
from handlers import tg


async def show_holidays(update: Update, context: Context) -> None:
    """`/holidays [UNIT]`: the unit's coming days off, with Add and remove buttons."""
    manager = context.manager
    if manager is None:
        await tg.reply(update, leaders_only())
        return
    now, zone = context.now(), context.settings.default_timezone
    async with context.transaction() as session:
        status, unit, choices = await admin.resolve_unit(
            session, manager, " ".join(context.args or [])[:200], what="holiday", now=now)
        reply = None if unit is None else await holiday_form.listing(
            session, unit, now=now, default_timezone=zone)
    if reply is None:
        await tg.reply(update, unit_problem(status.value, choices))
        return
    await tg.reply(update, *render.holidays_reply(reply))


async def add_pressed(update: Update, context: Context) -> None:
    """➕ Add a day off: which day, and its name?"""
    query, (unit_id,) = tg.pressed(update, render.HOLIDAY_NEW)
    manager = context.manager
    if manager is None:
        await tg.answer(query, leaders_only())
        return
    async with context.transaction() as session:
        reply = await holiday_form.ask(session, manager, unit_id, now=context.now())
    await tg.answer(query)
    await tg.send(update, *render.holidays_reply(reply))


async def remove_pressed(update: Update, context: Context) -> None:
    """✖ a day off: removed (the unit checked again)."""
    query, (unit_id, day) = tg.pressed(update, render.HOLIDAY_REMOVE)
    manager = context.manager
    if manager is None:
        await tg.answer(query, leaders_only())
        return
    try:
        when = date(int(day[:4]), int(day[4:6]), int(day[6:]))
    except ValueError:
        await tg.answer(query)
        return
    async with context.transaction() as session:
        reply = await holiday_form.remove(session, manager, unit_id, when, now=context.now(),
                                          default_timezone=context.settings.default_timezone)
    await tg.answer(query)
    await tg.edit_or_keep(query, *render.holidays_reply(reply))


async def holiday_answer(update: Update, context: Context) -> None:
    """The day and the name, written."""
    message = update.effective_message
    assert message and message.text is not None
    manager = context.manager
    if manager is None:
        await tg.reply(update, leaders_only())
        return
    async with context.transaction() as session:
        reply = await holiday_form.typed(session, manager, message.text, now=context.now(),
                                         default_timezone=context.settings.default_timezone)
    await tg.reply(update, *render.holidays_reply(reply))
