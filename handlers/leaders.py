"""Leaders' commands: /contacts, /remind, /export, /report_for, and the alerts' "handled"
button. Who may act on whom is the actor's (context.manager), checked again on every button;
the flows are services.digest.contact_form and report_for_form, mapped here to replies.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InputFile, Update

from bot.context import Context
from bot.outbox.send import send as send_items
from bot.render import alerts as render_alerts
from bot.render import export as render_export
from bot.render import leaders as render
from bot.render.payloads import Buttons
from bot.render.reports import temperature_problem
from bot.services.digest import actions, alerts, contact_form, report_for_form
from bot.services.digest.contact_form import ContactsStep
from bot.services.digest.report_for_form import ReportForStep
from bot.services.org.permissions import Actor
from bot.services.reports import export
from bot.services.reports.store import SaveResult
from handlers import tg

Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def _args(context: Context) -> str:
    return " ".join(context.args or [])[:200]


# --- /contacts -----------------------------------------------------------------------------


def _contacts_reply(step: ContactsStep) -> tuple[str, Buttons]:
    show = contact_form.Show
    if step.show is show.CHAIN:
        assert step.chain is not None
        return render.chain_text(step.chain), render.chain_buttons(step.chain)
    if step.show is show.UNITS:
        return render.unit_choices(list(step.units))
    if step.show is show.ASK_NAME:
        assert step.unit is not None
        return render.ask_contact_name(step.unit), []
    if step.show is show.CANDIDATES:
        assert step.unit is not None
        return render.contact_candidates(step.unit, list(step.candidates))
    if step.show is show.RESULT:
        assert step.result is not None
        chain = step.result.chain
        return render.contact_result(step.result), render.chain_buttons(chain) if chain else []
    if step.show is show.NO_UNIT:
        return render.no_unit(), []
    if step.show is show.EXPIRED:
        return render.form_expired(), []
    return render.not_allowed(), []


async def show_contacts(update: Update, context: Context) -> None:
    """A unit's reporting chain with buttons to change it: `/contacts [UNIT NAME]`."""
    async with context.transaction() as session:
        step = await contact_form.open_contacts(session, context.manager, _args(context),
                                                context.now())
    await tg.reply(update, *_contacts_reply(step))


def contacts_button(button: contact_form.Press) -> Handler:
    """The handler of one /contacts button (render.leaders.CONTACTS[button])."""
    codec = render.CONTACTS[button]

    async def pressed(update: Update, context: Context) -> None:
        query, values = tg.pressed(update, codec)
        async with context.transaction() as session:
            step = await contact_form.press(
                session, context.manager, telegram_user_id=context.actor.telegram_user_id,
                button=button, unit_id=values[0], member_id=values[1] if len(values) > 1 else None,
                now=context.now())
        await tg.answer(query)
        await tg.send(update, *_contacts_reply(step))

    pressed.__name__ = pressed.__qualname__ = f"contacts_{button.name.lower()}"
    return pressed


async def contact_answer(update: Update, context: Context) -> None:
    """The name typed after ➕: the matching members of the unit's subtree, as buttons."""
    message = update.effective_message
    assert message and message.text is not None
    async with context.transaction() as session:
        step = await contact_form.answer(
            session, context.manager, telegram_user_id=context.actor.telegram_user_id,
            text=message.text, now=context.now())
    await tg.reply(update, *_contacts_reply(step))


# --- /remind -------------------------------------------------------------------------------


async def remind(update: Update, context: Context) -> None:
    """Remind the subtree's non-reporters now, at most once an hour."""
    actor, now = context.manager, context.now()
    if actor is None:
        text = render.not_allowed()
    else:
        text = render.remind_result(*await remind_in(context, actor, now))
    await tg.reply(update, text)
    context.wake_dispatcher()  # after the answer: the leader reads it before their own reminder


async def remind_in(context: Context, scope: Actor,
                    now: datetime) -> tuple[actions.RemindResult, str]:
    """/remind's steps in `scope` (also the digest's and /status's remind button), in one
    transaction: the reminders queued and the outcome audited; and the scope's time zone.
    The caller wakes the dispatcher after its answer."""
    async with context.transaction() as session:
        result = await actions.remind_now(
            session, scope, now=now, default_timezone=context.settings.default_timezone,
            default_locale=context.settings.default_locale)
        if result.status is actions.RemindStatus.SENT:
            sent = await send_items(session, result.items, now=now)
            result = await actions.reminded(session, scope, len(sent), now=now)
        zone = await actions.timezone_of(session, scope, context.settings.default_timezone)
    return result, zone


# --- /export -------------------------------------------------------------------------------


async def export_reports(update: Update, context: Context) -> None:
    """The subtree's rows of a date range (every member, every day) as an XLSX file:
    `/export [FROM [TO]]`."""
    assert update.effective_message
    actor, now = context.manager, context.now()
    if actor is None:
        await tg.reply(update, render.not_allowed())
        return
    async with context.transaction() as session:
        zone = await actions.timezone_of(session, actor, context.settings.default_timezone)
        try:
            start, end = export.parse_range(_args(context), now.astimezone(ZoneInfo(zone)).date())
        except export.InvalidRange as invalid:
            await tg.reply(update, render.export_problem(invalid.code))
            return
        if await export.estimated_rows(session, actor, start, end) > export.MAX_CHAT_ROWS:
            await tg.reply(update, render.export_too_big())
            return
        # Day by day, the workbook written off the event loop (render.export).
        data, rows = await render_export.export_workbook(
            export.export_days(session, actor, start, end), zone)
        await export.record_export(session, actor, start=start, end=end, rows=rows, now=now)
    await update.effective_message.reply_document(
        InputFile(data, filename=render.export_filename(start, end)),
        caption=render.export_caption(start, end, rows))


