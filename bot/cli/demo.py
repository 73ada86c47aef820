"""`selfreport demo`: the sandbox, a seeded SQLite organisation and the bot, in one process.

The sandbox knows nothing of the bot; `DemoControl` tells its chat page who the demo users
are (unit, role) and moves the demo clock: "run what is due at…" sets the bot's clock
(`bot_data.clock`) running from the chosen instant and runs the same tick as
`selfreport tick --at`, so the prompts, reminders and digests of that moment go out and the
reports made afterwards count for that day.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select

from bot.config import PROJECT_ROOT, Settings
from bot.db import Database, migrate
from bot.db.models import Member, Unit, UnitContact
from bot.runtime.app import SelfreportApp
from bot.runtime.jobs import tick_now
from bot.runtime.runner import settle_heap, start_bot, stop_bot, stop_on_signals
from bot.sandbox import SandboxClient, SandboxConfig, SandboxServer
from bot.sandbox.models import JSON
from bot.services.demo_seed import LANGUAGE_CODES, DemoPerson, seed_demo
from bot.services.reports.schedule import schedule_for

logger = logging.getLogger(__name__)

# How far the demo clock may be moved from the real time, either way.
MAX_JUMP = timedelta(days=60)


async def run_demo(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    fresh: bool = False,
    locale: str = "zh_CN",
    stop: asyncio.Event | None = None,
    announce: bool = True,
    ready: asyncio.Event | None = None,
) -> None:
    """Start everything, print where to chat, and run until Ctrl-C (or `stop`); `ready` is
    set once the bot runs."""
    if fresh:
        _remove_sqlite(settings.database_url)
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    sandbox_config = SandboxConfig()
    sandbox = SandboxServer(sandbox_config)
    await sandbox.start(host=host, port=port)
    db: Database | None = None
    try:
        # The dashboard (Mini App) on a port of its own, opened from the chat page's panel.
        webapp_port = free_port(host)
        webapp_host = urlsplit(sandbox.url).hostname or "127.0.0.1"
        settings = settings.model_copy(
            update={"telegram_bot_token": sandbox_config.token,
                    "telegram_api_base_url": sandbox.url, "webhook_url": None,
                    "webapp_listen": f"{host}:{webapp_port}",
                    "webapp_url": f"http://{webapp_host}:{webapp_port}/webapp/"}
        )
        await migrate.upgrade(settings.database_url)
        db = Database.from_url(settings.database_url)
        async with db.transaction() as session:
            people = await seed_demo(session, now=datetime.now(UTC), locale=locale,
                                     timezone=settings.default_timezone)
        async with SandboxClient(sandbox.url) as client:
            for user_id, person in people:
                await client.create_user(user_id, person.name,
                                         language_code=LANGUAGE_CODES[locale],
                                         phone_number=person.phone)
        mark_started(sandbox, [user_id for user_id, person in people if person.linked])
        app = await start_bot(settings, db)
        settle_heap()
        try:
            control = DemoControl(app, db, settings, sandbox, people)
            sandbox.attach_demo(control)
            if ready is not None:
                ready.set()
            if announce:
                print(f"selfreport demo: open {sandbox.url}/ to chat with the bot as any demo "
                      f"user. Database: {settings.database_url}. Ctrl-C stops.", flush=True)
            await stop.wait()
        finally:
            sandbox.attach_demo(None)
            await stop_bot(app)
    finally:
        if db is not None:
            await db.dispose()
        await sandbox.stop()


def free_port(host: str) -> int:
    """A port nobody listens on now (the demo's dashboard takes it a moment later)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class DemoControl:
    """The demo's side of bot/sandbox/hooks.py: people and the movable clock."""

    def __init__(self, app: SelfreportApp, db: Database, settings: Settings,
                 sandbox: SandboxServer, people: list[tuple[int, DemoPerson]]):
        self.app, self.db, self.settings = app, db, settings
        self.people_by_id = dict(people)
        self.zone = ZoneInfo(settings.default_timezone)
        self._lock = asyncio.Lock()
        # Messages in the sandbox are dated by the bot's clock, so the page shows demo time.
        sandbox.state.wall_clock = lambda: self.app.bot_data.clock().timestamp()

    async def people(self) -> list[JSON]:
        async with self.db.transaction() as session:
            rows = (await session.execute(
                select(Member.phone, Member.telegram_user_id, Member.role, Unit.name,
                       Member.id.in_(select(UnitContact.member_id)).label("digest"))
                .join(Unit, Unit.id == Member.unit_id)
                .where(Member.phone.in_([p.phone for p in self.people_by_id.values()])))).all()
        by_phone = {row.phone: row for row in rows}
        result: list[JSON] = []
        for user_id, person in self.people_by_id.items():
            row = by_phone.get(person.phone)
            result.append({
                "user_id": user_id,
                "name": person.name,
                "unit": row.name if row else person.unit[-1],
                "role": str(row.role) if row else str(person.role),
                "linked": bool(row and row.telegram_user_id == user_id),
                "digest": bool(row and row.digest),
            })
        return result

    async def clock(self) -> JSON:
        now = self.app.bot_data.clock().astimezone(self.zone)
        async with self.db.transaction() as session:
            root = await session.scalar(
                select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id).limit(1))
            schedule = (await schedule_for(session, root, self.settings.default_timezone)
                        if root is not None else None)
        presets: list[JSON] = []
        if schedule is not None:
            presets.append({"name": "prompt", "time": schedule.prompt.strftime("%H:%M")})
            presets += [{"name": "reminder", "time": r.strftime("%H:%M")}
                        for r in schedule.reminders]
            presets.append({"name": "deadline", "time": schedule.deadline.strftime("%H:%M")})
            presets.append({"name": "digest", "time": schedule.digest.strftime("%H:%M")})
        return {"now": now.isoformat(timespec="seconds"), "timezone": str(self.zone),
                "presets": presets, "rumours": sample_rumours()}

    async def run_at(self, at: str) -> JSON:
        instant = parse_instant(at, self.zone, datetime.now(UTC))
        async with self._lock:
            origin = datetime.now(UTC)
            self.app.bot_data.clock = lambda: instant + (datetime.now(UTC) - origin)
            result = await tick_now(self.app)
        logger.info("demo clock moved to %s; tick queued %s", instant.isoformat(), result.counts)
        return {"now": instant.astimezone(self.zone).isoformat(timespec="seconds"),
                "queued": result.counts}


