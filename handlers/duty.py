"""/duty, the leaders' roster commands (/shifts, /shift_add, /shift_assign, /duty_import),
confirming and swapping shifts. Messages to other people go through the outbox."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import Context
from bot.db.models import Member, Shift, Unit
from bot.i18n import resolve_locale, use_locale
from bot.outbox.queue import enqueue
from bot.render import duty as render
from bot.render.onboarding import not_linked
from bot.render.payloads import Payload
from bot.services.drafts import DraftKind
from bot.services.duty import shifts as duty
from bot.services.duty.file import ShiftArgsError, parse_shift_add, parse_shift_assign, read_duty
from bot.services.duty.importer import import_duty
from bot.services.duty.volunteers import drop_draft, put_draft, read_draft
from bot.services.members.leaves import FindStatus, find_members
from bot.services.org.accounts import member_for
from bot.services.org.permissions import Actor
from bot.services.org.recipients import chain_for
from bot.services.roster.file import MAX_ROSTER_BYTES
from handlers.family import keyboard, plain_text

DUTY_IMPORT_DRAFT = DraftKind.DUTY_IMPORT
DUTY_SWAP_DRAFT = DraftKind.DUTY_SWAP
MAX_ANSWER = 200


async def reply_html(update: Update, text: str,
                     buttons: list[list[tuple[str, str]]] | None = None) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(
        text, parse_mode=ParseMode.HTML, reply_markup=keyboard(buttons) if buttons else None)


async def _scope(context: Context, session: AsyncSession, user_id: int) -> Actor | None:
    return context.manager


Buttons = list[list[tuple[str, str]]]


async def show_duty(update: Update, context: Context) -> None:
    """Today's duty in the asker's unit (leaders: their subtree by post) and their own shifts."""
    user = update.effective_user
    assert user
    async with context.transaction() as session:
        text, buttons = await _duty_view(context, session, user.id)
    await reply_html(update, text, buttons)


async def _duty_view(context: Context, session: AsyncSession, user_id: int
                     ) -> tuple[str, Buttons]:
    now, zone = context.now(), context.settings.default_timezone
    member = await member_for(session, user_id)
    scope = await _scope(context, session, user_id)
    if scope is not None:
        views = await duty.shifts_on(session, scope.root_path, now=now, default_timezone=zone)
        text = render.duty_today(views, title=render.subtree_title(scope.root_path is None),
                                 with_unit=True)
    elif member is not None:
        unit = await session.get(Unit, member.unit_id)
        assert unit is not None
        views = [v for v in await duty.shifts_on(session, unit.path, now=now,
                                                 default_timezone=zone)
                 if v.unit_id == unit.id]
        text = render.duty_today(views, title=unit.name, with_unit=False)
    else:
        return not_linked(), []
    if member is None:
        return text, []
    mine, buttons = render.my_shifts(await duty.member_shifts(
        session, member.id, now=now, default_timezone=zone))
    return (text + "\n\n" + mine if mine else text), buttons


async def show_shifts(update: Update, context: Context) -> None:
    """Leaders: the coming week's shifts of their subtree, with remove buttons."""
    user = update.effective_user
    assert user
    text: str = render.not_allowed()
    buttons: Buttons = []
    async with context.transaction() as session:
        scope = await _scope(context, session, user.id)
        if scope is not None:
            text, buttons = render.shifts_list(await duty.shifts_on(
                session, scope.root_path, now=context.now(),
                default_timezone=context.settings.default_timezone, days_ahead=7))
    await reply_html(update, text, buttons)


async def _find_one(session: AsyncSession, scope: Actor, query: str, context: Context
                    ) -> tuple[int | None, str]:
    """The member named by `query` in the scope, or the reply explaining why not."""
    found = await find_members(session, scope, query, now=context.now())
    if found.status is FindStatus.OUTSIDE_SCOPE:
        return None, render.edit_reply(duty.EditResult(duty.EditStatus.OUTSIDE_SCOPE), "add")
    if found.status is not FindStatus.FOUND:
        return None, render.no_match(query)
    if len(found.candidates) > 1:
        return None, render.many_matches([c.name for c in found.candidates])
    return found.candidates[0].member_id, ""


async def add_shift(update: Update, context: Context) -> None:
    """`/shift_add DATE START-END POST / NAME`: a leader adds a shift in their subtree."""
    user = update.effective_user
    assert user
    async with context.transaction() as session:
        reply = await _add(context, session, user.id, " ".join(context.args or []))
    await reply_html(update, reply)


