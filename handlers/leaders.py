"""Leaders' commands: /contacts, /remind, /export, /report_for, and the alerts' "handled"
button. Who may act on whom is services.members.leaves.Actor, checked again on every button.
"""

from __future__ import annotations

import asyncio
import re
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InputFile, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import Context
from bot.db.models import ReportStatus, Unit
from bot.render import alerts as render_alerts
from bot.render import leaders as render
from bot.render.reports import temperature_problem
from bot.services.digest import actions as leaders
from bot.services.digest import alerts
from bot.services.members.leaves import FindStatus, find_members
from bot.services.org import contacts
from bot.services.org.permissions import Actor
from bot.services.org.units import unit_names
from bot.services.reports import export
from bot.services.reports.schedule import schedule_for
from bot.services.reports.store import SaveResult
from bot.services.reports.temperature import TemperatureError, parse_temperature
from handlers.family import keyboard

_CONTACT = re.compile(r"ct:([sapur]):([0-9]{1,12})(?::([0-9]{1,12}))?")
_REPORT_FOR = re.compile(r"rb:(m|ok|sick):([0-9]{1,12})(?::([0-9]{8}))?")


def _args(context: Context) -> str:
    return " ".join(context.args or [])[:200]


async def _reply(update: Update, text: str, buttons: render.Buttons | None = None) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(
        text, parse_mode=ParseMode.HTML, reply_markup=keyboard(buttons) if buttons else None)


async def _scope(context: Context, session: AsyncSession, user_id: int) -> Actor | None:
    return context.manager


# --- /contacts -----------------------------------------------------------------------------


async def show_contacts(update: Update, context: Context) -> None:
    """A unit's reporting chain with buttons to change it: `/contacts [UNIT NAME]`."""
    assert update.effective_user
    query, now = _args(context), context.now()
    buttons: render.Buttons = []
    async with context.transaction() as session:
        scope = await _scope(context, session, update.effective_user.id)
        if scope is None:
            text = render.not_allowed()
        elif not query:
            unit = await contacts.home_unit(session, scope)
            chain = await contacts.chain_of(session, unit) if unit else None
            text = render.chain_text(chain) if chain else render.no_unit()
            buttons = render.chain_buttons(chain) if chain else []
        else:
            units = await contacts.find_units(session, scope, query)
            if len(units) == 1:
                status, unit = await contacts.unit_in_scope(session, scope, units[0].unit_id,
                                                            "show", now)
                assert unit is not None
                chain = await contacts.chain_of(session, unit)
                text, buttons = render.chain_text(chain), render.chain_buttons(chain)
            elif units:
                text, buttons = render.unit_choices(units)
            else:
                text = render.no_unit()
    await _reply(update, text, buttons)


async def contacts_button(update: Update, context: Context) -> None:
    """A /contacts button; the unit and member are checked against the presser's scope."""
    query, user = update.callback_query, update.effective_user
    assert query and user
    match = _CONTACT.fullmatch(query.data or "")
    action, unit_id = (match[1], int(match[2])) if match else ("", 0)
    member_id = int(match[3]) if match and match[3] else None
    now = context.now()
    buttons: render.Buttons = []
    async with context.transaction() as session:
        scope = await _scope(context, session, user.id)
        if scope is None:
            text = render.not_allowed()
        elif action in ("s", "a") and member_id is None:
            status, unit = await contacts.unit_in_scope(session, scope, unit_id, action, now)
            if unit is None:
                text = render.contact_result(contacts.ContactResult(status or
                                             contacts.ContactStatus.NOT_FOUND))
            elif action == "s":
                chain = await contacts.chain_of(session, unit)
                text, buttons = render.chain_text(chain), render.chain_buttons(chain)
            else:
                await leaders.put_draft(session, user.id, leaders.CONTACT_DRAFT,
                                        {"unit_id": unit.id}, now)
                ref = contacts.UnitRef(unit.id, tuple(await unit_names(session, unit)))
                text = render.ask_contact_name(ref)
        elif action in ("p", "u", "r") and member_id is not None:
            change = {"p": contacts.add_contact, "u": contacts.move_up,
                      "r": contacts.remove_contact}[action]
            result = await change(session, scope, unit_id=unit_id, member_id=member_id, now=now)
            if action == "p":
                await leaders.drop_draft(session, user.id)
            text = render.contact_result(result)
            buttons = render.chain_buttons(result.chain) if result.chain else []
        else:
            text = ""
    if not text:
        from handlers.common import stale_button

        await stale_button(update, context)
        return
    await query.answer()
    assert query.message is not None
    await query.get_bot().send_message(query.message.chat.id, text, parse_mode=ParseMode.HTML,
                                       reply_markup=keyboard(buttons) if buttons else None)


