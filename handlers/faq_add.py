"""/faq_add QID [ID]: an admin turns an answered question into a knowledge-base entry, step
by step (topic → question → answer → preview → save); the entry answers members at once.

The form is bot.services.faq.promote's state machine (a Draft row of kind "faq_add"): the
command starts it, each button is one action (bot.render.faq_add's codecs, one handler
each), and text typed at a step reaches `faq_add_answer` (routes.open_form(FAQ_ADD)).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import Application

from bot.context import BotData, Context
from bot.render import faq as render_faq
from bot.render import faq_add as render
from bot.render.callbacks import Codec
from bot.services.faq import promote as faq_promote
from bot.services.faq.promote import Outcome, Result
from bot.services.faq.service import Faq
from handlers import tg

if TYPE_CHECKING:
    from bot.runtime.app import SelfreportApp

logger = logging.getLogger(__name__)

# Seconds: how soon an entry promoted on another instance (sharing the database) answers here.
SYNC_INTERVAL = 30.0


async def start_faq_add(update: Update, context: Context) -> None:
    """/faq_add QID [ID]: begin turning an answered question into an entry (admins: routed
    with routes.ADMIN)."""
    message, faq = update.effective_message, context.bot_data.faq
    assert message
    parts = (message.text or "").split(maxsplit=1)
    args = faq_promote.parse_faq_add_args(parts[1] if len(parts) > 1 else "")
    if args is None:
        await tg.reply(update, render.usage())
        return
    if faq is None:
        await tg.reply(update, render_faq.faq_unavailable())
        return
    async with context.transaction() as session:
        result = await faq_promote.begin(session, faq, telegram_user_id=context.actor.
                                         telegram_user_id, question_id=args[0],
                                         entry_id=args[1], now=context.now())
    await tg.reply(update, *render.shown(result, faq))


async def topic_button(update: Update, context: Context) -> None:
    """Step 1: the topic chosen."""
    await _press(update, context, "c", render.TOPIC)


async def keep_button(update: Update, context: Context) -> None:
    """Steps 2 and 3: the question / the answer kept as shown."""
    await _press(update, context, "k", render.KEEP)


async def edit_question_button(update: Update, context: Context) -> None:
    """The preview: back to the question."""
    await _press(update, context, "q", render.EDIT_QUESTION)


async def edit_answer_button(update: Update, context: Context) -> None:
    """The preview: back to the answer."""
    await _press(update, context, "a", render.EDIT_ANSWER)


async def save_button(update: Update, context: Context) -> None:
    """The preview: save the entry."""
    await _press(update, context, "s", render.SAVE)


async def cancel_button(update: Update, context: Context) -> None:
    """Any step: drop the form."""
    await _press(update, context, "x", render.CANCEL)


async def _press(update: Update, context: Context, action: str, codec: Codec) -> None:
    """A /faq_add button, checked against the admin's form and its step."""
    query, faq, actor = update.callback_query, context.bot_data.faq, context.actor
    assert query
    values = codec.decode(query.data)
    assert values is not None  # registered with codec.pattern
    if not actor.is_admin:
        await tg.answer(query, render_faq.admins_only(), alert=True)
        return
    if faq is None:
        await tg.answer(query, render_faq.faq_unavailable(), alert=True)
        return
    async with context.transaction() as session:
        result = await faq_promote.press(
            session, faq, actor=actor, action=action, question_id=values[0],
            category=values[1] if len(values) > 1 else "", now=context.now())
    if result.outcome is Outcome.STALE:
        await tg.answer(query, render.outcome_text(result), alert=True)
        return
    await tg.answer(query)
    try:  # the buttons of a step are used once
        await tg.keep_buttons_or_drop(query, None)
    except BadRequest as exc:  # e.g. an old message that can no longer be edited
        logger.debug("faq_add: buttons not removed: %s", exc)
    if result.outcome is Outcome.SAVED:
        async with context.transaction() as session:
            result = await faq_promote.laid(session, faq, result)
        logger.info("faq addition %s saved by user %s", result.entry_id,
                    actor.telegram_user_id)
    await _show(update, faq, result)


async def _show(update: Update, faq: Faq, result: Result) -> None:
    """The next step after a button: a reply to its message, or (an old message that is no
    longer accessible) a new message in the chat."""
    query = update.callback_query
    assert query
    if isinstance(query.message, Message):
        await tg.reply(update, *render.shown(result, faq))
    else:
        await tg.send(update, *render.shown(result, faq))


async def faq_add_answer(update: Update, context: Context) -> None:
    """Text typed while a /faq_add step waits for a better question or answer."""
    message, faq, actor = update.effective_message, context.bot_data.faq, context.actor
    assert message and message.text is not None
    if not actor.is_admin or faq is None:
        async with context.transaction() as session:
            await faq_promote.clear(session, actor.telegram_user_id)
        await tg.reply(update, render_faq.admins_only() if not actor.is_admin
                       else render_faq.faq_unavailable())
        return
    async with context.transaction() as session:
        result = await faq_promote.answer(session, faq, telegram_user_id=actor.telegram_user_id,
                                          text=message.text, html_text=message.text_html,
                                          now=context.now())
    await tg.reply(update, *render.shown(result, faq))


async def sync_additions(app: Application[Any, Any, Any, Any, BotData, Any],
                         seen: dict[str, Any]) -> bool:
    """Lay the stored additions again when they changed since `seen` (another instance's
    /faq_add, `faq drop-additions`): one aggregate query when nothing did."""
    faq, db = app.bot_data.faq, app.bot_data.db
    if faq is None or db is None:
        return False
    async with db.transaction() as session:
        now = (id(faq), await faq_promote.stamp(session))
        if seen.get("stamp") == now:
            return False
        additions = await faq_promote.additions(session)
    faq.set_additions(additions)
    seen["stamp"] = now
    return True


async def sync_job(context: Context) -> None:
    """Every SYNC_INTERVAL seconds: see sync_additions."""
    assert context.job is not None and isinstance(context.job.data, dict)
    await sync_additions(context.application, context.job.data)


def schedule_jobs(app: SelfreportApp) -> None:
    if app.job_queue is None:
        return
    app.job_queue.run_repeating(
        sync_job, interval=SYNC_INTERVAL, first=SYNC_INTERVAL, name="faq_additions", data={},
        job_kwargs={"misfire_grace_time": int(SYNC_INTERVAL), "coalesce": True,
                    "max_instances": 1})