async def _add(context: Context, session: AsyncSession, user_id: int, text: str) -> str:
    scope = await _scope(context, session, user_id)
    if scope is None:
        return render.not_allowed()
    try:
        args = parse_shift_add(text)
    except ShiftArgsError:
        return render.shift_add_usage()
    member_id, problem = await _find_one(session, scope, args.query, context)
    if member_id is None:
        return problem
    result = await duty.add_shift(session, scope, member_id=member_id, day=args.day,
                                  start=args.start, end=args.end, post=args.post,
                                  now=context.now())
    return render.edit_reply(result, "add")


async def assign_shift(update: Update, context: Context) -> None:
    """`/shift_assign ID NAME`: a leader hands a shift to someone else in their subtree."""
    user = update.effective_user
    assert user
    async with context.transaction() as session:
        reply = await _assign(context, session, user.id, " ".join(context.args or []))
    await reply_html(update, reply)


async def _assign(context: Context, session: AsyncSession, user_id: int, text: str) -> str:
    scope = await _scope(context, session, user_id)
    if scope is None:
        return render.not_allowed()
    try:
        shift_id, query = parse_shift_assign(text)
    except ShiftArgsError:
        return render.shift_assign_usage()
    member_id, problem = await _find_one(session, scope, query, context)
    if member_id is None:
        return problem
    result = await duty.assign_shift(session, scope, shift_id=shift_id, member_id=member_id,
                                     now=context.now())
    return render.edit_reply(result, "assign")


async def start_import(update: Update, context: Context) -> None:
    """`/duty_import [skip]`: the next file the leader sends is a duty roster."""
    user = update.effective_user
    assert user
    skip = " ".join(context.args or []).strip().casefold() in ("skip", "跳过")
    reply = render.not_allowed()
    async with context.transaction() as session:
        if await _scope(context, session, user.id) is not None:
            await put_draft(session, user.id, DUTY_IMPORT_DRAFT, {"skip": skip}, context.now())
            reply = render.import_prompt()
    await reply_html(update, reply)


