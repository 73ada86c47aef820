"""bot.services.reports.one_tap: the prompt's "all well" in Core statements stores exactly what the
general path stores, and leaves every other case to it having written nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import Draft, HouseholdEntry, HouseholdReport, Member, Report
from bot.services.reports import one_tap
from bot.services.reports import store as reports
from bot.services.reports.choice import Choice, ChoiceOutcome, choose
from bot.services.reports.one_tap import AllWell
from bot.services.reports.schedule import schedule_for
from tests.reports.helpers import MONDAY, at, member, seed_member
from tests.support.builders import seed_members, seed_unit

TZ = "Asia/Shanghai"


async def all_well(db: Database, uid: int, now: datetime,
                   button_day: date = MONDAY) -> AllWell | None:
    async with db.direct() as connection:
        return await one_tap.report_all_well(connection, telegram_user_id=uid,
                                             button_day=button_day, now=now,
                                             default_timezone=TZ)


async def general(db: Database, uid: int, now: datetime) -> None:
    async with db.transaction() as s:
        m = await s.scalar(select(Member).where(Member.telegram_user_id == uid))
        assert m is not None
        result = await choose(s, member=m, telegram_user_id=uid, button_day=MONDAY,
                              choice=Choice.OK, amend=False, now=now, default_timezone=TZ)
        assert result.outcome is ChoiceOutcome.SAVED


async def row(db: Database, member_id: int) -> dict[str, Any]:
    """A stored report as comparable data: every column but ids, and its household rows."""
    async with db.transaction() as s:
        report = await reports.get_report(s, member_id, MONDAY)
        assert report is not None
        columns = {c.key: getattr(report, c.key) for c in Report.__table__.columns
                   if c.key not in ("id", "member_id")}
        household = [(h.relation, h.name, h.temperature, h.symptoms, h.note,
                      h.household_id is not None) for h in report.household]
        return {**columns, "household": household}


async def counts(db: Database) -> tuple[int, int]:
    async with db.transaction() as s:
        return (int(await s.scalar(select(func.count()).select_from(Report)) or 0),
                int(await s.scalar(select(func.count()).select_from(HouseholdReport)) or 0))


@pytest.mark.parametrize("hhmm", ["08:15", "12:30"])  # on time; after the 12:00 deadline
async def test_stores_the_same_report_as_the_general_path(db: Database, hhmm: str) -> None:
    household = [("spouse", "Li Na"), ("child", "Xiao Ming")]
    fast = await seed_member(db, 4101, household=household)
    slow = await seed_member(db, 4102, household=household)
    now = at(MONDAY, hhmm)

    done = await all_well(db, 4101, now)
    await general(db, 4102, now)

    assert done is not None and done.day == MONDAY and done.schedule.timezone == TZ
    assert done.saved.created and done.saved.report.id is not None
    assert done.saved.report.late is (hhmm == "12:30")
    # Every stored column and household row equal, but for the member's own name and id.
    fast_row, slow_row = await row(db, fast), await row(db, slow)
    assert fast_row == slow_row
    assert [h[:2] for h in fast_row["household"]] == household
    # What the confirmation shows is read from the returned report, as on the general path.
    view = reports.view(done.saved.report)
    assert [p.name for p in view.entry.people] == ["", "Li Na", "Xiao Ming"]  # "" is "me"


async def test_other_cases_are_left_to_the_general_path_with_nothing_written(
    db: Database
) -> None:
    await seed_member(db, 4201, household=[("spouse", "Li Na")])
    now = at(MONDAY, "08:00")
    assert await all_well(db, 9999, now) is None  # nobody linked to this user
    assert await all_well(db, 4201, now, button_day=MONDAY - timedelta(days=3)) is None
    assert await counts(db) == (0, 0)

    assert await all_well(db, 4201, now) is not None
    assert await counts(db) == (1, 1)
    assert await all_well(db, 4201, now + timedelta(minutes=1)) is None  # reported already
    assert await counts(db) == (1, 1)


async def test_a_former_member_is_not_reported_for(db: Database) -> None:
    mid = await seed_member(db, 4301)
    async with db.transaction() as s:
        m = await s.get(Member, mid)
        assert m is not None
        m.active = False
    assert await all_well(db, 4301, at(MONDAY, "08:00")) is None
    assert await counts(db) == (0, 0)


async def test_ends_an_open_report_form_only(db: Database) -> None:
    await seed_member(db, 4401)
    await seed_member(db, 4402)
    now = at(MONDAY, "08:00")
    async with db.transaction() as s:
        s.add_all([Draft(telegram_user_id=4401, kind="report", step="s", data={},
                         expires_at=now + timedelta(hours=1)),
                   Draft(telegram_user_id=4402, kind="family", step="s", data={},
                         expires_at=now + timedelta(hours=1))])
    assert await all_well(db, 4401, now) is not None
    assert await all_well(db, 4402, now) is not None
    async with db.transaction() as s:
        assert await s.get(Draft, 4401) is None
        assert await s.get(Draft, 4402) is not None  # another kind of form stays


async def test_a_unit_deep_in_the_tree_inherits_its_schedule(db: Database) -> None:
    async with db.transaction() as s:
        await seed_unit(s, ["Group"], timezone="America/New_York", deadline_time="09:00")
        await seed_unit(s, ["Group", "Company"], prompt_time="06:00")
        cell = await seed_unit(s, ["Group", "Company", "Branch", "Cell"])
        [m] = await seed_members(s, cell, [4501])
        s.add(HouseholdEntry(member_id=m.id, relation="mother", name="Wang", active=False))
        expected = await schedule_for(s, cell, TZ)
    now = at(MONDAY, "09:30", "America/New_York")  # after that zone's 09:00 deadline
    done = await all_well(db, 4501, now)
    assert done is not None and done.schedule == expected
    assert expected.timezone == "America/New_York" and expected.prompt.hour == 6
    assert done.saved.report.late
    assert await counts(db) == (1, 0)  # an inactive household entry is not reported for
    stored = await member(db, m.id)
    assert stored.unit_id == cell.id
