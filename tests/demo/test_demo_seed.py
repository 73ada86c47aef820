"""The demo organisation: its shape, its two weeks of history, and that it stays quiet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.db import Database
from bot.db.models import Account, Alert, Member, Report, ReportStatus, Role, Unit, UnitContact
from bot.i18n import use_locale
from bot.render.digest import digest_text
from bot.runtime.tick import run_tick
from bot.services.demo_seed import HISTORY_DAYS, demo_people, seed_demo
from bot.services.digest.compute import compute_digests

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, a Monday
TODAY = NOW.astimezone(ZoneInfo("Asia/Shanghai")).date()


async def _count(db: Database, stmt: object) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(stmt) or 0)  # type: ignore[call-overload]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_seed_builds_units_chains_roles_and_households(db: Database, locale: str) -> None:
    async with db.transaction() as session:
        people = await seed_demo(session, now=NOW, locale=locale)
    assert len(people) == len(demo_people(locale)) == 21
    async with db.transaction() as session:
        units = (await session.scalars(select(Unit))).all()
        members = (await session.scalars(select(Member))).all()
        chains = set((await session.scalars(select(UnitContact.unit_id))).all())
        accounts = (await session.scalars(select(Account))).all()
    assert len(units) == 7 and {u.id for u in units} == chains  # every unit has a chain
    root = next(u for u in units if u.parent_id is None)
    assert root.name == ("平安集团" if locale == "zh_CN" else "Harbour Group")
    assert [m.role for m in members].count(Role.ADMIN) == 1
    for unit in units:  # a leader in every unit
        assert any(m.unit_id == unit.id and m.role is not Role.MEMBER for m in members)
    unlinked = [m for m in members if m.telegram_user_id is None]
    assert len(unlinked) == 3
    assert len(accounts) == 18
    assert {a.language_code for a in accounts} == {"zh-hans" if locale == "zh_CN" else "en"}
    english = all(p.name.isascii() for _uid, p in people)
    assert english is (locale == "en")
    assert sum(1 for _uid, p in people if p.household) >= 6


async def test_history_has_two_weeks_some_abnormal_some_missing_none_today(db: Database) -> None:
    async with db.transaction() as session:
        await seed_demo(session, now=NOW)
    async with db.transaction() as session:
        reports = (await session.scalars(
            select(Report).options(selectinload(Report.household)))).all()
        alerts = (await session.scalars(select(Alert))).all()
        linked = int(await session.scalar(select(func.count()).select_from(Member).where(
            Member.telegram_user_id.is_not(None))) or 0)
    days = {r.report_date for r in reports}
    assert days == {TODAY - timedelta(days=n) for n in range(1, HISTORY_DAYS + 1)}
    assert 0 < linked * HISTORY_DAYS - len(reports) < len(reports) // 5  # a few missing
    abnormal = [r for r in reports if r.status is ReportStatus.ABNORMAL]
    assert len(abnormal) >= 5
    assert any(r.household for r in abnormal)  # a household member was unwell
    assert any(r.report_date == TODAY - timedelta(days=1) for r in abnormal)
    # Each abnormal report has its alert, handled: nothing old pops up on the first tick.
    assert {a.report_id for a in alerts} == {r.id for r in abnormal}
    assert all(a.handled_at is not None for a in alerts)


async def test_seeding_twice_adds_nothing_and_first_tick_sends_no_old_alerts(
        db: Database) -> None:
    async with db.transaction() as session:
        await seed_demo(session, now=NOW)
    before = await _count(db, select(func.count()).select_from(Report))
    async with db.transaction() as session:
        await seed_demo(session, now=NOW + timedelta(days=1))
    assert await _count(db, select(func.count()).select_from(Report)) == before
    assert await _count(db, select(func.count()).select_from(Member)) == 21
    async with db.transaction() as session:
        result = await run_tick(session, now=NOW, default_timezone="Asia/Shanghai")
    assert result.alerts == 0
    assert result.counts.get("prompt") == 18  # 09:00: every linked member is asked


def test_an_unknown_demo_locale_is_refused() -> None:
    with pytest.raises(ValueError, match="zh_CN, en"):
        demo_people("fr")


@pytest.mark.parametrize(("locale", "not_yet", "zero"), [
    ("zh_CN", "⏳ 尚不能零报告：应上报 {n} 人，还有 {n} 人未上报。", "✅ 零报告"),
    ("en", "⏳ No zero report yet: {n} expected, {n} have not reported.", "Zero report:"),
])
async def test_the_first_digest_says_nobody_has_reported_not_zero_report(
        db: Database, locale: str, not_yet: str, zero: str) -> None:
    # The demo starts after digest time with no report for today: the first digest a leader
    # sees used to say 零报告 beside 0 reported.
    evening = NOW + timedelta(hours=11)  # 20:00 in Shanghai
    async with db.transaction() as session:
        await seed_demo(session, now=evening, locale=locale)
        root = await session.scalar(select(Unit.id).where(Unit.parent_id.is_(None)))
        assert root is not None
        digest = (await compute_digests(session, now=evening, default_timezone="Asia/Shanghai",
                                        unit_ids=[root]))[root]
    assert digest.figures.reported == 0 and digest.figures.expected > 0
    # Past days were counted with the members the demo had then: two weeks of figures.
    assert all(f.expected == digest.figures.expected for _day, f in digest.history[:-1])
    with use_locale(locale):
        text = digest_text(digest)
    assert not_yet.format(n=digest.figures.expected) in text and zero not in text
