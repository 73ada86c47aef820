"""Driving the /notice flow through the sandbox, and reading what it stored.

The organisation is tests/support/builders.py's, plus, in Branch 1, Eve (never linked) and
Finn (blocked the bot):

Group (Gina, leader)
├── Company A (Alan, leader)
│   └── Branch 1: Mia, Dora, Ben, Eve (unlinked), Finn (blocked)
└── Company B (Bob, leader): Cara
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.db.models import Account, Member, Notice, NoticeRecipient, OutboxMessage
from bot.sandbox import SandboxClient
from tests.support.builders import NOW, Org, seed_org
from tests.support.chat import buttons, labels, say
from tests.support.chat import press as tap

__all__ = ["labels", "say", "tap"]

EVE, FINN = 6008, 6009


async def seed(db: Database, *, locale: str = "en") -> Org:
    o = await seed_org(db, locale=locale)
    async with db.transaction() as s:
        branch = o.units["Branch 1"]
        eve = Member(unit_id=branch, name="Eve", telegram_user_id=None)
        finn = Member(unit_id=branch, name="Finn", telegram_user_id=FINN)
        s.add_all([eve, finn, Account(telegram_user_id=FINN, chat_id=FINN, locale=locale,
                                      blocked_at=NOW)])
        await s.flush()
        o.members[EVE], o.members[FINN] = eve.id, finn.id
    return o


def data_of(message: dict[str, Any], label_start: str) -> str:
    for label, data in buttons(message):
        if label_start in label:
            return data
    raise AssertionError(f"no button {label_start!r} in {buttons(message)}")


async def compose(sb: SandboxClient, uid: int, text: str, target: str, *, ack: bool = True,
                  when: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """/notice, the text, the target button starting with `target`, ack, when; returns the
    preview copy and the summary with the Send button (not pressed)."""
    [ask] = await say(sb, uid, "/notice")
    [targets] = await say(sb, uid, text)
    _a, [ack_q] = await tap(sb, uid, targets, data_of(targets, target))
    _a, [when_q] = await tap(sb, uid, ack_q, "nf:k:1" if ack else "nf:k:0")
    if when is None:
        _a, [preview, summary] = await tap(sb, uid, when_q, "nf:n", count=2)
    else:
        preview, summary = await say(sb, uid, when, count=2)
    return preview, summary


async def notices_in(db: Database) -> list[Notice]:
    async with db.transaction() as s:
        return list((await s.scalars(select(Notice).order_by(Notice.id))).all())


async def recipients(db: Database, notice_id: int) -> dict[int, NoticeRecipient]:
    async with db.transaction() as s:
        rows = await s.scalars(select(NoticeRecipient).where(
            NoticeRecipient.notice_id == notice_id))
        return {r.member_id: r for r in rows}


async def copies(db: Database, notice_id: int) -> list[OutboxMessage]:
    async with db.transaction() as s:
        return list((await s.scalars(select(OutboxMessage).where(
            OutboxMessage.dedup_key.startswith(f"notice:{notice_id}:")))).all())
