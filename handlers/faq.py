"""Rules Q&A in the chat: free-text questions, /rules, the rumour check, and the questions
handed to people (/questions, /answer, replying to a hand-over); /faq_stats, /faq_reload.

Free text reaches `answer_question` last (handlers.onboarding.answer_text routes form steps
first); forwarded messages and replies are routed here before it (see handlers/__init__.py).
"""

from __future__ import annotations

import logging
import re
from datetime import date
from zoneinfo import ZoneInfo

from telegram import CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import Context
from bot.i18n import LOCALES_DIR, current_locale
from bot.outbox.send import send
from bot.render import faq as render
from bot.render import faq_add as render_faq_add
from bot.render.faq import Buttons
from bot.services.faq import feedback as faq_feedback
from bot.services.faq import promote as faq_promote
from bot.services.faq import questions
from bot.services.faq.kb import KbError, KnowledgeBase
from bot.services.faq.questions import MAX_QUESTION, AnswerStatus, AskStatus
from bot.services.faq.service import Faq
from handlers.family import keyboard, plain_text

logger = logging.getLogger(__name__)

FAQ_PATTERN = rf"^{render.PREFIX}"
_ID = r"[a-z0-9-]{1,60}"
_CALLBACK = re.compile(rf"fq:(?:(m)|([cea]):({_ID})|(v):({_ID}):([01])|(rs):(\d{{1,9}}))")


def parse_faq_callback(data: str | None) -> tuple[str, str, str] | None:
    """(action, argument, flag) of a button we sent; None for anything else."""
    match = _CALLBACK.fullmatch(data or "")
    if match is None:
        return None
    if match[1]:
        return "m", "", ""
    if match[2]:
        return match[2], match[3], ""
    if match[4]:
        return "v", match[5], match[6]
    return "rs", match[8], ""


def _faq(context: Context) -> Faq | None:
    return context.bot_data.faq


def _kb(context: Context) -> KnowledgeBase | None:
    faq = _faq(context)
    return faq.kb(current_locale()) if faq is not None else None


async def _reply(message: Message, text: str, buttons: Buttons | None = None) -> None:
    await message.reply_text(text, parse_mode=ParseMode.HTML,
                             reply_markup=keyboard(buttons) if buttons else None)


# --- asking --------------------------------------------------------------------------------


async def answer_question(update: Update, context: Context) -> None:
    """Free text: the matching answer, close candidates, or a hand-over to a person."""
    user, message = update.effective_user, update.effective_message
    assert user and message and message.text is not None
    text, faq = message.text, _faq(context)
    if len(text) > MAX_QUESTION:
        await _reply(message, render.question_too_long(len(text)))
        return
    if faq is None:
        await _reply(message, render.faq_unavailable())
        return
    found = faq.ask(current_locale(), text)
    if found.kind == "confident" and found.entry is not None:
        await _reply(message, render.entry_answer(found.entry, matched=True),
                     render.vote_buttons(found.entry))
    elif found.kind == "candidates" and found.candidates:
        await _reply(message, render.candidates_text(),
                     render.candidate_buttons(found.candidates))
    else:
        await _reply(message, render.handed_over(await _ask(update, context, text)))


async def _ask(update: Update, context: Context, text: str) -> questions.AskResult:
    user, chat = update.effective_user, update.effective_chat
    assert user and chat
    async with context.transaction() as session:
        result = await questions.ask(
            session, telegram_user_id=user.id, chat_id=chat.id, locale=current_locale(),
            text=text, admin_ids=context.settings.admin_telegram_ids,
            default_locale=context.settings.default_locale, now=context.now())
        await send(session, result.outgoing, now=context.now())
    _handed_over(context, result)
    return result


def _handed_over(context: Context, result: questions.AskResult) -> None:
    if result.recipients:
        logger.info("question %s handed to %d recipient(s)", result.question_id,
                    result.recipients)
        context.wake_dispatcher()


