"""Asking to join when one's number is not on the roster, and approving or declining it.

The name step's text comes here when the sender's open form is a join request's
(handlers/__init__); the approvers' buttons come from the request the outbox delivered.
"""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.outbox.send import send
from bot.render import joining as render
from bot.services.members import joining
from handlers import faq, tg


async def start_join(update: Update, context: Context) -> None:
    """"Ask to join" tapped: ask for the name."""
    query, _values = tg.pressed(update, render.JOIN_START)
    async with context.transaction() as session:
        reply = await joining.start(session, context.actor.telegram_user_id, now=context.now())
    text, buttons = render.join_reply(reply)
    await tg.answer(query)
    await tg.send(update, text, buttons)


async def join_name(update: Update, context: Context) -> None:
    """The name typed: show the top of the unit tree."""
    message = update.effective_message
    assert message and message.text is not None
    async with context.transaction() as session:
        reply = await joining.answer_name(session, context.actor.telegram_user_id,
                                          message.text, now=context.now())
    if reply.outcome is joining.Outcome.NOT_ASKED:  # "Ask to join" not tapped: a question
        await faq.answer_question(update, context)
        return
    await tg.reply(update, *render.join_reply(reply))


async def browse_units(update: Update, context: Context) -> None:
    """📁 tapped: the units below that one (0: the top)."""
    query, (unit_id,) = tg.pressed(update, render.JOIN_BROWSE)
    async with context.transaction() as session:
        reply = await joining.browse(session, context.actor.telegram_user_id, unit_id or None,
                                     now=context.now())
    await tg.answer(query)
    await tg.edit_or_keep(query, *render.join_reply(reply))


async def pick_unit(update: Update, context: Context) -> None:
    """✅ tapped: the request goes to whoever may approve it."""
    query, (unit_id,) = tg.pressed(update, render.JOIN_PICK)
    now = context.now()
    async with context.transaction() as session:
        reply = await joining.choose(
            session, context.actor.telegram_user_id, unit_id,
            admin_ids=context.settings.admin_telegram_ids,
            default_locale=context.settings.default_locale, now=now)
        await send(session, reply.outgoing, now=now)
    await tg.answer(query)
    await tg.edit_or_keep(query, *render.join_reply(reply))
    context.wake_dispatcher()


async def decide_join(update: Update, context: Context) -> None:
    """Approve or Decline tapped by a contact, leader or admin; the reach checked again."""
    query, (request_id, choice) = tg.pressed(update, render.JOIN_DECIDE)
    now = context.now()
    async with context.transaction() as session:
        result = await joining.decide(session, context.actor, request_id, approve=choice == "a",
                                      default_locale=context.settings.default_locale, now=now,
                                      default_timezone=context.settings.default_timezone)
        await send(session, result.outgoing, now=now)
    text = render.decide_result(result)
    await tg.answer(query, text)
    if result.decision in (joining.Decision.APPROVED, joining.Decision.DECLINED,
                           joining.Decision.ALREADY):
        await tg.keep_buttons_or_drop(query, None)
    await tg.send(update, text)
    context.wake_dispatcher()
