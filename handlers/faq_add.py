"""/faq_add QID [ID]: an admin turns an answered question into a knowledge-base entry, step
by step (topic → question → answer → preview → save); the entry answers members at once.

Text typed during the form reaches `faq_add_answer` through handlers.onboarding.answer_text
(the Draft row of kind "faq_add"); its buttons are `fa:` callbacks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application

from bot.context import BotData, Context
from bot.i18n import current_locale
from bot.render import faq as render_faq
from bot.render import faq_add as render
from bot.services.faq import promote as faq_promote
from bot.services.faq.kb import Category
from bot.services.faq.promote import Outcome, Result
from bot.services.faq.service import Faq
from handlers.family import keyboard, plain_text

if TYPE_CHECKING:
    from bot.runtime.app import SelfreportApp

logger = logging.getLogger(__name__)

# Seconds: how soon an entry promoted on another instance (sharing the database) answers here.
SYNC_INTERVAL = 30.0

FAQ_ADD_PATTERN = render.PATTERN
_CALLBACK = re.compile(r"fa:(?:(c):(\d{1,9}):([a-z0-9-]{1,40})|([kxsqa]):(\d{1,9}))")
_ARGS = re.compile(r"\s*#?(\d{1,9})(?:\s+(\S+))?\s*")


def parse_faq_add_callback(data: str | None) -> tuple[str, int, str] | None:
    """(action, question id, category) of a /faq_add button; None for anything else."""
    match = _CALLBACK.fullmatch(data or "")
    if match is None:
        return None
    if match[1]:
        return "c", int(match[2]), match[3]
    return match[4], int(match[5]), ""


def parse_faq_add_args(text: str) -> tuple[int, str | None] | None:
    """`QID [ID]` → (QID, ID or None); None when it is not that."""
    match = _ARGS.fullmatch(text or "")
    return (int(match[1]), match[2]) if match else None


def _categories(faq: Faq, locale: str) -> list[Category]:
    """The topics with their titles in the admin's language (ids are the same in each)."""
    kb = faq.kb(current_locale()) or faq.kb(locale)
    own = faq.kb(locale)
    ids = {c.id for c in own.categories} if own else set()
    return [c for c in kb.categories if c.id in ids] if kb else []


Send = Callable[..., Awaitable[Any]]  # Message.reply_text, or send_message bound to a chat


async def _show(send: Send, faq: Faq, result: Result) -> None:
    """The step the proposal is at (with the problems of what was refused), or the outcome."""
    if result.outcome in (Outcome.STEP, Outcome.INVALID) and result.proposal is not None:
        categories = _categories(faq, result.proposal.locale)
        text = render.step_text(result.proposal, categories)
        if result.outcome is Outcome.INVALID and result.problems:
            text = render.problems_text(result.problems) + "\n\n" + text
        await send(text, parse_mode=ParseMode.HTML, reply_markup=keyboard(
            render.step_buttons(result.proposal, categories)))
        return
    await send(render.outcome_text(result), parse_mode=ParseMode.HTML)


async def _refresh(context: Context, faq: Faq) -> list[str]:
    """Lay every stored addition on the knowledge base (the matchers are rebuilt)."""
    async with context.transaction() as session:
        additions = await faq_promote.additions(session)
    return faq.set_additions(additions)


async def start_faq_add(update: Update, context: Context) -> None:
    """/faq_add QID [ID]: begin turning an answered question into an entry (admins: routed
    with routes.ADMIN)."""
    user, message, faq = update.effective_user, update.effective_message, context.bot_data.faq
    assert user and message
    parts = (message.text or "").split(maxsplit=1)
    args = parse_faq_add_args(parts[1] if len(parts) > 1 else "")
    if args is None:
        await message.reply_text(render.usage(), parse_mode=ParseMode.HTML)
        return
    if faq is None:
        await message.reply_text(render_faq.faq_unavailable(), parse_mode=ParseMode.HTML)
        return
    async with context.transaction() as session:
        result = await faq_promote.begin(session, faq, telegram_user_id=user.id,
                                         question_id=args[0], entry_id=args[1],
                                         now=context.now())
    await _show(message.reply_text, faq, result)


async def faq_add_button(update: Update, context: Context) -> None:
    """A /faq_add button, checked against the admin's form and its step."""
    query, user, faq = update.callback_query, update.effective_user, context.bot_data.faq
    assert query and user
    parsed = parse_faq_add_callback(query.data)
    actor = context.actor
    if not actor.is_admin:
        await query.answer(plain_text(render_faq.admins_only()), show_alert=True)
        return
    if parsed is None or faq is None:
        await query.answer(plain_text(render_faq.stale_button() if faq is not None
                                      else render_faq.faq_unavailable()), show_alert=True)
        return
    action, question_id, category = parsed
    async with context.transaction() as session:
        if action == "s":
            result = await faq_promote.save(session, faq, telegram_user_id=user.id,
                                            question_id=question_id, member_id=actor.member_id,
                                            now=context.now())
        else:
            result = await faq_promote.press(session, faq, telegram_user_id=user.id,
                                             action=action, question_id=question_id,
                                             category=category, now=context.now())
    if result.outcome is Outcome.STALE:
        await query.answer(plain_text(render.outcome_text(result)), show_alert=True)
        return
    await query.answer()
    try:  # the buttons of a step are used once
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as exc:  # e.g. "message is not modified": nothing to do
        logger.debug("faq_add: buttons not removed: %s", exc)
    # An old message may be inaccessible: then the chat with the admin.
    send: Send = (query.message.reply_text if isinstance(query.message, Message)
                  else partial(context.bot.send_message, user.id))
    if result.outcome is Outcome.SAVED:
        left_out = await _refresh(context, faq)
        logger.info("faq addition %s saved by user %s", result.entry_id, user.id)
        assert result.proposal is not None
        if (result.proposal.locale, result.entry_id) not in {
                (a.locale, a.entry_id) for a in faq.additions}:
            await send(render.left_out(left_out), parse_mode=ParseMode.HTML)
            return
    await _show(send, faq, result)


async def faq_add_answer(update: Update, context: Context) -> None:
    """Text typed while a /faq_add step waits for a better question or answer."""
    user, message, faq = update.effective_user, update.effective_message, context.bot_data.faq
    assert user and message and message.text is not None
    is_admin = context.actor.is_admin
    if not is_admin or faq is None:
        async with context.transaction() as session:
            await faq_promote.clear(session, user.id)
        await message.reply_text(render_faq.admins_only() if not is_admin
                                 else render_faq.faq_unavailable(), parse_mode=ParseMode.HTML)
        return
    async with context.transaction() as session:
        result = await faq_promote.answer(session, faq, telegram_user_id=user.id,
                                          text=message.text, html_text=message.text_html,
                                          now=context.now())
    await _show(message.reply_text, faq, result)


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
