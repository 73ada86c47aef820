"""Duty rosters: importing shifts, leaders adding, reassigning and cancelling them within
their scope, members confirming and swapping them, and today's roster by post.

Who may touch which unit is decided here (`permissions.Actor`: a leader's own subtree, an admin's
the whole organisation); refusals are audited and write nothing else.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Account,
    Member,
    OutboxMessage,
    OutboxStatus,
    Shift,
    SwapRequest,
    SwapStatus,
    Unit,
)
from bot.locales import resolve_locale
from bot.services.org import audit
from bot.services.org.permissions import Actor, in_subtree, subtree_clause
from bot.services.org.recipients import Recipient
from bot.services.outgoing import Outgoing
from bot.services.reports.schedule import all_schedules

if TYPE_CHECKING:
    from bot.services.digest.compute import UnitDigest

MAX_LISTED = 40
KIND_DUTY = "duty"  # reminders (dedup `duty:<shift>:<evening|hour>:<member>`)
KIND_DUTY_ALERT = "duty_alert"  # unconfirmed 30 minutes before: to the unit's chain
KIND_DUTY_NOTE = "duty_note"  # swap requests and answers, thanks to volunteers


def duty_key(shift_id: int, kind: str, member_id: int) -> str:
    return f"duty:{shift_id}:{kind}:{member_id}"


# --- leaders' edits --------------------------------------------------------------------------


class EditStatus(enum.StrEnum):
    DONE = "done"
    EXISTS = "exists"
    NOT_FOUND = "not_found"
    OUTSIDE_SCOPE = "outside_scope"
    CANCELLED = "cancelled"  # the shift is cancelled already
    SAME = "same"  # reassigning to the person already on it


@dataclass(frozen=True)
class EditResult:
    status: EditStatus
    shift: Shift | None = None
    member_name: str = ""


async def _denied(session: AsyncSession, scope: Actor, what: str, target: str,
                  now: datetime) -> None:
    await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                       action="duty_denied", now=now, target=target,
                       details={"attempt": what})


async def _member_in_scope(session: AsyncSession, scope: Actor,
                           member_id: int) -> tuple[Member, Unit] | None:
    row = (await session.execute(select(Member, Unit).join(Unit, Unit.id == Member.unit_id)
                                 .where(Member.id == member_id, Member.active))).first()
    if row is None or not scope.covers(row[1]):
        return None
    return row[0], row[1]


async def add_shift(session: AsyncSession, scope: Actor, *, member_id: int, day: date,
                    start: str, end: str, post: str, now: datetime) -> EditResult:
    """A shift in the member's own unit; the member must be in the scope."""
    found = await _member_in_scope(session, scope, member_id)
    if found is None:
        await _denied(session, scope, "add", f"member:{member_id}", now)
        return EditResult(EditStatus.OUTSIDE_SCOPE)
    member, unit = found
    existing = await session.scalar(select(Shift).where(
        Shift.unit_id == unit.id, Shift.day == day, Shift.start == start, Shift.post == post,
        Shift.member_id == member.id))
    if existing is not None and not existing.cancelled:
        return EditResult(EditStatus.EXISTS, existing, member.name)
    if existing is not None:
        existing.cancelled, existing.end = False, end
        shift = existing
    else:
        shift = Shift(unit_id=unit.id, day=day, start=start, end=end, post=post,
                      member_id=member.id, created_by=scope.member_id, created_at=now)
        session.add(shift)
        await session.flush()
    await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                       action="duty_add", now=now, target=f"shift:{shift.id}")
    return EditResult(EditStatus.DONE, shift, member.name)


async def _shift_in_scope(session: AsyncSession, scope: Actor,
                          shift_id: int) -> tuple[Shift | None, bool]:
    row = (await session.execute(select(Shift, Unit).join(Unit, Unit.id == Shift.unit_id)
                                 .where(Shift.id == shift_id))).first()
    if row is None:
        return None, False
    return row[0], scope.covers(row[1])


