"""Admins' and leaders' organisation commands: /import (a roster file, its dry run, Confirm),
/invite, /setschedule, /members. Who may act on what is the update's actor
(bot.services.org.permissions), checked again on every button; the import's draft is
bot.services.org.admin's.
"""

from __future__ import annotations

import logging
import re

from telegram import Update
from telegram.error import TelegramError

from bot.context import Context
from bot.i18n import current_locale
from bot.render import admin as render
from bot.render.payloads import Buttons
from bot.render.schedule_form import schedule_buttons
from bot.services.org import admin
from bot.services.org import unit_admin as admin_units
from bot.services.roster.file import MAX_ROSTER_BYTES
from handlers import tg
from handlers.common import other_message

logger = logging.getLogger(__name__)

IMPORT_CAPTION = re.compile(r"^/import(?:@\w+)?(?:\s|$)")


def _args(context: Context) -> str:
    # Over-long arguments are refused by the parsers (they see one character too many).
    return " ".join(context.args or [])[:400]


# --- /import -------------------------------------------------------------------------------


async def start_import(update: Update, context: Context) -> None:
    """`/import`: the next document is a roster to check."""
    assert update.effective_user
    if not context.actor.is_admin:
        await tg.reply(update, render.admins_only())
        return
    async with context.transaction() as session:
        await admin.await_file(session, update.effective_user.id, context.now())
    await tg.reply(update, render.import_ask_file())


async def _download(context: Context, file_id: str) -> bytes | None:
    try:
        file = await context.bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())
    except TelegramError as error:
        logger.warning("roster download failed: %s", error)
        return None


async def import_file(update: Update, context: Context) -> None:
    """A photo or document captioned /import or sent after /import: a roster."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    captioned = bool(IMPORT_CAPTION.match(message.caption or ""))
    now = context.now()
    async with context.transaction() as session:
        waiting = await admin.pending_import(session, user.id, now) is not None
    if not captioned and not waiting:  # /import's form expired meanwhile
        await other_message(update, context)
        return
    if not context.actor.is_admin:
        await tg.reply(update, render.admins_only())
        return
    document = message.document
    if document is None:
        await tg.reply(update, render.import_not_a_file())
        return
    if admin.too_large(document.file_size):  # before downloading anything
        await tg.reply(update, render.import_too_large(document.file_size or 0,
                                                       MAX_ROSTER_BYTES))
        return
    data = await _download(context, document.file_id)
    if data is None:
        await tg.reply(update, render.import_download_failed())
        return
    if len(data) > MAX_ROSTER_BYTES:
        await tg.reply(update, render.import_too_large(len(data), MAX_ROSTER_BYTES))
        return
    async with context.transaction() as session:
        summary, token = await admin.preview_import(
            session, context.actor, user.id, data=data, file_id=document.file_id,
            file_name=document.file_name or "roster", now=now)
    await tg.reply(update, *render.import_preview(summary, token))


async def import_text(update: Update, context: Context) -> None:
    """Text while /import waits for a file."""
    await tg.reply(update, render.import_ask_file())


async def import_cancel(update: Update, context: Context) -> None:
    """`im:no`: the dry run shown is not applied."""
    query, user = update.callback_query, update.effective_user
    assert query and user
    async with context.transaction() as session:
        await admin.drop_import(session, user.id)
    if not context.actor.is_admin:
        await tg.answer(query, render.admins_only(), alert=True)
        return
    await tg.answer(query)
    await tg.keep_buttons_or_drop(query, None)
    await tg.reply(update, render.import_cancelled())


async def import_confirm(update: Update, context: Context) -> None:
    """`im:ok:<token>`: apply the dry run shown; the token must be the draft's."""
    query, user = update.callback_query, update.effective_user
    assert query and user
    decoded = render.IMPORT_CONFIRM.decode(query.data)
    now = context.now()
    async with context.transaction() as session:
        pending = None if decoded is None else await admin.confirmable(
            session, user.id, decoded[0], now)
    if decoded is None:
        await tg.answer(query)
        return
    if not context.actor.is_admin:
        await tg.answer(query, render.admins_only(), alert=True)
        return
    if pending is None:
        await tg.answer(query, render.import_expired(), alert=True)
        return
    await tg.answer(query)
    await tg.keep_buttons_or_drop(query, None)
    data = await _download(context, pending.file_id)
    if data is None:
        await tg.reply(update, render.import_download_failed())
        return
    async with context.transaction() as session:
        applied, summary = await admin.apply_confirmed(session, context.actor, user.id,
                                                       pending, data=data, now=now)
    if applied is admin.Applied.CHANGED_FILE:
        await tg.reply(update, render.import_changed_file())
    elif summary is None:
        await tg.reply(update, render.import_expired())
    else:
        await tg.reply(update, render.import_done(summary))


