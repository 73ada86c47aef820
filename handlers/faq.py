"""Rules Q&A in the chat: free-text questions, /rules, the rumour check, and the questions
handed to people (/questions, /answer, replying to a hand-over). Every reply that is not a
confident answer (candidates, a 👎, a forward that is no known rumour or only similar to one)
keeps the member's message as a draft and offers a button that hands it to their unit's
contacts. /faq_stats and /faq_reload: handlers/faq_admin.py.

Free text with no form open reaches `answer_question` last; forwarded messages and replies to
hand-overs are routed here before the forms (see handlers/__init__.py). Each of the Q&A's
buttons is one codec of bot.render.faq and one handler here.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from telegram import CallbackQuery, Message, Update

from bot.context import Context
from bot.i18n import current_locale
from bot.outbox.send import send
from bot.render import faq as render
from bot.render import joining as render_joining
from bot.render.callbacks import Codec
from bot.render.payloads import Buttons
from bot.services.faq import feedback as faq_feedback
from bot.services.faq import questions
from bot.services.faq.kb import Entry, KnowledgeBase
from bot.services.faq.questions import MAX_QUESTION, AnswerStatus, AskStatus
from bot.services.faq.service import Faq
from bot.services.members import joining
from bot.services.members.joining import JoinReply
from handlers import tg

logger = logging.getLogger(__name__)


def _faq(context: Context) -> Faq | None:
    return context.bot_data.faq


def _kb(context: Context) -> KnowledgeBase | None:
    faq = _faq(context)
    return faq.kb(current_locale()) if faq is not None else None


# --- asking --------------------------------------------------------------------------------


async def answer_question(update: Update, context: Context) -> None:
    """Free text: the matching answer, close candidates, or a hand-over to a person."""
    message = update.effective_message
    assert message and message.text is not None
    text, faq = message.text, _faq(context)
    if len(text) > MAX_QUESTION:
        await tg.reply(update, render.question_too_long(len(text)))
        return
    if faq is None:
        await tg.reply(update, render.faq_unavailable())
        return
    found = faq.ask(current_locale(), text)
    if found.kind == "confident" and found.entry is not None:
        # Kept as a draft, so that 👎 can hand the question over as the member wrote it.
        draft = await _keep(update, context, text, rumour=False)
        await tg.reply(update, render.entry_answer(found.entry, matched=True),
                       render.vote_buttons(found.entry, draft))
    elif found.kind == "candidates" and found.candidates:
        draft = await _keep(update, context, text, rumour=False)
        await tg.reply(update, render.candidates_text(linked=draft is not None),
                       render.candidate_buttons(found.candidates, draft))
    else:
        result = await _ask(update, context, text)
        joining = await _joining(context) if result.status is AskStatus.NOT_LINKED else None
        await tg.reply(update, *(render_joining.unlinked_question(joining) if joining
                                 else (render.handed_over(result), None)))


async def _joining(context: Context) -> JoinReply | None:
    """Where someone not on the roster stands with joining (None: nothing known yet)."""
    async with context.transaction() as session:
        return await joining.where_asked(session, context.actor.telegram_user_id,
                                         now=context.now())


async def _keep(update: Update, context: Context, text: str, *, rumour: bool) -> int | None:
    """The message kept as a draft for a hand-over button; None when the member is not
    linked (no unit to hand it to)."""
    chat = update.effective_chat
    assert chat
    async with context.transaction() as session:
        keep = questions.keep_rumour if rumour else questions.keep_question
        result = await keep(
            session, telegram_user_id=context.actor.telegram_user_id, chat_id=chat.id,
            locale=current_locale(), text=text, now=context.now())
    return result.question_id if result.status is AskStatus.SENT else None


async def _ask(update: Update, context: Context, text: str) -> questions.AskResult:
    chat = update.effective_chat
    assert chat
    async with context.transaction() as session:
        result = await questions.ask(
            session, telegram_user_id=context.actor.telegram_user_id, chat_id=chat.id,
            locale=current_locale(), text=text, admin_ids=context.settings.admin_telegram_ids,
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
    message = update.effective_message
    assert message
    replied = message.reply_to_message
    question_id = None
    if replied is not None and replied.from_user is not None and replied.from_user.is_bot:
        async with context.transaction() as session:
            question_id = await questions.question_for_reply(
                session, telegram_user_id=context.actor.telegram_user_id,
                replied_message_id=replied.message_id, replied_text=replied.text or "")
    if question_id is None:
        await answer_question(update, context)
        return
    await _answer(update, context, question_id, message.text or "")


# --- /rules and the Q&A's buttons ----------------------------------------------------------


async def show_rules(update: Update, context: Context) -> None:
    """The topics of the knowledge base, as buttons."""
    kb = _kb(context)
    if kb is None:
        await tg.reply(update, render.faq_unavailable())
        return
    await tg.reply(update, render.menu_text(), render.menu_buttons(kb.categories))


async def _pressed(update: Update, context: Context, codec: Codec
                   ) -> tuple[CallbackQuery, KnowledgeBase, tuple[Any, ...]] | None:
    """The button's query, the knowledge base and the button's values; None (the user told)
    when there is no knowledge base."""
    query = update.callback_query
    assert query
    values, kb = codec.decode(query.data), _kb(context)
    assert values is not None  # registered with codec.pattern
    if kb is None:
        await tg.answer(query, render.faq_unavailable(), alert=True)
        return None
    return query, kb, values


async def _entry_pressed(update: Update, context: Context, codec: Codec
                         ) -> tuple[CallbackQuery, KnowledgeBase, Entry, str] | None:
    """As `_pressed`, for a button that names an entry (and maybe a flag): None (the user
    told) when the entry is gone."""
    pressed = await _pressed(update, context, codec)
    if pressed is None:
        return None
    query, kb, values = pressed
    entry = kb.entry(values[0])
    if entry is None:
        await tg.answer(query, render.stale_button(), alert=True)
        return None
    return query, kb, entry, str(values[1]) if len(values) > 1 else ""


async def menu_button(update: Update, context: Context) -> None:
    """Back to the topics."""
    pressed = await _pressed(update, context, render.MENU)
    if pressed is not None:
        query, kb, _ = pressed
        await tg.answer(query)
        await tg.edit_or_keep(query, render.menu_text(), render.menu_buttons(kb.categories))


async def topic_button(update: Update, context: Context) -> None:
    """A topic: its questions."""
    pressed = await _pressed(update, context, render.TOPIC)
    if pressed is None:
        return
    query, kb, (topic,) = pressed
    category = kb.category(topic)
    if category is None:
        await tg.answer(query, render.stale_button(), alert=True)
        return
    await tg.answer(query)
    entries = [e for e in kb.entries if e.category == category.id]
    await tg.edit_or_keep(query, render.category_text(category, len(entries)),
                          render.category_buttons(entries))


async def entry_button(update: Update, context: Context) -> None:
    """A question of a topic: its answer, in place of the list."""
    pressed = await _entry_pressed(update, context, render.ENTRY)
    if pressed is not None:
        query, _, entry, _ = pressed
        await tg.answer(query)
        await tg.edit_or_keep(query, render.entry_answer(entry), render.entry_buttons(entry))


async def candidate_button(update: Update, context: Context) -> None:
    """One of the close candidates: its answer as a new message, to rate."""
    pressed = await _entry_pressed(update, context, render.CANDIDATE)
    if pressed is not None:
        query, _, entry, _ = pressed
        await tg.answer(query)
        await tg.send(update, render.entry_answer(entry), render.vote_buttons(entry))


async def vote_button(update: Update, context: Context) -> None:
    """Helpful / not helpful: counted once per user, entry and day."""
    pressed = await _entry_pressed(update, context, render.VOTE)
    if pressed is None:
        return
    query, kb, entry, helpful = pressed
    async with context.transaction() as session:
        counted = await faq_feedback.vote(
            session, telegram_user_id=context.actor.telegram_user_id, entry_id=entry.id,
            locale=kb.locale, helpful=helpful == "1", day=_today(context), now=context.now())
    await tg.answer(query, render.vote_thanks(counted))


async def not_helpful_button(update: Update, context: Context) -> None:
    """👎 on an answer whose question was kept: counted like a vote, then the offer to hand
    the question to the unit's contacts."""
    pressed = await _entry_pressed(update, context, render.NOT_HELPFUL)
    if pressed is None:
        return
    query, kb, entry, question = pressed
    async with context.transaction() as session:
        counted = await faq_feedback.vote(
            session, telegram_user_id=context.actor.telegram_user_id, entry_id=entry.id,
            locale=kb.locale, helpful=False, day=_today(context), now=context.now())
    await tg.answer(query, render.vote_thanks(counted))
    await tg.send(update, render.not_helpful_text(), render.ask_person_button(int(question)))