async def _drop_pending(session: AsyncSession, shift_id: int) -> None:
    """Reminders not sent yet for a shift that was cancelled or went to someone else."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.dedup_key.startswith(f"duty:{shift_id}:"),
               OutboxMessage.kind.in_((KIND_DUTY, KIND_DUTY_ALERT)),
               OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CANCELLED)
        .execution_options(synchronize_session=False))


async def cancel_shift(session: AsyncSession, scope: Actor, *, shift_id: int,
                       now: datetime) -> EditResult:
    shift, allowed = await _shift_in_scope(session, scope, shift_id)
    if shift is None:
        return EditResult(EditStatus.NOT_FOUND)
    if not allowed:
        await _denied(session, scope, "remove", f"shift:{shift_id}", now)
        return EditResult(EditStatus.OUTSIDE_SCOPE)
    if shift.cancelled:
        return EditResult(EditStatus.CANCELLED, shift)
    shift.cancelled = True
    await _drop_pending(session, shift.id)
    await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                       action="duty_remove", now=now, target=f"shift:{shift.id}")
    return EditResult(EditStatus.DONE, shift)


async def reassign(session: AsyncSession, shift: Shift, member_id: int) -> None:
    """Hand a shift to someone else: unconfirmed again, the old reminders dropped."""
    shift.member_id, shift.confirmed_at = member_id, None
    await _drop_pending(session, shift.id)


async def assign_shift(session: AsyncSession, scope: Actor, *, shift_id: int, member_id: int,
                       now: datetime) -> EditResult:
    """A leader swaps the person on a shift (a volunteer, or a colleague), within scope."""
    shift, allowed = await _shift_in_scope(session, scope, shift_id)
    if shift is None:
        return EditResult(EditStatus.NOT_FOUND)
    found = await _member_in_scope(session, scope, member_id)
    if not allowed or found is None:
        await _denied(session, scope, "assign", f"shift:{shift_id}", now)
        return EditResult(EditStatus.OUTSIDE_SCOPE)
    if shift.cancelled:
        return EditResult(EditStatus.CANCELLED, shift)
    if shift.member_id == member_id:
        return EditResult(EditStatus.SAME, shift, found[0].name)
    await reassign(session, shift, member_id)
    await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                       action="duty_assign", now=now, target=f"shift:{shift.id}",
                       details={"member": member_id})
    return EditResult(EditStatus.DONE, shift, found[0].name)


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftView:
    id: int
    unit_id: int
    unit_name: str
    day: date
    start: str
    end: str
    post: str
    member_id: int
    member_name: str
    confirmed: bool


def _view(shift: Shift, unit: Unit, member: Member) -> ShiftView:
    return ShiftView(shift.id, unit.id, unit.name, shift.day, shift.start, shift.end,
                     shift.post, member.id, member.name, shift.confirmed_at is not None)


async def shifts_on(session: AsyncSession, unit_path: str | None, *, now: datetime,
                    default_timezone: str, days_ahead: int = 0,
                    member_id: int | None = None) -> list[ShiftView]:
    """Shifts (not cancelled) of a subtree (None: everything) from each unit's local today
    for `days_ahead` more days, by date, post and start."""
    schedules = await all_schedules(session, default_timezone)
    stmt = (select(Shift, Unit, Member).join(Unit, Unit.id == Shift.unit_id)
            .join(Member, Member.id == Shift.member_id).where(~Shift.cancelled))
    if unit_path is not None:
        stmt = stmt.where(subtree_clause(Unit.path, unit_path))
    if member_id is not None:
        stmt = stmt.where(Shift.member_id == member_id)
    today = min((s.local_date(now) for s in schedules.values()), default=now.date())
    stmt = stmt.where(Shift.day >= today, Shift.day <= today + timedelta(days=days_ahead + 1))
    views = []
    for shift, unit, member in (await session.execute(stmt)).all():
        local = schedules[unit.id].local_date(now) if unit.id in schedules else today
        if local <= shift.day <= local + timedelta(days=days_ahead):
            views.append(_view(shift, unit, member))
    return sorted(views, key=lambda v: (v.day, v.post.casefold(), v.start, v.unit_name))


async def member_shifts(session: AsyncSession, member_id: int, *, now: datetime,
                        default_timezone: str, days_ahead: int = 14) -> list[ShiftView]:
    return (await shifts_on(session, None, now=now, default_timezone=default_timezone,
                            days_ahead=days_ahead, member_id=member_id))[:10]


async def shift_figures(session: AsyncSession, digests: Mapping[int, UnitDigest]) -> None:
    """Today's shifts of each digest's subtree, (filled, confirmed), into `digest.shifts`:
    one grouped query whatever the number of digests."""
    days = {d.day for d in digests.values()}
    if not days:
        return
    rows = (await session.execute(
        select(Unit.path, Shift.day, func.count(), func.count(Shift.confirmed_at))
        .join(Unit, Unit.id == Shift.unit_id)
        .where(Shift.day.in_(days), ~Shift.cancelled)
        .group_by(Unit.path, Shift.day))).all()
    for digest in digests.values():
        mine = [r for r in rows if r[1] == digest.day and in_subtree(r[0], digest.unit_path)]
        digest.shifts = (sum(int(r[2]) for r in mine), sum(int(r[3]) for r in mine))


# --- confirming and swapping -----------------------------------------------------------------


class ConfirmStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    ALREADY = "already"
    NOT_YOURS = "not_yours"  # someone else's, gone, or cancelled


async def confirm_shift(session: AsyncSession, *, member_id: int, shift_id: int,
                        now: datetime) -> tuple[ConfirmStatus, Shift | None]:
    shift = await session.get(Shift, shift_id)
    if shift is None or shift.cancelled or shift.member_id != member_id:
        return ConfirmStatus.NOT_YOURS, None
    if shift.confirmed_at is not None:
        return ConfirmStatus.ALREADY, shift
    shift.confirmed_at = now
    return ConfirmStatus.CONFIRMED, shift


async def reach(session: AsyncSession, member_id: int) -> Recipient | None:
    """How to write to a member on the bot's own initiative; None if they cannot be reached."""
    return (await reach_many(session, [member_id])).get(member_id)


