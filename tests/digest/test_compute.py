"""The digest's figures: roll-ups, rates, leave and days off, moved members, time zones,
abnormal cases and who is missing (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, update

from bot.db import Database
from bot.db.models import Account, Holiday, Leave, Member, Unit
from bot.services.digest import compute
from bot.services.digest.compute import Figures, Reach, compute_digests
from bot.services.digest.fixing import fix_due
from bot.services.members.history import assign
from tests.digest.helpers import MONDAY, SHANGHAI, SUNDAY, at, digests, members, report, unit

NOW = at(MONDAY, "13:00")


def figures(f: Figures) -> tuple[int, int, int]:
    return f.expected, f.reported, f.abnormal


async def seed_tree(db: Database) -> dict[str, Any]:
    """Group ─ Company A ─ Branch 1, Branch 2; Group ─ Company B; one member in Group."""
    async with db.transaction() as s:
        group = await unit(s, "Group")
        a = await unit(s, "Group", "Company A")
        b1 = await unit(s, "Group", "Company A", "Branch 1")
        b2 = await unit(s, "Group", "Company A", "Branch 2")
        b = await unit(s, "Group", "Company B")
        m1 = await members(s, b1, ["Ann", "Bob", "Cai"], first_uid=101)
        m2 = await members(s, b2, ["Dan", "Eve"], first_uid=111)
        mb = await members(s, b, ["Fay", "Gus", "Hal", "Ivy"], first_uid=121)
        [boss] = await members(s, group, ["Boss"], first_uid=131)
        await report(s, m1[0], MONDAY)
        await report(s, m1[1], MONDAY, abnormal=True, temperature="38.2", symptoms=["cough"])
        await report(s, m2[0], MONDAY)
        await report(s, mb[0], MONDAY)
        await report(s, mb[1], MONDAY, abnormal=True, contact=True)
        await report(s, boss, MONDAY)
        for m in [*m1, *m2, *mb]:
            await report(s, m, SUNDAY)
    return {"group": group, "a": a, "b1": b1, "b2": b2, "b": b, "m1": m1, "mb": mb,
            "boss": boss}


async def test_a_parents_figures_are_the_sum_of_its_childrens(db: Database) -> None:
    t = await seed_tree(db)
    result = await digests(db)
    assert figures(result[t["b1"].id].figures) == (3, 2, 1)
    assert figures(result[t["b2"].id].figures) == (2, 1, 0)
    assert figures(result[t["a"].id].figures) == (5, 3, 1)
    assert figures(result[t["b"].id].figures) == (4, 2, 1)
    root = result[t["group"].id]
    assert figures(root.figures) == (10, 6, 2)
    total = Figures()
    for line in root.subunits:
        total.add(line.figures)
    assert figures(total) == figures(root.figures)
    # The root's own member is a line of its own; ranked by rate, lowest first.
    assert [(s.name, s.unit_id) for s in root.subunits] == [
        ("Company B", t["b"].id), ("Company A", t["a"].id), ("Group", None)]
    for d in result.values():
        children = [s for s in d.subunits]
        if children:
            summed = Figures()
            for s in children:
                summed.add(s.figures)
            assert figures(summed) == figures(d.figures)


async def test_change_since_yesterday_and_history(db: Database) -> None:
    t = await seed_tree(db)
    d = (await digests(db))[t["group"].id]
    assert figures(d.previous) == (10, 9, 0)
    assert len(d.history) == 14 and d.history[-1][0] == MONDAY
    assert d.history[0][0] == MONDAY - timedelta(days=13)
    assert figures(d.history[-2][1]) == (10, 9, 0)


async def test_only_the_charted_units_read_the_charts_days(db: Database) -> None:
    """`charts`: those units' history is the whole chart's, every other unit's today and
    yesterday, and each day's figures are the same as when every unit's chart is read:
    counted from the members of the day, then stored (fix_due)."""
    t = await seed_tree(db)
    async with db.transaction() as s:
        for back in range(2, 12):
            await report(s, t["m1"][back % 3], MONDAY - timedelta(days=back),
                         abnormal=back % 4 == 0)
            await report(s, t["mb"][back % 4], MONDAY - timedelta(days=back))

    def seen(history: Any) -> list[tuple[Any, tuple[int, int, int]]]:
        return [(day, figures(f)) for day, f in history]

    for stored in (False, True):
        if stored:
            async with db.transaction() as s:
                while await fix_due(s, now=NOW, default_timezone=SHANGHAI):
                    pass
        every = await digests(db)
        charted = await digests(db, charts=[t["a"].id, t["b1"].id])
        assert every.keys() == charted.keys()
        for unit_id, d in every.items():
            other = charted[unit_id]
            assert figures(other.figures) == figures(d.figures)
            assert figures(other.previous) == figures(d.previous)
            if unit_id in (t["a"].id, t["b1"].id):
                assert len(other.history) == 14
                assert seen(other.history) == seen(d.history)
            else:
                assert seen(other.history) == seen(d.history)[-2:]
        # The days before yesterday hold reports: the comparison above is not of zeros.
        assert any(reported for _day, (_e, reported, _a) in seen(every[t["b1"].id].history)[:-2])


async def test_rates_with_nobody_expected(db: Database) -> None:
    async with db.transaction() as s:
        empty = await unit(s, "Empty")
        away = await unit(s, "Away")
        [m] = await members(s, away, ["Away One"])
        s.add(Leave(member_id=m.id, start_date=SUNDAY, end_date=MONDAY))
        await report(s, m, MONDAY)  # reports while on leave: not expected, not counted
    result = await digests(db)
    assert figures(result[empty.id].figures) == (0, 0, 0)
    assert result[empty.id].figures.rate is None
    assert figures(result[away.id].figures) == (0, 0, 0)
    assert result[away.id].figures.rate is None and result[away.id].missing == []


async def test_a_holiday_takes_the_subtree_out_of_the_figures(db: Database) -> None:
    t = await seed_tree(db)
    async with db.transaction() as s:
        s.add(Holiday(unit_id=t["a"].id, day=MONDAY, name="Founders' day"))
    result = await digests(db)
    assert result[t["a"].id].day_off and result[t["b1"].id].day_off
    assert not result[t["group"].id].day_off
    # Abnormal reports still count on a day off; expected and reported do not.
    assert figures(result[t["a"].id].figures) == (0, 0, 1)
    assert figures(result[t["group"].id].figures) == (5, 3, 2)
    assert {m.name for m in result[t["group"].id].missing} == {"Hal", "Ivy"}


async def test_the_tree_kept_between_runs_follows_the_units_and_holidays(db: Database) -> None:
    """The unit tree is kept from one run to the next (bot.services.digest.tree.org_tree):
    a holiday, a unit renamed, moved or closed since shows in the next run."""
    t = await seed_tree(db)
    before = await digests(db)
    assert not before[t["a"].id].day_off
    async with db.transaction() as s:
        s.add(Holiday(unit_id=t["a"].id, day=MONDAY, name="Founders' day"))
    assert (await digests(db))[t["b1"].id].day_off
    async with db.transaction() as s:
        await s.execute(update(Unit).where(Unit.id == t["b"].id).values(name="Company Bee"))
        # Branch 2 moves under Company Bee (path and parent), Branch 1 closes.
        await s.execute(update(Unit).where(Unit.id == t["b2"].id).values(
            parent_id=t["b"].id, path=f"{t['b'].path}{t['b2'].id}/"))
        await s.execute(update(Unit).where(Unit.id == t["b1"].id).values(active=False))
    after = await digests(db)
    assert after[t["b"].id].unit_name == "Company Bee"
    assert t["b1"].id not in after
    assert [s.unit_id for s in after[t["a"].id].subunits] == []
    assert {s.unit_id for s in after[t["b"].id].subunits} == {t["b2"].id, None}
    assert figures(after[t["b"].id].figures) == (6, 3, 1)  # Company B's four and Branch 2's two


async def test_a_member_who_moved_counts_in_the_new_unit_from_today_only(db: Database) -> None:
    t = await seed_tree(db)
    async with db.transaction() as s:
        # Ann reported in Branch 1 on both days, then moved to Company B this morning.
        ann = await s.get(Member, t["m1"][0].id)
        assert ann is not None
        await assign(s, [(ann, t["b"].id)], now=at(MONDAY, "09:30"), default_timezone=SHANGHAI)
    result = await digests(db)
    assert figures(result[t["b1"].id].figures) == (2, 1, 1)
    assert figures(result[t["b"].id].figures) == (5, 3, 1)
    assert figures(result[t["group"].id].figures) == (10, 6, 2)
    # Sunday keeps the people each unit had on Sunday.
    assert figures(result[t["b"].id].previous) == (4, 4, 0)
    assert figures(result[t["b1"].id].previous) == (3, 3, 0)


async def test_each_unit_uses_its_own_local_date(db: Database) -> None:
    """17:00 UTC on Monday: Tuesday 01:00 in Shanghai (UTC+8), Monday 12:00 in New York
    (UTC-5); each unit counts the reports of its own date."""
    async with db.transaction() as s:
        east = await unit(s, "East", timezone="Asia/Shanghai")
        west = await unit(s, "West", timezone="America/New_York")
        [e] = await members(s, east, ["E"])
        [w] = await members(s, west, ["W"])
        await report(s, e, MONDAY)
        await report(s, w, MONDAY)
    now = at(MONDAY, "17:00", "UTC")
    result = await digests(db, now=now)
    assert result[east.id].day == MONDAY + timedelta(days=1)
    assert figures(result[east.id].figures) == (1, 0, 0)
    assert figures(result[east.id].previous) == (1, 1, 0)
    assert result[west.id].day == MONDAY
    assert figures(result[west.id].figures) == (1, 1, 0)
    assert result[east.id].timezone == "Asia/Shanghai"


async def test_abnormal_cases_name_who_and_what(db: Database) -> None:
    async with db.transaction() as s:
        group = await unit(s, "Group")
        cell = await unit(s, "Group", "Branch", "Cell 7")
        [li, wu] = await members(s, cell, ["Li Lei", "Wu Di"])
        await report(s, li, MONDAY, abnormal=True, at_time=at(MONDAY, "08:05"),
                     household=[("son", "Li Xiao", "38.6", ["fever"]),
                                ("wife", "Han Mei", None, [])])
        await report(s, wu, MONDAY, abnormal=True, temperature="37.8", contact=True,
                     at_time=at(MONDAY, "09:40"))
    d = (await digests(db))[group.id]
    assert [(c.person, c.relation, c.unit_label) for c in d.cases] == [
        ("Li Xiao", "son", "Branch / Cell 7"), ("Wu Di", None, "Branch / Cell 7")]
    son, wu_case = d.cases
    assert son.member_name == "Li Lei" and str(son.temperature) == "38.6"
    assert son.symptoms == ("fever",) and son.reported_at == at(MONDAY, "08:05")
    assert wu_case.contact_case and str(wu_case.temperature) == "37.8"
    assert d.figures.abnormal == 2


async def test_missing_members_grouped_with_blocked_and_unlinked_apart(db: Database) -> None:
    async with db.transaction() as s:
        group = await unit(s, "Group")
        cell = await unit(s, "Group", "Cell")
        [a, b, c] = await members(s, cell, ["Zed", "Amy", "Blocked Bo"], first_uid=201)
        await members(s, cell, ["Never Linked"])
        await members(s, cell, ["Gone"], active=False)
        await s.execute(update(Account).where(Account.telegram_user_id == 203)
                        .values(blocked_at=NOW))
    d = (await digests(db))[group.id]
    assert [(m.name, m.unit_label) for m in d.missing_by(Reach.PENDING)] == [
        ("Amy", "Cell"), ("Zed", "Cell")]
    assert [m.name for m in d.missing_by(Reach.BLOCKED)] == ["Blocked Bo"]
    assert [m.name for m in d.missing_by(Reach.UNLINKED)] == ["Never Linked"]
    assert figures(d.figures) == (4, 0, 0)


async def test_the_query_count_does_not_grow_with_the_organisation(db: Database) -> None:
    async def count_queries(n_units: int) -> int:
        async with db.transaction() as s:
            for i in range(n_units):
                u = await unit(s, "Org", f"Company {n_units}-{i}")
                ms = await members(s, u, [f"P{n_units}-{i}-{k}" for k in range(3)])
                await report(s, ms[0], MONDAY, abnormal=True, temperature="38.0")
        seen = []

        def on_execute(*_args: Any) -> None:
            seen.append(1)

        event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
        try:
            result = await digests(db)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)
        assert len(result) >= n_units
        return len(seen)

    small = await count_queries(2)
    large = await count_queries(40)
    # 9 for today, 1 for the stored past days, 5 to count the days not stored yet.
    assert small == large <= 15


async def test_members_of_an_inactive_unit_are_left_out(db: Database) -> None:
    async with db.transaction() as s:
        group = await unit(s, "Group")
        closed = await unit(s, "Group", "Closed", active=False)
        await members(s, closed, ["Left behind"], first_uid=601)
        [here] = await members(s, group, ["Here"])
        await report(s, here, MONDAY, abnormal=True, temperature="38.0")
    result = await digests(db)
    assert closed.id not in result
    d = result[group.id]
    assert figures(d.figures) == (1, 1, 1) and d.missing == [] and len(d.cases) == 1
    async with db.transaction() as s:
        assert await compute_digests(s, now=NOW, default_timezone=SHANGHAI,
                                     unit_ids=[closed.id]) == {}


def _seen(d: Any) -> tuple[Any, ...]:
    """What a reader sees of a digest: figures, sub-units, cases, the missing in order with
    their labels, alerts."""
    return (figures(d.figures), figures(d.previous),
            [(x.unit_id, figures(x.figures)) for x in d.subunits],
            [(c.person, c.unit_names) for c in d.cases],
            [(m.name, m.unit_names, m.reach) for m in d.missing], len(d.missing),
            [[m.name for m in d.missing_by(r)] for r in Reach], d.missing[:2], d.missing[-1:])


async def test_a_units_digest_alone_is_the_one_among_all(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """/status reads one unit (the whole tree unfiltered when it is the root, a small subtree
    by its unit ids, a large one by its path), the daily run every unit at once, each
    digest's missing members a slice of one shared list: the same digest either way."""
    t = await seed_tree(db)
    async with db.transaction() as s:
        [c1] = await members(s, t["b1"], ["Al"], first_uid=141)
        deep = await unit(s, "Group", "Company A", "Branch 1", "Cell 1")
        await members(s, deep, ["Zoe", "Abe"], first_uid=151)
        await members(s, t["b2"], ["Unlinked Uma"])
        await s.execute(update(Account).where(Account.telegram_user_id == c1.telegram_user_id)
                        .values(blocked_at=NOW))
    every = await digests(db)
    assert len(every[t["group"].id].missing) == 8
    for listed in (compute._LISTED_SUBTREE, 0):  # small subtrees by ids, then by path
        monkeypatch.setattr(compute, "_LISTED_SUBTREE", listed)
        for unit_id, d in every.items():
            alone = (await digests(db, unit_ids=[unit_id], history=False))[unit_id]
            assert _seen(alone) == _seen(d), (listed, unit_id)