def parse_instant(at: str, zone: ZoneInfo, now: datetime) -> datetime:
    """The demo clock's target: ISO date and time, in `zone` when it names none, within
    MAX_JUMP of `now`; ValueError with the reason otherwise."""
    try:
        instant = datetime.fromisoformat(at.strip())
    except ValueError:
        raise ValueError("at must be an ISO date and time, e.g. 2026-11-30T07:30") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=zone)
    try:
        instant = instant.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"at must be within {MAX_JUMP.days} days of today") from None
    if abs(instant - now) > MAX_JUMP:
        raise ValueError(f"at must be within {MAX_JUMP.days} days of today")
    return instant


def sample_rumours() -> dict[str, str]:
    """A rumour as people forward it, per locale: the first known one's first paraphrase."""
    samples: dict[str, str] = {}
    for locale in LANGUAGE_CODES:
        path = PROJECT_ROOT / "locales" / locale / "rumours.yaml"
        try:
            rumour = yaml.safe_load(path.read_text(encoding="utf-8"))["rumours"][0]
            samples[locale] = str((rumour.get("paraphrases") or [rumour["claim"]])[0])
        except (OSError, KeyError, IndexError, TypeError, yaml.YAMLError):
            continue
    return samples


def mark_started(sandbox: SandboxServer, user_ids: list[int]) -> None:
    """Linked demo members have "pressed Start" long ago, as real linked members have: without
    this the sandbox refuses the bot's first prompt to them (403 "bot can't initiate
    conversation") and the dispatcher records them as having blocked the bot. Their chat
    shows no /start, since none was sent in this run. The sandbox runs in this process, so its
    state is set directly; the control API has no call for it on purpose (users start a chat
    by writing)."""
    for user_id in user_ids:
        user = sandbox.state.users.get(user_id)
        if user is not None:
            user.started = True


def _remove_sqlite(url: str) -> None:
    from bot.db.engine import async_url

    parsed = async_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return
    for suffix in ("", "-wal", "-shm"):
        Path(parsed.database + suffix).unlink(missing_ok=True)
