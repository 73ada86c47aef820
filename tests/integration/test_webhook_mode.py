"""With WEBHOOK_URL set the bot serves a webhook: the sandbox delivers updates to it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx

from bot.config import Settings
from bot.db import Database
from bot.runtime.runner import start_bot, stop_bot
from bot.sandbox import SandboxClient

SECRET = "k3J9_x-Qm2Lp7Rt5Vw8Yz1Ab4Cd6Ef0Gh"


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
        "webhook_url": hook, "webhook_listen": f"127.0.0.1:{port}", "webhook_secret": SECRET})
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


async def test_the_webhook_checks_the_secret_before_reading_and_refuses_large_bodies(
    settings: Settings, db: Database, sb: SandboxClient
) -> None:
    port = _free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    app = await start_bot(settings.model_copy(update={
        "webhook_url": hook, "webhook_listen": f"127.0.0.1:{port}", "webhook_secret": SECRET}),
        db)
    big = b'{"update_id": 1, "padding": "' + b"x" * (5 * 1024 * 1024) + b'"}'

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: refused while reading
        for i in range(0, len(big), 65536):
            yield big[i:i + 65536]

    try:
        async with httpx.AsyncClient() as client:
            right = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            wrong = {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1] + "Z"}
            assert (await client.post(hook, content=big, headers=wrong)).status_code == 403
            assert (await client.post(hook, content=big)).status_code == 403
            assert (await client.post(hook, content=big, headers=right)).status_code == 413
            assert (await client.post(hook, content=chunks(), headers=right)).status_code == 413
            assert (await client.post(hook, content=b"{not json", headers=right)).status_code \
                == 400
            assert (await client.post(hook, content=b"[1, 2]", headers=right)).status_code == 400
        # The bot is still answering.
        await sb.create_user(2002, "Wu", language_code="en")
        sent = await sb.send_text(2002, "/start")
        [reply] = await sb.wait_for_bot_messages(2002, after=sent["message_id"])
        assert reply["text"].startswith("Hello, Wu!")
    finally:
        await stop_bot(app)
