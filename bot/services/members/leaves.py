"""Leaves and exemptions: a leader (or admin) marks a member of their subtree as away for a
date range; the tick and the digests skip them for those days.

Who may touch whom is decided here, not in the handler: a leader's scope is their own unit's
subtree, an admin's the whole organisation. Refusals are audited; they write nothing else.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Leave, LeaveKind, Member, Unit
from bot.services.members.phones import InvalidPhone, normalize_phone
from bot.services.org import audit
from bot.services.org.permissions import Actor, subtree_clause
from bot.services.org.units import unit_names
from bot.services.reports.schedule import schedule_for
from bot.services.when import InvalidWhen, parse_day_range

MAX_LEAVE_DAYS = 366
MAX_MATCHES = 8
MAX_QUERY = 64


# --- parsing `/leave NAME FROM [TO] [exempt]` ----------------------------------------------


class LeaveArgsError(enum.StrEnum):
    NO_QUERY = "no_query"  # dates but no name or phone
    NO_DATE = "no_date"
    BAD_DATE = "bad_date"  # looks like a date, is not one (2026-02-30)
    TOO_LONG = "too_long"


class InvalidLeaveArgs(ValueError):
    def __init__(self, code: LeaveArgsError) -> None:
        super().__init__(code.value)
        self.code = code


@dataclass(frozen=True)
class LeaveRequest:
    query: str
    start: date
    end: date
    kind: LeaveKind
    # Days written in words (明天到下周五, next Friday): echoed back for a tap before they count.
    worded: bool = False


_KINDS = {"leave": LeaveKind.LEAVE, "请假": LeaveKind.LEAVE, "休假": LeaveKind.LEAVE,
          "exempt": LeaveKind.EXEMPT, "免报": LeaveKind.EXEMPT, "豁免": LeaveKind.EXEMPT}
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
MAX_DATE_WORDS = 6  # "Dec 6 to Dec 10" is five


def parse_date(token: str) -> date | None:
    """`2026-12-01`, `2026/12/1`, `2026.12.01` → a date; None if it does not look like one;
    InvalidLeaveArgs(BAD_DATE) if it looks like one but is not (`2026-02-30`)."""
    match = _DATE.fullmatch(token)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise InvalidLeaveArgs(LeaveArgsError.BAD_DATE) from None


def _split_days(tokens: list[str], today: date) -> tuple[str, date, date] | None:
    """(who, first day, last day): the longest tail of `tokens` that reads as days, leaving
    a name before it; the last token's own tail for 李娜明天到后天, written without a space."""
    for size in range(min(len(tokens), MAX_DATE_WORDS), 0, -1):
        try:
            start, end = parse_day_range(" ".join(tokens[-size:]), today)
        except InvalidWhen:
            continue
        return " ".join(tokens[:-size]), start, end
    last = tokens[-1] if tokens else ""
    for cut in range(1, len(last)):
        if not ("\u4e00" <= last[cut - 1] <= "\u9fff"):
            continue
        try:
            start, end = parse_day_range(last[cut:], today)
        except InvalidWhen:
            continue
        return " ".join([*tokens[:-1], last[:cut]]), start, end
    return None


def parse_leave_args(text: str, today: date) -> LeaveRequest:
    """The arguments of /leave: a name or phone, the days (one or two ISO dates, or words:
    `明天到下周五`, `12月6日至10日`, `Dec 6 to Dec 10`), optionally `exempt`."""
    if len(text) > 200:
        raise InvalidLeaveArgs(LeaveArgsError.TOO_LONG)
    tokens = unicodedata.normalize("NFKC", text).split()
    kind = LeaveKind.LEAVE
    if tokens and tokens[-1].casefold() in _KINDS:
        kind = _KINDS[tokens.pop().casefold()]
    iso: list[date] = []
    while tokens and len(iso) < 2:
        day = parse_date(tokens[-1])
        if day is None:
            break
        iso.insert(0, day)
        tokens.pop()
    if iso:
        query, start, end, worded = " ".join(tokens), iso[0], iso[-1], False
    else:
        split = _split_days(tokens, today)
        if split is None:
            raise InvalidLeaveArgs(LeaveArgsError.NO_DATE)
        (query, start, end), worded = split, True
    if not query:
        raise InvalidLeaveArgs(LeaveArgsError.NO_QUERY)
    if len(query) > MAX_QUERY:
        raise InvalidLeaveArgs(LeaveArgsError.TOO_LONG)
    return LeaveRequest(query, start, end, kind, worded)


# --- finding the member --------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    member_id: int
    name: str
    unit_path: tuple[str, ...]


