"""`selfreport demo` end to end: sandbox, seeded organisation and bot in one process."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from bot.cli.demo import run_demo
from bot.config import load_settings
from bot.sandbox import SandboxClient
from bot.services.demo_seed import demo_user_id


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_demo_runs_offline_and_answers_demo_users(tmp_path: Path) -> None:
    settings = load_settings({}, database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.sqlite3")
    port = _free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_demo(settings, port=port, stop=stop, announce=False))
    url = f"http://127.0.0.1:{port}"
    try:
        async with SandboxClient(url) as sb:
            for _ in range(200):
                if task.done():
                    task.result()
                users = await _users_or_none(sb)
                if users and len(users) >= 20:
                    break
                await asyncio.sleep(0.05)
            admin = demo_user_id(0)
            sent = await sb.send_text(admin, "/help")
            [reply] = await sb.wait_for_bot_messages(admin, after=sent["message_id"])
            assert reply["text"].startswith("您可以使用的命令")
            assert "尚未与所在单位绑定" not in reply["text"]  # the admin is linked in the demo
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def _users_or_none(sb: SandboxClient) -> list[dict[str, object]] | None:
    try:
        return await sb.users()
    except Exception:  # the server is not up yet
        return None