# --- /invite -------------------------------------------------------------------------------


async def create_invite(update: Update, context: Context) -> None:
    """`/invite [UNIT] [role [uses [days]]]`: a t.me link that joins someone to the unit."""
    try:
        args = admin.parse_invite_args(_args(context))
    except admin.InvalidArgs as error:
        await tg.reply(update, render.invite_args_problem(error.code))
        return
    manager = context.manager
    if manager is None:
        await tg.reply(update, render.leaders_only())
        return
    async with context.transaction() as session:
        outcome = await admin.invite(session, manager, args, now=context.now())
    await tg.reply(update, render.invite_result(outcome, context.bot.username,
                                                context.settings.default_timezone))


# --- /setschedule --------------------------------------------------------------------------


async def set_schedule(update: Update, context: Context) -> None:
    """`/setschedule [UNIT] key=value…`: change a unit's schedule; without values, show it."""
    try:
        args = admin_units.parse_schedule_args(_args(context))
    except admin_units.InvalidSchedule as error:
        await tg.reply(update, render.schedule_problem(error.code, error.key, error.value))
        return
    manager = context.manager
    if manager is None:
        await tg.reply(update, render.leaders_only())
        return
    now, zone = context.now(), context.settings.default_timezone
    buttons: Buttons = []
    async with context.transaction() as session:
        status, unit, choices = await admin.resolve_unit(session, manager, args.query,
                                                         what="schedule", now=now)
        if unit is None:
            text = render.unit_problem(status.value, choices)
        elif not args.changes:
            text = render.schedule_text(await admin_units.schedule_view(session, unit, zone))
            buttons = schedule_buttons(unit.id)  # each setting a button, for those who tap
        else:
            try:
                text = render.schedule_text(await admin_units.set_schedule(
                    session, manager, unit, args.changes, now=now, default_timezone=zone))
                buttons = schedule_buttons(unit.id)
            except admin_units.InvalidSchedule as error:
                text = render.schedule_problem(error.code, error.key, error.value)
    await tg.reply(update, text, buttons)


# --- /members ------------------------------------------------------------------------------


async def show_members(update: Update, context: Context) -> None:
    """`/members [UNIT]`: the members of a unit's subtree, a page at a time."""
    manager = context.manager
    if manager is None:
        await tg.reply(update, render.leaders_only())
        return
    now, zone = context.now(), context.settings.default_timezone
    buttons: Buttons = []
    async with context.transaction() as session:
        status, unit, choices = await admin.resolve_unit(
            session, manager, " ".join(_args(context).split())[:200], what="members", now=now)
        if unit is None:
            text = render.unit_problem(status.value, choices)
        else:
            page = await admin_units.member_page(session, unit, 0, now=now,
                                                 default_timezone=zone, locale=current_locale())
            text, buttons = render.members_text(page)
    await tg.reply(update, text, buttons)


async def members_page(update: Update, context: Context) -> None:
    """`mb:p:<unit>:<page>`: another page of /members, checked against the presser's scope."""
    query = update.callback_query
    assert query
    decoded = render.MEMBERS_PAGE.decode(query.data)
    manager = context.manager
    if decoded is None or manager is None:
        await tg.answer(query, render.member_refused() if decoded is None
                        else render.leaders_only(), alert=True)
        return
    async with context.transaction() as session:
        page = await admin_units.covered_page(
            session, manager, decoded[0], decoded[1], now=context.now(),
            default_timezone=context.settings.default_timezone, locale=current_locale())
    if page is None:
        await tg.answer(query, render.member_refused(), alert=True)
        return
    await tg.answer(query)
    await tg.edit_or_keep(query, *render.members_text(page))


async def member_details(update: Update, context: Context) -> None:
    """`mb:m:<member>`: one member's details (audited), for a member of the presser's scope."""
    query = update.callback_query
    assert query
    decoded = render.MEMBER.decode(query.data)
    manager = context.manager
    if decoded is None or manager is None:
        await tg.answer(query, render.member_refused() if decoded is None
                        else render.leaders_only(), alert=True)
        return
    async with context.transaction() as session:
        detail = await admin_units.member_detail(
            session, manager, decoded[0], now=context.now(),
            default_timezone=context.settings.default_timezone)
    if detail is None:
        await tg.answer(query, render.member_refused(), alert=True)
        return
    await tg.answer(query)
    await tg.send(update, render.member_text(detail))
