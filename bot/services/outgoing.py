"""What services decide to send: plain data, rendered and queued above them.

A service that wants a message sent returns `Outgoing` items — who (chat, member, locale),
what (a view: a dataclass the service defines), and the dedup key that makes queueing it
idempotent — and never renders or queues itself. bot.outbox.send renders each view in its
recipient's language (bot.render.payloads.payload_for) and puts it in the outbox, in the
caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Outbox kinds (OutboxMessage.kind): what a row is, for metrics and for dropping rows that
# became pointless before they went out.
KIND_PROMPT = "prompt"
KIND_REMINDER = "reminder"
# Kinds that are pointless once the member has reported for report_date, left, or is on leave.
DAILY_KINDS = frozenset({KIND_PROMPT, KIND_REMINDER})


@dataclass(frozen=True)
class Outgoing:
    """One message to one chat: `view` rendered in `locale`, queued once under `dedup_key`."""

    dedup_key: str
    kind: str
    chat_id: int
    locale: str
    view: object
    member_id: int | None = None
    report_date: date | None = None
