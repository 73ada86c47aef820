"""Two bot processes on one PostgreSQL against the sandbox.

The prompt fan-out and a notice are split between three instances at a shared SEND_RATE; one
is killed -9 in the middle of the prompts, another in the middle of the notice, and every
member still gets exactly one prompt and one copy of the notice. Behind a
round-robin proxy, a member fills in the unwell form with each update landing on the other
instance, one instance is killed -9 half-way, and the survivor finishes the form: one report,
as entered. /readyz and /metrics are read over HTTP."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import (
    HouseholdEntry,
    NoticeRecipient,
    OutboxMessage,
    OutboxStatus,
    Report,
    ReportStatus,
    Role,
)
from bot.sandbox import SandboxClient, SandboxConfig, SandboxServer
from bot.services.notices import broadcast as notices
from bot.services.notices.draft import NoticeDraft, Step
from bot.services.org.permissions import Actor
from tests.production.helpers_instances import (
    Instance,
    RoundRobinProxy,
    bot_logs,
    start_instance,
    wait_for,
)
from tests.support.builders import (
    draft_of,
    seed_members,
    seed_unit,
    started,
    stored,
    zone_where_it_is,
)
from tests.support.chat import REPLY_TIMEOUT, callbacks, labels, says, send, tap

MEMBERS = range(7000, 7200)
ADMIN = 7999  # an admin by ADMIN_TELEGRAM_IDS, not a member: not in the audience
NOTICE_TEXT = "Drill: wash your hands <often>"
SEND_RATE = 20


# The conftest's database, on PostgreSQL only: several instances share one server.
pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


@pytest.fixture
def pg(db: Database) -> Database:
    return db


@pytest.fixture
async def tight_sandbox() -> AsyncIterator[SandboxServer]:
    """Telegram's overall limit a little above SEND_RATE: two instances each sending at the
    whole SEND_RATE would draw 429s within seconds; sharing it draws none."""
    server = SandboxServer(SandboxConfig(global_rate=SEND_RATE * 1.25, webhook_loopback_http=True))
    await server.start(host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        await server.stop()


async def delivered(sb: SandboxClient) -> dict[str, int]:
    stats = await sb.stats()
    return {chat: n for chat, n in stats["messages_per_chat"].items() if int(chat) in MEMBERS}


async def sent_rows(db: Database, kind: str | None = None) -> int:
    """Rows to members the instances recorded as SENT."""
    stmt = select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.chat_id.in_(MEMBERS))
    if kind is not None:
        stmt = stmt.where(OutboxMessage.kind == kind)
    async with db.transaction() as s:
        return int(await s.scalar(stmt) or 0)


async def create_notice(db: Database) -> int:
    """The notice to the whole organisation, as /notice's confirm creates it."""
    now = datetime.now(UTC)
    async with db.transaction() as s:
        scope = Actor(ADMIN, role=Role.ADMIN)
        draft = NoticeDraft(Step.PREVIEW, NOTICE_TEXT, target="org", ack=True)
        target = await notices.resolve_target(s, scope, draft, now=now)
        assert target is not None
        notice = await notices.create_notice(
            s, scope, draft, target, author_telegram_id=ADMIN, author_name="Admin",
            author_locale="en", progress_chat_id=ADMIN, progress_message_id=None, now=now)
        return notice.id


async def test_prompts_and_a_notice_reach_everyone_once_through_two_kill_9s(
    tight_sandbox: SandboxServer, pg: Database, tmp_path: Path
) -> None:
    sandbox = tight_sandbox
    async with pg.transaction() as s:
        # The real clock is inside this unit's prompt window: the bots' own minute job fires.
        unit = await seed_unit(s, timezone=zone_where_it_is(12), prompt_time="06:00",
                               deadline_time="23:00", reminder_times="")
        await seed_members(s, unit, MEMBERS)
    started(sandbox, [*MEMBERS, ADMIN])

    instances: list[Instance] = []
    async with SandboxClient(sandbox.url, wait_timeout=REPLY_TIMEOUT) as sb:
        try:
            await run_scenario(sb, sandbox, pg, instances, tmp_path)
        finally:
            for instance in instances:
                await instance.kill()


