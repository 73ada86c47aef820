"""The machinery inside the real Application: the dispatcher starts and stops with it, the
tick's prompts and reminders reach members through the sandbox, the minute job runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.db import Database
from bot.db.models import OutboxMessage, OutboxStatus
from bot.runtime.jobs import tick_now
from bot.sandbox import SandboxClient, SandboxServer
from tests.machinery.helpers import (
    MONDAY,
    add_report,
    at,
    running_clock,
    seed_members,
    seed_unit,
    started,
    zone_where_it_is,
)


def buttons(message: dict[str, Any]) -> list[str]:
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in keyboard for b in row]


async def all_settled(db: Database, timeout: float = 15.0) -> list[OutboxMessage]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with db.transaction() as s:
            rows = list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())
        if rows and all(r.status != OutboxStatus.PENDING for r in rows):
            return rows
        assert loop.time() < deadline, [(r.dedup_key, r.status, r.error) for r in rows]
        await asyncio.sleep(0.1)


async def test_a_day_prompts_then_reminds_only_who_has_not_answered(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s, reminder_times="10:00")
        answered, silent = await seed_members(s, unit, [1101, 1102], language_code="en")
    started(sandbox, [1101, 1102])
    bot_app.bot_data.clock = running_clock(at(MONDAY, "07:30"))

    assert (await tick_now(bot_app)).counts == {"prompt": 2}
    for uid in (1101, 1102):
        [prompt] = await sb.wait_for_bot_messages(uid)
        assert prompt["text"].startswith("Daily health report · Mon, Nov 30")
        assert buttons(prompt) == ["r:2026-11-30:ok", "r:2026-11-30:sick", "r:2026-11-30:other"]
    await all_settled(db)
    assert (await tick_now(bot_app)).total == 0  # a second tick changes nothing

    async with db.transaction() as s:
        await add_report(s, answered, MONDAY)
    bot_app.bot_data.clock = running_clock(at(MONDAY, "10:00"))
    assert (await tick_now(bot_app)).counts == {"reminder": 1}
    [_prompt, reminder] = await sb.wait_for_bot_messages(1102, count=2)
    assert reminder["text"].startswith("⏰ Member 1102, we have not received your health report")
    assert buttons(reminder)[0] == "r:2026-11-30:ok"
    await all_settled(db)
    assert len(await sb.chat(1101)) == 1
    assert (await sb.stats())["messages_per_chat"] == {"1101": 1, "1102": 2}


async def test_a_prompt_queued_before_the_member_answered_is_not_sent_after(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s)
        [member] = await seed_members(s, unit, [1201])
    started(sandbox, [1201])
    # The dispatcher cannot keep up: the member reports before their prompt's turn comes.
    await sb.set_faults(rate_5xx=1.0, methods=["sendMessage"])
    bot_app.bot_data.clock = running_clock(at(MONDAY, "07:30"))
    await tick_now(bot_app)
    while (await sb.stats())["faults"].get("5xx", 0) < 1:
        await asyncio.sleep(0.05)
    async with db.transaction() as s:
        await add_report(s, member, MONDAY)
    await sb.clear_faults()
    [row] = await all_settled(db, timeout=20)
    assert row.status == OutboxStatus.CANCELLED
    assert await sb.chat(1201) == []


async def test_a_blocked_member_is_recorded_and_not_tried_again(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s, reminder_times="08:00")
        await seed_members(s, unit, [1301])
    started(sandbox, [1301])
    await sb.block(1301)
    bot_app.bot_data.clock = running_clock(at(MONDAY, "07:30"))
    await tick_now(bot_app)
    [row] = await all_settled(db)
    assert row.status == OutboxStatus.BLOCKED
    # No reminder either: the prompt never reached them, and the account says blocked.
    bot_app.bot_data.clock = running_clock(at(MONDAY, "08:00"))
    assert (await tick_now(bot_app)).total == 0
    assert (await sb.stats())["calls"].get("sendMessage", 0) == 1


@pytest.fixture
def minute_job(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.runtime.jobs.TICK_JOB_ENABLED", True)


@pytest.fixture
async def job_app(minute_job: None, settings: Settings, db: Database,
                  sandbox: SandboxServer) -> AsyncIterator[Any]:
    """The Application with its minute job, for a unit whose prompt window is now."""
    from bot.runtime.runner import start_bot, stop_bot

    async with db.transaction() as s:
        unit = await seed_unit(s, timezone=zone_where_it_is(12), prompt_time="06:00",
                               deadline_time="23:00", reminder_times="")
        await seed_members(s, unit, [1401, 1402])
    started(sandbox, [1401, 1402])
    app = await start_bot(settings, db, poll_timeout=1)
    try:
        yield app
    finally:
        await stop_bot(app)


async def test_the_minute_job_prompts_soon_after_start_without_being_asked(
    job_app: Any, sb: SandboxClient, db: Database
) -> None:
    [job] = job_app.job_queue.get_jobs_by_name("tick")
    assert job.job.misfire_grace_time == 60 and job.job.coalesce
    for uid in (1401, 1402):
        [prompt] = await sb.wait_for_bot_messages(uid)
        assert "r:" in buttons(prompt)[0]
    rows = await all_settled(db)
    assert [r.status for r in rows] == [OutboxStatus.SENT] * 2


async def test_the_dispatcher_lives_and_dies_with_the_application(
    settings: Settings, db: Database
) -> None:
    from bot.runtime.runner import start_bot, stop_bot

    app = await start_bot(settings, db, poll_timeout=1)
    dispatcher = app.bot_data.dispatcher
    assert dispatcher is not None and dispatcher.running
    await stop_bot(app)
    assert not dispatcher.running


async def test_the_dispatcher_takes_send_in_flight_from_the_settings(
    settings: Settings, db: Database
) -> None:
    from bot.runtime.runner import start_bot, stop_bot

    app = await start_bot(settings.model_copy(update={"send_in_flight": 3}), db,
                          poll_timeout=1)
    try:
        dispatcher = app.bot_data.dispatcher
        assert dispatcher is not None and dispatcher.in_flight == 3
    finally:
        await stop_bot(app)
