"""The duty roster's chat commands as services: /duty's board, a leader's /shift_add and
/shift_assign from their text, and /duty_import's file. Handlers render what these return."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Unit
from bot.services.drafts import DraftKind
from bot.services.duty.file import (
    DutyParseResult,
    ShiftArgsError,
    parse_shift_add,
    parse_shift_assign,
)
from bot.services.duty.importer import DutyImportSummary, import_duty
from bot.services.duty.shifts import (
    EditResult,
    EditStatus,
    ShiftView,
    add_shift,
    assign_shift,
    member_shifts,
    shifts_on,
)
from bot.services.duty.volunteers import drop_draft, put_draft, read_draft
from bot.services.members.leaves import FindStatus, actor_today, find_members
from bot.services.org.accounts import member_for
from bot.services.org.permissions import Actor

IMPORT_DRAFT = DraftKind.DUTY_IMPORT
SKIP_WORDS = ("skip", "跳过")


# --- /duty -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DutyBoard:
    today: list[ShiftView]
    unit_name: str | None  # the member's unit; None: a manager's subtree (`whole`: an admin's)
    whole: bool = False
    mine: list[ShiftView] | None = None  # None: not on the roster


async def duty_board(session: AsyncSession, manager: Actor | None, telegram_user_id: int, *,
                     now: datetime, default_timezone: str) -> DutyBoard | None:
    """Today's duty of a manager's subtree (by post), or of a member's own unit, and the
    asker's own coming shifts; None for someone neither linked nor managing."""
    member = await member_for(session, telegram_user_id)
    if manager is not None:
        today = await shifts_on(session, manager.root_path, now=now,
                                default_timezone=default_timezone)
        board = DutyBoard(today, None, manager.root_path is None)
    elif member is not None:
        unit = await session.get(Unit, member.unit_id)
        assert unit is not None
        today = [v for v in await shifts_on(session, unit.path, now=now,
                                            default_timezone=default_timezone)
                 if v.unit_id == unit.id]
        board = DutyBoard(today, unit.name)
    else:
        return None
    if member is None:
        return board
    mine = await member_shifts(session, member.id, now=now, default_timezone=default_timezone)
    return DutyBoard(board.today, board.unit_name, board.whole, mine)


# --- /shift_add and /shift_assign ------------------------------------------------------------


class Command(enum.StrEnum):
    USAGE = "usage"  # the arguments cannot be read
    NO_MATCH = "no_match"  # nobody called `query` in the leader's units
    MANY = "many"  # `names`
    EDITED = "edited"  # `edit` (done, or why not)


@dataclass(frozen=True)
class CommandResult:
    outcome: Command
    edit: EditResult | None = None
    query: str = ""
    names: tuple[str, ...] = ()


async def _find_one(session: AsyncSession, manager: Actor, query: str,
                    now: datetime) -> int | CommandResult:
    """The member `query` names in the manager's units, or why not."""
    found = await find_members(session, manager, query, now=now)
    if found.status is FindStatus.OUTSIDE_SCOPE:
        return CommandResult(Command.EDITED, EditResult(EditStatus.OUTSIDE_SCOPE))
    if found.status is not FindStatus.FOUND:
        return CommandResult(Command.NO_MATCH, query=query)
    if len(found.candidates) > 1:
        return CommandResult(Command.MANY, names=tuple(c.name for c in found.candidates))
    return found.candidates[0].member_id


async def add_by_text(session: AsyncSession, manager: Actor, text: str, *,
                      now: datetime, default_timezone: str) -> CommandResult:
    """`DATE START-END POST / NAME`: a shift for someone in the manager's units."""
    today = await actor_today(session, manager, now=now, default_timezone=default_timezone)
    try:
        args = parse_shift_add(text, today)
    except ShiftArgsError:
        return CommandResult(Command.USAGE)
    member_id = await _find_one(session, manager, args.query, now)
    if isinstance(member_id, CommandResult):
        return member_id
    return CommandResult(Command.EDITED, await add_shift(
        session, manager, member_id=member_id, day=args.day, start=args.start, end=args.end,
        post=args.post, now=now))


async def assign_by_text(session: AsyncSession, manager: Actor, text: str, *,
                         now: datetime) -> CommandResult:
    """`ID NAME`: hand a shift of the manager's units to someone else there."""
    try:
        shift_id, query = parse_shift_assign(text)
    except ShiftArgsError:
        return CommandResult(Command.USAGE)
    member_id = await _find_one(session, manager, query, now)
    if isinstance(member_id, CommandResult):
        return member_id
    return CommandResult(Command.EDITED, await assign_shift(
        session, manager, shift_id=shift_id, member_id=member_id, now=now))


# --- /duty_import ----------------------------------------------------------------------------


async def await_file(session: AsyncSession, telegram_user_id: int, args: str, *,
                     now: datetime) -> None:
    """`/duty_import [skip]`: the next file is a duty roster (bad rows skipped if asked)."""
    skip = args.strip().casefold() in SKIP_WORDS
    await put_draft(session, telegram_user_id, IMPORT_DRAFT, {"skip": skip}, now)


async def awaited_file(session: AsyncSession, telegram_user_id: int, *,
                       now: datetime) -> bool | None:
    """Whether /duty_import waits for a file: its `skip`, or None when it does not."""
    draft = await read_draft(session, telegram_user_id, IMPORT_DRAFT, now)
    return None if draft is None else bool(draft.get("skip"))


async def import_file(session: AsyncSession, manager: Actor, telegram_user_id: int,
                      parsed: DutyParseResult, *, skip_bad: bool, source: str,
                      now: datetime) -> DutyImportSummary:
    """The read file into shifts within the manager's units; the form closes unless bad rows
    stopped it."""
    summary = await import_duty(session, parsed, scope=manager, now=now, skip_bad=skip_bad,
                                actor=manager.audit_name, source=source[:128])
    if not summary.stopped:
        await drop_draft(session, telegram_user_id)
    return summary