async def duty_document(update: Update, context: Context) -> None:
    """A document sent with /duty_import's form open: the duty roster."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    async with context.transaction() as session:
        draft = await read_draft(session, user.id, DUTY_IMPORT_DRAFT, context.now())
    if draft is None or message.document is None:  # the form expired meanwhile
        from handlers.common import other_message

        await other_message(update, context)
        return
    document = message.document
    if (document.file_size or 0) > MAX_ROSTER_BYTES:
        await reply_html(update, render.file_too_large())
        return
    file = await context.bot.get_file(document.file_id)
    data = bytes(await file.download_as_bytearray())
    parsed = read_duty(data, filename=document.file_name or "roster.csv")
    if parsed.problems:
        from bot.render.roster import describe_problem

        await reply_html(update, describe_problem(parsed.problems[0]))
        return
    reply = render.not_allowed()
    async with context.transaction() as session:
        scope = await _scope(context, session, user.id)
        if scope is not None:
            summary = await import_duty(
                session, parsed, scope=scope, now=context.now(),
                skip_bad=bool(draft.get("skip")), actor=scope.audit_name,
                source=(document.file_name or "")[:128])
            if not summary.stopped:
                await drop_draft(session, user.id)
            reply = "\n".join(render.import_lines(summary))
    await reply_html(update, reply)


# --- buttons: confirm, swap, remove ----------------------------------------------------------


async def queue_note(context: Context, session: AsyncSession, member_id: int, key: str,
                 build: Callable[[], Payload]) -> bool:
    """Queue a message for a member, rendered in their language; False if unreachable."""
    recipient = await duty.reach(session, member_id)
    if recipient is None:
        return False
    with use_locale(resolve_locale(recipient.locale, recipient.language_code,
                                   context.settings.default_locale)):
        payload: Payload = build()
    await enqueue(session, dedup_key=key, kind=duty.KIND_DUTY_NOTE,
                  chat_id=recipient.chat_id, payload=payload, member_id=member_id,
                  now=context.now())
    return True


async def duty_button(update: Update, context: Context) -> None:
    """dc: confirm, dw: ask to swap, dsa/dsd: answer a swap, dx: remove (leaders)."""
    query, user = update.callback_query, update.effective_user
    assert query and user
    parsed = render.parse_duty_callback(query.data)
    if parsed is None:
        from handlers.common import stale_button

        await stale_button(update, context)
        return
    action, ident = parsed
    now = context.now()
    reply, send = "", ""
    drop_buttons = False
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        if action == "dx":
            scope = await _scope(context, session, user.id)
            if scope is None:
                reply = render.not_allowed()
            else:
                send = render.edit_reply(
                    await duty.cancel_shift(session, scope, shift_id=ident, now=now), "remove")
                reply = plain_text(send)
        elif member is None:
            reply = not_linked()
        elif action == "dc":
            status, _shift = await duty.confirm_shift(session, member_id=member.id,
                                                      shift_id=ident, now=now)
            reply = render.confirm_reply(status)
            drop_buttons = status is duty.ConfirmStatus.CONFIRMED
        elif action == "dw":
            shift = await session.get(Shift, ident)
            if shift is None or shift.cancelled or shift.member_id != member.id:
                reply = render.swap_reply(duty.SwapOutcome.NOT_YOURS)
            else:
                await put_draft(session, user.id, DUTY_SWAP_DRAFT, {"shift": ident}, now)
                reply = send = render.swap_ask_name()
        else:
            result = await duty.answer_swap(session, member_id=member.id, request_id=ident,
                                            accept=action == "dsa", now=now)
            # Someone else's request (or a forged id) reads like an answered one.
            reply = render.swap_reply(duty.SwapOutcome.GONE if result.outcome
                                      is duty.SwapOutcome.NOT_YOURS else result.outcome)
            drop_buttons = result.outcome is not duty.SwapOutcome.NOT_YOURS
            if result.outcome in (duty.SwapOutcome.ACCEPTED, duty.SwapOutcome.DECLINED):
                await _tell_swap(context, session, member, result)
    await query.answer(plain_text(reply)[:200])
    if send and query.message is not None:
        await query.get_bot().send_message(query.message.chat.id, send,
                                           parse_mode=ParseMode.HTML)
    if drop_buttons:
        try:
            await query.edit_message_reply_markup(None)
        except BadRequest:
            pass
    context.wake_dispatcher()


async def _tell_swap(context: Context, session: AsyncSession, member: Member,
                     result: duty.SwapResult) -> None:
    shift, request = result.shift, result.request
    assert shift is not None and request is not None
    accepted = result.outcome is duty.SwapOutcome.ACCEPTED
    old = await session.get(Member, request.from_member_id)
    await queue_note(context, session, request.from_member_id,
                 duty.duty_key(shift.id, f"swapreply{request.id}", request.from_member_id),
                 lambda: render.swap_answer_payload(
                     colleague=member.name, accepted=accepted, post=shift.post, day=shift.day,
                     start=shift.start, end=shift.end))
    if not accepted:
        return
    chain = await chain_for(session, shift.unit_id)
    for r in chain.recipients:
        await queue_note(context, session, r.member_id,
                     duty.duty_key(shift.id, f"swapped{request.id}", r.member_id),
                     lambda: render.swap_leader_payload(
                         from_name=old.name if old else "?", to_name=member.name,
                         post=shift.post, day=shift.day, start=shift.start, end=shift.end))


async def duty_answer(update: Update, context: Context) -> None:
    """Free text in the swap draft: the colleague's name."""
    user, message = update.effective_user, update.effective_message
    assert user and message and message.text is not None
    async with context.transaction() as session:
        reply = await _swap_with(context, session, user.id, message.text[:MAX_ANSWER + 1])
    await reply_html(update, reply)
    context.wake_dispatcher()


async def _swap_with(context: Context, session: AsyncSession, user_id: int, text: str) -> str:
    now = context.now()
    draft = await read_draft(session, user_id, DUTY_SWAP_DRAFT, now)
    member = await member_for(session, user_id)
    if draft is None or member is None:
        await drop_draft(session, user_id)
        return render.swap_reply(duty.SwapOutcome.GONE)
    if len(text) > MAX_ANSWER:
        return render.no_match(text[:40] + "…")
    found = await duty.colleagues(session, member, text)
    if not found:
        return render.no_match(text)
    if len(found) > 1:
        return render.many_matches([m.name for m in found[:8]])
    colleague = found[0]
    result = await duty.request_swap(session, member=member, shift_id=int(draft["shift"]),
                                     colleague_id=colleague.id, now=now)
    await drop_draft(session, user_id)
    if result.outcome is not duty.SwapOutcome.ASKED:
        return render.swap_reply(result.outcome, colleague.name)
    shift, request = result.shift, result.request
    assert shift is not None and request is not None
    reached = await queue_note(
        context, session, colleague.id,
        duty.duty_key(shift.id, f"swapask{request.id}", colleague.id),
        lambda: render.swap_request_payload(
            from_name=member.name, post=shift.post, day=shift.day, start=shift.start,
            end=shift.end, request_id=request.id))
    if not reached:
        await session.delete(request)
        return render.unreachable(colleague.name)
    return render.swap_reply(result.outcome, colleague.name)
