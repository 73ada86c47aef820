"""/start (and `/start <invite code>`), the share-my-phone keyboard, and the invite's name step.

Free text is routed here first (see `answer_text`): it belongs to whichever form the sender's
Draft row says they are in.
"""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.constants import ParseMode

from bot.context import Context
from bot.render.onboarding import (
    already_linked,
    greeting,
    invite_result,
    link_result,
    share_phone_label,
)
from bot.services.digest.actions import CONTACT_DRAFT, REPORT_FOR_DRAFT
from bot.services.faq.promote import FAQ_ADD_DRAFT
from bot.services.members import onboarding
from bot.services.members.family import FAMILY_DRAFT
from bot.services.members.onboarding import LinkStatus
from bot.services.notices.broadcast import NOTICE_DRAFT
from bot.services.org.admin import IMPORT_DRAFT
from bot.services.reports.form import REPORT_DRAFT

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
        await message.reply_text(already_linked(linked), parse_mode=ParseMode.HTML,
                                 reply_markup=ReplyKeyboardRemove())
        return
    await message.reply_text(greeting(user.first_name), parse_mode=ParseMode.HTML,
                             reply_markup=share_phone_keyboard())


async def open_invite(update: Update, context: Context, code: str) -> None:
    """`/start <code>`: check the invite and ask for the newcomer's name."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    async with context.transaction() as session:
        result = await onboarding.open_invite(
            session, telegram_user_id=user.id, code=code[:MAX_START_PAYLOAD + 1],
            now=context.now())
    await message.reply_text(invite_result(result), parse_mode=ParseMode.HTML,
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
    retry = result.status in (LinkStatus.NOT_OWN, LinkStatus.INVALID_PHONE)
    await message.reply_text(
        link_result(result), parse_mode=ParseMode.HTML,
        reply_markup=share_phone_keyboard() if retry else ReplyKeyboardRemove())


async def invite_name(update: Update, context: Context) -> None:
    """The invite's name step: join the invite's unit under this name."""
    user, message = update.effective_user, update.effective_message
    assert user and message and message.text is not None
    async with context.transaction() as session:
        result = await onboarding.join_by_invite(
            session, telegram_user_id=user.id, name=message.text, now=context.now())
    await message.reply_text(invite_result(result), parse_mode=ParseMode.HTML)


async def answer_text(update: Update, context: Context) -> None:
    """Free text: the answer to the step of the form the sender is in, else a question."""
    from bot.services.duty.volunteers import VOLUNTEER_DRAFT
    from handlers import admin, duty, family, faq, faq_add, leaders, notices, report, volunteers
    from handlers.duty import DUTY_SWAP_DRAFT

    forms = {
        onboarding.INVITE_DRAFT: invite_name,
        FAMILY_DRAFT: family.family_answer,
        REPORT_DRAFT: report.report_answer,
        CONTACT_DRAFT: leaders.contact_answer,
        REPORT_FOR_DRAFT: leaders.report_for_answer,
        NOTICE_DRAFT: notices.notice_answer,
        FAQ_ADD_DRAFT: faq_add.faq_add_answer,
        IMPORT_DRAFT: admin.import_text,
        DUTY_SWAP_DRAFT: duty.duty_answer,
        VOLUNTEER_DRAFT: volunteers.volunteer_note,
    }
    user = update.effective_user
    assert user
    async with context.transaction() as session:
        kind = await onboarding.draft_kind(session, user.id)
    answer = forms.get(kind or "", faq.answer_question)
    await answer(update, context)
