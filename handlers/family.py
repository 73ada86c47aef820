"""/family (add, rename, remove household entries, step by step) and /me.

The steps are a state machine in bot.services.members.family; each button (one handler per
action, bot.render.onboarding's FAMILY_* codecs) and each typed answer maps its outcome to a
reply here.
"""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.i18n import current_locale
from bot.render.callbacks import Codec
from bot.render.onboarding import (
    FAMILY_DELETE,
    FAMILY_RELATION,
    FAMILY_REMOVE,
    FAMILY_RENAME,
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
from bot.services.members.family import Action, Outcome, Pressed
from bot.services.members.settings import HouseholdError, profile
from bot.services.org.accounts import member_for
from handlers import tg
from handlers.common import stale_button


async def show_family(update: Update, context: Context) -> None:
    """A linked member's household, with buttons to change it."""
    user = update.effective_user
    assert user
    async with context.transaction() as session:
        entries = await family.listing(session, user.id)
    if entries is None:
        await tg.reply(update, not_linked())
        return
    await tg.reply(update, family_text(entries), family_buttons(entries))


async def add_pressed(update: Update, context: Context) -> None:
    await _press(update, context, Action.ADD)


async def list_pressed(update: Update, context: Context) -> None:
    await _press(update, context, Action.LIST)


async def cancel_pressed(update: Update, context: Context) -> None:
    await _press(update, context, Action.CANCEL)


async def rename_pressed(update: Update, context: Context) -> None:
    await _press_entry(update, context, Action.RENAME, FAMILY_RENAME)


async def delete_pressed(update: Update, context: Context) -> None:
    await _press_entry(update, context, Action.DELETE, FAMILY_DELETE)


async def remove_pressed(update: Update, context: Context) -> None:
    await _press_entry(update, context, Action.REMOVE, FAMILY_REMOVE)


async def relation_pressed(update: Update, context: Context) -> None:
    assert update.callback_query
    values = FAMILY_RELATION.decode(update.callback_query.data)
    label = relation_label(values[0]) if values else None
    if label is None:
        await stale_button(update, context)
        return
    await _press(update, context, Action.RELATION, relation=label)


async def _press_entry(update: Update, context: Context, action: Action, codec: Codec) -> None:
    assert update.callback_query
    values = codec.decode(update.callback_query.data)
    if values is None:
        await stale_button(update, context)
        return
    await _press(update, context, action, entry_id=values[0])


async def _press(update: Update, context: Context, action: Action, *, entry_id: int = 0,
                 relation: str = "") -> None:
    """A /family button: the service checks it against the member's entries and step."""
    query, user = update.callback_query, update.effective_user
    assert query and user
    async with context.transaction() as session:
        pressed = await family.press(session, telegram_user_id=user.id, action=action,
                                     now=context.now(), entry_id=entry_id, relation=relation)
    if pressed is None:
        await tg.answer(query, not_linked(), alert=True)
        return
    entries, result = pressed.entries, pressed.result
    listing = family_text(entries), family_buttons(entries)
    if result is None:  # list, or delete: which only asks to confirm
        entry = pressed.entry(entry_id)
        if action is Action.DELETE and entry is None:
            await tg.answer(query, household_problem(None), alert=True)
            await tg.edit_or_keep(query, *listing)
            return
        await tg.answer(query)
        await tg.edit_or_keep(query, *(confirm_remove(entry) if entry is not None
                                       and action is Action.DELETE else listing))
        return
    if result.outcome in (Outcome.STALE, Outcome.EXPIRED, Outcome.REFUSED):
        await tg.answer(query, family_step(result), alert=True)
        if result.outcome is Outcome.REFUSED:  # the list was out of date: show it as it is
            await tg.edit_or_keep(query, *listing)
        return
    await tg.answer(query)
    if result.outcome is Outcome.ASK_RELATION:
        await tg.send(update, *ask_relation())
    elif result.outcome in (Outcome.ASK_NAME, Outcome.ASK_RENAME):
        await tg.send(update, family_step(result), cancel_buttons())
    else:  # removed, cancelled: the list, where the buttons were
        await tg.edit_or_keep(query, family_text(entries, family_step(result)),
                              family_buttons(entries))


async def family_answer(update: Update, context: Context) -> None:
    """Text typed while a /family step waits for a relation or a name."""
    user, message = update.effective_user, update.effective_message
    assert user and message and message.text is not None
    async with context.transaction() as session:
        answered: Pressed | None = await family.answer_text(
            session, telegram_user_id=user.id, text=message.text, now=context.now())
    if answered is None or answered.result is None:
        await tg.reply(update, not_linked())
        return
    result, entries = answered.result, answered.entries
    if result.outcome in (Outcome.ADDED, Outcome.RENAMED):
        await tg.reply(update, family_text(entries, family_step(result)),
                       family_buttons(entries))
    elif result.outcome in (Outcome.ASK_NAME, Outcome.INVALID) or (
            result.outcome is Outcome.REFUSED
            and result.household_error is HouseholdError.DUPLICATE):
        await tg.reply(update, family_step(result), cancel_buttons())
    else:
        await tg.reply(update, family_step(result))


async def show_me(update: Update, context: Context) -> None:
    """A linked member's own details: unit, role, household, language, quiet hours."""
    user = update.effective_user
    assert user
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        details = await profile(session, member) if member else None
    if details is None:
        await tg.reply(update, not_linked())
        return
    await tg.reply(update, profile_text(details, current_locale()))
