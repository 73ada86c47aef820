"""/duty, the leaders' roster commands (/shifts, /shift_add, /shift_assign, /duty_import),
confirming and swapping shifts. The flows are bot.services.duty (commands, swaps); messages
to other people are the `Outgoing` items they return, queued with bot.outbox.send."""

from __future__ import annotations

import re

from telegram import CallbackQuery, Message, Update

from bot.context import Context
from bot.outbox.send import send
from bot.render import duty as render
from bot.render.callbacks import Codec
from bot.render.onboarding import not_linked
from bot.render.payloads import Buttons
from bot.render.shift_form import new_shift_button
from bot.services.duty import commands, swaps
from bot.services.duty import shifts as duty
from bot.services.duty.commands import Command, CommandResult
from bot.services.duty.file import load_duty
from bot.services.duty.swaps import Named, NameResult
from bot.services.org.accounts import member_for
from bot.services.reports.store import member_schedule
from bot.services.roster.file import MAX_ROSTER_BYTES
from handlers import tg
from handlers.common import other_message


async def show_duty(update: Update, context: Context) -> None:
    """Today's duty in the asker's unit (leaders: their subtree by post) and their own shifts."""
    user = update.effective_user
    assert user
    async with context.transaction() as session:
        board = await commands.duty_board(session, context.manager, user.id, now=context.now(),
                                          default_timezone=context.settings.default_timezone)
    if board is None:
        await tg.reply(update, not_linked())
        return
    await tg.reply(update, *_board(board))


def _board(board: commands.DutyBoard) -> tuple[str, Buttons]:
    """/duty's message: today's duty, then the asker's own coming shifts with buttons."""
    title = (render.subtree_title(board.whole) if board.unit_name is None
             else board.unit_name)
    text = render.duty_today(board.today, title=title, with_unit=board.unit_name is None)
    mine, buttons = render.my_shifts(board.mine or [])
    return (text + "\n\n" + mine if mine else text), buttons


def _tapped_html(query: CallbackQuery) -> list[str]:
    """The lines of the tapped message as it reads now (HTML), to show an answer on it; none
    when the button pressed is not on it (forged data on another message: left alone)."""
    message = query.message
    if not isinstance(message, Message) or not message.text or message.reply_markup is None:
        return []
    if all(b.callback_data != query.data for row in message.reply_markup.inline_keyboard
           for b in row):
        return []
    return message.text_html.split("\n")


def _on_board(query: CallbackQuery) -> bool:
    """Whether the tapped message is /duty's (its shifts have swap buttons), not a reminder."""
    markup = query.message.reply_markup if isinstance(query.message, Message) else None
    return markup is not None and any(
        re.fullmatch(render.SWAP.pattern, str(b.callback_data or ""))
        for row in markup.inline_keyboard for b in row)


async def show_shifts(update: Update, context: Context) -> None:
    """Leaders: the coming week's shifts of their subtree, with remove buttons."""
    manager = context.manager
    if manager is None:
        await tg.reply(update, render.not_allowed())
        return
    async with context.transaction() as session:
        views = await duty.shifts_on(session, manager.root_path, now=context.now(),
                                     default_timezone=context.settings.default_timezone,
                                     days_ahead=7)
    text, buttons = render.shifts_list(views)
    await tg.reply(update, text, [new_shift_button(), *buttons])


def _command_reply(result: CommandResult, action: str) -> str:
    if result.outcome is Command.USAGE:
        return render.shift_add_usage() if action == "add" else render.shift_assign_usage()
    if result.outcome is Command.NO_MATCH:
        return render.no_match(result.query)
    if result.outcome is Command.MANY:
        return render.many_matches(result.names)
    assert result.edit is not None
    return render.edit_reply(result.edit, action)


async def add_shift(update: Update, context: Context) -> None:
    """`/shift_add DATE START-END POST / NAME`: a leader adds a shift in their subtree."""
    manager = context.manager
    if manager is None:
        await tg.reply(update, render.not_allowed())
        return
    async with context.transaction() as session:
        result = await commands.add_by_text(
            session, manager, " ".join(context.args or []), now=context.now(),
            default_timezone=context.settings.default_timezone)
    await tg.reply(update, _command_reply(result, "add"))