async def ask_person_button(update: Update, context: Context) -> None:
    """"Ask my unit's contacts" (beside candidates, after a 👎): the kept question, once."""
    await _send_draft(update, context, render.ASK_PERSON)


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
        await tg.reply(update, render.check_usage())
        return
    await _check(update, context, parts[1])


async def _check(update: Update, context: Context, text: str) -> None:
    faq, chat = _faq(context), update.effective_chat
    assert chat
    if not text.strip():
        await tg.reply(update, render.nothing_to_check())
        return
    if faq is None:
        await tg.reply(update, render.faq_unavailable())
        return
    found = faq.check_rumour(current_locale(), text)
    if found.kind == "match" and found.rumour is not None:
        await tg.reply(update, render.rumour_match(found.rumour))
        return
    # Similar or unknown: the forward is kept so that a button can send it for a look.
    draft = await _keep(update, context, text, rumour=True)
    buttons = render.rumour_send_buttons(draft) if draft is not None else None
    if found.kind == "near" and found.rumour is not None:
        await tg.reply(update, render.rumour_near(found.rumour, linked=draft is not None),
                       buttons)
        return
    await tg.reply(update, render.rumour_none(linked=draft is not None), buttons)


async def send_rumour_button(update: Update, context: Context) -> None:
    """"Send it to my unit's contacts": the member's kept rumour, handed over once."""
    await _send_draft(update, context, render.SEND_RUMOUR)