# --- /report_for ---------------------------------------------------------------------------


def _report_for_reply(step: ReportForStep) -> tuple[str, Buttons]:
    show = report_for_form.Show
    if step.show is show.CHOICE:
        assert step.target is not None
        return render.report_for_choice(step.target)
    if step.show is show.PICK:
        assert step.found is not None
        return render.report_for_pick(step.found.candidates)
    if step.show is show.FIND_PROBLEM:
        assert step.found is not None
        return render.report_for_find_problem(step.found), []
    if step.show is show.RESULT:
        assert step.result is not None
        return render.report_for_result(step.result), []
    if step.show is show.ASK_TEMPERATURE:
        assert step.target is not None
        return render.ask_temperature(step.target, step.note)
    if step.show is show.BAD_TEMPERATURE:
        assert step.temperature_error is not None
        return (temperature_problem(step.temperature_error),
                render.temperature_offer(step.target, step.temperature_error.hint))
    text = {show.USAGE: render.report_for_usage, show.STALE_DAY: render.stale_report_for,
            show.EXPIRED: render.form_expired}.get(step.show, render.not_allowed)()
    return text, []


async def report_for(update: Update, context: Context) -> None:
    """Find the member a leader reports for: `/report_for NAME [how they are]`."""
    message = update.effective_message
    assert message is not None
    # The text as typed (not context.args): the words after the name are kept as written.
    _command, _space, text = (message.text or "").strip().partition(" ")
    text = text.strip()[:200]
    async with context.transaction() as session:
        step = await report_for_form.find(
            session, context.manager, text, telegram_user_id=context.actor.telegram_user_id,
            now=context.now(), default_timezone=context.settings.default_timezone)
    await tg.reply(update, *_report_for_reply(step))


def report_for_button(button: report_for_form.Press) -> Handler:
    """The handler of one /report_for button (render.leaders.REPORT_FOR[button])."""
    codec = render.REPORT_FOR[button]

    async def pressed(update: Update, context: Context) -> None:
        query, values = tg.pressed(update, codec)
        now = context.now()
        async with context.transaction() as session:
            step = await report_for_form.press(
                session, context.manager, telegram_user_id=context.actor.telegram_user_id,
                button=button, member_id=values[0], stamp=values[1] if len(values) > 1 else None,
                tenths=values[2] if len(values) > 2 else None, now=now,
                default_timezone=context.settings.default_timezone,
                default_locale=context.settings.default_locale)
            if step.result is not None:
                await send_items(session, step.result.items, now=now)
        context.wake_dispatcher()
        await tg.answer(query)
        await tg.send(update, *_report_for_reply(step))

    pressed.__name__ = pressed.__qualname__ = f"report_for_{button.name.lower()}"
    return pressed


async def report_for_answer(update: Update, context: Context) -> None:
    """The temperature of a member reported unwell on their behalf."""
    message = update.effective_message
    assert message and message.text is not None
    now = context.now()
    async with context.transaction() as session:
        step = await report_for_form.answer(
            session, context.manager, telegram_user_id=context.actor.telegram_user_id,
            text=message.text, now=now, default_timezone=context.settings.default_timezone,
            default_locale=context.settings.default_locale)
        if step.result is not None:
            await send_items(session, step.result.items, now=now)
    context.wake_dispatcher()
    await tg.reply(update, *_report_for_reply(step))


# --- the alert's "handled" button ----------------------------------------------------------


async def alert_handled(update: Update, context: Context) -> None:
    """Record who handled the alert; the message shows it, the others are told."""
    query = update.callback_query
    assert query is not None
    alert_id = render_alerts.parse_handled_callback(query.data)
    if alert_id is None:
        from handlers.common import stale_button

        await stale_button(update, context)
        return
    now = context.now()
    async with context.transaction() as session:
        result = await alerts.mark_handled(
            session, alert_id=alert_id, actor=context.actor, now=now,
            default_timezone=context.settings.default_timezone,
            default_locale=context.settings.default_locale)
        await send_items(session, result.items, now=now)
    context.wake_dispatcher()
    status = result.status
    await tg.answer(query, render_alerts.handle_answer(status.value)[:200],
                    alert=status in (alerts.HandleStatus.NOT_ALLOWED,
                                     alerts.HandleStatus.NOT_FOUND))
    if result.view is not None and status in (alerts.HandleStatus.HANDLED,
                                              alerts.HandleStatus.ALREADY):
        await tg.edit_or_keep(query, render_alerts.alert_text(result.view),
                              render_alerts.alert_buttons(result.view))


async def alert_after_save(context: Context,
                           saved: SaveResult | None) -> alerts.AlertResult | None:
    """Right after a member's report is saved: alert the chain if it is (or became) abnormal,
    or update those alerted; what was done (None: nothing to check). Its own transaction: if
    this is cut off, the tick's scan sends the alert within a minute."""
    if saved is None or not alerts.needs_check(saved):
        return None  # the one-tap path: a well report stored just now opens no transaction
    now = context.now()
    async with context.transaction() as session:
        result = await alerts.alert_report(
            session, report_id=saved.report.id, now=now,
            default_timezone=context.settings.default_timezone,
            default_locale=context.settings.default_locale)
        queued = await send_items(session, result.items, now=now)
    if queued:
        context.wake_dispatcher()
    return result