async def answer_reply(update: Update, context: Context) -> None:
    """A staff member's reply to a hand-over (routes.HANDOVER_REPLY): the question's answer.
    A reply that only looks like one (no hand-over of that id reached this user as that very
    message) is taken as a question, like any other text."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    replied = message.reply_to_message
    question_id = None
    if replied is not None and replied.from_user is not None and replied.from_user.is_bot:
        async with context.transaction() as session:
            question_id = await questions.question_for_reply(
                session, telegram_user_id=user.id, replied_message_id=replied.message_id,
                replied_text=replied.text or "")
    if question_id is None:
        await answer_question(update, context)
        return
    await _answer(update, context, question_id, message.text or "")


# --- /rules --------------------------------------------------------------------------------


async def show_rules(update: Update, context: Context) -> None:
    """The topics of the knowledge base, as buttons."""
    message = update.effective_message
    assert message
    kb = _kb(context)
    if kb is None:
        await _reply(message, render.faq_unavailable())
        return
    await _reply(message, render.menu_text(), render.menu_buttons(kb.categories))


async def _edit(query: CallbackQuery, text: str, buttons: Buttons) -> None:
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML,
                                      reply_markup=keyboard(buttons) if buttons else None)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def faq_button(update: Update, context: Context) -> None:
    """A Q&A button: the menu's steps, a candidate, a vote, or sending a rumour for a look."""
    query = update.callback_query
    assert query
    parsed, kb = parse_faq_callback(query.data), _kb(context)
    if parsed is None or kb is None:
        await query.answer(render.stale_button() if kb else plain_text(render.faq_unavailable()),
                           show_alert=True)
        return
    action, arg, flag = parsed
    if action == "rs":
        await _send_rumour(update, context, int(arg))
        return
    category = next((c for c in kb.categories if c.id == arg), None) if action == "c" else None
    entry = kb.entry(arg) if action in ("e", "a", "v") else None
    if (action == "c" and category is None) or (action in ("e", "a", "v") and entry is None):
        await query.answer(render.stale_button(), show_alert=True)
        return
    if action == "v":
        assert entry is not None and update.effective_user
        async with context.transaction() as session:
            counted = await faq_feedback.vote(
                session, telegram_user_id=update.effective_user.id, entry_id=entry.id,
                locale=kb.locale, helpful=flag == "1", day=_today(context), now=context.now())
        await query.answer(render.vote_thanks(counted))
        return
    await query.answer()
    if action == "m":
        await _edit(query, render.menu_text(), render.menu_buttons(kb.categories))
    elif category is not None:
        entries = [e for e in kb.entries if e.category == category.id]
        await _edit(query, render.category_text(category, len(entries)),
                    render.category_buttons(entries))
    elif action == "e" and entry is not None:
        await _edit(query, render.entry_answer(entry), render.entry_buttons(entry))
    elif entry is not None:  # a candidate: its answer as a new message, to rate
        assert query.message is not None
        await query.get_bot().send_message(
            query.message.chat.id, render.entry_answer(entry), parse_mode=ParseMode.HTML,
            reply_markup=keyboard(render.vote_buttons(entry)))


def _today(context: Context) -> date:
    return context.now().astimezone(ZoneInfo(context.settings.default_timezone)).date()


# --- rumour check --------------------------------------------------------------------------


async def check_forward(update: Update, context: Context) -> None:
    """A forwarded message, from anyone or any channel: checked against the rumour list."""
    message = update.effective_message
    assert message
    await _check(update, context, message.text or message.caption or "")


async def check_command(update: Update, context: Context) -> None:
    """`/check TEXT`: the same check for text typed or pasted."""
    message = update.effective_message
    assert message
    parts = (message.text or "").split(maxsplit=1)
    if len(parts) < 2:
        await _reply(message, render.check_usage())
        return
    await _check(update, context, parts[1])


async def _check(update: Update, context: Context, text: str) -> None:
    message, faq = update.effective_message, _faq(context)
    assert message
    if not text.strip():
        await _reply(message, render.nothing_to_check())
        return
    if faq is None:
        await _reply(message, render.faq_unavailable())
        return
    found = faq.check_rumour(current_locale(), text)
    if found.kind == "match" and found.rumour is not None:
        await _reply(message, render.rumour_match(found.rumour))
        return
    if found.kind == "near" and found.rumour is not None:
        await _reply(message, render.rumour_near(found.rumour))
        return
    user, chat = update.effective_user, update.effective_chat
    assert user and chat
    async with context.transaction() as session:
        result = await questions.keep_rumour(session, telegram_user_id=user.id,
                                             chat_id=chat.id, locale=current_locale(),
                                             text=text, now=context.now())
    linked = result.status is AskStatus.SENT and result.question_id is not None
    await _reply(message, render.rumour_none(linked=linked),
                 render.rumour_send_buttons(result.question_id)
                 if linked and result.question_id else None)


