"""The dashboard's own reading of today's figures equals the digests' engine (compute_digests)
for every unit: with reports, an abnormal one, a leave, a report on leave, a holiday on a
branch, a unit that skips weekends, an inactive member, an open alert."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from bot.db import Database
from bot.db.models import Holiday, Leave, Member, Unit
from bot.services.digest import alerts
from bot.services.digest.compute import compute_digests
from bot.services.reports.store import PersonHealth, ReportInput, save_report
from bot.services.webapp.today import unit_figures
from tests.support.builders import (
    BEN,
    BOB,
    CARA,
    DORA,
    MIA,
    MONDAY,
    NOW,
    SATURDAY,
    TZ,
    at,
    seed_org,
)


async def _report(db: Database, member_id: int, day: date, now: datetime,
                  temperature: str | None = None) -> None:
    async with db.transaction() as s:
        member = await s.get(Member, member_id)
        assert member is not None
        saved = await save_report(s, member=member, day=day, entry=ReportInput((PersonHealth(
            None, "", member.name, Decimal(temperature) if temperature else None, ()),)),
            now=now, default_timezone=TZ)
        await alerts.alert_report(s, report_id=saved.report.id, now=now, default_timezone=TZ,
                                  default_locale="en")


async def _same(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        expected = await compute_digests(s, now=now, default_timezone=TZ, history=False)
        for unit_id, digest in expected.items():
            unit = await s.get(Unit, unit_id)
            assert unit is not None
            mine = await unit_figures(s, unit, now=now, default_timezone=TZ)
            assert (mine.day, mine.day_off, mine.figures) == (
                digest.day, digest.day_off, digest.figures), unit.name
            assert mine.subunits == digest.subunits, unit.name
            assert mine.alerts == digest.alerts, unit.name


async def test_the_dashboards_figures_are_the_digests(db: Database) -> None:
    o = await seed_org(db)
    await _report(db, o.members[MIA], MONDAY, NOW)
    await _report(db, o.members[CARA], MONDAY, NOW, "38.6")
    await _report(db, o.members[BEN], MONDAY, NOW)
    async with db.transaction() as s:
        s.add(Leave(member_id=o.members[BEN], start_date=MONDAY, end_date=MONDAY,
                    created_at=NOW))
        s.add(Leave(member_id=o.members[DORA], start_date=MONDAY - timedelta(days=2),
                    end_date=MONDAY + timedelta(days=1), created_at=NOW))
        member = await s.get(Member, o.members[BOB])
        assert member is not None
        member.active = False
    await _same(db, NOW)
    async with db.transaction() as s:  # a second tree: the first's root reads none of it
        other = Unit(name="Other", path="/")
        s.add(other)
        await s.flush()
        other.path = f"/{other.id}/"
        s.add(Member(unit_id=other.id, name="Olga"))
        s.add(Holiday(unit_id=o.units["Branch 1"], day=MONDAY, name="Branch day"))
    await _same(db, NOW)
    async with db.transaction() as s:
        for unit in (await s.scalars(select(Unit))).all():
            unit.skip_weekends = unit.name == "Company B"
    await _same(db, at(SATURDAY, "10:00"))
    await _same(db, datetime(2026, 11, 30, 23, 30, tzinfo=UTC))  # the next day in Shanghai