async def contact_answer(update: Update, context: Context) -> None:
    """The name typed after ➕: the matching members of the unit's subtree, as buttons."""
    user, message = update.effective_user, update.effective_message
    assert user and message and message.text is not None
    now = context.now()
    buttons: render.Buttons = []
    async with context.transaction() as session:
        scope = await _scope(context, session, user.id)
        data = await leaders.read_draft(session, user.id, leaders.CONTACT_DRAFT, now)
        if scope is None:
            await leaders.drop_draft(session, user.id)
            text = render.not_allowed()
        elif data is None:
            text = render.form_expired()
        else:
            status, unit = await contacts.unit_in_scope(session, scope, int(data["unit_id"]),
                                                        "search", now)
            if unit is None:
                await leaders.drop_draft(session, user.id)
                text = render.contact_result(contacts.ContactResult(
                    status or contacts.ContactStatus.NOT_FOUND))
            else:
                ref = contacts.UnitRef(unit.id, tuple(await unit_names(session, unit)))
                found = await contacts.find_candidates(session, unit, message.text[:200])
                text, buttons = render.contact_candidates(ref, found)
    await _reply(update, text, buttons)


# --- /remind -------------------------------------------------------------------------------


async def _zone(context: Context, session: AsyncSession, scope: Actor) -> str:
    unit = await session.get(Unit, scope.root_unit_id) if scope.root_unit_id is not None else None
    if unit is None:
        return context.settings.default_timezone
    return (await schedule_for(session, unit, context.settings.default_timezone)).timezone


async def remind(update: Update, context: Context) -> None:
    """Remind the subtree's non-reporters now, at most once an hour."""
    assert update.effective_user
    async with context.transaction() as session:
        scope = await _scope(context, session, update.effective_user.id)
        if scope is None:
            text = render.not_allowed()
        else:
            result = await leaders.remind_now(
                session, scope, now=context.now(),
                default_timezone=context.settings.default_timezone,
                default_locale=context.settings.default_locale)
            text = render.remind_result(result, await _zone(context, session, scope))
    context.wake_dispatcher()
    await _reply(update, text)


# --- /export -------------------------------------------------------------------------------


async def export_reports(update: Update, context: Context) -> None:
    """The subtree's reports of a date range as an XLSX file: `/export [FROM [TO]]`."""
    assert update.effective_user and update.effective_message
    now = context.now()
    async with context.transaction() as session:
        scope = await _scope(context, session, update.effective_user.id)
        if scope is None:
            await _reply(update, render.not_allowed())
            return
        zone = await _zone(context, session, scope)
        try:
            start, end = export.parse_range(_args(context), now.astimezone(ZoneInfo(zone)).date())
        except export.InvalidRange as invalid:
            await _reply(update, render.export_problem(invalid.code))
            return
        if await export.count_reports(session, scope, start, end) > export.MAX_CHAT_REPORTS:
            await _reply(update, render.export_too_big())
            return
        rows = await export.export_rows(session, scope, start, end)
        await export.record_export(session, scope, start=start, end=end, rows=len(rows),
                                   now=now)
    # Building a big workbook takes a while: not on the event loop (the locale goes along).
    data = await asyncio.to_thread(render.export_workbook, rows, zone)
    await update.effective_message.reply_document(
        InputFile(data, filename=render.export_filename(start, end)),
        caption=render.export_caption(start, end, len(rows)), parse_mode=ParseMode.HTML)


# --- /report_for ---------------------------------------------------------------------------


async def report_for(update: Update, context: Context) -> None:
    """Find the member a leader reports for: `/report_for NAME`."""
    assert update.effective_user
    text, now = _args(context), context.now()
    buttons: render.Buttons = []
    async with context.transaction() as session:
        scope = await _scope(context, session, update.effective_user.id)
        if scope is None:
            reply = render.not_allowed()
        elif not text:
            reply = render.report_for_usage()
        else:
            found = await find_members(session, scope, text, now=now)
            if found.status is not FindStatus.FOUND:
                reply = render.report_for_find_problem(found)
            elif len(found.candidates) > 1:
                reply, buttons = render.report_for_pick(found.candidates)
            else:
                reply, buttons = await _choice(context, session, scope,
                                               found.candidates[0].member_id)
    await _reply(update, reply, buttons)


async def _target(context: Context, session: AsyncSession, scope: Actor,
                  member_id: int) -> tuple[render.ReportForTarget | None, str]:
    """The member (in scope) and their unit's today, or the refusal to show."""
    status, member = await leaders.member_in_scope(session, scope, member_id, now=context.now())
    if member is None:
        return None, render.report_for_result(leaders.ReportForResult(
            status or leaders.ReportForStatus.NOT_FOUND))
    unit = await session.get(Unit, member.unit_id)
    assert unit is not None
    day = (await schedule_for(session, unit, context.settings.default_timezone)
           ).local_date(context.now())
    return render.ReportForTarget(member.id, member.name,
                                  tuple(await unit_names(session, unit)), day), ""


async def _choice(context: Context, session: AsyncSession, scope: Actor,
                  member_id: int) -> tuple[str, render.Buttons]:
    target, refusal = await _target(context, session, scope, member_id)
    return render.report_for_choice(target) if target else (refusal, [])