async def assign_shift(update: Update, context: Context) -> None:
    """`/shift_assign ID NAME`: a leader hands a shift to someone else in their subtree."""
    manager = context.manager
    if manager is None:
        await tg.reply(update, render.not_allowed())
        return
    async with context.transaction() as session:
        result = await commands.assign_by_text(session, manager, " ".join(context.args or []),
                                               now=context.now())
    await tg.reply(update, _command_reply(result, "assign"))


async def start_import(update: Update, context: Context) -> None:
    """`/duty_import [skip]`: the next file the leader sends is a duty roster."""
    user = update.effective_user
    assert user
    if context.manager is None:
        await tg.reply(update, render.not_allowed())
        return
    async with context.transaction() as session:
        await commands.await_file(session, user.id, " ".join(context.args or []),
                                  now=context.now())
    await tg.reply(update, render.import_prompt())


async def duty_document(update: Update, context: Context) -> None:
    """A document sent with /duty_import's form open: the duty roster."""
    user, message = update.effective_user, update.effective_message
    assert user and message
    async with context.transaction() as session:
        skip = await commands.awaited_file(session, user.id, now=context.now())
    if skip is None or message.document is None:  # the form expired meanwhile
        await other_message(update, context)
        return
    document = message.document
    if (document.file_size or 0) > MAX_ROSTER_BYTES:
        await tg.reply(update, render.file_too_large())
        return
    file = await context.bot.get_file(document.file_id)
    data = bytes(await file.download_as_bytearray())
    parsed = await load_duty(data, filename=document.file_name or "roster.csv")
    if parsed.problems:
        await tg.reply(update, render.file_problem(parsed.problems[0]))
        return
    manager = context.manager
    if manager is None:
        await tg.reply(update, render.not_allowed())
        return
    async with context.transaction() as session:
        summary = await commands.import_file(session, manager, user.id, parsed, skip_bad=skip,
                                             source=document.file_name or "",
                                             now=context.now())
    await tg.reply(update, render.import_reply(summary))


# --- buttons: confirm, swap, remove ----------------------------------------------------------


async def _answered(update: Update, reply: str, *, shown: str = "",
                    drop_buttons: bool = False) -> None:
    """The button's toast; `shown` also as a message in the chat; the buttons dropped."""
    query = update.callback_query
    assert query
    await tg.answer(query, reply)
    if shown and query.message is not None:
        await tg.send(update, shown)
    if drop_buttons:
        await tg.keep_buttons_or_drop(query, None)


async def remove_button(update: Update, context: Context) -> None:
    """`dx:<shift>`: a leader removes a shift of their subtree."""
    query, decoded = tg.pressed(update, render.REMOVE)
    manager = context.manager
    if manager is None:
        await _answered(update, render.not_allowed())
        return
    async with context.transaction() as session:
        result = await duty.cancel_shift(session, manager, shift_id=decoded[0],
                                         now=context.now())
    text = render.edit_reply(result, "remove")
    await _answered(update, text, shown=text)


async def confirm_button(update: Update, context: Context) -> None:
    """`dc:<shift>`: the member on a shift confirms it; the tapped message shows it (/duty's
    list redrawn, a reminder with the time instead of the request)."""
    query, decoded = tg.pressed(update, render.CONFIRM)
    user = update.effective_user
    assert user
    now, zone = context.now(), context.settings.default_timezone
    board = shift = None
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        status, shift = (None, None) if member is None else await duty.confirm_shift(
            session, member_id=member.id, shift_id=decoded[0], now=now)
        if member is not None and shift is not None:
            zone = (await member_schedule(session, member, zone)).timezone
            if _on_board(query):
                board = await commands.duty_board(
                    session, context.manager, user.id, now=now,
                    default_timezone=context.settings.default_timezone)
    if status is None:
        await _answered(update, not_linked())
        return
    await _answered(update, render.confirm_reply(status))
    if board is not None:
        await tg.edit_or_keep(query, *_board(board))
    elif shift is not None and shift.confirmed_at is not None and (lines := _tapped_html(query)):
        lines[-1] = render.confirmed_line(shift.confirmed_at, zone)
        await tg.edit_or_keep(query, "\n".join(lines))


