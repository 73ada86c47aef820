"""/report_for as a state machine: find the member, then all well or unwell (unwell asks for
the temperature, kept in the Draft row of kind REPORT_FOR with the day it is for).
`/report_for NAME WORDS` is unwell at once, WORDS kept as written as the report's note.

The handler maps each `ReportForStep` to a reply (bot.render.leaders). The member of every
button and answer is checked against the leader's scope again (services.digest.actions).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Unit
from bot.services.digest import actions
from bot.services.digest.actions import (
    REPORT_FOR_DRAFT,
    ReportForResult,
    ReportForStatus,
    drop_draft,
    put_draft,
    read_draft,
)
from bot.services.members.leaves import FindResult, FindStatus, find_members
from bot.services.members.settings import InvalidText
from bot.services.org.permissions import Actor
from bot.services.org.units import unit_names
from bot.services.reports.form import clean_note
from bot.services.reports.schedule import schedule_for
from bot.services.reports.temperature import TemperatureError, parse_temperature


class Show(enum.StrEnum):
    NOT_ALLOWED = "not_allowed"  # not a leader or admin
    USAGE = "usage"  # /report_for without a name
    FIND_PROBLEM = "find_problem"  # nobody, too many, or outside the scope: see `found`
    PICK = "pick"  # several members match: see `found`
    CHOICE = "choice"  # all well or unwell, for `target`
    STALE_DAY = "stale_day"  # a button or form of another day
    ASK_TEMPERATURE = "ask_temperature"
    BAD_TEMPERATURE = "bad_temperature"  # see `temperature_error`; the form stays
    EXPIRED = "expired"
    RESULT = "result"  # saved, unchanged, or refused: see `result`


class Press(enum.StrEnum):
    MEMBER = "m"
    WELL = "ok"
    SICK = "sick"
    TEMPERATURE = "t"  # a reading the bot offered to confirm ("376" → 37.6)
    UNMEASURED = "nt"  # unwell, temperature not measured


@dataclass(frozen=True)
class ReportForTarget:
    member_id: int
    name: str
    unit: tuple[str, ...]
    day: date  # today in the member's unit

    @property
    def stamp(self) -> int:
        """The day as the buttons carry it (YYYYMMDD)."""
        return int(f"{self.day:%Y%m%d}")


@dataclass(frozen=True)
class ReportForStep:
    show: Show
    target: ReportForTarget | None = None
    found: FindResult | None = None
    result: ReportForResult | None = None
    temperature_error: TemperatureError | None = None
    note: str = ""  # what the leader wrote about the member's health


_NOT_ALLOWED = ReportForStep(Show.NOT_ALLOWED)


async def _target(session: AsyncSession, actor: Actor, member_id: int, now: datetime,
                  default_timezone: str) -> ReportForTarget | ReportForStep:
    """The member (in scope) and their unit's today, or the refusal to show."""
    status, member = await actions.member_in_scope(session, actor, member_id, now=now)
    if member is None:
        return ReportForStep(Show.RESULT, result=ReportForResult(
            status or ReportForStatus.NOT_FOUND))
    unit = await session.get(Unit, member.unit_id)
    assert unit is not None
    day = (await schedule_for(session, unit, default_timezone)).local_date(now)
    return ReportForTarget(member.id, member.name, tuple(await unit_names(session, unit)), day)


async def _choice(session: AsyncSession, actor: Actor, member_id: int, now: datetime,
                  default_timezone: str) -> ReportForStep:
    target = await _target(session, actor, member_id, now, default_timezone)
    if isinstance(target, ReportForStep):
        return target
    return ReportForStep(Show.CHOICE, target=target)


async def _find(session: AsyncSession, actor: Actor, text: str,
                now: datetime) -> tuple[FindResult, str]:
    """The members matching `text`, else its first words (the rest is the note, as written)."""
    found = await find_members(session, actor, text, now=now)
    words = len(text.split())
    for n in range(words - 1, 0, -1):
        if found.status is not FindStatus.NONE:
            break
        name = re.match(r"\s*(?:\S+\s+){" + str(n) + "}", text)
        assert name is not None
        try:
            note = clean_note(text[name.end():])
        except InvalidText:
            continue
        shorter = await find_members(session, actor, text[:name.end()], now=now)
        if shorter.status is not FindStatus.NONE:
            return shorter, note
    return found, ""


