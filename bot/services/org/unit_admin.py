"""A unit's settings and people from the chat: /setschedule and /members.

Actor as everywhere (services.members.leaves.Actor): admins everything, leaders their own subtree;
the unit is named by the command and checked by services.org.admin.resolve_unit, buttons carry
ids that are checked again. Schedule changes and every look at a member's details are
audited.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, HouseholdEntry, Leave, LeaveKind, Member, Report, Role, Unit
from bot.services.org import audit
from bot.services.org.name_order import name_key
from bot.services.org.permissions import Actor, subtree_clause
from bot.services.org.units import unit_names
from bot.services.reports.schedule import (
    ScheduleError,
    format_times,
    parse_hhmm,
    parse_times,
    resolve,
    schedule_for,
    unit_chain,
)

MAX_ARGS = 300
PAGE_SIZE = 20


# --- /setschedule --------------------------------------------------------------------------


class Setting(enum.StrEnum):
    PROMPT = "prompt"
    REMINDERS = "reminders"
    DEADLINE = "deadline"
    DIGEST = "digest"
    TZ = "tz"
    WEEKENDS = "weekends"


COLUMNS = {Setting.PROMPT: "prompt_time", Setting.REMINDERS: "reminder_times",
           Setting.DEADLINE: "deadline_time", Setting.DIGEST: "digest_time",
           Setting.TZ: "timezone", Setting.WEEKENDS: "skip_weekends"}
INHERIT = "inherit"
# The settings' names as /setschedule shows them in Chinese, and the words people use for them.
KEYS_ZH = {"每日询问": Setting.PROMPT, "询问": Setting.PROMPT, "提问": Setting.PROMPT,
           "每日提问": Setting.PROMPT, "提醒": Setting.REMINDERS, "催报": Setting.REMINDERS,
           "截止": Setting.DEADLINE, "截止时间": Setting.DEADLINE, "日报": Setting.DIGEST,
           "汇总": Setting.DIGEST, "摘要": Setting.DIGEST, "时区": Setting.TZ,
           "周末": Setting.WEEKENDS}
INHERIT_WORDS = frozenset({INHERIT, "继承", "默认", "恢复默认"})
NONE_WORDS = frozenset({"none", "-", "无", "不提醒", "没有"})
WEEKEND_WORDS = {"skip": True, "跳过": True, "不报告": True, "不上报": True, "休息": True,
                 "work": False, "上班": False, "照常": False, "工作": False, "工作日": False,
                 "上报": False}


class ScheduleArgsError(enum.StrEnum):
    TOO_LONG = "too_long"
    UNKNOWN_KEY = "unknown_key"  # key
    DUPLICATE = "duplicate"  # key
    BAD_TIME = "bad_time"  # key, value: not HH:MM
    BAD_TIMES = "bad_times"  # key, value: not HH:MM,HH:MM
    BAD_ZONE = "bad_zone"  # value
    BAD_WEEKENDS = "bad_weekends"  # value
    ORDER = "order"  # the result would not be prompt < deadline <= digest
    REMINDER_OUTSIDE = "reminder_outside"  # a reminder outside [prompt, deadline)


class InvalidSchedule(ValueError):
    def __init__(self, code: ScheduleArgsError, key: str = "", value: str = "") -> None:
        super().__init__(code.value)
        self.code, self.key, self.value = code, key, value


Value = str | bool | None


@dataclass(frozen=True)
class ScheduleArgs:
    query: str
    changes: dict[Setting, Value]


def _value(setting: Setting, raw: str) -> Value:
    if raw.casefold() in INHERIT_WORDS:
        return None
    try:
        if setting is Setting.REMINDERS:
            return "" if raw.casefold() in NONE_WORDS else format_times(parse_times(raw))
        if setting in (Setting.PROMPT, Setting.DEADLINE, Setting.DIGEST):
            return parse_hhmm(raw).strftime("%H:%M")
    except ScheduleError:
        code = ScheduleArgsError.BAD_TIMES if setting is Setting.REMINDERS else \
            ScheduleArgsError.BAD_TIME
        raise InvalidSchedule(code, setting.value, raw) from None
    if setting is Setting.TZ:
        try:
            ZoneInfo(raw)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidSchedule(ScheduleArgsError.BAD_ZONE, setting.value, raw) from None
        return raw
    weekends = WEEKEND_WORDS.get(raw.casefold())
    if weekends is None:
        raise InvalidSchedule(ScheduleArgsError.BAD_WEEKENDS, setting.value, raw)
    return weekends


def setting_named(key: str) -> Setting | None:
    """`prompt` or `每日询问` / `提醒` / … → the setting."""
    try:
        return Setting(key.casefold())
    except ValueError:
        return KEYS_ZH.get(key.strip())


def value_for(setting: Setting, raw: str) -> Value:
    """A value as typed or tapped (InvalidSchedule when it is not one)."""
    return _value(setting, unicodedata.normalize("NFKC", raw).strip()[:64])


def parse_schedule_args(text: str) -> ScheduleArgs:
    """`[UNIT] key=value ...`; words without "=" name the unit."""
    if len(text) > MAX_ARGS:
        raise InvalidSchedule(ScheduleArgsError.TOO_LONG)
    words: list[str] = []
    changes: dict[Setting, Value] = {}
    for token in unicodedata.normalize("NFKC", text).split():
        key, sep, raw = token.partition("=")
        if not sep:
            words.append(token)
            continue
        setting = setting_named(key)
        if setting is None:
            raise InvalidSchedule(ScheduleArgsError.UNKNOWN_KEY, key[:32])
        if setting in changes:
            raise InvalidSchedule(ScheduleArgsError.DUPLICATE, setting.value)
        changes[setting] = _value(setting, raw[:64])
    return ScheduleArgs(" ".join(words), changes)


@dataclass(frozen=True)
class ScheduleLine:
    setting: Setting
    value: str | bool  # effective
    origin: tuple[str, ...] | None  # the unit that sets it; None = the default


@dataclass(frozen=True)
class ScheduleView:
    unit: tuple[str, ...]
    lines: tuple[ScheduleLine, ...]
    changed: tuple[Setting, ...] = ()


async def schedule_view(session: AsyncSession, unit: Unit, default_timezone: str,
                        changed: tuple[Setting, ...] = ()) -> ScheduleView:
    chain = await unit_chain(session, unit)
    effective = resolve(chain, default_timezone)
    names = await unit_names(session, unit)
    values: dict[Setting, str | bool] = {
        Setting.PROMPT: effective.prompt.strftime("%H:%M"),
        Setting.REMINDERS: format_times(effective.reminders),
        Setting.DEADLINE: effective.deadline.strftime("%H:%M"),
        Setting.DIGEST: effective.digest.strftime("%H:%M"),
        Setting.TZ: effective.timezone,
        Setting.WEEKENDS: effective.skip_weekends,
    }
    lines = []
    for setting, value in values.items():
        origin = next((u for u in reversed(chain)
                       if getattr(u, COLUMNS[setting]) is not None), None)
        lines.append(ScheduleLine(setting, value, tuple(
            names[:chain.index(origin) + 1]) if origin is not None else None))
    return ScheduleView(tuple(names), tuple(lines), changed)


def _check(chain: list[Unit], default_timezone: str) -> None:
    effective = resolve(chain, default_timezone)
    if not effective.prompt < effective.deadline <= effective.digest:
        raise InvalidSchedule(ScheduleArgsError.ORDER)
    outside = [r for r in effective.reminders
               if not effective.prompt <= r < effective.deadline]
    if outside:
        raise InvalidSchedule(ScheduleArgsError.REMINDER_OUTSIDE, Setting.REMINDERS.value,
                              format_times(tuple(outside)))


async def set_schedule(session: AsyncSession, scope: Actor, unit: Unit,
                       changes: dict[Setting, Value], *, now: datetime,
                       default_timezone: str) -> ScheduleView:
    """Apply `changes` to `unit` (None: inherit again) when the result is a sane day;
    InvalidSchedule and nothing changed otherwise. Audited as `schedule_change`."""
    before = {s: getattr(unit, COLUMNS[s]) for s in changes}
    for setting, value in changes.items():
        setattr(unit, COLUMNS[setting], value)
    try:
        # The unit's own day, and every unit below it that inherits part of the change.
        units = {u.id: u for u in await session.scalars(
            select(Unit).where(Unit.active, subtree_clause(Unit.path, unit.path)))}
        units[unit.id] = unit
        ancestors = await unit_chain(session, unit)
        for below in sorted(units.values(), key=lambda u: u.path):
            ids = [int(p) for p in below.path.strip("/").split("/") if p]
            chain = [a for a in ancestors if a.id != unit.id] + [
                units[i] for i in ids if i in units]
            _check(chain, default_timezone)
    except InvalidSchedule:
        for setting, value in before.items():
            setattr(unit, COLUMNS[setting], value)
        raise
    await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                       action="schedule_change", now=now, target=f"unit:{unit.id}",
                       details={s.value: v for s, v in changes.items()})
    return await schedule_view(session, unit, default_timezone, tuple(changes))


# --- /members ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberLine:
    member_id: int
    name: str
    unit: str  # the member's own unit's name
    role: Role
    linked: bool
    blocked: bool
    on_leave: bool


@dataclass(frozen=True)
class MemberPage:
    unit_id: int
    unit: tuple[str, ...]
    page: int
    pages: int
    total: int
    members: tuple[MemberLine, ...]


async def _today(session: AsyncSession, unit: Unit, default_timezone: str,
                 now: datetime) -> date:
    return (await schedule_for(session, unit, default_timezone)).local_date(now)


def _tree_order(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


async def member_page(session: AsyncSession, unit: Unit, page: int, *, now: datetime,
                      default_timezone: str, locale: str) -> MemberPage:
    """Active members of the unit's subtree, PAGE_SIZE a page (clamped): unit by unit in tree
    order, then by name as a reader of `locale` sorts them (services.org.name_order)."""
    today = await _today(session, unit, default_timezone, now)
    where = (Member.active, subtree_clause(Unit.path, unit.path))
    # The order is computed here, not in SQL: pinyin is not a collation SQLite or PostgreSQL
    # has (2,000 members: a few ms once their keys are cached).
    everyone = sorted((await session.execute(select(Member.id, Member.name, Unit.path).join(
        Unit, Unit.id == Member.unit_id).where(*where))).all(),
        key=lambda r: (_tree_order(r[2]), name_key(r[1], locale), r[0]))
    total = len(everyone)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    ids = [r[0] for r in everyone[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]]
    leave = select(Leave.id).where(Leave.member_id == Member.id, Leave.start_date <= today,
                                   Leave.end_date >= today).exists()
    rows = await session.execute(
        select(Member.id, Member.name, Unit.name, Member.role, Member.telegram_user_id,
               Account.blocked_at, leave)
        .join(Unit, Unit.id == Member.unit_id)
        .outerjoin(Account, Account.telegram_user_id == Member.telegram_user_id)
        .where(Member.id.in_(ids)))
    lines = tuple(sorted((MemberLine(mid, name, unit_name, role, tg is not None,
                                     blocked is not None, bool(away))
                          for mid, name, unit_name, role, tg, blocked, away in rows.all()),
                         key=lambda line: ids.index(line.member_id)))
    return MemberPage(unit.id, tuple(await unit_names(session, unit)), page, pages, total,
                      lines)


async def covered_page(session: AsyncSession, scope: Actor, unit_id: int, page: int, *,
                       now: datetime, default_timezone: str,
                       locale: str) -> MemberPage | None:
    """A page of a unit the scope covers (a button's, checked again); None for a unit gone,
    inactive or outside the scope."""
    unit = await session.get(Unit, unit_id)
    if unit is None or not unit.active or not scope.covers(unit):
        return None
    return await member_page(session, unit, page, now=now, default_timezone=default_timezone,
                             locale=locale)


@dataclass(frozen=True)
class MemberDetail:
    member_id: int
    name: str
    unit: tuple[str, ...]
    role: Role
    phone: str | None
    linked: bool
    blocked: bool
    leave: tuple[date, date, LeaveKind] | None
    household: tuple[tuple[str, str], ...]
    last_report: date | None
    reported_today: bool


async def member_detail(session: AsyncSession, scope: Actor, member_id: int, *,
                        now: datetime, default_timezone: str) -> MemberDetail | None:
    """One member of the scope; None (and the refusal audited) for anyone else. Audited."""
    member = await session.get(Member, member_id)
    unit = await session.get(Unit, member.unit_id) if member is not None else None
    if member is None or unit is None or not scope.covers(unit):
        await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                           action="member_view_denied", now=now, target=f"member:{member_id}")
        return None
    today = await _today(session, unit, default_timezone, now)
    account = await session.get(Account, member.telegram_user_id) \
        if member.telegram_user_id else None
    leave = (await session.execute(
        select(Leave.start_date, Leave.end_date, Leave.kind)
        .where(Leave.member_id == member.id, Leave.end_date >= today)
        .order_by(Leave.start_date).limit(1))).first()
    household = (await session.execute(
        select(HouseholdEntry.relation, HouseholdEntry.name)
        .where(HouseholdEntry.member_id == member.id, HouseholdEntry.active)
        .order_by(HouseholdEntry.position, HouseholdEntry.id))).all()
    last = await session.scalar(select(func.max(Report.report_date)).where(
        and_(Report.member_id == member.id, Report.report_date <= today)))
    await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                       action="member_view", now=now, target=f"member:{member.id}")
    return MemberDetail(
        member.id, member.name, tuple(await unit_names(session, unit)), member.role,
        member.phone, member.telegram_user_id is not None,
        account is not None and account.blocked_at is not None,
        (leave[0], leave[1], leave[2]) if leave else None,
        tuple((r, n) for r, n in household), last, last == today)