async def run_scenario(sb: SandboxClient, sandbox: SandboxServer, pg: Database,
                       instances: list[Instance], tmp_path: Path) -> None:
    async def launch(name: str) -> Instance:
        instance = await start_instance(sandbox, pg, tmp_path, name, send_rate=SEND_RATE)
        instances.append(instance)
        return instance

    a, b, c = await asyncio.gather(launch("a"), launch("b"), launch("c"))

    def ready(*which: Instance) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return all([await i.ready() for i in which])
        return check

    # The deadlines are for a busy machine: each waits on a condition, not a clock.
    await wait_for(ready(a, b, c), "the instances ready", 180, tmp_path)

    def some(n: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return sum((await delivered(sb)).values()) >= n
        return check

    await wait_for(some(40), "the fan-out under way", 180, tmp_path)
    notice_id = await create_notice(pg)  # both instances' notice jobs race to fan it out

    async def each_counts_three() -> bool:
        # An instance learns of the others by their heartbeats: until then it sends at more
        # than its share (instances.py). A busy machine starts them seconds apart.
        return all("3 live instance(s)" in (tmp_path / f"{i.name}.log").read_text()
                   for i in (a, b, c))

    await wait_for(each_counts_three, "each instance counting three", 60, tmp_path)
    loop = asyncio.get_running_loop()
    t0, n0 = loop.time(), sum((await delivered(sb)).values())
    await wait_for(some(n0 + 80), "80 more prompts", 90, tmp_path)
    rate = (sum((await delivered(sb)).values()) - n0) / (loop.time() - t0)
    assert rate <= SEND_RATE * 1.1, f"combined rate {rate:.1f}/s"

    async def kill_quietly(victim: Instance) -> int:
        """Freeze every send (flood control) so that nothing is in flight, then kill -9;
        returns how many messages members had then."""
        before = (await sb.stats())["faults"]["429"]
        await sb.set_faults(rate_429=1.0, retry_after=3, methods=["sendMessage"])

        async def quiet() -> bool:
            # A send refused since the freeze, and everything delivered also recorded.
            faults = (await sb.stats())["faults"]["429"]
            return faults > before and await sent_rows(pg) == sum((await delivered(sb)).values())

        await wait_for(quiet, "the dispatchers paused", 60, tmp_path)
        victim.process.send_signal(signal.SIGKILL)
        await victim.process.wait()
        at_kill = sum((await delivered(sb)).values())
        await sb.clear_faults()
        return at_kill

    # b dies half-way through the prompts, c half-way through the notice.
    assert 120 <= await kill_quietly(b) < len(MEMBERS)

    async def notice_under_way() -> bool:
        return await sent_rows(pg, notices.KIND_NOTICE) >= 20

    await wait_for(notice_under_way, "the notice under way", 120, tmp_path)
    assert await kill_quietly(c) < 2 * len(MEMBERS)
    # (Prompts that met the flood control went behind the notice: count the notice alone.)
    assert 20 <= await sent_rows(pg, notices.KIND_NOTICE) < len(MEMBERS)

    async def all_sent() -> bool:
        assert a.process.returncode is None, f"a exited:\n{bot_logs(tmp_path)}"
        async with pg.transaction() as s:
            pending = await s.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.status != OutboxStatus.SENT))
        return pending == 0 and await sent_rows(pg) == 2 * len(MEMBERS)

    # b's and c's claimed rows come back when their lease (30 s) runs out.
    await wait_for(all_sent, "every prompt and notice sent", 240, tmp_path)
    # The author's progress message ends with the true figures, kills or not.
    await sb.wait_until(ADMIN, lambda messages: any(
        f"Notice #{notice_id}: sending finished" in m["text"]
        and f"sent {len(MEMBERS)} / {len(MEMBERS)} · failed 0" in m["text"]
        for m in messages), timeout=60)
    metrics = (await a.get("/metrics")).text
    assert "selfreport_instances_live 1.0" in metrics  # b's and c's heartbeats stopped
    assert f"selfreport_send_rate {float(SEND_RATE)}" in metrics
    a.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(a.process.wait(), 60) == 0

    assert await delivered(sb) == {str(m): 2 for m in MEMBERS}  # everyone, exactly twice
    for uid in MEMBERS:  # ... once the prompt and once the notice
        kinds = sorted(callbacks(m)[-1].split(":")[0] for m in await sb.chat(uid))
        assert kinds == ["na", "r"], (uid, await sb.chat(uid))
    notice_copy = next(m for m in await sb.chat(MEMBERS[0]) if "na:" in str(callbacks(m)))
    assert NOTICE_TEXT in notice_copy["text"]  # escaped for HTML, shown as typed
    assert callbacks(notice_copy) == [f"na:{notice_id}"]
    async with pg.transaction() as s:
        recipients = await s.scalar(select(func.count()).select_from(NoticeRecipient)
                                    .where(NoticeRecipient.notice_id == notice_id))
    assert recipients == len(MEMBERS)
    stats = await sb.stats()
    # No 429 but the injected ones: the instances never sent faster than Telegram allows.
    assert stats["errors"]["429"] == stats["faults"]["429"]
    logs = "".join((tmp_path / f"{n}.log").read_text() for n in "abc")
    assert "3 live instance(s)" in logs and "2 live instance(s)" in logs


