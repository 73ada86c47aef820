"""`selfreport org admin add|remove`, `org role`, `audit` and `purge`, and the tick's daily
purge, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.cli.entry import main
from bot.db import Database
from bot.db.models import (
    AuditEntry,
    HouseholdReport,
    Member,
    OutboxMessage,
    OutboxStatus,
    Report,
    ReportRevision,
    ReportStatus,
    Role,
    Unit,
)
from bot.runtime.tick import run_tick
from bot.services.purge import purge
from tests.support.cli import _keep_logging, cli_db, out_lines, run_db

__all__ = ["_keep_logging", "cli_db"]


def seed(url: str) -> None:
    async def work(s: Any) -> None:
        unit = Unit(name="Group", path="")
        s.add(unit)
        await s.flush()
        unit.path = f"/{unit.id}/"
        s.add(Member(unit_id=unit.id, name="Ann", phone="+8613800138000"))

    run_db(url, work)


def role_of(url: str) -> Role:
    async def work(s: Any) -> Role:
        return (await s.scalars(select(Member.role))).one()  # type: ignore[no-any-return]

    result: Role = run_db(url, work)
    return result


def test_admin_add_remove_and_role_are_audited(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(cli_db)
    assert main(["org", "admin", "add", "138 0013 8000"]) == 0
    assert out_lines(capsys)[0] == ["Ann: member → admin"]
    assert role_of(cli_db) is Role.ADMIN
    assert main(["org", "admin", "add", "+8613800138000"]) == 0
    assert out_lines(capsys)[0] == ["Ann is already admin; nothing changed."]
    assert main(["org", "role", "13800138000", "leader"]) == 0
    assert out_lines(capsys)[0] == ["Ann: admin → leader"]
    assert main(["org", "admin", "remove", "13800138000"]) == 2
    assert out_lines(capsys)[1] == ["selfreport: Ann is not an admin (role: leader)"]
    assert main(["org", "admin", "add", "13900139000"]) == 2
    assert "nobody on the roster" in out_lines(capsys)[1][0]
    assert main(["org", "admin", "add", "hello"]) == 2
    assert "is not a phone number" in out_lines(capsys)[1][0]
    assert role_of(cli_db) is Role.LEADER

    assert main(["audit", "--action", "role_change"]) == 0
    out, _err = out_lines(capsys)
    assert len(out) == 2
    assert out[0].endswith('cli  role_change  member:1  {"from": "member", "to": "admin"}')
    assert out[1].endswith('{"from": "admin", "to": "leader"}')
    assert main(["audit", "--limit", "1"]) == 0
    assert len(out_lines(capsys)[0]) == 1
    assert main(["audit", "--since", "2999-01-01"]) == 0
    assert out_lines(capsys)[0] == ["No audit entries."]
    assert main(["audit", "--since", "yesterday"]) == 2
    assert main(["audit", "--actor", "tg:1"]) == 0
    assert out_lines(capsys)[0] == ["No audit entries."]


async def seed_reports(db: Database, today: date) -> None:
    async with db.transaction() as s:
        unit = Unit(name="Group", path="")
        s.add(unit)
        await s.flush()
        unit.path = f"/{unit.id}/"
        member = Member(unit_id=unit.id, name="Ann", telegram_user_id=77)
        s.add(member)
        await s.flush()
        for age in (0, 89, 90, 91, 200):
            report = Report(member_id=member.id, unit_id=unit.id,
                            report_date=today - timedelta(days=age),
                            status=ReportStatus.ABNORMAL, temperature=Decimal("38.0"))
            report.household = [HouseholdReport(relation="spouse", name="Bo")]
            s.add(report)
            await s.flush()
            s.add(ReportRevision(report_id=report.id, revision=1, previous={}))
        old = datetime.combine(today, datetime.min.time(), tzinfo=UTC) - timedelta(days=100)
        for key, status, created in (("a", OutboxStatus.SENT, old),
                                     ("b", OutboxStatus.PENDING, old),
                                     ("c", OutboxStatus.SENT, old + timedelta(days=50))):
            s.add(OutboxMessage(dedup_key=key, kind="prompt", chat_id=77, payload={},
                                status=status, created_at=created))


async def counts(db: Database) -> tuple[int, ...]:
    async with db.transaction() as s:
        return tuple([int(await s.scalar(select(func.count()).select_from(t)) or 0)
                      for t in (Report, HouseholdReport, ReportRevision, OutboxMessage)])


async def test_purge_dry_run_then_for_real(db: Database) -> None:
    now = datetime(2026, 11, 30, 4, tzinfo=UTC)  # 12:00 in Shanghai
    await seed_reports(db, date(2026, 11, 30))
    async with db.transaction() as s:
        dry = await purge(s, now=now, retention_days=90, timezone="Asia/Shanghai",
                          dry_run=True)
    assert (dry.reports, dry.household_reports, dry.revisions, dry.outbox) == (2, 2, 2, 1)
    assert await counts(db) == (5, 5, 5, 3)
    async with db.transaction() as s:
        done = await purge(s, now=now, retention_days=90, timezone="Asia/Shanghai")
    assert done.cutoff == date(2026, 9, 1) and done.total == 7
    assert await counts(db) == (3, 3, 3, 2)
    async with db.transaction() as s:
        kept = set((await s.scalars(select(OutboxMessage.dedup_key))).all())
        assert kept == {"b", "c"}  # pending rows are never purged
        [entry] = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "purge"))).all()
        assert entry.details["reports"] == 2 and entry.actor == "cli"


async def test_the_tick_purges_once_a_day(db: Database) -> None:
    now = datetime(2026, 11, 30, 4, tzinfo=UTC)
    await seed_reports(db, date(2026, 11, 30))

    async def tick(at: datetime) -> None:
        async with db.transaction() as s:
            await run_tick(s, now=at, default_timezone="Asia/Shanghai", retention_days=90)

    await tick(now)
    assert await counts(db) == (3, 3, 3, 2)
    # More old data the same day: the next ticks leave it for tomorrow's purge.
    async with db.transaction() as s:
        member = (await s.scalars(select(Member))).one()
        s.add(Report(member_id=member.id, unit_id=member.unit_id,
                     report_date=date(2026, 1, 1), status=ReportStatus.OK))
    await tick(now + timedelta(minutes=1))
    await tick(now + timedelta(hours=3))
    assert (await counts(db))[0] == 4
    await tick(now + timedelta(days=1))  # the Jan report and the one now 91 days old
    assert (await counts(db))[0] == 2
    async with db.transaction() as s:
        targets = (await s.scalars(select(AuditEntry.target).where(
            AuditEntry.action == "purge").order_by(AuditEntry.id))).all()
    assert targets == ["day:2026-11-30", "day:2026-12-01"]


def test_purge_cli(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    async def work(s: Any) -> None:
        unit = Unit(name="Group", path="")
        s.add(unit)
        await s.flush()
        unit.path = f"/{unit.id}/"
        member = Member(unit_id=unit.id, name="Ann")
        s.add(member)
        await s.flush()
        s.add(Report(member_id=member.id, unit_id=unit.id, report_date=date(2020, 1, 1),
                     status=ReportStatus.OK))

    run_db(cli_db, work)
    assert main(["purge", "--dry-run"]) == 0
    out, _err = out_lines(capsys)
    assert out[0].startswith("Would delete: 1 reports from before")
    assert main(["purge"]) == 0
    out, _err = out_lines(capsys)
    assert out[0].startswith("Deleted: 1 reports")
    assert main(["purge"]) == 0
    assert out_lines(capsys)[0][0].startswith("Deleted: 0 reports")


async def test_the_running_bots_tick_purges_with_retention_days(
    bot_app: Any, db: Database
) -> None:
    from bot.runtime.jobs import tick_now

    now = datetime(2026, 11, 30, 4, 10, tzinfo=UTC)  # 12:10 in Shanghai: nothing else is due
    await seed_reports(db, date(2026, 11, 30))
    bot_app.bot_data.clock = lambda: now
    await tick_now(bot_app)
    await tick_now(bot_app)
    assert await counts(db) == (3, 3, 3, 2)
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "purge", AuditEntry.actor == "tick")) == 1
