"""Admins' and leaders' organisation commands: /import (a roster file, its dry run, Confirm),
/invite, /setschedule, /members. Who may act on what is
services.members.leaves.Actor, checked again on every button.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.context import Context
from bot.render import admin as render
from bot.services.org import admin
from bot.services.org import unit_admin as admin_units
from bot.services.org.permissions import Actor
from bot.services.roster.file import MAX_ROSTER_BYTES
from handlers.family import keyboard

logger = logging.getLogger(__name__)

IMPORT_CAPTION = re.compile(r"^/import(?:@\w+)?(?:\s|$)")
_IMPORT = re.compile(r"im:(?:ok:([0-9a-f]{8})|no)")
_MEMBERS = re.compile(r"mb:(?:p:([0-9]{1,12}):([0-9]{1,6})|m:([0-9]{1,12}))")


def _args(context: Context) -> str:
    # Over-long arguments are refused by the parsers (they see one character too many).
    return " ".join(context.args or [])[:400]


async def _reply(update: Update, text: str, buttons: render.Buttons | None = None) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(
        text, parse_mode=ParseMode.HTML, reply_markup=keyboard(buttons) if buttons else None,
        disable_web_page_preview=True)


async def _scope(context: Context, session: AsyncSession, user_id: int) -> Actor | None:
    return context.manager


def _is_admin(scope: Actor | None) -> bool:
    return scope is not None and scope.root_path is None


# --- /import -------------------------------------------------------------------------------


async def start_import(update: Update, context: Context) -> None:
    """`/import`: the next document is a roster to check."""
    assert update.effective_user
    async with context.transaction() as session:
        if not _is_admin(await _scope(context, session, update.effective_user.id)):
            text = render.admins_only()
        else:
            await admin.await_file(session, update.effective_user.id, context.now())
            text = render.import_ask_file()
    await _reply(update, text)


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
        scope = await _scope(context, session, user.id)
        waiting = await admin.pending_import(session, user.id, now) is not None
    if not captioned and not waiting:  # /import's form expired meanwhile
        from handlers.common import other_message

        await other_message(update, context)
        return
    if not _is_admin(scope):
        await _reply(update, render.admins_only())
        return
    assert scope is not None
    document = message.document
    if document is None:
        await _reply(update, render.import_not_a_file())
        return
    if admin.too_large(document.file_size):  # before downloading anything
        await _reply(update, render.import_too_large(document.file_size or 0, MAX_ROSTER_BYTES))
        return
    data = await _download(context, document.file_id)
    if data is None:
        await _reply(update, render.import_download_failed())
        return
    if len(data) > MAX_ROSTER_BYTES:
        await _reply(update, render.import_too_large(len(data), MAX_ROSTER_BYTES))
        return
    async with context.transaction() as session:
        summary = await admin.preview_import(
            session, scope, user.id, data=data, file_id=document.file_id,
            file_name=document.file_name or "roster", now=now)
        pending = await admin.pending_import(session, user.id, now)
    token = pending.token if pending and pending.step is admin.ImportStep.CONFIRM else None
    text, buttons = render.import_preview(summary, token)
    await _reply(update, text, buttons)


async def import_text(update: Update, context: Context) -> None:
    """Text while /import waits for a file."""
    await _reply(update, render.import_ask_file())


async def import_button(update: Update, context: Context) -> None:
    """Confirm or cancel the import whose dry run is shown; the token must be the draft's."""
    query, user = update.callback_query, update.effective_user
    assert query and user and query.message
    match = _IMPORT.fullmatch(query.data or "")
    now = context.now()
    async with context.transaction() as session:
        scope = await _scope(context, session, user.id)
        pending = await admin.pending_import(session, user.id, now)
        if match and match[1] is None and pending is not None:
            await admin.drop_import(session, user.id)
    if match is None or not _is_admin(scope):
        await query.answer(render.admins_only() if match else None, show_alert=bool(match))
        return
    assert scope is not None
    if match[1] is None:
        await query.answer()
        await query.edit_message_reply_markup(None)
        await _reply(update, render.import_cancelled())
        return
    if pending is None or pending.step is not admin.ImportStep.CONFIRM \
            or pending.token != match[1]:
        await query.answer(render.import_expired(), show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    data = await _download(context, pending.file_id)
    if data is None:
        await _reply(update, render.import_download_failed())
        return
    if admin.fingerprint(data) != pending.sha256:
        await _reply(update, render.import_changed_file())
        return
    async with context.transaction() as session:
        # Another tap (or instance) may have applied it meanwhile: the draft decides.
        again = await admin.pending_import(session, user.id, now)
        if again is None or again.token != pending.token:
            text = render.import_expired()
        else:
            summary = await admin.apply_import(session, scope, user.id, pending, data=data,
                                               now=now)
            text = render.import_done(summary)
    await _reply(update, text)


# --- /invite -------------------------------------------------------------------------------


async def create_invite(update: Update, context: Context) -> None:
    """`/invite [UNIT] [role [uses [days]]]`: a t.me link that joins someone to the unit."""
    assert update.effective_user
    try:
        args = admin.parse_invite_args(_args(context))
    except admin.InvalidArgs as error:
        await _reply(update, render.invite_args_problem(error.code))
        return
    async with context.transaction() as session:
        scope = await _scope(context, session, update.effective_user.id)
        if scope is None:
            text = render.leaders_only()
        else:
            outcome = await admin.invite(session, scope, args, now=context.now())
            text = render.invite_result(outcome, context.bot.username,
                                        context.settings.default_timezone)
    await _reply(update, text)


# --- /setschedule --------------------------------------------------------------------------


async def set_schedule(update: Update, context: Context) -> None:
    """`/setschedule [UNIT] key=value…`: change a unit's schedule; without values, show it."""
    assert update.effective_user
    try:
        args = admin_units.parse_schedule_args(_args(context))
    except admin_units.InvalidSchedule as error:
        await _reply(update, render.schedule_problem(error.code, error.key, error.value))
        return
    now, zone = context.now(), context.settings.default_timezone
    async with context.transaction() as session:
        scope = await _scope(context, session, update.effective_user.id)
        if scope is None:
            await _reply(update, render.leaders_only())
            return
        status, unit, choices = await admin.resolve_unit(session, scope, args.query,
                                                         what="schedule", now=now)
        if unit is None:
            text = render.unit_problem(status.value, choices)
        elif not args.changes:
            text = render.schedule_text(await admin_units.schedule_view(session, unit, zone))
        else:
            try:
                text = render.schedule_text(await admin_units.set_schedule(
                    session, scope, unit, args.changes, now=now, default_timezone=zone))
            except admin_units.InvalidSchedule as error:
                text = render.schedule_problem(error.code, error.key, error.value)
    await _reply(update, text)


# --- /members ------------------------------------------------------------------------------


async def show_members(update: Update, context: Context) -> None:
    """`/members [UNIT]`: the members of a unit's subtree, a page at a time."""
    assert update.effective_user
    now, zone = context.now(), context.settings.default_timezone
    buttons: render.Buttons = []
    async with context.transaction() as session:
        scope = await _scope(context, session, update.effective_user.id)
        if scope is None:
            text = render.leaders_only()
        else:
            status, unit, choices = await admin.resolve_unit(
                session, scope, " ".join(_args(context).split())[:200], what="members",
                now=now)
            if unit is None:
                text = render.unit_problem(status.value, choices)
            else:
                page = await admin_units.member_page(session, unit, 0, now=now,
                                                     default_timezone=zone)
                text, buttons = render.members_text(page)
    await _reply(update, text, buttons)


async def members_button(update: Update, context: Context) -> None:
    """A page of /members, or one member's details (audited); both checked against the
    presser's scope."""
    query, user = update.callback_query, update.effective_user
    assert query and user and query.message
    match = _MEMBERS.fullmatch(query.data or "")
    now, zone = context.now(), context.settings.default_timezone
    buttons: render.Buttons = []
    async with context.transaction() as session:
        scope = await _scope(context, session, user.id)
        if match is None or scope is None:
            refusal = render.leaders_only() if match else None
            text = ""
        elif match[3] is not None:
            detail = await admin_units.member_detail(session, scope, int(match[3]), now=now,
                                                     default_timezone=zone)
            refusal = None if detail else render.member_refused()
            text = render.member_text(detail) if detail else ""
        else:
            from bot.db.models import Unit

            unit = await session.get(Unit, int(match[1]))
            if unit is None or not unit.active or not scope.covers(unit):
                refusal, text = render.member_refused(), ""
            else:
                refusal = None
                page = await admin_units.member_page(session, unit, int(match[2]), now=now,
                                                     default_timezone=zone)
                text, buttons = render.members_text(page)
    if not text:
        await query.answer(refusal or render.member_refused(), show_alert=True)
        return
    await query.answer()
    if match is not None and match[3] is not None:
        await query.get_bot().send_message(query.message.chat.id, text,
                                           parse_mode=ParseMode.HTML)
        return
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML,
                                      reply_markup=keyboard(buttons) if buttons else None)
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise
