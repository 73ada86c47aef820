"""The tick queues each unit's digest at its digest time, once, to its own chain."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.db.models import Holiday, OutboxMessage, Role
from bot.runtime.tick import run_tick
from bot.services.digest import queue
from tests.digest.helpers import MONDAY, SHANGHAI, at, contact, members, report, unit


async def tick(db: Database, when: Any) -> Any:
    async with db.transaction() as s:
        return await run_tick(s, now=when, default_timezone=SHANGHAI)


async def digest_rows(db: Database) -> list[OutboxMessage]:
    async with db.transaction() as s:
        return list(await s.scalars(select(OutboxMessage).where(
            OutboxMessage.kind.in_(["digest", "digest_chart"])).order_by(OutboxMessage.id)))


async def seed(db: Database) -> dict[str, Any]:
    async with db.transaction() as s:
        group = await unit(s, "Group", prompt_time="23:00", deadline_time="23:30",
                           digest_time="18:00")
        company = await unit(s, "Group", "Company")
        [chief] = await members(s, group, ["Chief"], first_uid=401, locale="zh_CN")
        [deputy] = await members(s, group, ["Deputy"], first_uid=402, locale="en")
        staff = await members(s, company, ["Ann", "Bob"], first_uid=411)
        await report(s, staff[0], MONDAY)
        await contact(s, group, chief, 0)
        await contact(s, group, deputy, 1)
    return {"group": group, "company": company, "chief": chief, "deputy": deputy}


async def test_the_digest_is_queued_at_digest_time_once_even_when_the_tick_runs_twice(
    db: Database,
) -> None:
    t = await seed(db)
    assert (await tick(db, at(MONDAY, "17:59"))).counts.get("digest", 0) == 0
    first = await tick(db, at(MONDAY, "18:00"))
    assert first.counts["digest"] == 2
    assert (await tick(db, at(MONDAY, "18:00"))).counts.get("digest", 0) == 0
    assert (await tick(db, at(MONDAY, "21:45"))).counts.get("digest", 0) == 0
    rows = await digest_rows(db)
    group = t["group"].id
    assert [(r.dedup_key, r.kind, r.chat_id) for r in rows] == [
        (f"digest:2026-11-30:{group}:{t['chief'].id}", "digest", 401),
        (f"digest:2026-11-30:{group}:{t['deputy'].id}", "digest", 402),
        (f"digest:2026-11-30:{group}:{t['chief'].id}:chart", "digest_chart", 401),
        (f"digest:2026-11-30:{group}:{t['deputy'].id}:chart", "digest_chart", 402),
    ]
    zh_text, en_text, zh_chart, en_chart = (r.payload for r in rows)
    assert zh_text["method"] == "sendMessage" and zh_text["parse_mode"] == "HTML"
    assert "日报：Group" in zh_text["text"] and "已上报：<b>1</b> / 4" in zh_text["text"]
    assert "Daily digest: Group" in en_text["text"]
    assert "• Company: 1/2 (50%), abnormal: 0" in en_text["text"]
    assert zh_chart["method"] == "sendPhoto" and "近14天" in zh_chart["caption"]
    png = base64.b64decode(en_chart["file"]["base64"])
    assert png.startswith(b"\x89PNG") and en_chart["file"]["filename"].endswith(".png")


async def test_a_late_tick_still_sends_the_days_digest_and_the_next_day_anew(
    db: Database,
) -> None:
    await seed(db)
    assert (await tick(db, at(MONDAY, "23:58"))).counts["digest"] == 2
    tuesday = date(2026, 12, 1)
    assert (await tick(db, at(tuesday, "17:00"))).counts.get("digest", 0) == 0
    assert (await tick(db, at(tuesday, "18:01"))).counts["digest"] == 2
    assert len(await digest_rows(db)) == 8


async def test_charts_beyond_the_time_budget_follow_in_the_next_ticks(
    db: Database, monkeypatch: Any
) -> None:
    await seed(db)
    async with db.transaction() as s:
        for i in range(3):
            u = await unit(s, "Group", f"Team {i}")
            [lead] = await members(s, u, [f"Lead {i}"], first_uid=430 + i)
            await contact(s, u, lead)
    monkeypatch.setattr("bot.services.digest.queue.CHART_SECONDS_PER_TICK", 0.0)
    # What each tick computes: every text's unit at first, then only the chart it draws.
    computed: list[tuple[list[int], list[int]]] = []
    real = queue.compute_digests

    async def compute(*args: Any, **kwargs: Any) -> Any:
        computed.append((list(kwargs["unit_ids"]), list(kwargs["charts"])))
        return await real(*args, **kwargs)

    monkeypatch.setattr(queue, "compute_digests", compute)
    assert (await tick(db, at(MONDAY, "18:00"))).counts["digest"] == 5  # every text at once
    kinds = [r.kind for r in await digest_rows(db)]
    assert kinds.count("digest") == 5 and kinds.count("digest_chart") in (1, 2)
    for minute in range(1, 5):
        assert (await tick(db, at(MONDAY, f"18:0{minute}"))).counts.get("digest", 0) == 0
    kinds = [r.kind for r in await digest_rows(db)]
    assert kinds.count("digest_chart") == 5 and len(kinds) == 10
    assert len(computed[0][0]) == 4 and len(computed[0][1]) == 1  # 4 units' texts, 1 chart
    assert all(units == charts and len(units) == 1 for units, charts in computed[1:])


async def test_no_digest_on_a_day_off(db: Database) -> None:
    t = await seed(db)
    async with db.transaction() as s:
        s.add(Holiday(unit_id=t["group"].id, day=MONDAY, name="holiday"))
    assert (await tick(db, at(MONDAY, "18:30"))).counts.get("digest", 0) == 0
    assert await digest_rows(db) == []


async def test_a_unit_with_its_own_chain_gets_its_own_digest_escalated_ones_do_not(
    db: Database,
) -> None:
    t = await seed(db)
    async with db.transaction() as s:
        cell = await unit(s, "Group", "Company", "Cell")
        [lead] = await members(s, cell, ["Cell lead"], first_uid=421)
        await contact(s, cell, lead)
    result = await tick(db, at(MONDAY, "18:05"))
    assert result.counts["digest"] == 3
    by_unit = {e.unit_id: e.count for e in result.entries if e.kind == "digest"}
    assert by_unit == {t["group"].id: 2, cell.id: 1}  # Company escalates to Group: none


async def test_only_those_who_may_act_on_the_unit_get_the_digests_buttons(db: Database) -> None:
    """A contact who leads nothing is sent the digest to read: the remind, alerts and dashboard
    buttons would be refused on the tap, so they are not drawn. A leader of the unit (or above
    it), a roster admin and an ADMIN_TELEGRAM_IDS admin get them."""
    t = await seed(db)
    async with db.transaction() as s:
        await report(s, t["chief"], MONDAY, abnormal=True, temperature="38.4")
        [leader] = await members(s, t["group"], ["Leader"], first_uid=431, role=Role.LEADER)
        [admin] = await members(s, t["company"], ["Admin"], first_uid=432, role=Role.ADMIN)
        [ops] = await members(s, t["company"], ["Ops"], first_uid=433)
        # Leads the company, which is below the group: the group's buttons are not theirs.
        [below] = await members(s, t["company"], ["Company lead"], first_uid=434,
                                role=Role.LEADER)
        for i, m in enumerate((leader, admin, ops, below), start=2):
            await contact(s, t["group"], m, i)
    async with db.transaction() as s:
        await run_tick(s, now=at(MONDAY, "18:00"), default_timezone=SHANGHAI,
                       admin_ids={433})  # Ops: an admin by setting, a member on the roster
    texts = {r.chat_id: r.payload for r in await digest_rows(db) if r.kind == "digest"}
    assert set(texts) == {401, 402, 431, 432, 433, 434}
    assert {chat for chat, p in texts.items() if p.get("reply_markup")} == {431, 432, 433}
    steps = [b.get("callback_data") or b.get("web_app", {}).get("url")
             for row in texts[431]["reply_markup"]["inline_keyboard"] for b in row]
    assert len(steps) >= 2  # the open alert, the dashboard (and remind: one has not reported)
    # The same text either way: only the buttons differ.
    assert texts[434]["text"] == texts[431]["text"]
