"""The JobQueue glue: the minute tick, and the dispatcher's start and stop with the app.

APScheduler holds no state that matters: each run asks the database what is due, so a run
that is skipped, late or doubled changes nothing (see bot.runtime.tick).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.outbox.dispatcher import Dispatcher
from bot.runtime.replies import WaitOutFloods
from bot.runtime.tick import TickResult, run_tick

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.context import BotData, Context
    from bot.runtime.app import SelfreportApp

logger = logging.getLogger(__name__)

TICK_INTERVAL = 60.0
TICK_FIRST = 2.0  # seconds after start: a restarted bot catches up at once
# Tests turn the wall-clock minute job off (tests/conftest.py) and call `tick_now` instead.
TICK_JOB_ENABLED = True


async def start_machinery(application: SelfreportApp) -> None:
    """post_init: the dispatcher, then the minute tick."""
    data = application.bot_data
    assert data.settings is not None and data.db is not None
    dispatcher = Dispatcher(
        application.bot,
        data.db,
        rate=data.settings.send_rate,
        rate_per_chat=data.settings.send_rate_per_chat,
        in_flight=data.settings.send_in_flight,
        clock=lambda: data.clock(),  # looked up each time: tests replace the clock
    )
    # The heartbeat first: the dispatcher knows its share of SEND_RATE before it sends.
    await start_heartbeat(application, dispatcher)
    await dispatcher.start()
    data.dispatcher = dispatcher
    limiter = application.bot.rate_limiter
    if isinstance(limiter, WaitOutFloods):  # replies and the outbox share SEND_RATE
        limiter.share_pace(dispatcher.take_turn)
    if data.metrics is not None:
        data.metrics.dispatcher = dispatcher
    if TICK_JOB_ENABLED and application.job_queue is not None:
        application.job_queue.run_repeating(
            tick_job,
            interval=TICK_INTERVAL,
            first=TICK_FIRST,
            name="tick",
            # APScheduler's misfire_grace_time of 1 s would skip a run after a stalled loop;
            # a late run is harmless, two runs at once are pointless.
            job_kwargs={"misfire_grace_time": int(TICK_INTERVAL), "coalesce": True,
                        "max_instances": 1},
        )


async def stop_machinery(application: SelfreportApp) -> None:
    """post_stop / post_shutdown: stop the dispatcher while the bot can still send; idempotent."""
    heartbeat, application.bot_data.heartbeat = application.bot_data.heartbeat, None
    if heartbeat is not None:
        await heartbeat.stop()
    dispatcher = application.bot_data.dispatcher
    if dispatcher is not None:
        await dispatcher.stop()
        limiter = application.bot.rate_limiter
        if isinstance(limiter, WaitOutFloods):
            limiter.share_pace(None)


async def start_heartbeat(application: SelfreportApp, dispatcher: Dispatcher) -> None:
    """Instances on one database share SEND_RATE (bot.runtime.instances)."""
    from bot.runtime.instances import Heartbeat

    data = application.bot_data
    assert data.settings is not None and data.db is not None
    metrics = data.metrics

    def share(rate: float, live: int) -> None:
        dispatcher.set_rate(rate)
        if metrics is not None:
            metrics.send_share.set(rate)
            metrics.instances.set(live)

    data.heartbeat = Heartbeat(data.db, rate=data.settings.send_rate, on_share=share)
    await data.heartbeat.start()


async def tick_now(application: Application[Any, Any, Any, Any, BotData, Any]) -> TickResult:
    """Run the tick at the application's clock and wake the dispatcher."""
    data = application.bot_data
    assert data.settings is not None and data.db is not None
    async with data.db.transaction() as session:
        result = await run_tick(
            session,
            now=data.clock(),
            default_timezone=data.settings.default_timezone,
            default_locale=data.settings.default_locale,
            alert_escalate=timedelta(minutes=data.settings.alert_escalate_minutes),
            retention_days=data.settings.retention_days,  # the daily purge
            admin_ids=data.settings.admin_telegram_ids,  # who may use a digest's buttons
        )
    if result.total and data.dispatcher is not None:
        data.dispatcher.poke()
    return result


async def tick_job(context: Context) -> None:
    """The minute job: whatever is due now goes into the outbox."""
    await tick_now(context.application)
