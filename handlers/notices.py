"""/notice (compose a notice step by step), the recipients' acknowledge button, and /notices
(figures, drill-down, reminders). The job that fans due notices out and edits each sender's
progress message is bot.runtime.notice_progress.

The form in progress is the sender's Draft row (kind "notice"): a restart mid-flow loses
nothing. Rights are checked again on every step and every button.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update, User
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import Context
from bot.db.models import Member, Unit
from bot.i18n import current_locale
from bot.outbox.sending import PayloadError, PayloadSender
from bot.render import notices as render
from bot.render.payloads import Payload
from bot.runtime.notice_progress import run_notices
from bot.services.notices import broadcast as notices
from bot.services.notices import figures
from bot.services.notices.broadcast import NoticeDraft, Step
from bot.services.org.contacts import find_units
from bot.services.org.permissions import Actor
from bot.services.reports.schedule import schedule_for
from handlers.family import keyboard

logger = logging.getLogger(__name__)

async def _scope(context: Context, session: AsyncSession, user_id: int) -> Actor | None:
    return context.manager


async def _zone(context: Context, session: AsyncSession, scope: Actor | None) -> str:
    unit = await session.get(Unit, scope.root_unit_id) if scope and scope.root_unit_id else None
    if unit is None:
        return context.settings.default_timezone
    return (await schedule_for(session, unit, context.settings.default_timezone)).timezone


async def _send(context: Context, chat_id: int, text: str,
                buttons: render.Buttons | None = None) -> Message:
    return await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML,
                                          reply_markup=keyboard(buttons) if buttons else None)


def _stale_answer(update: Update, context: Context) -> Any:
    from handlers.common import stale_button

    return stale_button(update, context)


# --- /notice --------------------------------------------------------------------------------


async def start_notice(update: Update, context: Context) -> None:
    """Begin a notice: leaders and admins only."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    buttons: render.Buttons = []
    async with context.transaction() as session:
        scope = await _scope(context, session, user.id)
        if scope is None:
            text = render.not_allowed()
        else:
            await notices.save_draft(session, user.id, NoticeDraft(), context.now())
            text, buttons = render.ask_content()
    await _send(context, message.chat.id, text, buttons)


async def _target_step(session: AsyncSession, scope: Actor) -> tuple[str, render.Buttons]:
    units = await notices.scope_units(session, scope)
    return render.ask_target(units, admin=scope.root_path is None)


async def _content(context: Context, user_id: int, chat_id: int, text: str,
                   media: tuple[str, str] | None) -> None:
    """The notice's text (and media): stored, then the target step."""
    limit = notices.MAX_CAPTION if media else notices.MAX_TEXT
    now = context.now()
    buttons: render.Buttons = []
    async with context.transaction() as session:
        scope = await _scope(context, session, user_id)
        draft = await notices.read_draft(session, user_id, now)
        if scope is None:
            await notices.drop_draft(session, user_id)
            reply = render.not_allowed()
        elif draft is None:
            reply = render.form_expired()
        elif draft.step is not Step.CONTENT:
            reply = render.use_buttons()
        elif len(text) > limit:
            reply, buttons = render.content_problem("too_long"), [render.cancel_row()]
        elif not text.strip() and media is None:
            reply, buttons = render.content_problem("empty"), [render.cancel_row()]
        else:
            draft.text = text.strip()
            draft.media_kind, draft.media_file_id = media or (None, None)
            draft.step = Step.TARGET
            await notices.save_draft(session, user_id, draft, now)
            reply, buttons = await _target_step(session, scope)
    await _send(context, chat_id, reply, buttons)


async def notice_answer(update: Update, context: Context) -> None:
    """Text sent while composing: the notice's text, a unit's name, or the schedule time."""
    user, message = update.effective_user, update.effective_message
    assert user and message and message.text is not None
    now = context.now()
    async with context.transaction() as session:
        draft = await notices.read_draft(session, user.id, now)
        step = draft.step if draft else None
    if step is None or step is Step.CONTENT:
        await _content(context, user.id, message.chat.id, message.text, None)
        return
    buttons: render.Buttons = []
    preview: Payload | None = None
    async with context.transaction() as session:
        scope = await _scope(context, session, user.id)
        draft = await notices.read_draft(session, user.id, now)
        if scope is None or draft is None:
            reply = render.not_allowed() if scope is None else render.form_expired()
        elif draft.step is Step.TARGET:
            found = await find_units(session, scope, message.text[:200])
            reply, buttons = render.unit_choices([(u.unit_id, u.names) for u in found])
        elif draft.step is Step.WHEN:
            zone = await _zone(context, session, scope)
            try:
                draft.scheduled_at = notices.parse_when(message.text, now=now, timezone=zone)
            except notices.InvalidWhen as invalid:
                reply, buttons = render.when_problem(invalid.code), [render.cancel_row()]
            else:
                preview, reply, buttons = await _preview(context, session, scope, draft, user)
        else:
            reply = render.use_buttons()
    await _show_preview(context, message.chat.id, preview)
    await _send(context, message.chat.id, reply, buttons)