async def report_for_button(update: Update, context: Context) -> None:
    """Pick a member, then all well or unwell (unwell asks for the temperature)."""
    query, user = update.callback_query, update.effective_user
    assert query and user
    match = _REPORT_FOR.fullmatch(query.data or "")
    if match is None or (match[1] == "m") != (match[3] is None):
        from handlers.common import stale_button

        await stale_button(update, context)
        return
    action, member_id, stamp, now = match[1], int(match[2]), match[3], context.now()
    buttons: render.Buttons = []
    async with context.transaction() as session:
        scope = await _scope(context, session, user.id)
        target, text = (None, render.not_allowed()) if scope is None else \
            await _target(context, session, scope, member_id)
        if scope is None or target is None:
            pass
        elif action == "m":
            text, buttons = render.report_for_choice(target)
        elif f"{target.day:%Y%m%d}" != stamp:
            text = render.stale_report_for()
        elif action == "ok":
            result = await leaders.report_for(
                session, scope, member_id=member_id, well=True, temperature=None, now=now,
                default_timezone=context.settings.default_timezone,
                default_locale=context.settings.default_locale)
            text = render.report_for_result(result)
        else:
            await leaders.put_draft(session, user.id, leaders.REPORT_FOR_DRAFT,
                                    {"member_id": member_id, "day": stamp}, now)
            text = render.ask_temperature(target.name)
    context.wake_dispatcher()
    await query.answer()
    assert query.message is not None
    await query.get_bot().send_message(query.message.chat.id, text, parse_mode=ParseMode.HTML,
                                       reply_markup=keyboard(buttons) if buttons else None)


async def report_for_answer(update: Update, context: Context) -> None:
    """The temperature of a member reported unwell on their behalf."""
    user, message = update.effective_user, update.effective_message
    assert user and message and message.text is not None
    now = context.now()
    async with context.transaction() as session:
        scope = await _scope(context, session, user.id)
        data = await leaders.read_draft(session, user.id, leaders.REPORT_FOR_DRAFT, now)
        if scope is None or data is None:
            await leaders.drop_draft(session, user.id)
            text = render.not_allowed() if scope is None else render.form_expired()
        else:
            try:
                temperature = parse_temperature(message.text)
            except TemperatureError as error:
                text = temperature_problem(error)  # the draft stays: they may try again
            else:
                await leaders.drop_draft(session, user.id)
                target, text = await _target(context, session, scope, int(data["member_id"]))
                if target is not None and f"{target.day:%Y%m%d}" != data.get("day"):
                    text = render.stale_report_for()
                elif target is not None:
                    result = await leaders.report_for(
                        session, scope, member_id=target.member_id, well=False,
                        temperature=temperature, now=now,
                        default_timezone=context.settings.default_timezone,
                        default_locale=context.settings.default_locale)
                    text = render.report_for_result(result)
    context.wake_dispatcher()
    await _reply(update, text)


# --- the alert's "handled" button ----------------------------------------------------------


async def alert_handled(update: Update, context: Context) -> None:
    """Record who handled the alert; the message shows it, the others are told."""
    query, user = update.callback_query, update.effective_user
    assert query and user
    alert_id = render_alerts.parse_handled_callback(query.data)
    if alert_id is None:
        from handlers.common import stale_button

        await stale_button(update, context)
        return
    async with context.transaction() as session:
        result = await alerts.mark_handled(
            session, alert_id=alert_id, telegram_user_id=user.id,
            admin_ids=context.settings.admin_telegram_ids, now=context.now(),
            default_timezone=context.settings.default_timezone,
            default_locale=context.settings.default_locale)
    context.wake_dispatcher()
    status = result.status
    await query.answer(render_alerts.handle_answer(status.value)[:200],
                       show_alert=status in (alerts.HandleStatus.NOT_ALLOWED,
                                             alerts.HandleStatus.NOT_FOUND))
    if result.view is not None and status in (alerts.HandleStatus.HANDLED,
                                              alerts.HandleStatus.ALREADY):
        try:
            await query.edit_message_text(render_alerts.alert_text(result.view),
                                          parse_mode=ParseMode.HTML)
        except BadRequest as error:  # pressed twice: the text already says so
            if "not modified" not in error.message:
                raise


async def alert_after_save(context: Context, saved: SaveResult | None) -> None:
    """Right after a member's report is saved: alert the chain if it is (or became) abnormal,
    or update those alerted. Its own transaction: if this is cut off, the tick's scan sends
    the alert within a minute."""
    if saved is None or not saved.changed:
        return
    if saved.created and saved.report.status is not ReportStatus.ABNORMAL:
        # A report stored just now has no alert (alerts are raised for abnormal reports
        # only): the check would open a transaction to find nothing. The one-tap path.
        return
    async with context.transaction() as session:
        result = await alerts.alert_report(
            session, report_id=saved.report.id, now=context.now(),
            default_timezone=context.settings.default_timezone,
            default_locale=context.settings.default_locale)
    if result.queued:
        context.wake_dispatcher()
