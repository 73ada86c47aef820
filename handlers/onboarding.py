"""/start (and `/start <invite code>`), the share-my-phone keyboard, and the invite's name step.

The name step's text comes here when the sender's open form is an invite's (handlers/__init__).
"""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update

from bot.context import Context
from bot.render.joining import not_on_roster
from bot.render.onboarding import (
    already_linked,
    greeting,
    invite_result,
    link_result,
    share_phone_label,
)
from bot.services.members import onboarding
from bot.services.members.onboarding import LinkStatus
from handlers import tg

# A deep-link payload is at most 64 characters; anything longer is refused without a lookup.
MAX_START_PAYLOAD = 64


def share_phone_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(share_phone_label(), request_contact=True)]],
        resize_keyboard=True, one_time_keyboard=True,
    )


async def start(update: Update, context: Context) -> None:
    """Greet; an invite code opens the invite, an unlinked user gets the share-phone button."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    payload = " ".join(context.args or [])
    if payload:
        await open_invite(update, context, payload)
        return
    async with context.transaction() as session:
        linked = await onboarding.linked_member(session, user.id)
    if linked is not None:
        await message.reply_text(already_linked(linked),
                                 reply_markup=ReplyKeyboardRemove())
        await tg.offer_dashboard(update, context)
        return
    await message.reply_text(greeting(user.first_name),
                             reply_markup=share_phone_keyboard())


async def open_invite(update: Update, context: Context, code: str) -> None:
    """`/start <code>`: check the invite and ask for the newcomer's name."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    async with context.transaction() as session:
        result = await onboarding.open_invite(
            session, telegram_user_id=user.id, code=code[:MAX_START_PAYLOAD + 1],
            now=context.now())
    await message.reply_text(invite_result(result),
                             reply_markup=ReplyKeyboardRemove())


async def share_contact(update: Update, context: Context) -> None:
    """A shared contact: link the sender to their roster row when it is their own number."""
    user, message = update.effective_user, update.effective_message
    assert user and message and message.contact
    contact = message.contact
    async with context.transaction() as session:
        result = await onboarding.link_by_contact(
            session, telegram_user_id=user.id, contact_user_id=contact.user_id,
            phone_number=contact.phone_number, now=context.now())
    if result.status is LinkStatus.UNKNOWN:  # not a dead end: they can ask to join
        await tg.reply(update, *not_on_roster())
        return
    retry = result.status in (LinkStatus.NOT_OWN, LinkStatus.INVALID_PHONE)
    await message.reply_text(
        link_result(result),
        reply_markup=share_phone_keyboard() if retry else ReplyKeyboardRemove())


async def invite_name(update: Update, context: Context) -> None:
    """The invite's name step: join the invite's unit under this name."""
    user, message = update.effective_user, update.effective_message
    assert user and message and message.text is not None
    async with context.transaction() as session:
        result = await onboarding.join_by_invite(
            session, telegram_user_id=user.id, name=message.text, now=context.now(),
            default_timezone=context.settings.default_timezone)
    await message.reply_text(invite_result(result))
