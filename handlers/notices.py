"""/notice (compose a notice step by step), the recipients' acknowledge button, and /notices
(figures, drill-down, reminders). The form is services.notices.compose; the job that fans due
notices out and edits each sender's progress message is bot.runtime.notice_progress.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import CallbackQuery, Update
from telegram.error import BadRequest, NetworkError

from bot.context import Context
from bot.i18n import current_locale
from bot.outbox.send import send
from bot.outbox.sending import PayloadError, PayloadSender
from bot.render import notices as render
from bot.render.payloads import Buttons
from bot.runtime.notice_progress import run_notices
from bot.services.notices import broadcast, compose, figures
from bot.services.notices.compose import Action, Outcome, Reply
from handlers import tg
from handlers.common import other_message, stale_button

logger = logging.getLogger(__name__)

# What each outcome of the form says, when it is only words and buttons.
_TEXTS: dict[Outcome, Callable[[Reply], tuple[str, Buttons]]] = {
    Outcome.NOT_ALLOWED: lambda r: (render.not_allowed(), []),
    Outcome.EXPIRED: lambda r: (render.form_expired(), []),
    Outcome.USE_BUTTONS: lambda r: (render.use_buttons(), []),
    Outcome.CANCELLED: lambda r: (render.cancelled(), []),
    Outcome.ASK_CONTENT: lambda r: render.ask_content(),
    Outcome.TOO_LONG: lambda r: (render.content_problem("too_long"), [render.cancel_row()]),
    Outcome.EMPTY: lambda r: (render.content_problem("empty"), [render.cancel_row()]),
    Outcome.NOT_MEDIA: lambda r: (render.content_problem("media"), []),
    Outcome.ASK_TARGET: lambda r: render.ask_target(r.units, admin=r.admin),
    Outcome.UNIT_CHOICES: lambda r: render.unit_choices(r.units),
    Outcome.TARGET_REFUSED: lambda r: (render.target_refused(), []),
    Outcome.TARGET_LOST: lambda r: (render.target_refused(), [render.cancel_row()]),
    Outcome.NO_AUDIENCE: lambda r: (render.no_audience(), []),
    Outcome.ASK_ACK: lambda r: render.ask_ack(),
    Outcome.ASK_WHEN: lambda r: render.ask_when(r.timezone),
    # The reply says "or tap Now": it carries that button.
    Outcome.BAD_WHEN: lambda r: (render.when_problem(str(r.when_error)),
                                 [render.now_row(), render.cancel_row()]),
}


async def _show(update: Update, context: Context, reply: Reply) -> None:
    """The form's next message: the preview's copy first when there is one."""
    if reply.outcome is Outcome.NOT_CONTENT:
        await other_message(update, context)
        return
    if reply.outcome is Outcome.PREVIEW:
        assert reply.preview is not None
        text, buttons = await _preview(update, context, reply.preview)
    else:
        text, buttons = _TEXTS[reply.outcome](reply)
    await tg.send(update, text, buttons)


async def _preview(update: Update, context: Context,
                   preview: compose.Preview) -> tuple[str, Buttons]:
    chat = update.effective_chat
    assert chat is not None
    try:
        # A reply to the admin: it waits out a flood answer like any other (not paced).
        await PayloadSender(context.bot).send(chat.id, render.preview_payload(preview.copy),
                                              paced=False)
    except (BadRequest, PayloadError, NetworkError) as error:
        # What cannot be shown to the sender would fail for every recipient: no Send.
        logger.warning("a notice preview could not be shown in chat %s: %s", chat.id,
                       type(error).__name__)
        return render.preview_refused(), [render.cancel_row()]
    return render.preview_summary(
        target=render.target_label(preview.target, preview.leaders_only), total=preview.total,
        reachable=preview.reachable, ack=preview.ack, when=preview.when,
        timezone=preview.timezone)


# --- /notice --------------------------------------------------------------------------------


async def start_notice(update: Update, context: Context) -> None:
    """Begin a notice: leaders and admins only."""
    user = update.effective_user
    assert user
    async with context.transaction() as session:
        reply = await compose.start(session, context.manager, user.id, now=context.now())
    await _show(update, context, reply)


async def notice_answer(update: Update, context: Context) -> None:
    """Text sent while composing: the notice's text, a unit's name, or the schedule time."""
    user, message = update.effective_user, update.effective_message
    assert user and message and message.text is not None
    async with context.transaction() as session:
        reply = await compose.answer(
            session, context.manager, user.id, message.text,
            limit=render.content_limit(media=False),
            fallback_name=user.full_name or str(user.id), now=context.now(),
            default_timezone=context.settings.default_timezone)
    await _show(update, context, reply)


async def notice_media(update: Update, context: Context) -> None:
    """A photo or document with /notice's form open: the notice's content at that step."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    media: tuple[str, str] | None = None
    if message.photo:
        media = ("photo", message.photo[-1].file_id)
    elif message.document:
        media = ("document", message.document.file_id)
    async with context.transaction() as session:
        reply = await compose.attach(session, context.manager, user.id, message.caption or "",
                                     media, limit=render.content_limit(media=True),
                                     now=context.now())
    await _show(update, context, reply)


