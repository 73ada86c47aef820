"""Retention beyond reports: unfinished forms go an hour after they expired (every tick),
members' questions and their answers after RETENTION_DAYS, so do stays in a unit that ended
before it, and on SQLite the purged text
leaves the database file (secure_delete). SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import (
    Draft,
    FaqAddition,
    Member,
    Membership,
    Question,
    QuestionKind,
    QuestionStatus,
    Report,
    ReportStatus,
    Unit,
    UnitDayReports,
)
from bot.runtime.tick import run_tick
from bot.services.purge import purge

NOW = datetime(2026, 11, 30, 4, tzinfo=UTC)  # 12:00 in Shanghai
SECRET_NOTE = "Zqxretention fever since Sunday night"


async def seed(db: Database) -> int:
    async with db.transaction() as s:
        unit = Unit(name="Group", path="")
        s.add(unit)
        await s.flush()
        unit.path = f"/{unit.id}/"
        member = Member(unit_id=unit.id, name="Ann", telegram_user_id=77)
        s.add(member)
        await s.flush()
        return member.id


def question(member_id: int, unit_id: int, asked: datetime, words: str) -> Question:
    return Question(kind=QuestionKind.QUESTION, member_id=member_id, telegram_user_id=77,
                    chat_id=77, unit_id=unit_id, locale="en", text=words,
                    status=QuestionStatus.ANSWERED, answer="Stay home.", created_at=asked)


async def test_the_tick_drops_forms_an_hour_after_they_expired(db: Database) -> None:
    await seed(db)
    form = {"temperature": "38.6", "note": SECRET_NOTE}
    async with db.transaction() as s:
        s.add(Draft(telegram_user_id=1, kind="report", step="note", data=form,
                    expires_at=NOW - timedelta(hours=2), updated_at=NOW))
        s.add(Draft(telegram_user_id=2, kind="report", step="note", data=form,
                    expires_at=NOW - timedelta(minutes=10), updated_at=NOW))
        s.add(Draft(telegram_user_id=3, kind="family", step="name", data={},
                    expires_at=NOW + timedelta(minutes=20), updated_at=NOW))
    async with db.transaction() as s:
        await run_tick(s, now=NOW, default_timezone="Asia/Shanghai")
    async with db.transaction() as s:
        left = sorted((await s.scalars(select(Draft.telegram_user_id))).all())
    # Ten minutes after expiry a late answer is still told its form expired.
    assert left == [2, 3]


async def test_questions_and_answers_go_after_the_retention_period(db: Database) -> None:
    member_id = await seed(db)
    async with db.transaction() as s:
        unit_id = (await s.get(Member, member_id)).unit_id  # type: ignore[union-attr]
        old = question(member_id, unit_id, NOW - timedelta(days=91), "Old: can I visit?")
        recent = question(member_id, unit_id, NOW - timedelta(days=89), "Recent: masks?")
        s.add_all([old, recent])
        await s.flush()
        s.add(FaqAddition(locale="en", entry_id="visit", category="gatherings",
                          question="Can I visit?", answer="No.", from_question_id=old.id,
                          created_at=NOW))
    async with db.transaction() as s:
        dry = await purge(s, now=NOW, retention_days=90, timezone="Asia/Shanghai",
                          dry_run=True)
        assert dry.questions == 1
    async with db.transaction() as s:
        done = await purge(s, now=NOW, retention_days=90, timezone="Asia/Shanghai")
    assert done.questions == 1
    async with db.transaction() as s:
        assert (await s.scalars(select(Question.text))).all() == ["Recent: masks?"]
        # The knowledge-base entry made from it stays, no longer pointing at it.
        assert (await s.scalars(select(FaqAddition.from_question_id))).all() == [None]


async def test_stays_in_a_unit_that_ended_before_the_period_go(db: Database) -> None:
    member_id = await seed(db)
    cutoff = NOW.date() - timedelta(days=90)
    async with db.transaction() as s:
        unit_id = (await s.get(Member, member_id)).unit_id  # type: ignore[union-attr]
        s.add_all([
            Membership(member_id=member_id, unit_id=unit_id, start_day=cutoff - timedelta(days=40),
                       end_day=cutoff - timedelta(days=1)),  # over before the period: goes
            Membership(member_id=member_id, unit_id=unit_id, start_day=cutoff - timedelta(days=9),
                       end_day=cutoff),  # its last day is the first one kept: stays
            Membership(member_id=member_id, unit_id=unit_id, start_day=cutoff, end_day=None),
        ])
    async with db.transaction() as s:
        dry = await purge(s, now=NOW, retention_days=90, timezone="Asia/Shanghai",
                          dry_run=True)
    assert dry.memberships == 1
    async with db.transaction() as s:
        assert (await purge(s, now=NOW, retention_days=90,
                            timezone="Asia/Shanghai")).memberships == 1
    async with db.transaction() as s:
        left = sorted((await s.execute(select(Membership.start_day, Membership.end_day))).all(),
                      key=lambda r: r[0])
    assert left == [(cutoff - timedelta(days=9), cutoff), (cutoff, None)]


async def test_the_counts_of_purged_days_go_with_their_reports(db: Database) -> None:
    member_id = await seed(db)
    cutoff = NOW.date() - timedelta(days=90)
    async with db.transaction() as s:
        member = await s.get(Member, member_id)
        assert member is not None
        for day in (cutoff - timedelta(days=1), cutoff):
            s.add(Report(member_id=member_id, unit_id=member.unit_id, report_date=day,
                         status=ReportStatus.ABNORMAL, temperature=Decimal("38.6")))
    async with db.transaction() as s:
        assert (await purge(s, now=NOW, retention_days=90, timezone="Asia/Shanghai")).reports
    async with db.transaction() as s:
        counts = (await s.execute(select(UnitDayReports.day, UnitDayReports.reports,
                                         UnitDayReports.abnormal))).all()
    assert [(d, n, a) for d, n, a in counts if d < NOW.date() - timedelta(days=30)] == [
        (cutoff, 1, 1)]


async def test_purged_text_leaves_the_sqlite_file(db: Database) -> None:
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL reuses the space on VACUUM; secure_delete is SQLite's
    member_id = await seed(db)
    async with db.transaction() as s:
        member = await s.get(Member, member_id)
        assert member is not None
        s.add(Report(member_id=member_id, unit_id=member.unit_id,
                     report_date=NOW.date() - timedelta(days=200), note=SECRET_NOTE,
                     status=ReportStatus.ABNORMAL, temperature=Decimal("38.6")))
    async with db.transaction() as s:
        assert (await purge(s, now=NOW, retention_days=90, timezone="Asia/Shanghai")).reports
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Report)) == 0
    await db.engine.dispose()  # the pool's connections closed, the WAL folds into the file
    path = Path(db.engine.url.database or "")
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stored = path.read_bytes() + (path.with_name(path.name + "-wal").read_bytes()
                                  if path.with_name(path.name + "-wal").exists() else b"")
    assert SECRET_NOTE.encode() not in stored