async def _send_draft(update: Update, context: Context, codec: Codec) -> None:
    """A kept message (question or forward) handed to the member's contacts, once."""
    pressed = await _pressed(update, context, codec)
    if pressed is None:
        return
    query, _, (question_id,) = pressed
    async with context.transaction() as session:
        result = await questions.send_draft(
            session, question_id=question_id,
            telegram_user_id=context.actor.telegram_user_id,
            admin_ids=context.settings.admin_telegram_ids,
            default_locale=context.settings.default_locale, now=context.now())
        await send(session, result.outgoing, now=context.now())
    if result.status is AskStatus.STALE:
        await tg.answer(query, render.handed_over(result), alert=True)
        return
    _handed_over(context, result)
    await tg.answer(query)
    if codec is render.ASK_PERSON and query.message is not None:
        # Candidates stay tappable; only the hand-over button goes.
        await tg.keep_buttons_or_drop(query, _without(query, question_id))
    else:
        await tg.keep_buttons_or_drop(query, None)
    await tg.send(update, render.passed_on(result, rumour=codec is render.SEND_RUMOUR))


def _without(query: CallbackQuery, question_id: int) -> Buttons | None:
    """The tapped message's buttons less the hand-over one."""
    message = query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    if markup is None:
        return None
    gone = render.ASK_PERSON.encode(question_id)
    rows = [[(b.text, str(b.callback_data)) for b in row if b.callback_data != gone]
            for row in markup.inline_keyboard]
    return [row for row in rows if row] or None


# --- questions to people -------------------------------------------------------------------


async def list_questions(update: Update, context: Context) -> None:
    """/questions: the open questions a leader, contact or admin may answer."""
    actor = context.actor
    if not actor.is_staff:
        await tg.reply(update, render.not_allowed())
        return
    async with context.transaction() as session:
        items, total = await questions.open_questions(session, actor)
    await tg.reply(update, render.questions_list(items, total,
                                                 context.settings.default_timezone))


async def answer_command(update: Update, context: Context) -> None:
    """`/answer ID TEXT`: answer an open question of one's units."""
    message = update.effective_message
    assert message
    parts = (message.text or "").split(maxsplit=1)
    try:
        question_id, text = questions.parse_answer_args(parts[1] if len(parts) > 1 else "")
    except questions.InvalidAnswerArgs:
        await tg.reply(update, render.answer_usage())
        return
    await _answer(update, context, question_id, text)


async def _answer(update: Update, context: Context, question_id: int, text: str) -> None:
    actor = context.actor
    if not actor.is_staff:
        await tg.reply(update, render.not_allowed())
        return
    async with context.transaction() as session:
        result = await questions.answer(
            session, actor, question_id=question_id, text=text,
            default_locale=context.settings.default_locale, now=context.now())
        await send(session, result.outgoing, now=context.now())
    if result.status is AnswerStatus.ANSWERED:
        context.wake_dispatcher()
        logger.info("question %s answered by user %s", question_id, actor.telegram_user_id)
    await tg.reply(update, render.answer_result(result))
