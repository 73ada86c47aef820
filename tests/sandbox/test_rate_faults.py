"""Rate limits (429 with retry_after), injected faults, and stats."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time

import httpx
import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot.sandbox import SandboxClient, SandboxConfig, SandboxServer
from tests.sandbox.conftest import ALICE, MakeServer
from tests.sandbox.util import make_bot, png


async def _users(sb: SandboxClient, *ids: int) -> None:
    for user_id in ids:
        await sb.create_user(user_id, f"U{user_id}")
        await sb.send_text(user_id, "/start")


async def test_per_chat_burst_then_429(make_server: MakeServer) -> None:
    server = await make_server(SandboxConfig(per_chat_rate=0.5, per_chat_burst=3))
    async with SandboxClient(server.url) as sb, make_bot(server) as bot:
        await _users(sb, 1, 2)
        for i in range(3):
            await bot.send_message(1, f"part {i}")  # a short burst is tolerated
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(1, "one too many")
        assert caught.value.retry_after == dtm.timedelta(seconds=2)
        await bot.send_message(2, "another chat is not limited")
        # Edits, callback answers and chat actions count too, as on Telegram.
        with pytest.raises(RetryAfter):
            await bot.edit_message_text("edited", 1, 2)
        with pytest.raises(RetryAfter):
            await bot.send_chat_action(1, "typing")
        async with httpx.AsyncClient(base_url=f"{server.url}/bot{server.config.token}") as http:
            raw = await http.post("/sendMessage", data={"chat_id": "1", "text": "x"})
        assert raw.status_code == 429
        assert raw.json() == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 2",
            "parameters": {"retry_after": 2},
        }
        stats = await sb.stats()
        assert stats["errors"]["429"] == 4
        assert stats["flood_limited"] == {"1": 4}
        assert stats["messages_per_chat"] == {"1": 3, "2": 1}


async def test_global_limit_spans_chats(make_server: MakeServer) -> None:
    config = SandboxConfig(global_rate=3.0, global_burst=3, per_chat_rate=None)
    server = await make_server(config)
    async with SandboxClient(server.url) as sb, make_bot(server) as bot:
        await _users(sb, 1, 2, 3, 4)
        for chat in (1, 2, 3):
            await bot.send_message(chat, "notice")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_photo(4, png(2, 2))
        assert caught.value.retry_after == dtm.timedelta(seconds=1)


async def test_limit_recovers(make_server: MakeServer) -> None:
    server = await make_server(SandboxConfig(per_chat_rate=5.0, per_chat_burst=1))
    async with SandboxClient(server.url) as sb, make_bot(server) as bot:
        await _users(sb, 1)
        await bot.send_message(1, "a")
        with pytest.raises(RetryAfter):
            await bot.send_message(1, "b")
        await asyncio.sleep(0.25)
        await bot.send_message(1, "b")


async def _outcomes(bot: Bot, n: int) -> list[str]:
    outcomes = []
    for _ in range(n):
        try:
            await bot.get_chat(ALICE)
            outcomes.append("ok")
        except RetryAfter:
            outcomes.append("429")
        except NetworkError as exc:
            assert not isinstance(exc, BadRequest)
            outcomes.append("5xx")
    return outcomes


async def test_faults_repeat_by_seed(sb: SandboxClient, bot: Bot, alice: int) -> None:
    spec = {"rate_429": 0.25, "rate_5xx": 0.25, "seed": 7, "methods": ["getChat"]}
    await sb.set_faults(**spec)  # type: ignore[arg-type]
    first = await _outcomes(bot, 40)
    await sb.set_faults(**spec)  # type: ignore[arg-type]
    second = await _outcomes(bot, 40)
    assert first == second
    assert set(first) == {"ok", "429", "5xx"}
    await sb.set_faults(**{**spec, "seed": 8})  # type: ignore[arg-type]
    assert await _outcomes(bot, 40) != first
    await sb.clear_faults()
    assert set(await _outcomes(bot, 10)) == {"ok"}
    # getMe and getUpdates are spared by default even at rate 1.
    await sb.set_faults(rate_5xx=1.0)
    await bot.get_me()
    await bot.get_updates()


async def test_fault_counts(sb: SandboxClient, bot: Bot, alice: int) -> None:
    await sb.set_faults(rate_429=0.5, rate_5xx=0.5, seed=3, methods=["getChat"])
    outcomes = await _outcomes(bot, 30)
    stats = await sb.stats()
    assert stats["faults"]["429"] == outcomes.count("429")
    assert stats["faults"]["5xx"] == outcomes.count("5xx")
    assert stats["errors"]["429"] == outcomes.count("429")
    assert stats["errors"]["5xx"] == outcomes.count("5xx")
    assert stats["calls"]["getChat"] == 30


async def test_5xx_is_not_carried_out(sb: SandboxClient, bot: Bot, alice: int) -> None:
    await sb.set_faults(rate_5xx=1.0, methods=["sendMessage"])
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(alice, "lost")
    assert type(caught.value) is NetworkError
    assert str(caught.value) in ("Internal Server Error", "Bad Gateway")
    assert [m["from"] for m in await sb.chat(alice)] == ["user"]
    assert (await sb.stats())["messages_per_chat"] == {}


async def test_injected_429_uses_the_given_retry_after(
    sb: SandboxClient, bot: Bot, alice: int
) -> None:
    await sb.set_faults(rate_429=1.0, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice, "later")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    assert len(await sb.chat(alice)) == 1


async def test_delay_is_carried_out(sb: SandboxClient, bot: Bot, alice: int) -> None:
    await sb.set_faults(delay_ms=300, methods=["sendMessage"])
    started = time.monotonic()
    await bot.send_message(alice, "slow")
    assert time.monotonic() - started >= 0.3
    assert (await sb.chat(alice))[-1]["text"] == "slow"
    assert (await sb.stats())["faults"]["delayed"] == 1


async def test_stats(server: SandboxServer, sb: SandboxClient, bot: Bot, alice: int) -> None:
    await bot.send_message(alice, "one")
    await bot.send_message(alice, "two")
    with pytest.raises(BadRequest):
        await bot.send_message(alice, "")
    with pytest.raises(BadRequest):
        await bot.send_message(12345, "nobody")
    stats = await sb.stats()
    assert stats["calls"]["sendMessage"] == 4
    assert stats["calls"]["getMe"] == 1
    assert stats["errors"] == {"400": 2, "403": 0, "429": 0, "5xx": 0}
    assert stats["messages_per_chat"] == {str(alice): 2}
