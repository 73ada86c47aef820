"""The outbox service on SQLite and PostgreSQL: dedup, leases, cancellation, outcomes."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.db import Database
from bot.db.models import Account, Leave, Member, OutboxMessage, OutboxStatus
from bot.outbox import queue as outbox
from bot.outbox.queue import NewMessage
from bot.render import payloads
from tests.machinery.helpers import MONDAY, add_report, seed_members, seed_unit

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def text(n: int) -> dict[str, object]:
    return payloads.message_payload(f"hello {n}")


async def put(db: Database, n: int, *, kind: str = "notice", at: datetime = NOW,
              **fields: object) -> None:
    async with db.transaction() as s:
        await outbox.enqueue_many(
            s, [NewMessage(f"{kind}:{i}", kind, 9000 + i, text(i), **fields)  # type: ignore[arg-type]
                for i in range(n)], now=at)


async def claim(db: Database, *, now: datetime = NOW, limit: int = 100) -> list[OutboxMessage]:
    async with db.transaction() as s:
        return await outbox.claim_due(s, now=now, limit=limit, lease=LEASE)


async def test_enqueueing_the_same_key_twice_keeps_one_row(db: Database) -> None:
    async with db.transaction() as s:
        first = await outbox.enqueue(s, dedup_key="notice:1:42", kind="notice", chat_id=42,
                                     payload=payloads.message_payload("first"), now=NOW)
        second = await outbox.enqueue(s, dedup_key="notice:1:42", kind="notice", chat_id=42,
                                      payload=payloads.message_payload("second"), now=NOW)
    async with db.transaction() as s:
        again = await outbox.enqueue(s, dedup_key="notice:1:42", kind="notice", chat_id=42,
                                     payload=payloads.message_payload("third"), now=NOW)
        rows = (await s.scalars(select(OutboxMessage))).all()
    assert (first, second, again) == (True, False, False)
    assert len(rows) == 1 and rows[0].payload["text"] == "first"
    assert rows[0].status == OutboxStatus.PENDING and rows[0].next_attempt_at == NOW


async def test_enqueue_many_reports_only_new_keys_across_chunks(db: Database) -> None:
    await put(db, 10)
    async with db.transaction() as s:
        inserted = await outbox.enqueue_many(
            s, [NewMessage(f"notice:{i}", "notice", 9000 + i, text(i)) for i in range(1200)],
            now=NOW)
        count = len((await s.scalars(select(OutboxMessage.id))).all())
    assert len(inserted) == 1190 and "notice:0" not in inserted and "notice:1199" in inserted
    assert count == 1200


async def test_a_claim_leases_due_rows_oldest_first(db: Database) -> None:
    await put(db, 3, at=NOW - timedelta(minutes=1))
    await put(db, 1, kind="later", at=NOW + timedelta(minutes=5))
    rows = await claim(db, limit=2)
    assert [r.dedup_key for r in rows] == ["notice:0", "notice:1"]
    assert all(r.locked_until == NOW + LEASE for r in rows)
    [third] = await claim(db)
    assert third.dedup_key == "notice:2"  # the leased two are not handed out again
    assert await claim(db, now=NOW + timedelta(seconds=29)) == []
    # A claimer that died: its lease runs out and the rows are due again, later one too.
    again = await claim(db, now=NOW + timedelta(minutes=6))
    assert [r.dedup_key for r in again] == ["notice:0", "notice:1", "notice:2", "later:0"]


async def test_an_outcome_needs_the_lease_still_held(db: Database) -> None:
    await put(db, 1)
    [mine] = await claim(db)
    [theirs] = await claim(db, now=NOW + LEASE)  # my lease ran out; someone took over
    async with db.transaction() as s:
        assert await outbox.mark_sent(s, theirs, telegram_message_id=7, now=NOW + LEASE)
    async with db.transaction() as s:
        assert not await outbox.mark_retry(s, mine, error="TimedOut", now=NOW + LEASE)
        row = await s.get(OutboxMessage, mine.id)
    assert row is not None
    assert (row.status, row.telegram_message_id, row.attempts) == (OutboxStatus.SENT, 7, 1)
    assert row.locked_until is None and row.sent_at == NOW + LEASE


async def test_prompts_no_longer_wanted_are_cancelled_at_claim_time(db: Database) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s)
        reported, left, away, waiting, other_day = await seed_members(
            s, unit, [301, 302, 303, 304, 305])
        await add_report(s, reported, MONDAY)
        await add_report(s, other_day, MONDAY - timedelta(days=1))
        s.add(Leave(member_id=away.id, start_date=MONDAY, end_date=MONDAY))
        await s.execute(update(Member).where(Member.id == left.id).values(active=False))
        members = [reported, left, away, waiting, other_day]
        await outbox.enqueue_many(s, [
            NewMessage(f"{kind}:{m.id}", kind, m.telegram_user_id or 0, text(m.id),
                       member_id=m.id, report_date=MONDAY)
            for m in members for kind in ("prompt", "reminder")
        ] + [NewMessage(f"notice:{reported.id}", "notice", 301, text(0), member_id=reported.id,
                        report_date=MONDAY)], now=NOW)
    claimed = await claim(db)
    assert sorted(r.dedup_key for r in claimed) == sorted([
        f"prompt:{waiting.id}", f"reminder:{waiting.id}", f"prompt:{other_day.id}",
        f"reminder:{other_day.id}", f"notice:{reported.id}"])
    async with db.transaction() as s:
        cancelled = (await s.scalars(select(OutboxMessage.dedup_key).where(
            OutboxMessage.status == OutboxStatus.CANCELLED))).all()
    assert len(cancelled) == 6
    assert await claim(db, now=NOW + timedelta(hours=1)) != []  # only the leased ones return


async def test_failures_back_off_and_give_up_after_the_last_attempt(db: Database) -> None:
    await put(db, 1)
    now = NOW
    delays = []
    for attempt in range(1, 5):
        [row] = await claim(db, now=now)
        async with db.transaction() as s:
            assert await outbox.mark_retry(s, row, error="NetworkError: Bad Gateway", now=now,
                                           max_attempts=5)
        assert row.attempts == attempt and row.status == OutboxStatus.PENDING
        delays.append(row.next_attempt_at - now)
        assert await claim(db, now=row.next_attempt_at - timedelta(seconds=1)) == []
        now = row.next_attempt_at
    assert delays == [timedelta(seconds=s) for s in (2, 4, 8, 16)]
    [row] = await claim(db, now=now)
    async with db.transaction() as s:
        await outbox.mark_retry(s, row, error="NetworkError: Bad Gateway", now=now,
                                max_attempts=5)
    assert row.status == OutboxStatus.FAILED and row.attempts == 5
    assert row.error == "NetworkError: Bad Gateway"
    assert await claim(db, now=now + timedelta(days=1)) == []


def test_backoff_doubles_up_to_a_cap() -> None:
    assert outbox.backoff(1) == timedelta(seconds=2)
    assert outbox.backoff(3) == timedelta(seconds=8)
    assert outbox.backoff(9) == outbox.RETRY_CAP
    assert outbox.backoff(10_000) == outbox.RETRY_CAP


async def test_blocked_is_final_and_marks_the_account(db: Database) -> None:
    await put(db, 2)
    async with db.transaction() as s:
        s.add(Account(telegram_user_id=9000, chat_id=9000))
        s.add(Account(telegram_user_id=9001))  # chat id not known yet: private chat = user id
        s.add(Account(telegram_user_id=9002, chat_id=9002))
    rows = await claim(db)
    async with db.transaction() as s:
        for row in rows:
            assert await outbox.mark_blocked(s, row, error="Forbidden: bot was blocked by the "
                                             "user", now=NOW)
    async with db.transaction() as s:
        blocked = {a.telegram_user_id: a.blocked_at for a in await s.scalars(select(Account))}
    assert blocked == {9000: NOW, 9001: NOW, 9002: None}
    assert all(r.status == OutboxStatus.BLOCKED for r in rows)
    assert await claim(db, now=NOW + timedelta(days=1)) == []


async def test_failed_and_released_rows(db: Database) -> None:
    await put(db, 2)
    bad, later = await claim(db)
    async with db.transaction() as s:
        assert await outbox.mark_failed(s, bad, error="can't parse entities" * 50)
        assert await outbox.release(s, [later], not_before=NOW + timedelta(seconds=3)) == 1
    assert bad.status == OutboxStatus.FAILED and len(bad.error) == 256
    assert later.attempts == 0  # flood control and shutdown do not count as attempts
    assert await claim(db, now=NOW + timedelta(seconds=2)) == []
    [row] = await claim(db, now=NOW + timedelta(seconds=3))
    assert row.id == later.id


async def test_two_claimers_at_once_never_get_the_same_row(db: Database) -> None:
    await put(db, 60)
    other = Database(db.engine)
    async with db.transaction() as first:
        mine = await outbox.claim_due(first, now=NOW, limit=25, lease=LEASE)
        # The second claimer runs while the first still holds its transaction: PostgreSQL
        # skips the locked rows, SQLite makes it wait for the first to commit.
        theirs_task = asyncio.create_task(_claim_in(other, 25))
        await asyncio.sleep(0.3)
        if db.engine.dialect.name == "sqlite":
            assert not theirs_task.done()
        else:
            assert theirs_task.done()
    theirs = await theirs_task
    assert len(mine) == 25 and len(theirs) == 25
    assert not {r.id for r in mine} & {r.id for r in theirs}


async def test_many_concurrent_claimers_share_out_every_row_once(db: Database) -> None:
    await put(db, 120)
    seen: list[int] = []

    async def worker() -> None:
        while rows := await _claim_in(db, 7):
            seen.extend(r.id for r in rows)

    await asyncio.gather(*(worker() for _ in range(6)))
    assert len(seen) == 120 and len(set(seen)) == 120


async def _claim_in(db: Database, limit: int) -> list[OutboxMessage]:
    async with db.transaction() as s:
        return await outbox.claim_due(s, now=NOW, limit=limit, lease=LEASE)


def test_payload_builders() -> None:
    keyboard = payloads.inline_keyboard([[("Yes", "y:1"), ("No", "n:1")]])
    assert keyboard == {"inline_keyboard": [[{"text": "Yes", "callback_data": "y:1"},
                                             {"text": "No", "callback_data": "n:1"}]]}
    assert payloads.message_payload("<b>x</b>", reply_markup=keyboard) == {
        "method": "sendMessage", "text": "<b>x</b>", "parse_mode": "HTML",
        "reply_markup": keyboard}
    photo = payloads.photo_payload(payloads.file_spec(data=b"\x89PNG", filename="chart.png"),
                                 caption="Trend")
    assert photo == {"method": "sendPhoto", "caption": "Trend", "parse_mode": "HTML",
                     "file": {"base64": base64.b64encode(b"\x89PNG").decode(),
                              "filename": "chart.png"}}
    doc = payloads.document_payload(payloads.file_spec(file_id="AbC"))
    assert doc == {"method": "sendDocument", "file": {"file_id": "AbC"}}
    with pytest.raises(ValueError):
        payloads.file_spec(data=b"x", file_id="y")
    with pytest.raises(ValueError):
        payloads.file_spec()