async def notice_media(update: Update, context: Context) -> None:
    """A photo or document with /notice's form open: the notice's content at that step."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    async with context.transaction() as session:
        draft = await notices.read_draft(session, user.id, context.now())
    if draft is None or draft.step is not Step.CONTENT:
        from handlers.common import other_message

        await other_message(update, context)
        return
    if message.photo:
        media = ("photo", message.photo[-1].file_id)
    elif message.document:
        media = ("document", message.document.file_id)
    else:
        await _send(context, message.chat.id, render.content_problem("media"))
        return
    await _content(context, user.id, message.chat.id, message.caption or "", media)


async def _preview(context: Context, session: AsyncSession, scope: Actor, draft: NoticeDraft,
                   user: User) -> tuple[Payload | None, str, render.Buttons]:
    """The notice as recipients will see it, and the summary with Send / Cancel."""
    now = context.now()
    target = await notices.resolve_target(session, scope, draft, now=now)
    if target is None:
        return None, render.target_refused(), [render.cancel_row()]
    size = await notices.audience_size(session, target, scope.member_id)
    draft.step = Step.PREVIEW
    await notices.save_draft(session, user.id, draft, now)
    zone = await _zone(context, session, scope)
    view = render.NoticeView(0, await _author_name(session, scope, user), target.names,
                             draft.text, draft.media_kind, draft.media_file_id, bool(draft.ack))
    payload = render.notice_payload(view)
    payload.pop("reply_markup", None)  # the preview's button would acknowledge nothing
    text, buttons = render.preview_summary(
        target=render.target_label(target.names, target.leaders_only), total=size.total,
        reachable=size.reachable, ack=bool(draft.ack), when=draft.scheduled_at, timezone=zone)
    return payload, text, buttons


async def _show_preview(context: Context, chat_id: int, payload: Payload | None) -> None:
    if payload is None:
        return
    try:
        await PayloadSender(context.bot).send(chat_id, payload)
    except (BadRequest, PayloadError):
        logger.warning("a notice preview could not be shown in chat %s", chat_id)


async def _author_name(session: AsyncSession, scope: Actor, user: User) -> str:
    member = await session.get(Member, scope.member_id) if scope.member_id else None
    return member.name if member is not None else (user.full_name or str(user.id))


_STEP_OF = {"o": Step.TARGET, "l": Step.TARGET, "u": Step.TARGET, "k": Step.ACK,
            "n": Step.WHEN, "s": Step.PREVIEW}


async def notice_button(update: Update, context: Context) -> None:
    """A button of the /notice flow (nf:…): checked against the draft's step and the rights."""
    query, user = update.callback_query, update.effective_user
    assert query and user and query.message
    data = (query.data or "").split(":")
    action, arg = data[1] if len(data) > 1 else "", data[2] if len(data) > 2 else ""
    chat_id, now = query.message.chat.id, context.now()
    buttons: render.Buttons = []
    preview: Payload | None = None
    confirmed: tuple[int, str, bool] | None = None
    async with context.transaction() as session:
        scope = await _scope(context, session, user.id)
        draft = await notices.read_draft(session, user.id, now)
        if action == "x":
            await notices.drop_draft(session, user.id)
            reply = render.cancelled()
        elif scope is None:
            await notices.drop_draft(session, user.id)
            reply = render.not_allowed()
        elif draft is None:
            reply = render.form_expired()
        elif _STEP_OF.get(action) is not draft.step:
            reply = render.use_buttons()
        elif action in ("o", "l", "u"):
            draft.target = {"o": "org", "l": "leaders", "u": "unit"}[action]
            draft.unit_id = int(arg) if action == "u" else None
            target = await notices.resolve_target(session, scope, draft, now=now)
            if target is None:
                reply = render.target_refused()
            elif (await notices.audience_size(session, target, scope.member_id)).total == 0:
                reply = render.no_audience()
            else:
                draft.step = Step.ACK
                await notices.save_draft(session, user.id, draft, now)
                reply, buttons = render.ask_ack()
        elif action == "k":
            draft.ack, draft.step = arg == "1", Step.WHEN
            await notices.save_draft(session, user.id, draft, now)
            reply, buttons = render.ask_when(await _zone(context, session, scope))
        elif action == "n":
            draft.scheduled_at = None
            preview, reply, buttons = await _preview(context, session, scope, draft, user)
        else:  # "s": confirm
            confirmed, reply, buttons = await _confirm(context, session, scope, draft, user,
                                                       chat_id, query.message.message_id)
    await query.answer()
    if confirmed is not None:
        await _after_confirm(context, query.message, *confirmed)
        return
    await _show_preview(context, chat_id, preview)
    await _send(context, chat_id, reply, buttons)


