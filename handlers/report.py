"""The daily report: the prompt's buttons, the guided forms, /report, /history, /cancel."""

from __future__ import annotations

import logging
from datetime import date, datetime

from telegram import CallbackQuery, Update
from telegram.error import BadRequest

from bot.context import Context
from bot.i18n import current_locale
from bot.outbox.send import send as send_items
from bot.render import reports as render
from bot.render.advice import advice_parts, fit_advice
from bot.render.onboarding import not_linked
from bot.render.prompts import ReportChoice, parse_report_callback
from bot.services.digest.alerts import AlertOutcome, AlertResult
from bot.services.org.accounts import member_for
from bot.services.reports import form as report_form
from bot.services.reports import store as reports
from bot.services.reports.advice import advice_for
from bot.services.reports.answered import answered_for
from bot.services.reports.choice import Choice, ChoiceOutcome, ChoiceResult, Today, choose, today
from bot.services.reports.form import FormResult, Outcome
from bot.services.reports.one_tap import report_all_well
from handlers import tg
from handlers.common import stale_button
from handlers.leaders import alert_after_save

logger = logging.getLogger(__name__)


async def _strip_buttons(context: Context, chat_id: int, message_id: int | None) -> None:
    """Best effort: the buttons of a step that is over (the message may be gone)."""
    if message_id is None:
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest:
        pass


def _log_saved(saved: reports.SaveResult) -> None:
    # Ids and outcome only: no health details in logs.
    report = saved.report
    logger.info("report %s member %s date %s: created=%s changed=%s revision=%s",
                report.id, report.member_id, report.report_date.isoformat(), saved.created,
                saved.changed, report.revision)


async def show_report(update: Update, context: Context) -> None:
    """/report: today's question, or today's report with buttons to amend it."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        t = None if member is None else await today(
            session, member, context.now(), context.settings.default_timezone)
    if t is None:
        await tg.reply(update, not_linked())
        return
    await tg.reply(update, *render.today_message(t))


async def show_history(update: Update, context: Context) -> None:
    """/history: the last 14 days, one line a day."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    days = None
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        if member is not None:
            t = await today(session, member, context.now(), context.settings.default_timezone)
            days = await reports.history(session, member, t.day)
    if days is None:
        await tg.reply(update, not_linked())
        return
    await tg.reply(update, render.history_text(days))


async def cancel_form(update: Update, context: Context) -> None:
    """/cancel: drop whatever form the user is in."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    async with context.transaction() as session:
        dropped = await report_form.cancel(session, user.id)
    await tg.reply(update, render.cancelled(dropped))


async def report_button(update: Update, context: Context) -> None:
    """A button of the daily question (the REPORT codec)."""
    assert update.callback_query
    parsed = parse_report_callback(update.callback_query.data)
    await _report_choice(update, context, parsed, amend=False)


async def amend_button(update: Update, context: Context) -> None:
    """A button under a stored report, to amend it (the AMEND codec)."""
    assert update.callback_query
    parsed = render.parse_amend_callback(update.callback_query.data)
    await _report_choice(update, context, parsed, amend=True)


async def _report_choice(update: Update, context: Context,
                         parsed: tuple[date, ReportChoice] | None, *, amend: bool) -> None:
    query, user = update.callback_query, update.effective_user
    assert query and user and query.message
    if parsed is None:  # the pattern matched, the date does not exist
        await stale_button(update, context)
        return
    now, t = context.now(), None
    zone = context.settings.default_timezone
    result: ChoiceResult | None = None
    others: set[int] | None = None  # known by the one-tap path; None: look them up
    if not amend and parsed[1] is ReportChoice.OK:
        # The common case, in a few Core statements; anything else goes to `choose`.
        async with context.db.direct() as connection:
            well = await report_all_well(connection, telegram_user_id=user.id,
                                         button_day=parsed[0], now=now, default_timezone=zone,
                                         unit_path=context.actor.unit_path)
        if well is not None:
            result = ChoiceResult(ChoiceOutcome.SAVED, well.day, well.schedule,
                                  saved=well.saved)
            # The prompts to edit are known already: no transaction when only the tapped one.
            others = set(well.prompts_sent) - {query.message.message_id}
    if result is None:
        result, t = await _choose(context, user.id, parsed, amend, query.message.message_id,
                                  now)
    if result is None:
        await tg.answer(query, not_linked(), alert=True)
        return
    advice = _advice(context, result.saved, await alert_after_save(context, result.saved))
    await _after_choice(update, query, result, t, now, advice)
    if others is None or others:
        await _close_prompts(context, result.saved, query.message.message_id)


async def _choose(context: Context, user_id: int, parsed: tuple[date, ReportChoice],
                  amend: bool, message_id: int,
                  now: datetime) -> tuple[ChoiceResult | None, Today | None]:
    """The general path of a report button (report_choice.choose): None for no member."""
    zone, t = context.settings.default_timezone, None
    async with context.transaction() as session:
        member = await member_for(session, user_id)
        if member is None:
            return None, None
        result = await choose(session, member=member, telegram_user_id=user_id,
                              button_day=parsed[0], choice=Choice(parsed[1].value),
                              amend=amend, now=now, default_timezone=zone,
                              message_id=message_id)
        if result.outcome is ChoiceOutcome.STALE_DAY:
            t = await today(session, member, now, zone)
    return result, t


async def _after_choice(update: Update, query: CallbackQuery, result: ChoiceResult,
                        t: Today | None, now: datetime, advice: list[str] | None = None) -> None:
    tz = result.schedule.timezone
    if result.outcome is ChoiceOutcome.SAVED:
        assert result.saved is not None
        saved = result.saved
        _log_saved(saved)
        await tg.answer(query)
        await tg.edit_or_keep(query, _with_advice(render.saved_text(
            reports.view(saved.report).entry, result.day, saved.report.updated_at, tz,
            late=saved.report.late, amended=not saved.created), advice))
    elif result.outcome is ChoiceOutcome.FORM:
        assert result.form is not None
        await tg.answer(query)
        await tg.edit_or_keep(query, *render.form_step(result.form))
    elif result.outcome is ChoiceOutcome.ALREADY:
        assert result.report is not None
        await tg.answer(query, render.already_reported(
            result.day, result.schedule.local_date(now), result.report.updated_at, tz),
            alert=True)
    elif result.outcome is ChoiceOutcome.NO_YESTERDAY:
        await tg.answer(query, render.no_yesterday(), alert=True)
    else:  # a day that can no longer be reported: say so and offer today's
        assert t is not None
        await tg.answer(query, render.stale_day(result.day), alert=True)
        await tg.send(update, *render.today_message(t))


async def form_button(update: Update, context: Context) -> None:
    """A button of the report form, checked against the form the user is in."""
    query, user = update.callback_query, update.effective_user
    assert query and user and query.message
    parsed = render.parse_form_callback(query.data)
    if parsed is None:
        await stale_button(update, context)
        return
    form_id, n, action, arg = parsed
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        result = None if member is None else await report_form.press(
            session, member=member, telegram_user_id=user.id, form_id=form_id, n=n,
            action=action, arg=arg, now=context.now(),
            default_timezone=context.settings.default_timezone,
            message_id=query.message.message_id)
    if result is None:
        await tg.answer(query, not_linked(), alert=True)
        return
    advice = _advice(context, result.saved, await alert_after_save(context, result.saved))
    await _after_press(query, result, advice)
    await _close_prompts(context, result.saved, query.message.message_id)


async def _close_prompts(context: Context, saved: reports.SaveResult | None,
                         tapped: int) -> None:
    """The day is reported: its prompt and reminders (but the tapped message, which shows
    the report) are edited through the outbox to say so, without their buttons."""
    if saved is None or not saved.created:
        return  # an amendment: they were edited when the day was first reported
    report = saved.report
    async with context.transaction() as session:
        items = await answered_for(
            session, member_id=report.member_id, day=report.report_date,
            reported_at=report.created_at, default_timezone=context.settings.default_timezone,
            default_locale=context.settings.default_locale, except_message_id=tapped)
        queued = await send_items(session, items, now=context.now())
    if queued:
        context.wake_dispatcher()


def _advice(context: Context, saved: reports.SaveResult | None,
            alerted: AlertResult | None) -> list[str]:
    """After the member's own abnormal report: who is being told, and what to do now (the
    knowledge base's entries for their situation); nothing for anything else."""
    if saved is None or not saved.changed or not saved.abnormal:
        return []
    faq = context.bot_data.faq
    kb = faq.kb(current_locale()) if faq is not None else None
    entries = [] if kb is None else [
        e for e in map(kb.entry, advice_for(reports.view(saved.report).entry)) if e is not None]
    told = alerted.told if alerted is not None else ()
    fresh = alerted is not None and alerted.outcome is AlertOutcome.ALERTED
    return advice_parts(told, entries, alerted=fresh)


