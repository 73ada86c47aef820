"""/volunteer (a member's offer: posts, days, a note; withdraw) and /volunteers (leaders).
The form is bot.services.duty.volunteers `press`; a leader's thanks is an `Outgoing` note."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.outbox.send import send
from bot.render import duty as render
from bot.render import volunteers as render_vol
from bot.render.onboarding import not_linked
from bot.services.duty import volunteers
from bot.services.duty.shifts import EditResult, EditStatus
from bot.services.duty.volunteers import FormAction, FormOutcome, FormResult
from bot.services.org.accounts import member_for
from handlers import tg
from handlers.common import stale_button


async def start_volunteer(update: Update, context: Context) -> None:
    """The volunteer form, filled from the member's current offer."""
    user = update.effective_user
    assert user
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        opened = None if member is None else await volunteers.open_form(
            session, member, user.id, now=context.now())
    if opened is None:
        await tg.reply(update, not_linked())
        return
    form, has_offer = opened
    await tg.reply(update, *render_vol.volunteer_form(form, has_offer=has_offer))


async def volunteer_note(update: Update, context: Context) -> None:
    """Free text while the volunteer form is open: its note."""
    user, message = update.effective_user, update.effective_message
    assert user and message and message.text is not None
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        result = await volunteers.write_note(session, member, user.id, message.text,
                                             now=context.now())
    if result.outcome is FormOutcome.FORM:
        assert result.form is not None
        await tg.reply(update, *render_vol.volunteer_form(result.form,
                                                          has_offer=result.has_offer))
    elif result.outcome is FormOutcome.BAD_NOTE:
        await tg.reply(update, render_vol.note_problem())
    else:
        await tg.reply(update, render_vol.form_expired())


async def toggle_button(update: Update, context: Context) -> None:
    """`vo:p:<i>` / `vo:d:<i>`: a post or a weekday on or off."""
    assert update.callback_query
    decoded = render_vol.TOGGLE.decode(update.callback_query.data)
    if decoded is None:
        await stale_button(update, context)
        return
    field, index = decoded
    await _press(update, context, FormAction(field), index)


async def save_button(update: Update, context: Context) -> None:
    """`vo:s`: save the offer."""
    await _press(update, context, FormAction.SAVE)


async def withdraw_button(update: Update, context: Context) -> None:
    """`vo:w`: withdraw the offer."""
    await _press(update, context, FormAction.WITHDRAW)


async def _press(update: Update, context: Context, action: FormAction, index: int = 0) -> None:
    query, user = update.callback_query, update.effective_user
    assert query and user
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        result = None if member is None else await volunteers.press(
            session, member, user.id, action, index, now=context.now())
    if result is None:
        await tg.answer(query, not_linked()[:200])
        return
    await _after_press(update, result)


async def _after_press(update: Update, result: FormResult) -> None:
    query = update.callback_query
    assert query
    outcome = result.outcome
    if outcome is FormOutcome.FORM:
        assert result.form is not None
        await tg.answer(query, "")
        await tg.edit_or_keep(query, *render_vol.volunteer_form(result.form,
                                                                has_offer=result.has_offer))
    elif outcome is FormOutcome.EXPIRED:
        await tg.answer(query, render_vol.form_expired()[:200], alert=True)
    elif outcome is FormOutcome.INCOMPLETE:
        await tg.answer(query, render_vol.volunteer_saved(False)[:200])
    else:
        text = (render_vol.volunteer_saved(True) if outcome is FormOutcome.SAVED
                else render_vol.volunteer_withdrawn(result.withdrawn))
        await tg.answer(query, text)
        await tg.edit_or_keep(query, text)


async def thank_button(update: Update, context: Context) -> None:
    """`vt:<offer>`: a leader thanks a volunteer of their units."""
    query, decoded = tg.pressed(update, render_vol.THANK)
    user = update.effective_user
    assert user
    manager = context.manager
    if manager is None:
        await tg.answer(query, render.not_allowed()[:200], alert=True)
        return
    now = context.now()
    async with context.transaction() as session:
        result = await volunteers.thank(session, manager, decoded[0], full_name=user.full_name,
                                        now=now, default_locale=context.settings.default_locale)
        await send(session, result.outgoing, now=now)
    if result.offer is None:
        answer = render.edit_reply(EditResult(EditStatus.OUTSIDE_SCOPE), "thank")
    else:
        answer = render_vol.thanks_sent(result.offer.name)
    await tg.answer(query, answer, alert=True)
    context.wake_dispatcher()


async def show_volunteers(update: Update, context: Context) -> None:
    """Leaders: the current offers of their subtree, with a thank-you button each."""
    manager = context.manager
    if manager is None:
        await tg.reply(update, render_vol.volunteers_not_allowed())
        return
    async with context.transaction() as session:
        offers = await volunteers.offers_in(session, manager)
    await tg.reply(update, *render_vol.volunteers_list(offers))
