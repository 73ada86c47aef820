"""/volunteer (a member's offer: posts, days, a note; withdraw) and /volunteers (leaders)."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import Context
from bot.render import duty as render
from bot.render import volunteers as render_vol
from bot.render.onboarding import not_linked
from bot.render.payloads import Payload
from bot.services.duty import shifts as duty
from bot.services.duty import volunteers
from bot.services.members.settings import InvalidText
from bot.services.org.accounts import member_for
from handlers.duty import Buttons, queue_note, reply_html
from handlers.family import plain_text

_BUTTON = re.compile(r"vo:(?:([pd]):(\d{1,2})|([sw]))|vt:(\d{1,12})")


async def _send_form(update: Update, text: str, payload: Payload | None) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(
        text, parse_mode=ParseMode.HTML,
        reply_markup=payload["reply_markup"] if payload else None)


async def start_volunteer(update: Update, context: Context) -> None:
    """The volunteer form, filled from the member's current offer."""
    user = update.effective_user
    assert user
    text, payload = not_linked(), None
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        if member is not None:
            form, has_offer = await volunteers.open_form(session, member, user.id,
                                                         now=context.now())
            text, payload = render_vol.volunteer_form(form, has_offer=has_offer)
    await _send_form(update, text, payload)


async def volunteer_note(update: Update, context: Context) -> None:
    """Free text while the volunteer form is open: its note."""
    user, message = update.effective_user, update.effective_message
    assert user and message and message.text is not None
    text, payload = render_vol.form_expired(), None
    async with context.transaction() as session:
        try:
            form = await volunteers.update_form(session, user.id, now=context.now(),
                                                note=message.text)
        except InvalidText:
            form, text = None, render_vol.note_problem()
        member = await member_for(session, user.id)
        if form is not None and member is not None:
            has_offer = await volunteers.current_offer(session, member.id) is not None
            text, payload = render_vol.volunteer_form(form, has_offer=has_offer)
    await _send_form(update, text, payload)


async def volunteer_button(update: Update, context: Context) -> None:
    """vo:p:<i> / vo:d:<i> toggle, vo:s save, vo:w withdraw; vt:<offer> a leader's thanks."""
    query, user = update.callback_query, update.effective_user
    assert query and user
    match = _BUTTON.fullmatch(query.data or "")
    if match is None:
        from handlers.common import stale_button

        await stale_button(update, context)
        return
    kind, index, action, offer_id = match.groups()
    if offer_id is not None:
        await _thank(update, context, int(offer_id))
        return
    async with context.transaction() as session:
        answer, edit = await _form_step(context, session, user.id, kind, index, action)
    await query.answer(plain_text(answer)[:200], show_alert=answer == render_vol.form_expired())
    if edit is not None:
        try:
            await query.edit_message_text(edit[0], parse_mode=ParseMode.HTML,
                                          reply_markup=edit[1].get("reply_markup"))
        except BadRequest:
            pass  # "message is not modified"


async def _form_step(context: Context, session: AsyncSession, user_id: int, kind: str | None,
                     index: str | None, action: str | None
                     ) -> tuple[str, tuple[str, Payload] | None]:
    """What to answer the button with, and the text (and keyboard) to put in its message."""
    now = context.now()
    member = await member_for(session, user_id)
    if member is None:
        return not_linked(), None
    if action == "w":
        done = await volunteers.withdraw(session, member, now=now)
        await volunteers.drop_draft(session, user_id)
        text = render_vol.volunteer_withdrawn(done)
        return text, (text, {})
    if action == "s":
        form = await volunteers.form_of(session, user_id, now)
        if form is None:
            return render_vol.form_expired(), None
        if not await volunteers.save_offer(session, member, form, now=now):
            return render_vol.volunteer_saved(False), None
        await volunteers.drop_draft(session, user_id)
        text = render_vol.volunteer_saved(True)
        return text, (text, {})
    form = await volunteers.update_form(
        session, user_id, now=now, post=int(index or 0) if kind == "p" else None,
        day=int(index or 0) if kind == "d" else None)
    if form is None:
        return render_vol.form_expired(), None
    has_offer = await volunteers.current_offer(session, member.id) is not None
    return "", render_vol.volunteer_form(form, has_offer=has_offer)


async def _thank(update: Update, context: Context, offer_id: int) -> None:
    query, user = update.callback_query, update.effective_user
    assert query and user
    async with context.transaction() as session:
        answer = await _thank_in(context, session, user.id, user.full_name, offer_id)
    await query.answer(plain_text(answer)[:200], show_alert=True)
    context.wake_dispatcher()


async def _thank_in(context: Context, session: AsyncSession, user_id: int, full_name: str,
                    offer_id: int) -> str:
    scope = context.manager
    if scope is None:
        return render.not_allowed()
    offer = await volunteers.offer_in_scope(session, scope, offer_id, now=context.now())
    if offer is None:
        return render.edit_reply(duty.EditResult(duty.EditStatus.OUTSIDE_SCOPE), "thank")
    leader = await member_for(session, user_id)
    name = leader.name if leader else full_name
    await queue_note(context, session, offer.member_id,
                     f"volunteer_thanks:{offer.id}:{context.now().date().isoformat()}",
                     lambda: render_vol.thanks_payload(name))
    return render_vol.thanks_sent(offer.name)


async def show_volunteers(update: Update, context: Context) -> None:
    """Leaders: the current offers of their subtree, with a thank-you button each."""
    user = update.effective_user
    assert user
    text: str = render_vol.volunteers_not_allowed()
    buttons: Buttons = []
    async with context.transaction() as session:
        scope = context.manager
        if scope is not None:
            text, buttons = render_vol.volunteers_list(await volunteers.offers_in(session, scope))
    await reply_html(update, text, buttons)