def _with_advice(text: str, advice: list[str] | None) -> str:
    """The confirmation and the advice in one message, within Telegram's limit."""
    return fit_advice(text, advice) if advice else text


async def _after_press(query: CallbackQuery, result: FormResult,
                       advice: list[str] | None = None) -> None:
    outcome = result.outcome
    if outcome is Outcome.STEP:
        assert result.form is not None
        await tg.answer(query)
        await tg.edit_or_keep(query, *render.form_step(result.form))
    elif outcome is Outcome.SAVED:
        assert result.saved is not None and result.form is not None
        report = result.saved.report
        _log_saved(result.saved)
        await tg.answer(query)
        await tg.edit_or_keep(query, _with_advice(render.saved_text(
            reports.view(report).entry, report.report_date, report.updated_at,
            result.saved.timezone, late=report.late, amended=not result.saved.created), advice))
    elif outcome in (Outcome.CANCELLED, Outcome.EXPIRED, Outcome.DAY_PASSED):
        await tg.answer(query, render.form_problem(outcome),
                        alert=outcome is not Outcome.CANCELLED)
        await tg.edit_or_keep(query, render.form_problem_text(outcome))
    else:  # stale, nobody or nothing picked: the step stays as it is
        await tg.answer(query, render.form_problem(outcome), alert=True)


async def report_answer(update: Update, context: Context) -> None:
    """Text typed while a report form is open: a temperature or a note."""
    user, message = update.effective_user, update.effective_message
    assert user and message and message.text is not None
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        if member is None:
            await report_form.drop(session, user.id)
            result = None
        else:
            result = await report_form.answer_text(session, telegram_user_id=user.id,
                                                   text=message.text, now=context.now())
    if result is None:
        await tg.reply(update, not_linked())
        return
    outcome, form = result.outcome, result.form
    if outcome is Outcome.BAD_TEMPERATURE:
        assert result.temperature_error is not None
        await tg.reply(update, render.temperature_problem(result.temperature_error),
                       render.temperature_offer(form, result.temperature_error) if form else [])
    elif outcome is Outcome.BAD_NOTE:
        assert result.note_error is not None
        await tg.reply(update, render.note_problem(result.note_error))
    elif outcome in (Outcome.STEP, Outcome.USE_BUTTONS) and form is not None:
        if outcome is Outcome.USE_BUTTONS:
            await tg.reply(update, render.form_problem_text(outcome))
        # The step moves to a new message at the bottom of the chat; the old one loses its
        # buttons so that they cannot be pressed out of turn.
        await _strip_buttons(context, message.chat_id, form.message_id)
        sent = await tg.reply(update, *render.form_step(form))
        async with context.transaction() as session:
            await report_form.remember_message(session, user.id, form.id, sent.message_id,
                                               context.now())
    else:
        await tg.reply(update, render.form_problem_text(outcome))
