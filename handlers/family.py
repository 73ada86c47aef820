"""/family (add, rename, remove household entries, step by step) and /me."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import Context
from bot.i18n import current_locale
from bot.render.onboarding import (
    FAMILY_PREFIX,
    Buttons,
    ask_relation,
    cancel_buttons,
    confirm_remove,
    family_buttons,
    family_step,
    family_text,
    household_problem,
    not_linked,
    profile_text,
    relation_label,
)
from bot.services.members import family
from bot.services.members.family import Outcome
from bot.services.members.settings import HouseholdError, profile
from bot.services.org.accounts import member_for

FAMILY_PATTERN = rf"^{FAMILY_PREFIX}"
_CALLBACK = re.compile(r"fam:(add|list|cancel|ren|del|rm|rel)(?::([a-z0-9]{1,12}))?")
_NEEDS_ID = frozenset({"ren", "del", "rm"})
STALE = family.FamilyResult(Outcome.STALE)


def keyboard(rows: Buttons) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row]
         for row in rows])


async def show_family(update: Update, context: Context) -> None:
    """A linked member's household, with buttons to change it."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        entries = await family.entries(session, member.id) if member else []
    if member is None:
        await message.reply_text(not_linked())
        return
    await message.reply_text(family_text(entries), parse_mode=ParseMode.HTML,
                             reply_markup=keyboard(family_buttons(entries)))


def parse_family_callback(data: str | None) -> tuple[str, str] | None:
    """(action, argument) of a /family button; None for anything we never sent."""
    match = _CALLBACK.fullmatch(data or "")
    if match is None:
        return None
    action, arg = match[1], match[2] or ""
    if action in _NEEDS_ID and not arg.isdigit():
        return None
    if action == "rel" and relation_label(arg) is None:
        return None
    return action, arg


async def _press(session: AsyncSession, action: str, arg: str, member_id: int,
                 telegram_user_id: int, now: datetime) -> family.FamilyResult | None:
    """Carry out a button's action; None for the buttons that only change the view."""
    if action == "add":
        return await family.begin_add(session, member_id=member_id,
                                      telegram_user_id=telegram_user_id, now=now)
    if action == "rel":
        return await family.answer(session, member_id=member_id,
                                   telegram_user_id=telegram_user_id,
                                   text=relation_label(arg) or "", now=now, from_button=True)
    if action == "ren":
        return await family.begin_rename(session, member_id=member_id,
                                         telegram_user_id=telegram_user_id,
                                         entry_id=int(arg), now=now)
    if action == "rm":
        return await family.remove(session, member_id=member_id,
                                   telegram_user_id=telegram_user_id, entry_id=int(arg))
    if action == "cancel":
        return await family.cancel(session, telegram_user_id=telegram_user_id)
    return None  # "list", and "del", which only asks to confirm


async def family_button(update: Update, context: Context) -> None:
    """A /family button: checked against the member's entries and the step they are in."""
    query, user = update.callback_query, update.effective_user
    assert query and user
    parsed = parse_family_callback(query.data)
    if parsed is None:
        await query.answer(plain_text(family_step(STALE)), show_alert=True)
        return
    action, arg = parsed
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        result = None if member is None else await _press(
            session, action, arg, member.id, user.id, context.now())
        entries = await family.entries(session, member.id) if member else []
    if member is None:
        await query.answer(plain_text(not_linked()), show_alert=True)
        return
    if result is None:
        entry = next((e for e in entries if str(e.id) == arg), None)
        if action == "del" and entry is None:
            await query.answer(plain_text(household_problem(None)), show_alert=True)
            await _edit(query, family_text(entries), family_buttons(entries))
            return
        await query.answer()
        text, buttons = confirm_remove(entry) if entry is not None and action == "del" else (
            family_text(entries), family_buttons(entries))
        await _edit(query, text, buttons)
        return
    if result.outcome in (Outcome.STALE, Outcome.EXPIRED, Outcome.REFUSED):
        await query.answer(plain_text(family_step(result)), show_alert=True)
        if result.outcome is Outcome.REFUSED:  # the list was out of date: show it as it is
            await _edit(query, family_text(entries), family_buttons(entries))
        return
    await query.answer()
    if result.outcome is Outcome.ASK_RELATION:
        text, buttons = ask_relation()
        await _reply(query, text, buttons)
    elif result.outcome in (Outcome.ASK_NAME, Outcome.ASK_RENAME):
        await _reply(query, family_step(result), cancel_buttons())
    else:  # removed, cancelled: the list, where the buttons were
        await _edit(query, family_text(entries, family_step(result)), family_buttons(entries))


async def family_answer(update: Update, context: Context) -> None:
    """Text typed while a /family step waits for a relation or a name."""
    user, message = update.effective_user, update.effective_message
    assert user and message and message.text is not None
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        if member is None:
            await family.clear(session, user.id)
            result = None
        else:
            result = await family.answer(session, member_id=member.id,
                                         telegram_user_id=user.id, text=message.text,
                                         now=context.now())
        entries = await family.entries(session, member.id) if member else []
    if result is None:
        await message.reply_text(not_linked())
    elif result.outcome in (Outcome.ADDED, Outcome.RENAMED):
        await message.reply_text(family_text(entries, family_step(result)),
                                 parse_mode=ParseMode.HTML,
                                 reply_markup=keyboard(family_buttons(entries)))
    elif result.outcome in (Outcome.ASK_NAME, Outcome.INVALID) or (
            result.outcome is Outcome.REFUSED
            and result.household_error is HouseholdError.DUPLICATE):
        await message.reply_text(family_step(result), parse_mode=ParseMode.HTML,
                                 reply_markup=keyboard(cancel_buttons()))
    else:
        await message.reply_text(family_step(result), parse_mode=ParseMode.HTML)


async def show_me(update: Update, context: Context) -> None:
    """A linked member's own details: unit, role, household, language, quiet hours."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        details = await profile(session, member) if member else None
    if details is None:
        await message.reply_text(not_linked())
        return
    await message.reply_text(profile_text(details, current_locale()), parse_mode=ParseMode.HTML)


def plain_text(html_text: str) -> str:
    """Callback answers are plain text of at most 200 characters: tags out, entities back."""
    return unescape(re.sub(r"<[^>]+>", "", html_text))[:200]


async def _edit(query: CallbackQuery, text: str, buttons: Buttons) -> None:
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML,
                                      reply_markup=keyboard(buttons))
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def _reply(query: CallbackQuery, text: str, buttons: Buttons) -> None:
    assert query.message is not None
    await query.get_bot().send_message(query.message.chat.id, text, parse_mode=ParseMode.HTML,
                                       reply_markup=keyboard(buttons))