class FindStatus(enum.StrEnum):
    FOUND = "found"  # see candidates (1..MAX_MATCHES)
    NONE = "none"
    TOO_MANY = "too_many"
    OUTSIDE_SCOPE = "outside_scope"  # found by phone, but not in the asker's units


@dataclass(frozen=True)
class FindResult:
    status: FindStatus
    candidates: tuple[Candidate, ...] = ()
    total: int = 0


async def find_members(
    session: AsyncSession, actor: Actor, query: str, *, now: datetime
) -> FindResult:
    """Active members matching a phone number exactly or a name in part, in the actor's units."""
    base = select(Member, Unit).join(Unit, Unit.id == Member.unit_id).where(Member.active)
    try:
        phone = normalize_phone(query)
    except InvalidPhone:
        phone = None
    if phone is not None:
        row = (await session.execute(base.where(Member.phone == phone))).first()
        if row is None:
            return FindResult(FindStatus.NONE)
        if not actor.covers(row[1]):
            await _refused(session, actor, row[0].id, "find", now)
            return FindResult(FindStatus.OUTSIDE_SCOPE)
        return FindResult(FindStatus.FOUND, (await _candidate(session, *row),), 1)
    needle = " ".join(query.split()).lower()
    where = func.lower(Member.name).contains(needle, autoescape=True)
    if actor.root_path is not None:
        where = where & subtree_clause(Unit.path, actor.root_path)
    total = int(await session.scalar(
        select(func.count()).select_from(base.where(where).subquery())) or 0)
    if total == 0:
        return FindResult(FindStatus.NONE)
    if total > MAX_MATCHES:
        return FindResult(FindStatus.TOO_MANY, total=total)
    rows = (await session.execute(base.where(where).order_by(Member.name, Member.id))).all()
    # An exact name beats partial ones: "Li" should not make "Li Na" hard to pick.
    exact = [r for r in rows if r[0].name.lower() == needle]
    chosen = exact if len(exact) == 1 else rows
    return FindResult(FindStatus.FOUND, tuple([await _candidate(session, m, u)
                                               for m, u in chosen]), len(chosen))


async def _candidate(session: AsyncSession, member: Member, unit: Unit) -> Candidate:
    return Candidate(member.id, member.name, tuple(await unit_names(session, unit)))


async def _refused(session: AsyncSession, actor: Actor, member_id: int, what: str,
                   now: datetime) -> None:
    await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                       action="leave_denied", now=now, target=f"member:{member_id}",
                       details={"attempt": what})


# --- setting and cancelling ----------------------------------------------------------------


class LeaveStatus(enum.StrEnum):
    SET = "set"
    ALREADY = "already"  # the same leave is already recorded (a double tap, a redelivery)
    CANCELLED = "cancelled"
    NOT_FOUND = "not_found"
    OUTSIDE_SCOPE = "outside_scope"
    BAD_RANGE = "bad_range"  # end before start
    IN_PAST = "in_past"  # ends before today
    TOO_LONG = "too_long"  # over MAX_LEAVE_DAYS


@dataclass(frozen=True)
class LeaveResult:
    status: LeaveStatus
    member: Candidate | None = None
    start: date | None = None
    end: date | None = None
    kind: LeaveKind | None = None


async def _target(session: AsyncSession, actor: Actor, member_id: int, what: str,
                  now: datetime) -> tuple[LeaveStatus | None, Member | None, Unit | None]:
    member = await session.get(Member, member_id)
    if member is None or not member.active:
        return LeaveStatus.NOT_FOUND, None, None
    unit = await session.get(Unit, member.unit_id)
    assert unit is not None
    if not actor.covers(unit):
        await _refused(session, actor, member.id, what, now)
        return LeaveStatus.OUTSIDE_SCOPE, None, None
    return None, member, unit


async def set_leave(
    session: AsyncSession,
    actor: Actor,
    *,
    member_id: int,
    start: date,
    end: date,
    kind: LeaveKind,
    now: datetime,
    default_timezone: str,
) -> LeaveResult:
    """Record the leave, after checking the actor's reach and the dates (today is the
    member's unit's)."""
    refusal, member, unit = await _target(session, actor, member_id, "set", now)
    if refusal is not None or member is None or unit is None:
        return LeaveResult(refusal or LeaveStatus.NOT_FOUND)
    if end < start:
        return LeaveResult(LeaveStatus.BAD_RANGE)
    if (end - start).days + 1 > MAX_LEAVE_DAYS:
        return LeaveResult(LeaveStatus.TOO_LONG)
    today = (await schedule_for(session, unit, default_timezone)).local_date(now)
    if end < today:
        return LeaveResult(LeaveStatus.IN_PAST)
    candidate = await _candidate(session, member, unit)
    same = await session.scalar(select(Leave.id).where(
        Leave.member_id == member.id, Leave.start_date == start, Leave.end_date == end,
        Leave.kind == kind))
    if same is not None:
        return LeaveResult(LeaveStatus.ALREADY, candidate, start, end, kind)
    leave = Leave(member_id=member.id, start_date=start, end_date=end, kind=kind,
                  created_by=actor.member_id, created_at=now)
    session.add(leave)
    await session.flush()
    await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                       action="leave_set", now=now, target=f"member:{member.id}",
                       details={"leave": leave.id, "start": start.isoformat(),
                                "end": end.isoformat(), "kind": kind.value})
    return LeaveResult(LeaveStatus.SET, candidate, start, end, kind)


