"""Acknowledging a notice, /notices figures and drill-down, reminders at most once an hour."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.db import Database
from bot.sandbox import SandboxClient, SandboxServer
from tests.notices.helpers import (
    FINN,
    compose,
    labels,
    notices_in,
    recipients,
    say,
    seed,
    tap,
)
from tests.support.builders import (
    ALAN,
    BEN,
    BOB,
    CARA,
    DORA,
    EVERYONE,
    GINA,
    MIA,
    NOW,
    audit_rows,
    running_clock,
    started,
)


async def send_to_branch(sb: SandboxClient, text: str = "Wear masks.") -> dict[str, Any]:
    """Alan's notice to Branch 1, acknowledgement asked; returns Mia's copy."""
    _preview, summary = await compose(sb, ALAN, text, "Branch 1")
    await sb.press(ALAN, summary["message_id"], callback_data="nf:s")
    for uid in (DORA, BEN):
        await sb.wait_for_bot_messages(uid)
    [copy] = await sb.wait_for_bot_messages(MIA)
    return copy


async def test_acknowledging_records_the_time_once_and_takes_the_button_away(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    copy = await send_to_branch(sb)
    [notice] = await notices_in(db)

    answer = await sb.press(MIA, copy["message_id"], button="✅ Acknowledge")
    assert answer["text"] == "Thank you: your acknowledgement is recorded."
    [edited] = await sb.wait_until(MIA, lambda chat: not chat[0].get("reply_markup"))
    # The copy says it is read, with the time, where it asked for the tap.
    *notice_lines, request = copy["text"].split("\n")
    assert request == "Please tap “Acknowledge” once you have read it."
    *shown, acknowledged = edited["text"].split("\n")
    assert shown == notice_lines and acknowledged.startswith("✅ Acknowledged at Nov 30, 09:0")
    first = (await recipients(db, notice.id))[o.members[MIA]].acknowledged_at
    assert first is not None and abs(first - NOW) < timedelta(minutes=1)

    # The old button again (a double tap, a stale copy): nothing changes.
    again = await sb.press(MIA, copy["message_id"], callback_data=f"na:{notice.id}")
    assert again["text"] == "You have already acknowledged this notice."
    assert (await recipients(db, notice.id))[o.members[MIA]].acknowledged_at == first

    # Cara got no copy: forged data on one of her own messages is refused and audited.
    [help_] = await say(sb, CARA, "/help")
    forged = await sb.press(CARA, help_["message_id"], callback_data=f"na:{notice.id}")
    assert forged["text"] == "This notice was not sent to you." and forged["show_alert"]
    assert o.members[CARA] not in await recipients(db, notice.id)
    assert [a.target for a in await audit_rows(db, "notice_ack_denied")] == [
        f"notice:{notice.id}"]
    nonsense = await sb.press(CARA, help_["message_id"], callback_data="na:x1")
    assert nonsense["text"] == "This button is no longer valid."


async def test_notices_figures_drill_down_and_reminders_once_an_hour(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed(db)
    started(sandbox, (*EVERYONE, FINN))
    bot_app.bot_data.clock = running_clock(NOW)
    copy = await send_to_branch(sb, "Canteen closed on Friday.")
    [notice] = await notices_in(db)
    await sb.press(MIA, copy["message_id"], button="✅ Acknowledge")
    await sb.wait_until(ALAN, lambda chat: any("finished" in (m.get("text") or "")
                                               for m in chat))

    [listing] = await say(sb, ALAN, "/notices")
    lines = listing["text"].splitlines()
    assert lines[0] == "Recent notices"
    assert lines[2].startswith(f"#{notice.id} · ") and lines[2].endswith(
        "Alan → Group / Company A / Branch 1")
    assert lines[3:] == ["Canteen closed on Friday.", "delivered 3 / 5 · acknowledged 1 / 5"]
    assert labels(listing) == [f"🔎 #{notice.id}"]

    _a, [detail] = await tap(sb, ALAN, listing, f"nv:{notice.id}")
    assert detail["text"].splitlines()[3:] == [
        "", "Not acknowledged yet", "📁 Group / Company A / Branch 1 (2): Ben, Dora",
        "", "Cannot be reached (tell them another way)",
        "📁 Group / Company A / Branch 1 (2): Eve (never linked), Finn (blocked the bot)"]
    assert labels(detail) == ["🔔 Remind who has not acknowledged"]
    assert [a.target for a in await audit_rows(db, "notice_view")] == [f"notice:{notice.id}"]

    # Bob (Company B) sees none of it; a forged drill-down is refused and audited.
    [bobs] = await say(sb, BOB, "/notices")
    assert bobs["text"] == "No notices yet. Send one with /notice."
    _a, [refused] = await tap(sb, BOB, bobs, f"nv:{notice.id}")
    assert refused["text"] == "That notice does not exist, or is not one you may see."
    _a, [refused] = await tap(sb, BOB, bobs, f"nr:{notice.id}")
    assert refused["text"] == "That notice does not exist, or is not one you may see."
    # Gina, above Company A, sees it with its figures.
    [ginas] = await say(sb, GINA, "/notices")
    assert "delivered 3 / 5 · acknowledged 1 / 5" in ginas["text"]

    _a, [reminded] = await tap(sb, ALAN, detail, f"nr:{notice.id}")
    assert reminded["text"] == "Reminder sent to 2 members who have not acknowledged."
    for uid in (DORA, BEN):
        await sb.wait_until(uid, lambda chat: len(chat) == 2)
        reminder = (await sb.chat(uid))[-1]
        assert reminder["text"].startswith(
            "🔔 Reminder: please read this notice and acknowledge it.\n📢 Notice from Alan")
        assert labels(reminder) == ["✅ Acknowledge"]
    assert len(await sb.chat(MIA)) == 1
    _a, [too_soon] = await tap(sb, ALAN, detail, f"nr:{notice.id}")
    assert too_soon["text"].startswith("A reminder for this notice already went out in the "
                                       "last hour. The next one is possible at")
    assert "10:0" in too_soon["text"]

    # Acknowledging the reminder's copy counts the same; an hour on, only Ben is left.
    dora_reminder = (await sb.chat(DORA))[-1]
    await sb.press(DORA, dora_reminder["message_id"], button="✅ Acknowledge")
    bot_app.bot_data.clock = running_clock(NOW + timedelta(minutes=61))
    _a, [later] = await tap(sb, ALAN, detail, f"nr:{notice.id}")
    assert later["text"] == "Reminder sent to 1 member who has not acknowledged."
    await sb.wait_until(BEN, lambda chat: len(chat) == 3)
    assert len(await sb.chat(DORA)) == 2
    assert [a.details for a in await audit_rows(db, "notice_remind")] == [
        {"count": 2}, {"count": 1}]
    acked = {m for m, r in (await recipients(db, notice.id)).items() if r.acknowledged_at}
    assert acked == {o.members[MIA], o.members[DORA]}


ACKED = {"zh_CN": "✅ 已于 11月30日 09:0", "en": "✅ Acknowledged at Nov 30, 09:0"}
REQUEST = {"zh_CN": "阅读后请点击“已阅”。",
           "en": "Please tap “Acknowledge” once you have read it."}


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_the_acknowledged_copy_shows_a_tick_and_the_time(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, locale: str
) -> None:
    await seed(db, locale=locale)
    started(sandbox, EVERYONE, language_code="zh-hans" if locale == "zh_CN" else "en")
    bot_app.bot_data.clock = running_clock(NOW)
    copy = await send_to_branch(sb, "<b>戴口罩</b> & wash hands")
    [notice] = await notices_in(db)
    assert copy["text"].endswith(REQUEST[locale])
    await sb.press(MIA, copy["message_id"], callback_data=f"na:{notice.id}")
    [edited] = await sb.wait_until(MIA, lambda chat: bool(chat[0].get("edited")))
    assert "<b>戴口罩</b> & wash hands" in edited["text"]  # the notice, as written
    assert REQUEST[locale] not in edited["text"]
    assert edited["text"].split("\n")[-1].startswith(ACKED[locale])
    assert not edited.get("reply_markup")
