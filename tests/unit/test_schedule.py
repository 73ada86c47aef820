from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.db import Database
from bot.db.models import Holiday, Unit
from bot.services.org import units as org
from bot.services.reports import schedule
from bot.services.reports.schedule import ScheduleError, parse_hhmm, parse_times

NOW = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def _unit(**fields: object) -> Unit:
    return Unit(name="u", path="/1/", **fields)


def test_defaults_when_nothing_is_set() -> None:
    s = schedule.resolve([_unit()], "Asia/Shanghai")
    assert (s.prompt, s.reminders, s.deadline) == (time(7, 30), (time(10), time(11, 30)),
                                                   time(12))
    assert s.digest == time(12, 30) and not s.skip_weekends


def test_children_inherit_what_they_do_not_set() -> None:
    root = _unit(timezone="Europe/Berlin", prompt_time="08:00", reminder_times="09:00",
                 skip_weekends=True)
    child = _unit(prompt_time="06:45", deadline_time="10:00", reminder_times="")
    s = schedule.resolve([root, child], "Asia/Shanghai")
    assert s.timezone == "Europe/Berlin"
    assert s.prompt == time(6, 45)
    assert s.reminders == ()  # an explicit empty list means no reminders
    assert s.deadline == time(10) and s.digest == time(10, 30)
    assert s.skip_weekends


def test_local_date_follows_the_units_zone() -> None:
    # 23:30 UTC on the 27th is already the 28th in Shanghai, still the 27th in Berlin.
    now = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    assert schedule.resolve([_unit()], "Asia/Shanghai").local_date(now) == date(2026, 11, 28)
    assert schedule.resolve([_unit(timezone="Europe/Berlin")], "UTC").local_date(now) == \
        date(2026, 11, 28)
    assert schedule.resolve([_unit(timezone="America/New_York")], "UTC").local_date(now) == \
        date(2026, 11, 27)


@pytest.mark.parametrize("text", ["7:30", "07:30", " 07：30 "])
def test_times_parse(text: str) -> None:
    assert parse_hhmm(text) == time(7, 30)


@pytest.mark.parametrize("text", ["", "7", "24:00", "12:60", "ab:cd", "1:2", "123:00", "-1:00"])
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(ScheduleError):
        parse_hhmm(text)


@given(st.text(max_size=40))
def test_time_lists_parse_or_refuse_cleanly(text: str) -> None:
    try:
        times = parse_times(text)
    except ScheduleError:
        return
    assert list(times) == sorted(set(times))
    assert parse_times(schedule.format_times(times)) == times


async def test_holidays_on_an_ancestor_and_weekends_are_days_off(db: Database) -> None:
    async with db.transaction() as s:
        branch = await org.ensure_unit(s, ["G", "C", "B"], now=NOW)
        root = await org.ensure_unit(s, ["G"], now=NOW)
        root.skip_weekends = True
        s.add(Holiday(unit_id=root.id, day=date(2026, 12, 1), name="x"))
    async with db.transaction() as s:
        unit = await s.get(Unit, branch.id)
        assert unit is not None
        sched = await schedule.schedule_for(s, unit, "Asia/Shanghai")
        assert await schedule.is_day_off(s, unit, sched, date(2026, 12, 1))  # holiday, Tue
        assert await schedule.is_day_off(s, unit, sched, date(2026, 11, 28))  # Saturday
        assert not await schedule.is_day_off(s, unit, sched, date(2026, 11, 30))  # Monday
        all_s = await schedule.all_schedules(s, "Asia/Shanghai")
        assert all_s[unit.id] == sched
