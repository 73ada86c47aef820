"""The next-step buttons under the digest and /status (bot.render.next_steps): remind those
who have not reported, list the open alerts to handle, mark one handled from that list.
The drill-down button is /status's (handlers.status.drill_pressed).

Each tap shows its result on the tapped message: the remind button says how many were
reminded and when, the open-alerts button how many are open now (the list follows, under
it), the list loses the alert just handled. The unit is checked against the asker on every
tap (services.digest.next_steps); a refusal is an alert box and changes nothing.
"""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.outbox.send import send as send_items
from bot.render import alerts as render_alerts
from bot.render import leaders as render_leaders
from bot.render import next_steps as render
from bot.services.digest import alerts, next_steps
from bot.services.digest.actions import RemindStatus
from bot.services.digest.next_steps import AlertsToHandle, StepRefusal
from handlers import leaders, tg


async def remind_pressed(update: Update, context: Context) -> None:
    """Remind the unit's subtree as /remind does; the button then says how many, and when."""
    query, values = tg.pressed(update, render.NEXT_REMIND)
    parsed = render.parse_remind(values)
    if parsed is None:
        from handlers.common import stale_button

        await stale_button(update, context)
        return
    now = context.now()
    async with context.transaction() as session:
        found = await next_steps.remind_scope(
            session, context.manager, unit_id=parsed[0], day=parsed[1], now=now,
            default_timezone=context.settings.default_timezone)
    if isinstance(found, StepRefusal):
        await tg.answer(query, render.step_refused(found), alert=True)
        return
    result, zone = await leaders.remind_in(context, found.scope, now)
    await tg.answer(query, render_leaders.remind_result(result, zone),
                    alert=result.status is not RemindStatus.SENT)
    if (label := render.reminded_label(result, now, zone)) is not None:
        await tg.relabel(query, label)
    context.wake_dispatcher()


async def alerts_pressed(update: Update, context: Context) -> None:
    """List the subtree's open alerts under the tapped message, each with its button."""
    query, (unit_id,) = tg.pressed(update, render.NEXT_ALERTS)
    now = context.now()
    async with context.transaction() as session:
        listed = await next_steps.alerts_to_handle(
            session, context.manager, unit_id=unit_id, now=now,
            default_timezone=context.settings.default_timezone)
    if isinstance(listed, StepRefusal):
        await tg.answer(query, render.step_refused(listed), alert=True)
        return
    await tg.answer(query)
    await tg.relabel(query, render.listed_label(listed.total, now, listed.timezone))
    if listed.alerts:
        await tg.reply(update, render.alerts_text(listed), render.alerts_buttons(listed))


async def handled_pressed(update: Update, context: Context) -> None:
    """Mark one alert of the list handled (the alert's own service); the list shows it."""
    query, (unit_id, alert_id) = tg.pressed(update, render.NEXT_HANDLED)
    done = await _handle_and_list(context, unit_id, alert_id)
    if isinstance(done, StepRefusal):
        await tg.answer(query, render.step_refused(done), alert=True)
        return
    result, listed = done
    context.wake_dispatcher()
    status = result.status
    await tg.answer(query, render_alerts.handle_answer(status.value),
                    alert=status in (alerts.HandleStatus.NOT_ALLOWED,
                                     alerts.HandleStatus.NOT_FOUND))
    if status in (alerts.HandleStatus.HANDLED, alerts.HandleStatus.ALREADY):
        await tg.edit_or_keep(query, render.alerts_text(listed, handled=result.view),
                              render.alerts_buttons(listed))


async def _handle_and_list(context: Context, unit_id: int, alert_id: int,
                           ) -> tuple[alerts.HandleResult, AlertsToHandle] | StepRefusal:
    """The unit checked once, the alert marked, the list read again after it."""
    now = context.now()
    tz = context.settings.default_timezone
    async with context.transaction() as session:
        unit = await next_steps.step_unit(session, context.manager, unit_id, now=now)
        if isinstance(unit, StepRefusal):
            return unit
        result = await alerts.mark_handled(session, alert_id=alert_id, actor=context.actor,
                                           now=now, default_timezone=tz,
                                           default_locale=context.settings.default_locale)
        await send_items(session, result.items, now=now)
        listed = await next_steps.alerts_to_handle(session, context.manager, unit_id=unit_id,
                                                   now=now, default_timezone=tz)
    return listed if isinstance(listed, StepRefusal) else (result, listed)
