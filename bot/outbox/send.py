"""The one way a message the bot sends on its own initiative gets into the outbox.

Services return `Outgoing` items (bot.services.outgoing); this renders each in its
recipient's language and queues it in the caller's transaction. Call
`context.wake_dispatcher()` (or `Dispatcher.poke`) after the transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

import bot.render.views  # noqa: F401  (registers every view's payload)
from bot.i18n import use_locale
from bot.outbox.queue import NewMessage, enqueue_many
from bot.render.payloads import payload_for
from bot.services.outgoing import Outgoing


def rendered(item: Outgoing) -> NewMessage:
    """The outbox row for one item: its view drawn in the recipient's language."""
    with use_locale(item.locale):
        payload = payload_for(item.view)
    return NewMessage(item.dedup_key, item.kind, item.chat_id, payload,
                      member_id=item.member_id, report_date=item.report_date)


async def send(session: AsyncSession, items: Iterable[Outgoing], *, now: datetime) -> list[str]:
    """Queue the items whose dedup key is new; the keys actually queued."""
    return await enqueue_many(session, (rendered(item) for item in items), now=now)
