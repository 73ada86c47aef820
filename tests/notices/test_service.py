"""The notices service on both databases, and the schedule-time parser (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Draft, Notice, OutboxMessage
from bot.outbox.send import send
from bot.services.notices import broadcast as notices
from bot.services.notices import draft as drafts
from bot.services.notices.draft import NoticeDraft, Step, parse_when
from bot.services.org.permissions import Actor, manager_actor
from bot.services.when import InvalidWhen, WhenError
from tests.notices.helpers import recipients, seed
from tests.support.builders import ALAN, CARA, MIA, NOW, Org

TZ = "Asia/Shanghai"


@settings(deadline=None)  # the first English word loads dateparser's data (~0.3 s, once)
@given(st.text(max_size=80))
def test_any_text_is_a_time_in_the_next_30_days_or_a_clear_refusal(text: str) -> None:
    try:
        when = parse_when(text, now=NOW, timezone=TZ)
    except InvalidWhen as invalid:
        assert invalid.code in set(WhenError)
    else:
        assert NOW < when <= NOW + timedelta(days=30) and when.tzinfo is not None


@given(st.integers(0, 23), st.integers(0, 59), st.sampled_from(["", " ", "  "]))
def test_a_bare_time_is_the_next_such_moment(hour: int, minute: int, pad: str) -> None:
    when = parse_when(f"{pad}{hour}:{minute:02d}{pad}", now=NOW, timezone=TZ)
    local = when.astimezone(ZoneInfo(TZ))
    assert (local.hour, local.minute) == (hour, minute)
    assert NOW < when <= NOW + timedelta(days=1)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-01 08:00", datetime(2026, 12, 1, 0, 0, tzinfo=UTC)),
    ("2026/12/1 8:00", datetime(2026, 12, 1, 0, 0, tzinfo=UTC)),
    ("１８：３０", datetime(2026, 11, 30, 10, 30, tzinfo=UTC)),  # full-width, as typed in zh
])
def test_dates_and_full_width_digits(text: str, expected: datetime) -> None:
    assert parse_when(text, now=NOW, timezone=TZ) == expected


@pytest.mark.parametrize(("text", "code"), [
    ("2026-02-30 08:00", WhenError.FORMAT), ("24:00", WhenError.FORMAT),
    ("2026-11-30 08:59", WhenError.PAST), ("2026-12-31 08:00", WhenError.TOO_FAR),
    ("8:00" + " " * 100, WhenError.FORMAT),
])
def test_bad_times(text: str, code: WhenError) -> None:
    with pytest.raises(InvalidWhen) as raised:
        parse_when(text, now=NOW, timezone=TZ)
    assert raised.value.code is code


async def branch_notice(db: Database) -> tuple[Org, Actor, Notice]:
    """Alan's notice to Branch 1, with acknowledgement, as /notice's confirm creates it."""
    o = await seed(db)
    async with db.transaction() as s:
        scope = await manager_actor(s, ALAN, frozenset())
        assert scope is not None
        draft = NoticeDraft(Step.PREVIEW, "Hello", target="unit",
                            unit_id=o.units["Branch 1"], ack=True)
        target = await notices.resolve_target(s, scope, draft, now=NOW)
        assert target is not None
        notice = await notices.create_notice(
            s, scope, draft, target, author_telegram_id=ALAN, author_name="Alan",
            author_locale="en", progress_chat_id=ALAN, progress_message_id=1, now=NOW)
    return o, scope, notice


async def test_fan_out_is_idempotent_and_acknowledging_counts_once(db: Database) -> None:
    o, scope, notice = await branch_notice(db)
    for _ in range(2):
        async with db.transaction() as s:
            queued = await send(s, await notices.queue_due(s, now=NOW, default_locale="zh_CN"),
                                now=NOW)
    assert queued == []  # the second run finds nothing due
    async with db.transaction() as s:
        rows = (await s.scalars(select(OutboxMessage))).all()
    assert sorted(r.dedup_key for r in rows) == sorted(
        f"notice:{notice.id}:{o.members[uid]}" for uid in (MIA, 6004, 6005))
    assert len(await recipients(db, notice.id)) == 5

    async with db.transaction() as s:
        first = await notices.acknowledge(s, notice_id=notice.id, telegram_user_id=MIA,
                                          now=NOW)
        second = await notices.acknowledge(s, notice_id=notice.id, telegram_user_id=MIA,
                                           now=NOW + timedelta(hours=1))
        stranger = await notices.acknowledge(s, notice_id=notice.id, telegram_user_id=CARA,
                                             now=NOW)
        missing = await notices.acknowledge(s, notice_id=999, telegram_user_id=MIA, now=NOW)
    assert first.status is notices.AckStatus.ACKNOWLEDGED
    assert (second.status, second.at) == (notices.AckStatus.ALREADY, NOW)
    assert stranger.status is missing.status is notices.AckStatus.NOT_YOURS


async def test_a_draft_survives_a_round_trip_and_a_corrupt_one_is_dropped(db: Database) -> None:
    when = NOW + timedelta(hours=2)
    draft = NoticeDraft(Step.WHEN, "Text", "photo", "file-1", "unit", 7, True, when)
    async with db.transaction() as s:
        await drafts.save_draft(s, ALAN, draft, NOW)
    async with db.transaction() as s:
        assert await drafts.read_draft(s, ALAN, NOW) == draft
        assert await drafts.read_draft(s, ALAN, NOW + timedelta(hours=1)) is None  # expired
    async with db.transaction() as s:
        s.add(Draft(telegram_user_id=MIA, kind=drafts.NOTICE_DRAFT, step="nonsense",
                    data={}, expires_at=NOW + timedelta(hours=1)))
    async with db.transaction() as s:
        assert await drafts.read_draft(s, MIA, NOW) is None
        assert await s.get(Draft, MIA) is None


async def test_a_notices_figures_stay_the_same_after_retention_purges_the_outbox(
    db: Database,
) -> None:
    from sqlalchemy import update

    from bot.db.models import OutboxStatus
    from bot.services.notices import figures
    from bot.services.purge import purge

    _o, scope, notice = await branch_notice(db)
    async with db.transaction() as s:
        await send(s, await notices.queue_due(s, now=NOW, default_locale="zh_CN"), now=NOW)
    async with db.transaction() as s:  # as the dispatcher recorded it: two sent, one blocked
        rows = (await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        for row, status in zip(rows, (OutboxStatus.SENT, OutboxStatus.SENT,
                                      OutboxStatus.BLOCKED), strict=True):
            row.status = status
        await notices.acknowledge(s, notice_id=notice.id, telegram_user_id=MIA, now=NOW)

    async def figures_now() -> tuple[object, ...]:
        async with db.transaction() as s:
            shown = await figures.progress(s, notice.id)
            found = await figures.detail(s, scope, notice.id, now=NOW)
            assert found is not None
        return (shown, [(u, [(p.name, p.reason) for p in people])
                        for u, people in found.pending],
                [(u, [(p.name, p.reason) for p in people]) for u, people in found.unreachable])

    before = await figures_now()
    assert before[0].sent == 2 and before[0].blocked == 1  # type: ignore[attr-defined]
    async with db.transaction() as s:  # a year on, retention empties the outbox
        later = NOW + timedelta(days=365)
        await s.execute(update(OutboxMessage).values(created_at=NOW))
        assert (await purge(s, now=later, retention_days=90, timezone=TZ)).outbox == 3
        assert (await s.scalars(select(OutboxMessage))).all() == []
    assert await figures_now() == before


async def test_the_notice_job_asks_first_whether_anything_is_to_do(db: Database) -> None:
    """The job's cheap first read (run every few seconds) says yes exactly when the fan-out
    or a sender's progress message has work: a due notice, then its progress until done."""
    from sqlalchemy import update

    from bot.services.notices import figures

    async def anything(at: datetime) -> bool:
        async with db.direct() as connection:
            return await notices.anything_to_do(connection, at)

    o, scope, notice = await branch_notice(db)
    async with db.transaction() as s:  # scheduled for later: nothing yet
        await s.execute(update(Notice).where(Notice.id == notice.id)
                        .values(scheduled_at=NOW + timedelta(hours=1)))
    assert not await anything(NOW)
    assert await anything(NOW + timedelta(hours=1))
    later = NOW + timedelta(hours=1)
    async with db.transaction() as s:
        await send(s, await notices.queue_due(s, now=later, default_locale="zh_CN"), now=later)
    assert await anything(later)  # fanned out; the sender's progress message still to keep
    async with db.transaction() as s:
        assert [n.id for n in await figures.open_progress(s)] == [notice.id]
        await figures.record_progress(s, notice.id, text="done", message_id=1, done=True)
    assert not await anything(later + timedelta(days=1))