FORM_MEMBER = 7600


async def test_a_member_mid_form_continues_on_the_other_instance(
    sandbox: SandboxServer, pg: Database, tmp_path: Path
) -> None:
    zone = zone_where_it_is(12)
    async with pg.transaction() as s:
        unit = await seed_unit(s, timezone=zone, prompt_time="06:00", deadline_time="23:00",
                               reminder_times="")
        [member] = await seed_members(s, unit, [FORM_MEMBER], locale="en")
        s.add(HouseholdEntry(member_id=member.id, relation="spouse", name="Li Na", position=0))
        member_id = member.id
    started(sandbox, [FORM_MEMBER])

    proxy = RoundRobinProxy()
    await proxy.start()
    try:
        proxy.instances = list(await asyncio.gather(*(
            start_instance(sandbox, pg, tmp_path, name, send_rate=SEND_RATE,
                           webhook_url=proxy.url) for name in ("a", "b"))))

        async def both_ready() -> bool:
            return all([await i.ready() for i in proxy.instances])

        await wait_for(both_ready, "both instances ready", 180, tmp_path)
        async with SandboxClient(sandbox.url, wait_timeout=REPLY_TIMEOUT) as sb:
            await fill_in_the_form(sb, proxy, proxy.instances[0], tmp_path)
    finally:
        for instance in proxy.instances:
            await instance.kill()
        await proxy.stop()

    day = datetime.now(ZoneInfo(zone)).date()
    report = await stored(pg, member_id, day)
    assert report is not None
    assert (report.status, report.temperature, report.symptoms, report.note) == (
        ReportStatus.ABNORMAL, Decimal("38.2"), ["cough"], "since noon")
    assert [(h.relation, h.name, h.temperature, h.symptoms, h.note)
            for h in report.household] == [("spouse", "Li Na", None, [], "")]
    async with pg.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Report)) == 1
    assert await draft_of(pg, FORM_MEMBER) is None


def ticked(label: str) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda messages: label in labels(messages[-1])


async def fill_in_the_form(sb: SandboxClient, proxy: RoundRobinProxy, a: Instance,
                           tmp_path: Path) -> None:
    uid = FORM_MEMBER
    [prompt] = await sb.wait_for_bot_messages(uid, timeout=120)  # the instances' own prompt
    assert "🤒 Someone is unwell" in labels(prompt)
    await tap(sb, uid, "🤒 Someone is unwell")
    await says(sb, uid, "Who is unwell?")
    for who in ("You", "spouse Li Na"):
        await tap(sb, uid, f"⬜ {who}")
        await sb.wait_until(uid, ticked(f"☑️ {who}"))
    await tap(sb, uid, "Next ➡")
    await says(sb, uid, "Your temperature?")
    step = await send(sb, uid, "38,2")
    assert "Your symptoms?" in step["text"]
    await tap(sb, uid, "⬜ cough")
    await sb.wait_until(uid, ticked("☑️ cough"))
    # Round robin: both instances have carried this form so far.
    assert proxy.handled["a"] >= 2 and proxy.handled["b"] >= 2, proxy.handled

    a.process.send_signal(signal.SIGKILL)
    await a.process.wait()
    by_a, by_b = proxy.handled["a"], proxy.handled["b"]
    await tap(sb, uid, "Done ➡")
    await says(sb, uid, "Anything to add?")
    step = await send(sb, uid, "since noon")
    assert "Temperature of spouse Li Na?" in step["text"]
    await tap(sb, uid, "Normal")
    await says(sb, uid, "Symptoms of spouse Li Na?")
    await tap(sb, uid, "Done ➡")
    await says(sb, uid, "Anything to add about spouse Li Na?")
    await tap(sb, uid, "Skip ➡")
    await says(sb, uid, "Please check your report")
    await tap(sb, uid, "✅ Confirm")
    done = await says(sb, uid, "✅ Reported at")
    assert callbacks(done) == []
    assert proxy.handled["a"] == by_a and proxy.handled["b"] >= by_b + 6, (
        proxy.handled, bot_logs(tmp_path))