async def find(session: AsyncSession, actor: Actor | None, text: str, *,
               telegram_user_id: int, now: datetime, default_timezone: str) -> ReportForStep:
    """`/report_for NAME [WORDS]`: the member to report for, or who matches."""
    if actor is None:
        return _NOT_ALLOWED
    if not text.strip():
        return ReportForStep(Show.USAGE)
    await drop_draft(session, telegram_user_id, REPORT_FOR_DRAFT)  # a note given before
    found, note = await _find(session, actor, text, now)
    if found.status is not FindStatus.FOUND:
        return ReportForStep(Show.FIND_PROBLEM, found=found)
    if note:  # kept for the member picked
        await put_draft(session, telegram_user_id, REPORT_FOR_DRAFT, {"note": note}, now)
    if len(found.candidates) > 1:
        return ReportForStep(Show.PICK, found=found, note=note)
    member_id = found.candidates[0].member_id
    if note:
        return await _unwell(session, actor, telegram_user_id, member_id, note, now,
                             default_timezone)
    return await _choice(session, actor, member_id, now, default_timezone)


async def _unwell(session: AsyncSession, actor: Actor, telegram_user_id: int, member_id: int,
                  note: str, now: datetime, default_timezone: str) -> ReportForStep:
    """Unwell: ask the temperature (the form keeps the member, their day and the note)."""
    target = await _target(session, actor, member_id, now, default_timezone)
    if isinstance(target, ReportForStep):
        return target
    await put_draft(session, telegram_user_id, REPORT_FOR_DRAFT,
                    {"member_id": member_id, "day": f"{target.day:%Y%m%d}", "note": note}, now)
    return ReportForStep(Show.ASK_TEMPERATURE, target=target, note=note)


async def _note_for(session: AsyncSession, telegram_user_id: int, member_id: int,
                    now: datetime) -> str:
    """The note of the open form, if it is about this member (or no member yet)."""
    data = await read_draft(session, telegram_user_id, REPORT_FOR_DRAFT, now)
    if data is None or data.get("member_id", member_id) != member_id:
        return ""
    return str(data.get("note", ""))


async def press(session: AsyncSession, actor: Actor | None, *, telegram_user_id: int,
                button: Press, member_id: int, stamp: int | None, now: datetime,
                default_timezone: str, default_locale: str,
                tenths: int | None = None) -> ReportForStep:
    """A /report_for button (decoded, not yet trusted): `stamp` is the day of ok/sick."""
    if actor is None:
        return _NOT_ALLOWED
    note = await _note_for(session, telegram_user_id, member_id, now)
    if button is Press.MEMBER:
        if note:
            return await _unwell(session, actor, telegram_user_id, member_id, note, now,
                                 default_timezone)
        return await _choice(session, actor, member_id, now, default_timezone)
    target = await _target(session, actor, member_id, now, default_timezone)
    if isinstance(target, ReportForStep):
        return target
    if target.stamp != stamp:
        return ReportForStep(Show.STALE_DAY)
    if button is Press.WELL:
        result = await actions.report_for(
            session, actor, member_id=member_id, well=True, temperature=None, now=now,
            default_timezone=default_timezone, default_locale=default_locale)
        return ReportForStep(Show.RESULT, result=result)
    if button is Press.SICK:
        return await _unwell(session, actor, telegram_user_id, member_id, "", now,
                             default_timezone)
    temperature = None
    if button is Press.TEMPERATURE:
        try:
            temperature = parse_temperature(str(Decimal(tenths or 0) / 10))
        except TemperatureError:
            return ReportForStep(Show.STALE_DAY)
    await drop_draft(session, telegram_user_id, REPORT_FOR_DRAFT)
    result = await actions.report_for(
        session, actor, member_id=member_id, well=False, temperature=temperature, now=now,
        default_timezone=default_timezone, default_locale=default_locale, note=note)
    return ReportForStep(Show.RESULT, result=result)


async def answer(session: AsyncSession, actor: Actor | None, *, telegram_user_id: int,
                 text: str, now: datetime, default_timezone: str,
                 default_locale: str) -> ReportForStep:
    """The temperature of a member reported unwell on their behalf."""
    data = await read_draft(session, telegram_user_id, REPORT_FOR_DRAFT, now)
    if actor is None or data is None:
        await drop_draft(session, telegram_user_id)
        return _NOT_ALLOWED if actor is None else ReportForStep(Show.EXPIRED)
    if "member_id" not in data:  # a name with a note, no member picked yet
        return ReportForStep(Show.EXPIRED)
    target = await _target(session, actor, int(data["member_id"]), now, default_timezone)
    if isinstance(target, ReportForStep):
        await drop_draft(session, telegram_user_id)
        return target
    try:
        temperature = parse_temperature(text)
    except TemperatureError as error:  # the draft stays: they may try again
        return ReportForStep(Show.BAD_TEMPERATURE, target=target, temperature_error=error)
    await drop_draft(session, telegram_user_id)
    if f"{target.day:%Y%m%d}" != data.get("day"):
        return ReportForStep(Show.STALE_DAY)
    result = await actions.report_for(
        session, actor, member_id=target.member_id, well=False, temperature=temperature,
        now=now, default_timezone=default_timezone, default_locale=default_locale,
        note=str(data.get("note", "")))
    return ReportForStep(Show.RESULT, result=result)
