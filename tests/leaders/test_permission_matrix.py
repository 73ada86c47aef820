"""Who may use the leaders' commands and buttons, from one table: each command or button ×
member / leader in scope / leader out of scope / admin / unlinked / deactivated, driven
through the sandbox. Each cell is the reply (or the button's answer) that person gets and
the refusal the audit log records for them, if any.

"In scope" is Alan, the leader of Company A, acting on Company A, Branch 1 or Mia (Branch
1); "out of scope" is Bob, the leader of Company B, acting on the same. Commands without a
target (/remind, /export, /status) act on the leader's own subtree: Bob is allowed there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Alert, AuditEntry, Member, Role
from bot.outbox.send import send
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.digest import alerts
from tests.leaders.helpers import (
    ALAN,
    BOB,
    EVERYONE,
    MIA,
    NOW,
    TZ,
    Org,
    ask,
    press,
    report,
    seed_org,
)
from tests.support.builders import MONDAY, at, running_clock, started

ADA, DAN, STRANGER = 6008, 6009, 6010  # an admin; a deactivated leader; nobody's account

ACTORS = {"member": MIA, "leader in scope": ALAN, "leader out of scope": BOB, "admin": ADA,
          "unlinked": STRANGER, "deactivated": DAN}
REFUSALS = ("contacts_denied", "report_for_denied", "status_refused", "alert_denied",
            "leave_denied")

NOT_ALLOWED = "Only unit leaders and administrators can do this."
NO_STATUS = "Only unit leaders and admins can see the reporting status."
NOT_IN_CHAIN = "You are not in this unit's reporting chain."


@dataclass(frozen=True)
class Cell:
    text: str  # what the reply (or the button's answer) starts with
    audit: str | None = None  # the refusal recorded for the actor, if any


def row(*, member: Cell, inside: Cell, outside: Cell, admin: Cell,
        stranger: Cell | None = None) -> dict[str, Cell]:
    """Unlinked and deactivated people get what a member gets, unless `stranger` says."""
    return {"member": member, "leader in scope": inside, "leader out of scope": outside,
            "admin": admin, "unlinked": stranger or member, "deactivated": stranger or member}


CHAIN_A = Cell("Reporting contacts of Group / Company A")
CHOICE_MIA = Cell("Today's report (")  # … for Mia (Group / Company A / Branch 1)
MATRIX: dict[str, dict[str, Cell]] = {
    "/contacts": row(member=Cell(NOT_ALLOWED), inside=CHAIN_A,
                     outside=Cell("None of your units has that name."), admin=CHAIN_A),
    "contacts button": row(member=Cell(NOT_ALLOWED), inside=CHAIN_A,
                           outside=Cell("That unit is not one of yours.", "contacts_denied"),
                           admin=CHAIN_A),
    "/remind": row(member=Cell(NOT_ALLOWED), inside=Cell("Nobody to remind"),
                   outside=Cell("Nobody to remind"), admin=Cell("Nobody to remind")),
    "/export": row(member=Cell(NOT_ALLOWED), inside=Cell("Reports "), outside=Cell("Reports "),
                   admin=Cell("Reports ")),
    "/report_for": row(member=Cell(NOT_ALLOWED), inside=CHOICE_MIA,
                       outside=Cell("No active member of your units matches"),
                       admin=CHOICE_MIA),
    "report_for button": row(member=Cell(NOT_ALLOWED), inside=CHOICE_MIA,
                             outside=Cell("That member is not in your units.",
                                          "report_for_denied"),
                             admin=CHOICE_MIA),
    "/status": row(member=Cell(NO_STATUS), inside=Cell("📋 Status so far: Company A"),
                   outside=Cell("📋 Status so far: Company B"),
                   admin=Cell("📋 Status so far: Group")),
    "status drill-down": row(member=Cell(NO_STATUS), inside=Cell("📋 Status so far: Company A"),
                             outside=Cell("You can only see the status of your own unit",
                                          "status_refused"),
                             admin=Cell("📋 Status so far: Company A")),
    # In the table's order: Alan handles it, so the admin finds it handled already.
    "handled button": row(member=Cell(NOT_IN_CHAIN, "alert_denied"),
                          inside=Cell("Marked as handled."),
                          outside=Cell(NOT_IN_CHAIN, "alert_denied"),
                          admin=Cell("This alert was already handled.")),
}


@dataclass(frozen=True)
class World:
    org: Org
    alert_id: int


async def seed(db: Database) -> World:
    org = await seed_org(db)
    saved = await report(db, org.members[MIA], temperature="38.2")
    async with db.transaction() as s:
        s.add(Member(unit_id=org.units["Group"], name="Ada", telegram_user_id=ADA,
                     role=Role.ADMIN))
        s.add(Member(unit_id=org.units["Company A"], name="Dan", telegram_user_id=DAN,
                     role=Role.LEADER, active=False))
        result = await alerts.alert_report(s, report_id=saved.report.id, now=NOW,
                                           default_timezone=TZ, default_locale="en")
        await send(s, result.items, now=NOW)
        alert_id = await s.scalar(select(Alert.id))
    assert alert_id is not None
    return World(org, alert_id)


async def command(sb: SandboxClient, uid: int, text: str) -> str:
    [reply] = await ask(sb, uid, text)
    return str(reply.get("text") or reply.get("caption") or "")


async def new_message_button(sb: SandboxClient, uid: int, data: str) -> str:
    """A button answered with a new message (/contacts, /report_for)."""
    [shown] = await ask(sb, uid, "/help")
    _answer, [reply] = await press(sb, uid, shown, data)
    return str(reply["text"])


async def answered_button(sb: SandboxClient, uid: int, data: str) -> str:
    """A button answered with a toast or an alert, or by editing its message."""
    [shown] = await ask(sb, uid, "/help")
    answer = await sb.press(uid, shown["message_id"], callback_data=data)
    assert answer["answered"]
    if answer.get("text"):
        return str(answer["text"])
    # The edit follows the answer, a moment later under Telegram's per-chat limit.
    chat = await sb.wait_until(uid, lambda messages: any(
        m["message_id"] == shown["message_id"] and m["edited"] for m in messages))
    [edited] = [m for m in chat if m["message_id"] == shown["message_id"]]
    return str(edited["text"])


Action = Callable[[SandboxClient, World, int], Awaitable[str]]
ACTIONS: dict[str, Action] = {
    "/contacts": lambda sb, w, uid: command(sb, uid, "/contacts Company A"),
    "contacts button": lambda sb, w, uid: new_message_button(
        sb, uid, f"ct:s:{w.org.units['Company A']}"),
    "/remind": lambda sb, w, uid: command(sb, uid, "/remind"),
    "/export": lambda sb, w, uid: command(sb, uid, "/export"),
    "/report_for": lambda sb, w, uid: command(sb, uid, "/report_for Mia"),
    "report_for button": lambda sb, w, uid: new_message_button(
        sb, uid, f"rb:m:{w.org.members[MIA]}"),
    "/status": lambda sb, w, uid: command(sb, uid, "/status"),
    "status drill-down": lambda sb, w, uid: answered_button(
        sb, uid, f"st:{w.org.units['Company A']}"),
    "handled button": lambda sb, w, uid: answered_button(sb, uid, f"al:h:{w.alert_id}"),
}


async def refusals_of(db: Database, uid: int) -> list[str]:
    async with db.transaction() as s:
        return list((await s.scalars(select(AuditEntry.action).where(
            AuditEntry.actor == f"tg:{uid}", AuditEntry.action.in_(REFUSALS))
            .order_by(AuditEntry.id))).all())


def test_the_table_covers_every_action_and_actor() -> None:
    assert MATRIX.keys() == ACTIONS.keys()
    assert all(cells.keys() == ACTORS.keys() for cells in MATRIX.values())


@pytest.mark.parametrize("action", list(MATRIX))
async def test_permissions(action: str, bot_app: Any, sandbox: SandboxServer,
                           sb: SandboxClient, db: Database) -> None:
    world = await seed(db)
    started(sandbox, (*EVERYONE, ADA, DAN, STRANGER))
    # Before the day's question: /remind finds nobody due and sends nobody anything.
    bot_app.bot_data.clock = running_clock(at(MONDAY, "06:00") + timedelta(minutes=1))
    for who, uid in ACTORS.items():
        cell = MATRIX[action][who]
        text = await ACTIONS[action](sb, world, uid)
        assert text.startswith(cell.text), (action, who, text)
        assert await refusals_of(db, uid) == ([cell.audit] if cell.audit else []), (action, who)