async def _press(update: Update, context: Context, action: Action, arg: str = "") -> None:
    """A button of the /notice form, checked against the draft's step and the rights."""
    query, user = update.callback_query, update.effective_user
    assert query and user and query.message
    author = compose.Author(user.id, user.full_name or str(user.id), current_locale(),
                            query.message.chat.id, query.message.message_id)
    text = ""
    async with context.transaction() as session:
        reply = await compose.press(session, context.manager, action, arg, author=author,
                                    now=context.now(),
                                    default_timezone=context.settings.default_timezone)
        if reply.outcome is Outcome.SENDING:
            assert reply.notice_id is not None
            text = render.progress_text(reply.notice_id, figures.Progress(pending=1))
            # What the summary now says: the notice job edits it only when figures change.
            await figures.record_progress(session, reply.notice_id, text=text,
                                          message_id=query.message.message_id, done=False)
        elif reply.outcome is Outcome.SCHEDULED:
            assert reply.scheduled_at is not None
            text = render.scheduled(reply.scheduled_at, reply.timezone)
    await query.answer()
    if reply.outcome in (Outcome.SENDING, Outcome.SCHEDULED):
        await _confirmed(context, query, reply, text)
    else:
        await _show(update, context, reply)


async def _confirmed(context: Context, query: CallbackQuery, reply: Reply, text: str) -> None:
    """The summary becomes the progress message (or says when the notice goes out)."""
    try:
        await tg.edit_or_keep(query, text)
    except BadRequest:
        logger.warning("notice %s: the summary message was not edited", reply.notice_id)
    if reply.outcome is Outcome.SENDING:  # fan out at once rather than at the job's next run
        context.application.create_task(run_notices(context.application))


async def notice_cancel(update: Update, context: Context) -> None:
    """nf:x — drop the form."""
    await _press(update, context, Action.CANCEL)


async def notice_target(update: Update, context: Context) -> None:
    """nf:o / nf:l — the whole organisation, or its (the sender's scope's) leaders."""
    assert update.callback_query
    decoded = render.FLOW_TARGET.decode(update.callback_query.data)
    if decoded is None:
        await stale_button(update, context)
        return
    await _press(update, context, Action(decoded[0]))


async def notice_unit(update: Update, context: Context) -> None:
    """nf:u:<unit> — a unit's subtree."""
    assert update.callback_query
    decoded = render.FLOW_UNIT.decode(update.callback_query.data)
    if decoded is None:
        await stale_button(update, context)
        return
    await _press(update, context, Action.UNIT, str(decoded[0]))


async def notice_ack(update: Update, context: Context) -> None:
    """nf:k:1|0 — ask for acknowledgement, or not."""
    assert update.callback_query
    decoded = render.FLOW_ACK.decode(update.callback_query.data)
    if decoded is None:
        await stale_button(update, context)
        return
    await _press(update, context, Action.ACK, decoded[0])


async def notice_now(update: Update, context: Context) -> None:
    """nf:n — send at once: the preview next."""
    await _press(update, context, Action.NOW)


async def notice_send(update: Update, context: Context) -> None:
    """nf:s — confirm."""
    await _press(update, context, Action.SEND)


# --- the recipient's acknowledge button -----------------------------------------------------


async def acknowledge(update: Update, context: Context) -> None:
    """na:<notice> — record the acknowledgement once; the tapped copy then shows it (✓ and
    the time) instead of the request and the button."""
    query, decoded = tg.pressed(update, render.ACKNOWLEDGE)
    user = update.effective_user
    assert user
    async with context.transaction() as session:
        result = await broadcast.acknowledge(session, notice_id=decoded[0],
                                             telegram_user_id=user.id, now=context.now())
        copy = None if result.status is broadcast.AckStatus.NOT_YOURS else (
            await broadcast.acknowledged_copy(
                session, notice_id=decoded[0], telegram_user_id=user.id,
                default_timezone=context.settings.default_timezone))
    refused = result.status is broadcast.AckStatus.NOT_YOURS
    await tg.answer(query, render.ack_answer(result.status.value)[:200], alert=refused)
    if copy is not None:
        await tg.edit_or_keep(query, render.notice_text(copy))


# --- /notices -------------------------------------------------------------------------------


async def show_notices(update: Update, context: Context) -> None:
    """Recent notices the asker may see, with delivered / acknowledged figures."""
    actor = context.manager
    buttons: Buttons = []
    async with context.transaction() as session:
        if actor is None:
            text = render.not_allowed()
        else:
            lines = await figures.recent(session, actor)
            zone = await compose.sender_zone(session, actor, context.settings.default_timezone)
            text, buttons = render.notices_list(lines, zone)
    await tg.send(update, text, buttons)


async def notice_detail(update: Update, context: Context) -> None:
    """nv:<notice> — drill into a notice: who has not acknowledged, who cannot be reached."""
    query, decoded = tg.pressed(update, render.LIST_VIEW)
    actor = context.manager
    buttons: Buttons = []
    async with context.transaction() as session:
        if actor is None:
            text = render.not_allowed()
        else:
            found = await figures.detail(session, actor, decoded[0], now=context.now())
            zone = await compose.sender_zone(session, actor, context.settings.default_timezone)
            text, buttons = (render.notice_detail(found, zone) if found
                             else (render.notice_not_found(), []))
    await query.answer()
    await tg.send(update, text, buttons)


async def notice_remind(update: Update, context: Context) -> None:
    """nr:<notice> — remind who has not acknowledged it."""
    query, decoded = tg.pressed(update, render.LIST_REMIND)
    actor, now = context.manager, context.now()
    async with context.transaction() as session:
        if actor is None:
            text = render.not_allowed()
        else:
            result = await figures.remind(session, actor, decoded[0], now=now,
                                          default_locale=context.settings.default_locale)
            if result.status is figures.RemindStatus.SENT:
                queued = await send(session, result.items, now=now)
                result = await figures.reminded(session, actor, decoded[0],
                                                queued=len(queued), now=now)
            zone = await compose.sender_zone(session, actor, context.settings.default_timezone)
            text = render.remind_result(result, zone)
    context.wake_dispatcher()
    await query.answer()
    await tg.send(update, text)
