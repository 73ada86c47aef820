"""A small believable organisation for the demo: one group, two companies, four branches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import HouseholdEntry, Member, Role, UnitContact
from bot.services.org import ensure_unit

GROUP = "平安集团"
DEMO_USER_ID_BASE = 700000


@dataclass(frozen=True)
class DemoPerson:
    unit: tuple[str, ...]
    name: str
    phone: str
    role: Role = Role.MEMBER
    digest: bool = False
    household: tuple[tuple[str, str], ...] = ()
    linked: bool = True


def _people() -> list[DemoPerson]:
    c1, c2 = (GROUP, "第一分公司"), (GROUP, "第二分公司")
    L, A = Role.LEADER, Role.ADMIN
    return [
        DemoPerson((GROUP,), "周建国", "+8613800138000", A, True, (("配偶", "李秀英"),)),
        DemoPerson((GROUP,), "吴晓梅", "+8613800138001", L, True),
        DemoPerson(c1, "陈志强", "+8613800138010", L, True,
                   (("配偶", "王丽"), ("子女", "陈小宇"))),
        DemoPerson((*c1, "一支部"), "刘洋", "+8613800138011", L, True, (("母亲", "张桂兰"),)),
        DemoPerson((*c1, "一支部"), "赵敏", "+8613800138012", household=(("配偶", "孙磊"),)),
        DemoPerson((*c1, "一支部"), "黄磊", "+8613800138013"),
        DemoPerson((*c1, "一支部"), "林静", "+8613800138014", linked=False),
        DemoPerson((*c1, "二支部"), "杨帆", "+8613800138015", L, True),
        DemoPerson((*c1, "二支部"), "何静怡", "+8613800138016", household=(("父亲", "何建华"),)),
        DemoPerson((*c1, "二支部"), "郭鹏", "+8613800138017"),
        DemoPerson(c2, "马丽娟", "+8613800138020", L, True),
        DemoPerson((*c2, "三支部"), "高峰", "+8613800138021", L, True),
        DemoPerson((*c2, "三支部"), "罗婷", "+8613800138022", household=(("子女", "罗一鸣"),)),
        DemoPerson((*c2, "三支部"), "梁伟", "+8613800138023"),
        DemoPerson((*c2, "三支部"), "宋佳", "+8613800138024", linked=False),
        DemoPerson((*c2, "四支部"), "郑凯", "+8613800138025", L, True),
        DemoPerson((*c2, "四支部"), "谢芳", "+8613800138026", household=(("配偶", "唐军"),)),
        DemoPerson((*c2, "四支部"), "韩雪", "+8613800138027"),
        DemoPerson((*c2, "四支部"), "冯涛", "+8613800138028"),
        DemoPerson((*c2, "四支部"), "曹琳", "+8613800138029", linked=False),
    ]


def demo_user_id(index: int) -> int:
    return DEMO_USER_ID_BASE + index


async def seed_demo(session: AsyncSession, *, now: datetime) -> list[tuple[int, DemoPerson]]:
    """Create the demo organisation once; returns (telegram user id, person) for everyone.

    Members marked linked are linked to their demo Telegram user id straight away; the
    others are on the roster but have not opened the bot yet.
    """
    people = _people()
    result = [(demo_user_id(i), p) for i, p in enumerate(people)]
    if await session.scalar(select(func.count()).select_from(Member)):
        return result
    chain_position: dict[int, int] = {}
    for user_id, person in result:
        unit = await ensure_unit(session, person.unit, now=now)
        member = Member(
            unit_id=unit.id,
            name=person.name,
            phone=person.phone,
            role=person.role,
            telegram_user_id=user_id if person.linked else None,
            created_at=now,
            updated_at=now,
            household=[
                HouseholdEntry(relation=rel, name=name, position=i)
                for i, (rel, name) in enumerate(person.household)
            ],
        )
        session.add(member)
        await session.flush()
        if person.digest:
            position = chain_position.get(unit.id, 0)
            session.add(UnitContact(unit_id=unit.id, member_id=member.id, position=position))
            chain_position[unit.id] = position + 1
    return result