async def _send_rumour(update: Update, context: Context, question_id: int) -> None:
    query, user = update.callback_query, update.effective_user
    assert query and user
    async with context.transaction() as session:
        result = await questions.send_draft(
            session, question_id=question_id, telegram_user_id=user.id,
            admin_ids=context.settings.admin_telegram_ids,
            default_locale=context.settings.default_locale, now=context.now())
        await send(session, result.outgoing, now=context.now())
    if result.status is AskStatus.STALE:
        await query.answer(plain_text(render.handed_over(result)), show_alert=True)
        return
    _handed_over(context, result)
    await query.answer()
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
    assert query.message is not None
    await query.get_bot().send_message(query.message.chat.id, render.handed_over(result),
                                       parse_mode=ParseMode.HTML)


# --- questions to people -------------------------------------------------------------------


async def list_questions(update: Update, context: Context) -> None:
    """/questions: the open questions a leader, contact or admin may answer."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    actor = context.actor
    if not actor.is_staff:
        await _reply(message, render.not_allowed())
        return
    async with context.transaction() as session:
        items, total = await questions.open_questions(session, actor)
    await _reply(message, render.questions_list(items, total,
                                                context.settings.default_timezone))


async def answer_command(update: Update, context: Context) -> None:
    """`/answer ID TEXT`: answer an open question of one's units."""
    message = update.effective_message
    assert message
    parts = (message.text or "").split(maxsplit=1)
    try:
        question_id, text = questions.parse_answer_args(parts[1] if len(parts) > 1 else "")
    except questions.InvalidAnswerArgs:
        await _reply(message, render.answer_usage())
        return
    await _answer(update, context, question_id, text)


async def _answer(update: Update, context: Context, question_id: int, text: str) -> None:
    user, message = update.effective_user, update.effective_message
    assert user and message
    actor = context.actor
    if not actor.is_staff:
        await _reply(message, render.not_allowed())
        return
    async with context.transaction() as session:
        result = await questions.answer(
            session, actor, question_id=question_id, text=text,
            default_locale=context.settings.default_locale, now=context.now())
        await send(session, result.outgoing, now=context.now())
    if result.status is AnswerStatus.ANSWERED:
        context.wake_dispatcher()
        logger.info("question %s answered by user %s", question_id, user.id)
    await _reply(message, render.answer_result(result))


# --- admin (registered with routes.ADMIN; anyone else gets `admins_only`) ------------------


async def admins_only(update: Update, context: Context) -> None:
    """An admin's command (/faq_stats, /faq_reload, /faq_add) from someone else."""
    message = update.effective_message
    assert message
    await _reply(message, render.admins_only())


async def show_stats(update: Update, context: Context) -> None:
    """/faq_stats: helpful / not helpful per entry, weakest first (admins)."""
    message, faq = update.effective_message, _faq(context)
    assert message
    async with context.transaction() as session:
        rows = await faq_feedback.feedback(session)

    def question_of(locale: str, entry_id: str) -> str | None:
        kb = faq.kb(locale) if faq is not None else None
        entry = kb.entry(entry_id) if kb is not None else None
        return entry.question if entry is not None else None

    await _reply(message, render.faq_stats(rows, question_of))


async def reload_kb(update: Update, context: Context) -> None:
    """/faq_reload: read the knowledge-base files again; on errors keep the loaded ones."""
    message, faq = update.effective_message, _faq(context)
    assert message
    async with context.transaction() as session:  # promoted entries (/faq_add) go on top
        additions = await faq_promote.additions(session)
    try:
        if faq is None:  # the files were bad at start-up: this is the first load
            faq = context.bot_data.faq = Faq.load(LOCALES_DIR, context.settings.default_locale)
            left_out = faq.set_additions(additions)
        else:
            left_out = faq.reload(additions)
    except KbError as error:
        logger.warning("knowledge base reload refused: %d problem(s)", len(error.problems))
        await _reply(message, render.reload_failed(error.problems))
        return
    bases = [kb for kb in (faq.kb(locale) for locale in faq.locales) if kb is not None]
    counts = [(kb.locale, len(kb.entries), len(kb.rumours)) for kb in bases]
    logger.info("knowledge base reloaded: %s", counts)
    await _reply(message, render.reload_ok(counts) + (
        "\n\n" + render_faq_add.left_out(left_out) if left_out else ""))
