"""The demo's people: linked members have "started" the bot in the sandbox, so its prompts reach
them instead of being recorded as blocked; unlinked ones can link by sharing their phone."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

from bot.cli.demo import run_demo
from bot.config import load_settings
from bot.sandbox import SandboxClient
from bot.services.demo_seed import _people, demo_user_id


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _users(sb: SandboxClient, task: asyncio.Task[None]) -> list[dict[str, Any]]:
    for _ in range(400):
        if task.done():
            task.result()
        try:
            users = await sb.users()
        except Exception:  # not up yet
            users = []
        if len(users) >= len(_people()) and all("started" in u for u in users):
            return users
        await asyncio.sleep(0.05)
    raise AssertionError("the demo did not come up")


async def test_linked_demo_members_have_started_the_bot(tmp_path: Path) -> None:
    settings = load_settings({}, database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.sqlite3")
    port = _free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(run_demo(settings, port=port, stop=stop, announce=False))
    try:
        async with SandboxClient(f"http://127.0.0.1:{port}") as sb:
            await _users(sb, task)
            # An unlinked demo member links by sharing their own number (and the bot's answer
            # shows the demo has finished setting up).
            index = next(i for i, p in enumerate(_people()) if not p.linked)
            uid = demo_user_id(index)
            sent = await sb.send_own_contact(uid)
            [reply] = await sb.wait_for_bot_messages(uid, after=sent["message_id"])
            assert "欢迎" in reply["text"] and _people()[index].name in reply["text"]
            users = {u["id"]: u for u in await sb.users()}
            for i, person in enumerate(_people()):
                assert users[demo_user_id(i)]["started"] is (person.linked or i == index), i
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
