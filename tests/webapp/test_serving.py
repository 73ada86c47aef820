"""Where the dashboard is served and how it is opened: its own port or the webhook's; the
📊 button under /status and in the digest; the menu button of leaders' and admins' chats;
the sandbox's initData, which the bot accepts as Telegram's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from bot.config import Settings
from bot.db import Database
from bot.i18n import use_locale
from bot.render.payloads import payload_for
from bot.render.webapp import set_dashboard_url
from bot.runtime.runner import start_bot, stop_bot
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.digest.compute import Figures, UnitDigest
from bot.services.digest.queue import DigestText
from bot.services.webapp.initdata import InitData, validate
from tests.support.builders import ALAN, EVERYONE, MIA, seed_org, started
from tests.support.chat import ask
from tests.support.processes import free_port, wait_for
from tests.webapp.conftest import ADA, Api, init_data

SECRET = "k3J9_x-Qm2Lp7Rt5Vw8Yz1Ab4Cd6Ef0Gh"


async def test_status_offers_the_dashboard_and_sets_the_menu_button(
        api: Api, settings: Settings, db: Database, sandbox: SandboxServer,
        sb: SandboxClient) -> None:
    await seed_org(db)
    started(sandbox, [*EVERYONE, ADA])
    [reply] = await ask(sb, ALAN, "/status")
    dashboard = [b for row in reply["reply_markup"]["inline_keyboard"] for b in row
                 if "web_app" in b]
    assert dashboard == [{"text": "📊 Dashboard", "web_app": {"url": settings.webapp_url}}]
    async def menu_set() -> bool:  # the menu button is set after the reply
        return ALAN in sandbox.state.menu_buttons

    await wait_for(menu_set, "Alan's menu button", 5)
    assert sandbox.state.menu_buttons[ALAN] == {
        "type": "web_app", "text": "📊 Dashboard", "web_app": {"url": settings.webapp_url}}
    [refused] = await ask(sb, MIA, "/status")  # a member: no button, no menu
    assert not refused.get("reply_markup") and MIA not in sandbox.state.menu_buttons


async def test_the_sandbox_signs_init_data_as_telegram_does(
        api: Api, db: Database, sandbox: SandboxServer, sb: SandboxClient) -> None:
    await seed_org(db)
    started(sandbox, [ALAN])
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        opened = (await client.post(f"/sandbox/users/{ALAN}/webapp")).json()
    checked = validate(opened["init_data"], sandbox.config.token,
                       now=datetime.now(UTC), max_age=timedelta(minutes=1))
    assert isinstance(checked, InitData) and checked.telegram_user_id == ALAN
    r = await api.client.get("/webapp/api/summary",
                             headers={"X-Telegram-Init-Data": opened["init_data"]})
    assert r.status_code in (200, 401)  # the bot's clock is the test's (NOW); the check is above


def test_the_digest_carries_the_dashboard_button_when_configured() -> None:
    digest = UnitDigest(1, "Group", "/1/", date(2026, 11, 30), "Asia/Shanghai", False,
                        Figures(3, 2, 0), Figures(3, 3, 0))
    try:
        set_dashboard_url("https://bot.example.org/webapp/")
        with use_locale("zh_CN"):
            payload = payload_for(DigestText(digest))
        assert payload["reply_markup"] == {"inline_keyboard": [[{
            "text": "📊 看板", "web_app": {"url": "https://bot.example.org/webapp/"}}]]}
        set_dashboard_url(None)
        with use_locale("zh_CN"):
            assert "reply_markup" not in payload_for(DigestText(digest))
    finally:
        set_dashboard_url(None)


async def test_the_dashboard_can_share_the_webhooks_port(
        settings: Settings, db: Database, sandbox: SandboxServer, sb: SandboxClient,
        bot_app: Any) -> None:
    await stop_bot(bot_app)  # the polling one: this test runs its own in webhook mode
    await seed_org(db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    shared = settings.model_copy(update={
        "webhook_url": f"{base}/telegram/hook", "webhook_listen": f"127.0.0.1:{port}",
        "webhook_secret": SECRET, "webapp_listen": f"127.0.0.1:{port}",
        "webapp_url": f"{base}/webapp/"})
    app = await start_bot(shared, db)
    try:
        assert app.bot_data.webapp is None  # no second server on the same port
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.get("/webapp/")).status_code == 200
            now = app.bot_data.clock()
            r = await client.get("/webapp/api/summary", headers={
                "X-Telegram-Init-Data": init_data(ALAN, shared.require_token(), at=now)})
            assert r.status_code == 200 and r.json()["unit"]["name"] == "Company A"
        await sb.create_user(2001, "Wen", language_code="en")
        sent = await sb.send_text(2001, "/start")
        [reply] = await sb.wait_for_bot_messages(2001, after=sent["message_id"])
        assert reply["text"].startswith("Hello, Wen!")
    finally:
        await stop_bot(app)


async def test_the_sandbox_checks_menu_buttons_as_telegram_does(sandbox: SandboxServer) -> None:
    started(sandbox, [ALAN])
    api = f"{sandbox.url}/bot{sandbox.config.token}"
    button = '{"type": "web_app", "text": "📊", "web_app": {"url": "https://x.example/webapp/"}}'
    async with httpx.AsyncClient() as client:
        ok = await client.post(f"{api}/setChatMenuButton",
                               data={"chat_id": str(ALAN), "menu_button": button})
        assert ok.json() == {"ok": True, "result": True}
        got = await client.post(f"{api}/getChatMenuButton", data={"chat_id": str(ALAN)})
        assert got.json()["result"]["web_app"] == {"url": "https://x.example/webapp/"}
        default = await client.post(f"{api}/getChatMenuButton", data={"chat_id": "999"})
        assert default.json()["result"] == {"type": "commands"}
        for bad in ('{"type": "web_app", "text": "x", "web_app": {"url": "ftp://x"}}',
                    '{"type": "bogus"}', '{"type": "web_app", "text": " ", '
                    '"web_app": {"url": "https://x"}}'):
            r = await client.post(f"{api}/setChatMenuButton",
                                  data={"chat_id": str(ALAN), "menu_button": bad})
            assert r.status_code == 400, bad
        r = await client.post(f"{api}/setChatMenuButton",
                              data={"chat_id": "999", "menu_button": button})
        assert r.status_code == 400 and "chat not found" in r.json()["description"]