async def swap_button(update: Update, context: Context) -> None:
    """`dw:<shift>`: the member on a shift asks to swap it: whom? (the swap form opens)."""
    query, decoded = tg.pressed(update, render.SWAP)
    user = update.effective_user
    assert user
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        choices = None if member is None else await swaps.open_swap(
            session, member, user.id, decoded[0], now=context.now())
    if member is None:
        await _answered(update, not_linked())
    elif choices is not None:
        await tg.answer(query)
        await tg.send(update, *render.swap_choices(decoded[0], choices))
    else:
        await _answered(update, render.swap_reply(duty.SwapOutcome.NOT_YOURS))


async def swap_partner_button(update: Update, context: Context) -> None:
    """`dwm:<shift>:<member>`: the colleague tapped; they are asked."""
    query, (shift_id, colleague_id) = tg.pressed(update, render.SWAP_WITH)
    user = update.effective_user
    assert user
    now = context.now()
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        result = await swaps.swap_with_member(
            session, member, user.id, shift_id, colleague_id, now=now,
            default_locale=context.settings.default_locale)
        await send(session, result.outgoing, now=now)
    await _answered(update, _name_reply(result), shown=_name_reply(result), drop_buttons=True)
    context.wake_dispatcher()


async def accept_button(update: Update, context: Context) -> None:
    """`dsa:<request>`: the colleague takes the shift."""
    await _answer_swap(update, context, render.SWAP_ACCEPT, accept=True)


async def decline_button(update: Update, context: Context) -> None:
    """`dsd:<request>`: the colleague declines; the shift stays the asker's."""
    await _answer_swap(update, context, render.SWAP_DECLINE, accept=False)


async def _answer_swap(update: Update, context: Context, codec: Codec, *,
                       accept: bool) -> None:
    query, decoded = tg.pressed(update, codec)
    user = update.effective_user
    assert user
    now, zone = context.now(), context.settings.default_timezone
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        if member is not None:
            zone = (await member_schedule(session, member, zone)).timezone
        result = None if member is None else await swaps.answer(
            session, member, decoded[0], accept=accept, now=now,
            default_locale=context.settings.default_locale)
        if result is not None:
            await send(session, result.outgoing, now=now)
    if result is None:
        await _answered(update, not_linked())
        return
    context.wake_dispatcher()
    answered = result.outcome in (duty.SwapOutcome.ACCEPTED, duty.SwapOutcome.DECLINED)
    lines = _tapped_html(query) if answered else []
    await _answered(update, render.swap_reply(result.outcome),
                    drop_buttons=result.drop_buttons and not lines)
    if lines:  # the request, with the answer and its time in place of the buttons
        lines.append(render.swap_answered_line(accept, now, zone))
        await tg.edit_or_keep(query, "\n".join(lines))


def _name_reply(result: NameResult) -> str:
    if result.outcome is Named.NO_FORM:
        return render.swap_reply(duty.SwapOutcome.GONE)
    if result.outcome in (Named.TOO_LONG, Named.NO_MATCH):
        return render.no_match(result.query)
    if result.outcome is Named.MANY:
        return render.many_matches(result.names)
    if result.outcome is Named.UNREACHABLE:
        return render.unreachable(result.names[0])
    assert result.swap is not None
    return render.swap_reply(result.swap, result.names[0])


async def duty_answer(update: Update, context: Context) -> None:
    """Free text in the swap form: the colleague's name."""
    user, message = update.effective_user, update.effective_message
    assert user and message and message.text is not None
    now = context.now()
    async with context.transaction() as session:
        member = await member_for(session, user.id)
        result = await swaps.swap_with(session, member, user.id,
                                       message.text[:swaps.MAX_ANSWER + 1], now=now,
                                       default_locale=context.settings.default_locale)
        await send(session, result.outgoing, now=now)
    await tg.reply(update, _name_reply(result))
    context.wake_dispatcher()