def note_to(recipient: Recipient, dedup_key: str, kind: str, view: object,
            default_locale: str) -> Outgoing:
    """A message to a reached member, in their language."""
    return Outgoing(dedup_key, kind, recipient.chat_id,
                    resolve_locale(recipient.locale, recipient.language_code, default_locale),
                    view, member_id=recipient.member_id)


async def reach_many(session: AsyncSession, member_ids: Iterable[int]) -> dict[int, Recipient]:
    """`reach` for several members in one query: those who cannot be reached are left out."""
    rows = await session.execute(
        select(Member.id, Member.name, Member.telegram_user_id, Account.chat_id,
               Account.locale, Account.language_code, Account.blocked_at)
        .outerjoin(Account, Account.telegram_user_id == Member.telegram_user_id)
        .where(Member.id.in_(set(member_ids)), Member.active,
               Member.telegram_user_id.is_not(None), Account.blocked_at.is_(None)))
    return {row.id: Recipient(row.id, row.name, row.chat_id or row.telegram_user_id,
                              row.locale, row.language_code) for row in rows}


class SwapOutcome(enum.StrEnum):
    ASKED = "asked"
    NOT_YOURS = "not_yours"
    SELF = "self"
    PENDING = "pending"  # a request for this shift is already waiting
    ACCEPTED = "accepted"
    DECLINED = "declined"
    GONE = "gone"  # the request was answered already, or the shift changed meanwhile


@dataclass(frozen=True)
class SwapResult:
    outcome: SwapOutcome
    request: SwapRequest | None = None
    shift: Shift | None = None


async def request_swap(session: AsyncSession, *, member: Member, shift_id: int,
                       colleague_id: int, now: datetime) -> SwapResult:
    shift = await session.get(Shift, shift_id)
    if shift is None or shift.cancelled or shift.member_id != member.id:
        return SwapResult(SwapOutcome.NOT_YOURS)
    if colleague_id == member.id:
        return SwapResult(SwapOutcome.SELF)
    waiting = await session.scalar(select(SwapRequest).where(
        SwapRequest.shift_id == shift.id, SwapRequest.status == SwapStatus.PENDING))
    if waiting is not None:
        return SwapResult(SwapOutcome.PENDING, waiting, shift)
    request = SwapRequest(shift_id=shift.id, from_member_id=member.id,
                          to_member_id=colleague_id, created_at=now)
    session.add(request)
    await session.flush()
    return SwapResult(SwapOutcome.ASKED, request, shift)


async def answer_swap(session: AsyncSession, *, member_id: int, request_id: int, accept: bool,
                      now: datetime) -> SwapResult:
    request = await session.get(SwapRequest, request_id)
    if request is None or request.to_member_id != member_id:
        return SwapResult(SwapOutcome.NOT_YOURS)
    shift = await session.get(Shift, request.shift_id)
    if (request.status is not SwapStatus.PENDING or shift is None or shift.cancelled
            or shift.member_id != request.from_member_id):
        return SwapResult(SwapOutcome.GONE, request, shift)
    request.decided_at = now
    if not accept:
        request.status = SwapStatus.DECLINED
        return SwapResult(SwapOutcome.DECLINED, request, shift)
    request.status = SwapStatus.ACCEPTED
    await reassign(session, shift, member_id)
    await audit.record(session, actor=f"member:{member_id}", actor_member_id=member_id,
                       action="duty_swap", now=now, target=f"shift:{shift.id}",
                       details={"from": request.from_member_id, "to": member_id})
    return SwapResult(SwapOutcome.ACCEPTED, request, shift)


async def colleagues(session: AsyncSession, member: Member, query: str) -> list[Member]:
    """Active members of the same unit whose name matches (an exact match wins)."""
    needle = " ".join(query.split()).casefold()
    if not needle:
        return []
    rows = list((await session.scalars(select(Member).where(
        Member.unit_id == member.unit_id, Member.active, Member.id != member.id)
        .order_by(Member.name, Member.id))).all())
    exact = [m for m in rows if m.name.casefold() == needle]
    return exact or [m for m in rows if needle in m.name.casefold()]
