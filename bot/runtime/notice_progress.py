"""The notices job: every few seconds, due notices go into the outbox
(services.notices.broadcast, sent with bot.outbox.send) and each sender's progress message is
brought up to date — edited at most once a run, and only when its figures changed, until
nothing is pending.

Like the dispatcher it holds nothing that matters: what is due and what the message last said
are in the database, so a restart picks up where the last run stopped.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from bot.context import BotData, Context
from bot.i18n import use_locale
from bot.outbox.send import send
from bot.render import notices as render
from bot.services.notices import broadcast as notices
from bot.services.notices import figures

logger = logging.getLogger(__name__)

JOB_INTERVAL = 3.0  # seconds: the progress message is edited at most this often
_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()
# When this process last edited each notice's progress (loop time): a run started by a
# confirmation right after the job's own does not edit again within JOB_INTERVAL.
_edited: dict[int, float] = {}


async def run_notices(app: Application[Any, Any, Any, Any, BotData, Any]) -> None:
    """Fan out due notices, then bring the senders' progress messages up to date."""
    lock = _locks.setdefault(app, asyncio.Lock())
    if lock.locked():
        return  # the other run does the same
    async with lock:
        data = app.bot_data
        assert data.db is not None and data.settings is not None
        now = data.clock()
        async with data.db.direct() as connection:
            if not await notices.anything_to_do(connection, now):
                return
        async with data.db.transaction() as session:
            due = await notices.queue_due(session, now=now,
                                          default_locale=data.settings.default_locale)
            queued = await send(session, due, now=now)
            open_ = await figures.open_progress(session)
        if queued and data.dispatcher is not None:
            data.dispatcher.poke()
        for notice in open_:
            await _update_progress(app, notice)


async def _update_progress(app: Application[Any, Any, Any, Any, BotData, Any],
                           notice: Any) -> None:
    data = app.bot_data
    assert data.db is not None
    async with data.db.transaction() as session:
        progress = await figures.progress(session, notice.id)
    with use_locale(notice.author_locale):
        text = render.progress_text(notice.id, progress, ack=notice.ack_required)
    message_id, done = notice.progress_message_id, progress.done
    if text == notice.progress_text and message_id is not None and not done:
        return
    clock = asyncio.get_running_loop().time()
    if message_id is not None and not done and clock - _edited.get(notice.id, -JOB_INTERVAL) \
            < JOB_INTERVAL * 0.9:
        return
    try:
        if message_id is None:
            sent = await app.bot.send_message(notice.progress_chat_id, text)
            message_id = sent.message_id
        elif text != notice.progress_text:
            await app.bot.edit_message_text(text, notice.progress_chat_id, message_id)
    except Forbidden:
        done = True  # the sender blocked the bot: nobody to show progress to
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            logger.warning("notice %s: progress message not edited", notice.id)
            message_id = None  # gone: send a new one next time
            done = False
    except TelegramError:
        return  # flood control or the network: the next run tries again
    _edited[notice.id] = clock
    if done:
        _edited.pop(notice.id, None)
    async with data.db.transaction() as session:
        await figures.record_progress(session, notice.id, text=text, message_id=message_id,
                                      done=done)


async def notice_job(context: Context) -> None:
    """Every few seconds: due notices out, progress messages current."""
    await run_notices(context.application)


def schedule_jobs(app: Application[Any, Any, Any, Any, BotData, Any]) -> None:
    if app.job_queue is None:
        return
    app.job_queue.run_repeating(
        notice_job, interval=JOB_INTERVAL, first=JOB_INTERVAL, name="notices",
        job_kwargs={"misfire_grace_time": int(JOB_INTERVAL * 10), "coalesce": True,
                    "max_instances": 1})
