"""A small believable organisation for the demo: one group, two companies, four branches,
households, a reporting chain per unit, one admin, a few members who have not linked yet,
and two weeks of past reports (some abnormal, some missing) so digests have history.

Chinese names and units by default; `locale="en"` gives the same organisation in English.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Account,
    Alert,
    HouseholdEntry,
    HouseholdReport,
    Member,
    Membership,
    Report,
    ReportStatus,
    Role,
    UnitContact,
)
from bot.services.org.units import ensure_unit

DEMO_USER_ID_BASE = 700000
HISTORY_DAYS = 14
DEMO_LOCALES = ("zh_CN", "en")
# The sandbox user's Telegram app language for each demo locale.
LANGUAGE_CODES = {"zh_CN": "zh-hans", "en": "en"}


@dataclass(frozen=True)
class DemoPerson:
    unit: tuple[str, ...]
    name: str
    phone: str
    role: Role = Role.MEMBER
    digest: bool = False
    household: tuple[tuple[str, str], ...] = ()
    linked: bool = True


# One row per person, the same in both languages: (unit key, role, digest, linked, phone
# suffix, zh name, en name, household as (zh relation, zh name, en relation, en name)).
_UNITS = {
    "root": (("平安集团",), ("Harbour Group",)),
    "c1": (("平安集团", "第一分公司"), ("Harbour Group", "North Company")),
    "b1": (("平安集团", "第一分公司", "一支部"), ("Harbour Group", "North Company", "Branch 1")),
    "b2": (("平安集团", "第一分公司", "二支部"), ("Harbour Group", "North Company", "Branch 2")),
    "c2": (("平安集团", "第二分公司"), ("Harbour Group", "South Company")),
    "b3": (("平安集团", "第二分公司", "三支部"), ("Harbour Group", "South Company", "Branch 3")),
    "b4": (("平安集团", "第二分公司", "四支部"), ("Harbour Group", "South Company", "Branch 4")),
}
_A, _L, _M = Role.ADMIN, Role.LEADER, Role.MEMBER
_Row = tuple[str, Role, bool, bool, str, str, str, tuple[tuple[str, str, str, str], ...]]
_ROWS: list[_Row] = [
    ("root", _A, True, True, "00", "周建国", "James Chow",
     (("配偶", "李秀英", "spouse", "Susan Li"),)),
    ("root", _L, True, True, "01", "吴晓梅", "Mary Wu", ()),
    ("c1", _L, True, True, "10", "陈志强", "Daniel Chen",
     (("配偶", "王丽", "spouse", "Lily Wang"), ("子女", "陈小宇", "child", "Leo Chen"))),
    ("c1", _M, True, True, "19", "王芳", "Fiona Wong", ()),  # the company's reporting clerk
    ("b1", _L, True, True, "11", "刘洋", "Oliver Liu",
     (("母亲", "张桂兰", "mother", "Grace Zhang"),)),
    ("b1", _M, False, True, "12", "赵敏", "Emma Zhao", (("配偶", "孙磊", "spouse", "Ryan Sun"),)),
    ("b1", _M, False, True, "13", "黄磊", "Henry Huang", ()),
    ("b1", _M, False, False, "14", "林静", "Chloe Lin", ()),
    ("b2", _L, True, True, "15", "杨帆", "Victor Yang", ()),
    ("b2", _M, False, True, "16", "何静怡", "Joy He", (("父亲", "何建华", "father", "Peter He"),)),
    ("b2", _M, False, True, "17", "郭鹏", "Kevin Guo", ()),
    ("c2", _L, True, True, "20", "马丽娟", "Linda Ma", ()),
    ("b3", _L, True, True, "21", "高峰", "Frank Gao", ()),
    ("b3", _M, False, True, "22", "罗婷", "Tina Luo", (("子女", "罗一鸣", "child", "Ethan Luo"),)),
    ("b3", _M, False, True, "23", "梁伟", "William Liang", ()),
    ("b3", _M, False, False, "24", "宋佳", "Jasmine Song", ()),
    ("b4", _L, True, True, "25", "郑凯", "Kyle Zheng", ()),
    ("b4", _M, False, True, "26", "谢芳", "Sophie Xie", (("配偶", "唐军", "spouse", "Tom Tang"),)),
    ("b4", _M, False, True, "27", "韩雪", "Snow Han", ()),
    ("b4", _M, False, True, "28", "冯涛", "Felix Feng", ()),
    ("b4", _M, False, False, "29", "曹琳", "Irene Cao", ()),
]


def demo_people(locale: str = "zh_CN") -> list[DemoPerson]:
    if locale not in DEMO_LOCALES:
        raise ValueError(f"the demo exists in {', '.join(DEMO_LOCALES)}, not {locale!r}")
    en = locale == "en"
    return [
        DemoPerson(
            unit=_UNITS[unit][1 if en else 0],
            name=en_name if en else zh_name,
            phone=f"+86138001380{suffix}",
            role=role,
            digest=digest,
            household=tuple((h[2], h[3]) if en else (h[0], h[1]) for h in household),
            linked=linked,
        )
        for unit, role, digest, linked, suffix, zh_name, en_name, household in _ROWS
    ]


def demo_user_id(index: int) -> int:
    return DEMO_USER_ID_BASE + index


async def seed_demo(session: AsyncSession, *, now: datetime, locale: str = "zh_CN",
                    timezone: str = "Asia/Shanghai") -> list[tuple[int, DemoPerson]]:
    """Create the demo organisation once; returns (telegram user id, person) for everyone.

    Members marked linked are linked to their demo Telegram user id straight away (with an
    account in the demo's language); the others are on the roster but have not opened the bot
    yet. The 14 days before `now`'s local date get reports; today is left to the visitor.
    """
    people = demo_people(locale)
    result = [(demo_user_id(i), p) for i, p in enumerate(people)]
    if await session.scalar(select(func.count()).select_from(Member)):
        # Each demo run starts a fresh sandbox in which nobody has blocked the bot: forget
        # blocks recorded in an earlier run, or those members would never be prompted again.
        await session.execute(update(Account).where(
            Account.telegram_user_id.in_([uid for uid, _person in result]))
            .values(blocked_at=None))
        return result
    chain_position: dict[int, int] = {}
    members: list[Member] = []
    for user_id, person in result:
        unit = await ensure_unit(session, person.unit, now=now)
        member = Member(
            unit_id=unit.id, name=person.name, phone=person.phone, role=person.role,
            telegram_user_id=user_id if person.linked else None,
            created_at=now - timedelta(days=HISTORY_DAYS + 1), updated_at=now,
            household=[HouseholdEntry(relation=rel, name=name, position=i)
                       for i, (rel, name) in enumerate(person.household)],
        )
        session.add(member)
        if person.linked:
            session.add(Account(telegram_user_id=user_id, chat_id=user_id,
                                language_code=LANGUAGE_CODES[locale], created_at=now,
                                last_seen_at=now))
        await session.flush()
        # Their history starts when the demo's story does (history.assign would say today).
        session.add(Membership(member_id=member.id, unit_id=unit.id,
                               start_day=member.created_at.astimezone(ZoneInfo(timezone)).date()))
        members.append(member)
        if person.digest:
            position = chain_position.get(unit.id, 0)
            session.add(UnitContact(unit_id=unit.id, member_id=member.id, position=position))
            chain_position[unit.id] = position + 1
    await session.flush()
    today = now.astimezone(ZoneInfo(timezone)).date()
    await _seed_history(session, members, result, today, ZoneInfo(timezone))
    return result


# Who was unwell on which past day (days before today), so the story is the same each run:
# Emma Zhao's fever is still going on yesterday ("same as yesterday" is offered today), Joy
# He's father had a cough last week, Kyle Zheng had a fever with contact to a case.
_ILLNESS: dict[int, dict[int, tuple[str, str, bool]]] = {
    5: {3: ("38.2", "fever,cough", False), 2: ("37.9", "cough", False),
        1: ("37.6", "cough", False)},
    16: {9: ("38.4", "fever,fatigue", True), 8: ("37.8", "fatigue", False)},
}
_HOUSEHOLD_ILLNESS: dict[int, dict[int, tuple[str, str]]] = {
    9: {6: ("37.5", "cough"), 5: ("37.3", "cough")},
}


async def _seed_history(session: AsyncSession, members: list[Member],
                        people: list[tuple[int, DemoPerson]], today: date,
                        zone: ZoneInfo) -> None:
    """Reports as the bot would have stored them, with the alerts they raised marked
    handled (an open alert from last week would go to the leaders on the first tick)."""
    rng = random.Random(4)  # chosen for a few gaps in every branch
    first_contact = {c.unit_id: c.member_id for c in (await session.scalars(
        select(UnitContact).order_by(UnitContact.position.desc()))).all()}
    for index, (member, (_uid, person)) in enumerate(zip(members, people, strict=True)):
        if not person.linked:
            continue
        for back in range(HISTORY_DAYS, 0, -1):
            day = today - timedelta(days=back)
            illness = _ILLNESS.get(index, {}).get(back)
            home = _HOUSEHOLD_ILLNESS.get(index, {}).get(back)
            if illness is None and home is None and rng.random() < 0.09:
                continue  # did not report that day
            local = datetime.combine(day, time(7, 30), tzinfo=zone) + timedelta(
                minutes=rng.randint(2, 200))
            at = local.astimezone(UTC)
            report = Report(member_id=member.id, unit_id=member.unit_id, report_date=day,
                            status=ReportStatus.OK, late=local.time() >= time(12, 0),
                            created_at=at, updated_at=at)
            if illness is not None:
                report.status = ReportStatus.ABNORMAL
                report.temperature = Decimal(illness[0])
                report.symptoms = illness[1].split(",")
                report.contact_case = illness[2]
            if home is not None and member.household:
                entry = member.household[0]
                report.status = ReportStatus.ABNORMAL
                report.household = [HouseholdReport(
                    household_id=entry.id, relation=entry.relation, name=entry.name,
                    temperature=Decimal(home[0]), symptoms=home[1].split(","))]
            session.add(report)
            if report.status is ReportStatus.ABNORMAL:
                await session.flush()
                session.add(Alert(report_id=report.id, unit_id=member.unit_id, created_at=at,
                                  escalated_at=at, handled_at=at + timedelta(minutes=40),
                                  handled_by=first_contact.get(member.unit_id)))
    await session.flush()


def _people() -> list[DemoPerson]:
    """The Chinese demo organisation (kept for the tests that import it)."""
    return demo_people("zh_CN")
