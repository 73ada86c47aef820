"""With WEBHOOK_URL set the bot serves a webhook: the sandbox delivers updates to it."""

from __future__ import annotations

import socket

import httpx

from bot.config import Settings
from bot.db import Database
from bot.runtime.runner import start_bot, stop_bot
from bot.sandbox import SandboxClient


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_mode_receives_updates_and_checks_the_secret(
    settings: Settings, db: Database, sb: SandboxClient
) -> None:
    port = _free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    webhook_settings = settings.model_copy(update={
        "webhook_url": hook, "webhook_listen": f"127.0.0.1:{port}", "webhook_secret": "s3cret"})
    app = await start_bot(webhook_settings, db)
    try:
        await sb.create_user(2001, "Wen", language_code="en")
        sent = await sb.send_text(2001, "/start")
        [reply] = await sb.wait_for_bot_messages(2001, after=sent["message_id"])
        assert reply["text"].startswith("Hello, Wen!")

        # Anyone else posting to the hook without Telegram's secret header is turned away.
        async with httpx.AsyncClient() as client:
            forged = await client.post(hook, json={"update_id": 999, "message": {}})
        assert forged.status_code == 403
    finally:
        await stop_bot(app)
