"""The duty roster's services against both databases: import, reminders, alerts, swaps,
permissions, the digest line and volunteers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import AuditEntry, Shift
from bot.i18n import use_locale
from bot.render.digest import digest_text
from bot.services.digest.compute import compute_digests
from bot.services.duty import shifts as duty
from bot.services.duty import volunteers
from bot.services.duty.file import DutyErrorCode, read_duty
from bot.services.duty.importer import import_duty
from bot.services.duty.volunteers import VolunteerForm
from tests.duty.helpers import TUESDAY, TZ, add_shift, duty_rows, scope_of, seed, tick
from tests.support.builders import ALAN, BEN, BOB, DORA, GINA, MIA, MONDAY, at

HEADER = "unit,date,start,end,post,phone\n"
GOOD = (HEADER
        + "Group/Company A/Branch 1,2026-12-01,08:00,12:00,Gate checkpoint,13800138003\n"
        + "Group/Company A/Branch 1,2026/12/1,12:00,16:00,Gate checkpoint,13800138005\n"
        + "Group/Company B,2026-12-01,22:00,06:00,Night patrol,138 0013 8007\n")


async def _count(db: Database) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(Shift)) or 0)


async def test_import_good_rows_is_idempotent(db: Database) -> None:
    await seed(db)
    parsed = read_duty(GOOD.encode(), filename="duty.csv")
    assert parsed.errors == [] and len(parsed.rows) == 3
    async with db.transaction() as s:
        summary = await import_duty(s, parsed, scope=None, now=at(MONDAY, "09:00"))
    assert (summary.added, summary.unchanged, summary.stopped) == (3, 0, False)
    async with db.transaction() as s:
        again = await import_duty(s, parsed, scope=None, now=at(MONDAY, "09:00"))
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    assert await _count(db) == 3


async def test_bad_rows_are_listed_and_change_nothing_unless_skipped(db: Database) -> None:
    await seed(db)
    text = (GOOD
            + "Group/Nowhere,2026-12-01,08:00,12:00,Gate,13800138003\n"       # line 5
            + "Group/Company A/Branch 1,2026-02-30,08:00,12:00,Gate,13800138003\n"  # 6
            + "Group/Company A/Branch 1,2026-12-01,8 am,12:00,Gate,13800138003\n"  # 7
            + "Group/Company A/Branch 1,2026-12-01,08:00,12:00,Gate,13900000000\n"  # 8
            + "Group/Company A/Branch 1,2026-12-01,08:00,12:00,Gate,13800138007\n"  # 9
            + "Group/Company A/Branch 1,2026-12-01,08:00,08:00,Gate,13800138003\n")  # 10
    parsed = read_duty(text.encode(), filename="duty.csv")
    async with db.transaction() as s:
        summary = await import_duty(s, parsed, scope=None, now=at(MONDAY, "09:00"))
    assert summary.stopped
    assert [(e.line, e.code) for e in summary.errors] == [
        (5, DutyErrorCode.UNKNOWN_UNIT), (6, DutyErrorCode.BAD_DATE),
        (7, DutyErrorCode.BAD_TIME), (8, DutyErrorCode.UNKNOWN_PHONE),
        (9, DutyErrorCode.OTHER_UNIT), (10, DutyErrorCode.SAME_TIMES)]
    assert await _count(db) == 0
    async with db.transaction() as s:
        skipped = await import_duty(s, parsed, scope=None, now=at(MONDAY, "09:00"),
                                         skip_bad=True)
    assert (skipped.added, len(skipped.errors), skipped.stopped) == (3, 6, False)
    assert await _count(db) == 3


async def test_a_leader_imports_only_into_their_subtree(db: Database) -> None:
    await seed(db)
    scope = await scope_of(db, ALAN)
    parsed = read_duty(GOOD.encode(), filename="duty.csv")
    async with db.transaction() as s:
        summary = await import_duty(s, parsed, scope=scope, now=at(MONDAY, "09:00"))
    assert summary.stopped
    assert [(e.line, e.code) for e in summary.errors] == [(4, DutyErrorCode.OUTSIDE_SCOPE)]
    assert await _count(db) == 0


async def test_reminders_at_19_the_evening_before_and_an_hour_before(db: Database) -> None:
    o = await seed(db)
    shift = await add_shift(db, o.units["Branch 1"], o.members[MIA])
    await tick(db, at(MONDAY, "18:59"))
    assert await duty_rows(db) == []
    await tick(db, at(MONDAY, "19:00"))
    [evening] = await duty_rows(db)
    assert evening.dedup_key == f"duty:{shift}:evening:{o.members[MIA]}"
    assert evening.chat_id == MIA and "tomorrow you are on duty" in evening.payload["text"]
    assert evening.payload["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == \
        f"dc:{shift}"
    await tick(db, at(MONDAY, "23:00"))
    await tick(db, at(TUESDAY, "06:59"))
    assert len(await duty_rows(db)) == 1
    await tick(db, at(TUESDAY, "07:00"))
    rows = await duty_rows(db)
    assert [r.dedup_key for r in rows][1] == f"duty:{shift}:hour:{o.members[MIA]}"
    assert "starts in one hour" in rows[1].payload["text"]


async def test_a_cancelled_shift_gets_nothing(db: Database) -> None:
    o = await seed(db)
    await add_shift(db, o.units["Branch 1"], o.members[MIA], cancelled=True)
    for moment in (at(MONDAY, "19:00"), at(TUESDAY, "07:00"), at(TUESDAY, "07:40")):
        await tick(db, moment)
    assert await duty_rows(db) == []


async def test_cancelling_drops_the_queued_reminder(db: Database) -> None:
    o = await seed(db)
    shift = await add_shift(db, o.units["Branch 1"], o.members[MIA])
    await tick(db, at(MONDAY, "19:00"))
    scope = await scope_of(db, ALAN)
    assert scope is not None
    async with db.transaction() as s:
        result = await duty.cancel_shift(s, scope, shift_id=shift, now=at(MONDAY, "19:01"))
    assert result.status is duty.EditStatus.DONE
    [row] = await duty_rows(db)
    assert row.status == "cancelled"
    await tick(db, at(TUESDAY, "07:40"))
    assert len(await duty_rows(db)) == 1


async def test_unconfirmed_shift_alerts_the_chain_30_minutes_before(db: Database) -> None:
    o = await seed(db)
    shift = await add_shift(db, o.units["Branch 1"], o.members[MIA])
    await tick(db, at(TUESDAY, "07:29"))
    assert {r.kind for r in await duty_rows(db)} == {"duty"}
    await tick(db, at(TUESDAY, "07:30"))
    alerts = [r for r in await duty_rows(db) if r.kind == "duty_alert"]
    assert [r.chat_id for r in alerts] == [ALAN, DORA]  # Company A's chain, in order
    assert "has not confirmed" in alerts[0].payload["text"]
    assert alerts[0].dedup_key == f"duty:{shift}:alert:{o.members[ALAN]}"
    await tick(db, at(TUESDAY, "07:45"))
    assert len([r for r in await duty_rows(db) if r.kind == "duty_alert"]) == 2


async def test_a_confirmed_shift_raises_no_alert(db: Database) -> None:
    o = await seed(db)
    shift = await add_shift(db, o.units["Branch 1"], o.members[MIA])
    async with db.transaction() as s:
        status, _ = await duty.confirm_shift(s, member_id=o.members[MIA], shift_id=shift,
                                             now=at(MONDAY, "20:00"))
        assert status is duty.ConfirmStatus.CONFIRMED
        again, _ = await duty.confirm_shift(s, member_id=o.members[MIA], shift_id=shift,
                                            now=at(MONDAY, "20:01"))
        assert again is duty.ConfirmStatus.ALREADY
        other, _ = await duty.confirm_shift(s, member_id=o.members[BEN], shift_id=shift,
                                            now=at(MONDAY, "20:01"))
        assert other is duty.ConfirmStatus.NOT_YOURS
    await tick(db, at(TUESDAY, "07:00"))
    await tick(db, at(TUESDAY, "07:40"))
    assert await duty_rows(db) == []  # confirmed: no hour reminder, no alert


async def test_swap_accepted_moves_the_shift_and_declined_keeps_it(db: Database) -> None:
    o = await seed(db)
    shift = await add_shift(db, o.units["Branch 1"], o.members[MIA])
    now = at(MONDAY, "10:00")
    async with db.transaction() as s:
        from bot.db.models import Member

        mia = await s.get(Member, o.members[MIA])
        assert mia is not None
        [ben] = await duty.colleagues(s, mia, "ben")
        assert await duty.colleagues(s, mia, "Cara") == []  # another unit
        asked = await duty.request_swap(s, member=mia, shift_id=shift, colleague_id=ben.id,
                                        now=now)
        assert asked.outcome is duty.SwapOutcome.ASKED and asked.request is not None
        declined_id = asked.request.id
        busy = await duty.request_swap(s, member=mia, shift_id=shift, colleague_id=ben.id,
                                       now=now)
        assert busy.outcome is duty.SwapOutcome.PENDING
    async with db.transaction() as s:
        forged = await duty.answer_swap(s, member_id=o.members[DORA], request_id=declined_id,
                                        accept=True, now=now)
        assert forged.outcome is duty.SwapOutcome.NOT_YOURS
        declined = await duty.answer_swap(s, member_id=o.members[BEN], request_id=declined_id,
                                          accept=False, now=now)
        assert declined.outcome is duty.SwapOutcome.DECLINED
        assert (await s.get(Shift, shift)).member_id == o.members[MIA]  # type: ignore[union-attr]
        mia = await s.get(Member, o.members[MIA])
        assert mia is not None
        again = await duty.request_swap(s, member=mia, shift_id=shift,
                                        colleague_id=o.members[BEN], now=now)
        assert again.request is not None
        accepted = await duty.answer_swap(s, member_id=o.members[BEN],
                                          request_id=again.request.id, accept=True, now=now)
        assert accepted.outcome is duty.SwapOutcome.ACCEPTED
        twice = await duty.answer_swap(s, member_id=o.members[BEN],
                                       request_id=again.request.id, accept=True, now=now)
        assert twice.outcome is duty.SwapOutcome.GONE
    async with db.transaction() as s:
        moved = await s.get(Shift, shift)
        assert moved is not None and moved.member_id == o.members[BEN]
        assert moved.confirmed_at is None
    await tick(db, at(MONDAY, "19:00"))
    [evening] = await duty_rows(db)
    assert evening.chat_id == BEN


async def test_permissions_member_none_leader_only_in_subtree(db: Database) -> None:
    o = await seed(db)
    assert await scope_of(db, MIA) is None  # a member cannot edit the roster
    bob = await scope_of(db, BOB)
    assert bob is not None
    shift = await add_shift(db, o.units["Branch 1"], o.members[MIA])
    now = at(MONDAY, "10:00")
    async with db.transaction() as s:
        add = await duty.add_shift(s, bob, member_id=o.members[MIA], day=TUESDAY,
                                   start="09:00", end="10:00", post="Gate", now=now)
        assert add.status is duty.EditStatus.OUTSIDE_SCOPE
        remove = await duty.cancel_shift(s, bob, shift_id=shift, now=now)
        assert remove.status is duty.EditStatus.OUTSIDE_SCOPE
        assign = await duty.assign_shift(s, bob, shift_id=shift,
                                         member_id=o.members[BEN], now=now)
        assert assign.status is duty.EditStatus.OUTSIDE_SCOPE
    assert await _count(db) == 1
    async with db.transaction() as s:
        denied = (await s.scalars(select(AuditEntry.details).where(
            AuditEntry.action == "duty_denied").order_by(AuditEntry.id))).all()
    assert [d["attempt"] for d in denied] == ["add", "remove", "assign"]
    gina = await scope_of(db, GINA)
    assert gina is not None
    async with db.transaction() as s:
        ok = await duty.add_shift(s, gina, member_id=o.members[MIA], day=TUESDAY,
                                  start="09:00", end="10:00", post="Gate", now=now)
        assert ok.status is duty.EditStatus.DONE
        dup = await duty.add_shift(s, gina, member_id=o.members[MIA], day=TUESDAY,
                                   start="09:00", end="10:00", post="Gate", now=now)
        assert dup.status is duty.EditStatus.EXISTS


async def test_digest_line_counts_todays_shifts(db: Database) -> None:
    o = await seed(db)
    first = await add_shift(db, o.units["Branch 1"], o.members[MIA], day=MONDAY)
    await add_shift(db, o.units["Branch 1"], o.members[BEN], day=MONDAY, start="12:00")
    await add_shift(db, o.units["Company B"], o.members[BOB], day=MONDAY)
    await add_shift(db, o.units["Branch 1"], o.members[DORA], day=MONDAY, cancelled=True)
    await add_shift(db, o.units["Branch 1"], o.members[DORA], day=TUESDAY)
    async with db.transaction() as s:
        await duty.confirm_shift(s, member_id=o.members[MIA], shift_id=first,
                                 now=at(MONDAY, "07:00"))
        digests = await compute_digests(s, now=at(MONDAY, "12:30"), default_timezone=TZ,
                                        unit_ids=[o.units["Company A"], o.units["Group"]])
    assert digests[o.units["Company A"]].shifts == (2, 1)
    assert digests[o.units["Group"]].shifts == (3, 1)
    with use_locale("en"):
        text = digest_text(digests[o.units["Company A"]])
    assert "🛡 Duty today: 2 shifts filled, 1 confirmed, 1 unconfirmed" in text
    with use_locale("zh_CN"):
        assert "值班" in digest_text(digests[o.units["Company A"]])


async def test_a_volunteer_assigned_to_a_shift_gets_its_reminders(db: Database) -> None:
    o = await seed(db)
    now = at(MONDAY, "10:00")
    async with db.transaction() as s:
        from bot.db.models import Member

        ben = await s.get(Member, o.members[BEN])
        assert ben is not None
        assert not await volunteers.save_offer(s, ben, VolunteerForm(), now=now)
        assert await volunteers.save_offer(
            s, ben, VolunteerForm(["checkpoint"], [1], "evenings"), now=now)
    alan, bob = await scope_of(db, ALAN), await scope_of(db, BOB)
    assert alan is not None and bob is not None
    async with db.transaction() as s:
        [offer] = await volunteers.offers_in(s, alan)
        assert (offer.name, offer.posts, offer.days, offer.note) == (
            "Ben", ("checkpoint",), (1,), "evenings")
        assert await volunteers.offers_in(s, bob) == []
        assert await volunteers.offer_in_scope(s, bob, offer.id, now=now) is None
        result = await duty.add_shift(s, alan, member_id=offer.member_id, day=TUESDAY,
                                      start="08:00", end="12:00", post="Gate checkpoint",
                                      now=now)
        assert result.status is duty.EditStatus.DONE
    await tick(db, at(MONDAY, "19:00") + timedelta(minutes=1))
    [evening] = await duty_rows(db)
    assert evening.chat_id == BEN and evening.kind == "duty"
    async with db.transaction() as s:
        ben = await s.get(Member, o.members[BEN])
        assert ben is not None
        assert await volunteers.withdraw(s, ben, now=now)
        assert not await volunteers.withdraw(s, ben, now=now)
        assert await volunteers.offers_in(s, alan) == []


async def test_reminders_and_alerts_are_in_each_recipients_language(db: Database) -> None:
    o = await seed(db, locale="zh_CN")
    await add_shift(db, o.units["Branch 1"], o.members[MIA], post="大门卡口")
    await tick(db, at(MONDAY, "19:00"))
    await tick(db, at(TUESDAY, "07:30"))
    rows = await duty_rows(db)
    assert [r.kind for r in rows] == ["duty", "duty", "duty_alert", "duty_alert"]
    assert "您明天值班：<b>大门卡口</b>" in rows[0].payload["text"]
    assert rows[0].payload["reply_markup"]["inline_keyboard"][0][0]["text"] == "✅ 确认到岗"
    assert "一小时后开始" in rows[1].payload["text"]
    assert "值班未确认" in rows[2].payload["text"]