async def cancel_leave(
    session: AsyncSession, actor: Actor, *, leave_id: int, now: datetime, default_timezone: str
) -> LeaveResult:
    """End a leave: one that has not begun is deleted, a running one ends yesterday."""
    leave = await session.get(Leave, leave_id)
    if leave is None:
        return LeaveResult(LeaveStatus.NOT_FOUND)
    refusal, member, unit = await _target(session, actor, leave.member_id, "cancel", now)
    if refusal is not None or member is None or unit is None:
        return LeaveResult(refusal or LeaveStatus.NOT_FOUND)
    today = (await schedule_for(session, unit, default_timezone)).local_date(now)
    if leave.end_date < today:
        return LeaveResult(LeaveStatus.NOT_FOUND)  # already over: nothing to cancel
    result = LeaveResult(LeaveStatus.CANCELLED, await _candidate(session, member, unit),
                         leave.start_date, leave.end_date, leave.kind)
    if leave.start_date >= today:
        await session.delete(leave)
    else:
        leave.end_date = today - timedelta(days=1)
    await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                       action="leave_cancel", now=now, target=f"member:{member.id}",
                       details={"leave": leave_id})
    return result


@dataclass(frozen=True)
class LeaveLine:
    leave_id: int
    member: Candidate
    start: date
    end: date
    kind: LeaveKind


async def current_leaves(
    session: AsyncSession, actor: Actor, *, now: datetime, default_timezone: str,
    limit: int = 20,
) -> list[LeaveLine]:
    """Leaves in the actor's units that have not ended yet (today in their unit), soonest
    first."""
    today = await actor_today(session, actor, now=now, default_timezone=default_timezone)
    query = (select(Leave, Member, Unit).join(Member, Member.id == Leave.member_id)
             .join(Unit, Unit.id == Member.unit_id)
             .where(Leave.end_date >= today, Member.active)
             .order_by(Leave.start_date, Leave.id).limit(limit))
    if actor.root_path is not None:
        query = query.where(subtree_clause(Unit.path, actor.root_path))
    rows = (await session.execute(query)).all()
    return [LeaveLine(leave.id, await _candidate(session, member, unit), leave.start_date,
                      leave.end_date, leave.kind) for leave, member, unit in rows]


async def actor_today(session: AsyncSession, actor: Actor, *, now: datetime,
                      default_timezone: str) -> date:
    """Today in the actor's own unit (an admin's: the default time zone's)."""
    if actor.root_unit_id is not None:
        unit = await session.get(Unit, actor.root_unit_id)
        assert unit is not None
        return (await schedule_for(session, unit, default_timezone)).local_date(now)
    return now.astimezone(ZoneInfo(default_timezone)).date()


@dataclass(frozen=True)
class LeaveCommand:
    """/leave's outcome, one of: the current leaves (no arguments), why the arguments were
    refused, why no single member was found, the members to pick from, or the leave's
    result."""

    current: list[LeaveLine] | None = None
    args_error: LeaveArgsError | None = None
    found: FindResult | None = None  # not FOUND, several to pick from, or one to confirm
    request: LeaveRequest | None = None
    result: LeaveResult | None = None


async def leave_command(session: AsyncSession, actor: Actor, text: str, *, now: datetime,
                        default_timezone: str) -> LeaveCommand:
    """`/leave NAME FROM [TO] [exempt]` by a leader or admin; without arguments, the list."""
    if not text:
        return LeaveCommand(current=await current_leaves(
            session, actor, now=now, default_timezone=default_timezone))
    try:
        request = parse_leave_args(text, await actor_today(session, actor, now=now,
                                                           default_timezone=default_timezone))
    except InvalidLeaveArgs as invalid:
        return LeaveCommand(args_error=invalid.code)
    found = await find_members(session, actor, request.query, now=now)
    if found.status is not FindStatus.FOUND or len(found.candidates) > 1 or request.worded:
        return LeaveCommand(found=found, request=request)
    return LeaveCommand(result=await set_leave(
        session, actor, member_id=found.candidates[0].member_id, start=request.start,
        end=request.end, kind=request.kind, now=now, default_timezone=default_timezone))