async def _confirm(context: Context, session: AsyncSession, scope: Actor, draft: NoticeDraft,
                   user: User, chat_id: int, summary_id: int
                   ) -> tuple[tuple[int, str, bool] | None, str, render.Buttons]:
    """Create the notice (the draft goes in the same transaction: a second press finds no
    form). Returns (notice id, the summary's new text, sent at once?)."""
    now = context.now()
    target = await notices.resolve_target(session, scope, draft, now=now)
    if target is None:
        return None, render.target_refused(), [render.cancel_row()]
    if draft.scheduled_at is not None and draft.scheduled_at <= now:
        draft.scheduled_at = None  # the time passed while previewing: send now
    notice = await notices.create_notice(
        session, scope, draft, target, author_telegram_id=user.id,
        author_name=await _author_name(session, scope, user), author_locale=current_locale(),
        progress_chat_id=chat_id, progress_message_id=summary_id, now=now)
    await notices.drop_draft(session, user.id)
    if draft.scheduled_at is None:
        text = render.progress_text(notice.id, figures.Progress(pending=1))
        notice.progress_text = text
        return (notice.id, text, True), "", []
    zone = await _zone(context, session, scope)
    return (notice.id, render.scheduled(draft.scheduled_at, zone), False), "", []


async def _after_confirm(context: Context, summary: Any, notice_id: int, text: str,
                         now: bool) -> None:
    try:
        await summary.edit_text(text, parse_mode=ParseMode.HTML)
    except BadRequest:
        logger.warning("notice %s: the summary message was not edited", notice_id)
    if now:  # fan out at once rather than at the job's next run
        context.application.create_task(run_notices(context.application))


# --- the recipient's acknowledge button -----------------------------------------------------


async def acknowledge(update: Update, context: Context) -> None:
    """Record the acknowledgement once and take the button away."""
    query, user = update.callback_query, update.effective_user
    assert query and user
    notice_id = render.parse_id(query.data, "na:")
    if notice_id is None:
        await _stale_answer(update, context)
        return
    async with context.transaction() as session:
        result = await notices.acknowledge(session, notice_id=notice_id,
                                           telegram_user_id=user.id, now=context.now())
    refused = result.status is notices.AckStatus.NOT_YOURS
    await query.answer(render.ack_answer(result.status.value)[:200], show_alert=refused)
    if not refused:
        try:
            await query.edit_message_reply_markup(None)
        except BadRequest:  # already without its button
            pass


# --- /notices -------------------------------------------------------------------------------


async def show_notices(update: Update, context: Context) -> None:
    """Recent notices the asker may see, with delivered / acknowledged figures."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    buttons: render.Buttons = []
    async with context.transaction() as session:
        scope = await _scope(context, session, user.id)
        if scope is None:
            text = render.not_allowed()
        else:
            lines = await figures.recent(session, scope)
            text, buttons = render.notices_list(lines, await _zone(context, session, scope))
    await _send(context, message.chat.id, text, buttons)


async def notices_button(update: Update, context: Context) -> None:
    """nv:<id> drill into a notice; nr:<id> remind who has not acknowledged it."""
    query, user = update.callback_query, update.effective_user
    assert query and user and query.message
    data = query.data or ""
    view, again = render.parse_id(data, "nv:"), render.parse_id(data, "nr:")
    if view is None and again is None:
        await _stale_answer(update, context)
        return
    buttons: render.Buttons = []
    now = context.now()
    async with context.transaction() as session:
        scope = await _scope(context, session, user.id)
        if scope is None:
            text = render.not_allowed()
        elif view is not None:
            found = await figures.detail(session, scope, view, now=now)
            zone = await _zone(context, session, scope)
            text, buttons = (render.notice_detail(found, zone) if found
                             else (render.notice_not_found(), []))
        else:
            assert again is not None
            result = await figures.remind(session, scope, again, now=now,
                                          default_locale=context.settings.default_locale)
            text = render.remind_result(result, await _zone(context, session, scope))
    context.wake_dispatcher()
    await query.answer()
    await _send(context, query.message.chat.id, text, buttons)
