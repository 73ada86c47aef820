"""The demo's hooks in the sandbox: /sandbox/demo/people and the demo clock, over HTTP, with
the real bot; bad input is refused and moves nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli.demo import MAX_JUMP, DemoControl, parse_instant
from bot.config import Settings
from bot.db import Database
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.demo_seed import seed_demo

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def http(sandbox: SandboxServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(sandbox.url) as session:
        yield session


@pytest.fixture
async def control(sandbox: SandboxServer, bot_app: Any, db: Database,
                  settings: Settings) -> DemoControl:
    async with db.transaction() as session:
        people = await seed_demo(session, now=datetime.now(UTC))
    hooks = DemoControl(bot_app, db, settings, sandbox, people)
    sandbox.attach_demo(hooks)
    return hooks


async def test_without_a_demo_the_endpoints_say_so(http: aiohttp.ClientSession) -> None:
    for method, path in (("GET", "/sandbox/demo/people"), ("GET", "/sandbox/demo/clock"),
                         ("POST", "/sandbox/demo/clock")):
        async with http.request(method, path, json={"at": "2026-11-30T07:30"}) as response:
            assert response.status == 404
            assert "selfreport demo" in (await response.json())["error"]


async def test_people_show_unit_role_and_linking(
        control: DemoControl, http: aiohttp.ClientSession) -> None:
    async with http.get("/sandbox/demo/people") as response:
        people = {p["name"]: p for p in await response.json()}
    assert len(people) == 21
    assert people["周建国"] | {"user_id": 0} == {
        "user_id": 0, "name": "周建国", "unit": "平安集团", "role": "admin", "linked": True,
        "digest": True}
    assert people["刘洋"]["role"] == "leader" and people["刘洋"]["unit"] == "一支部"
    assert people["林静"]["linked"] is False and people["林静"]["role"] == "member"


async def test_clock_runs_what_is_due_and_moves_the_bots_clock(
        control: DemoControl, http: aiohttp.ClientSession, bot_app: Any,
        sb: SandboxClient) -> None:
    async with http.get("/sandbox/demo/clock") as response:
        clock = await response.json()
    assert clock["timezone"] == "Asia/Shanghai"
    assert [p["name"] for p in clock["presets"]] == [
        "prompt", "reminder", "reminder", "deadline", "digest"]
    assert clock["presets"][0]["time"] == "07:30"
    assert "大蒜" in clock["rumours"]["zh_CN"] and "garlic" in clock["rumours"]["en"]
    day = datetime.now(SHANGHAI).date()
    async with http.post("/sandbox/demo/clock", json={"at": f"{day}T07:30"}) as response:
        answer = await response.json()
    assert response.status == 200, answer
    assert answer["now"] == f"{day}T07:30:00+08:00"
    assert answer["queued"]["prompt"] == 18
    moved = bot_app.bot_data.clock().astimezone(SHANGHAI)
    assert moved.date() == day and (moved.hour, moved.minute) == (7, 30)
    # The sandbox dates messages by the bot's clock, so the page shows the demo's time.
    await sb.create_user(700005, "赵敏", language_code="zh-hans")
    sent = await sb.send_text(700005, "/me")
    [mine] = [m for m in await sb.chat(700005) if m["message_id"] == sent["message_id"]]
    assert abs(mine["date"] - moved.timestamp()) < 60
    # Running the same moment again queues nothing twice.
    async with http.post("/sandbox/demo/clock", json={"at": f"{day}T07:31"}) as response:
        assert (await response.json())["queued"].get("prompt") is None


BAD_BODIES: list[Any] = [
    {}, {"at": ""}, {"at": 42}, {"at": None}, {"at": "garbage"}, {"at": "x" * 10_000},
    {"at": "2026-13-01T07:30"}, {"at": "1999-01-01T07:30"}, [1, 2], "07:30",
]


async def test_bad_times_are_refused_and_change_nothing(
        control: DemoControl, http: aiohttp.ClientSession, bot_app: Any) -> None:
    before = bot_app.bot_data.clock
    for body in BAD_BODIES:
        async with http.post("/sandbox/demo/clock", json=body) as response:
            assert response.status == 400, body
            assert (await response.json())["error"]
    async with http.post("/sandbox/demo/clock", data=b"{not json") as response:
        assert response.status == 400
    assert bot_app.bot_data.clock is before


@given(st.text(max_size=60))
def test_parse_instant_returns_a_near_aware_instant_or_a_reason(text: str) -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    try:
        instant = parse_instant(text, SHANGHAI, now)
    except ValueError as exc:
        assert str(exc).startswith("at must be")
    else:
        assert instant.tzinfo is not None and abs(instant - now) <= MAX_JUMP


@given(st.datetimes(min_value=datetime(2026, 10, 2), max_value=datetime(2027, 1, 28)))
def test_parse_instant_reads_naive_times_in_the_organisations_zone(moment: datetime) -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    text = moment.isoformat(timespec="minutes")
    parsed = parse_instant(text, SHANGHAI, now)
    assert parsed == moment.replace(second=0, microsecond=0, tzinfo=SHANGHAI).astimezone(UTC)
    assert parse_instant(text + "+08:00", SHANGHAI, now) == parsed
    assert abs(parse_instant(text, SHANGHAI, now) - now) <= MAX_JUMP + timedelta(days=1)


async def test_the_page_and_its_script_and_style_are_served(
        http: aiohttp.ClientSession) -> None:
    async with http.get("/") as response:
        page = await response.text()
    assert '<script src="/static/app.js">' in page and "/static/style.css" in page
    for path, kind, marker in (("/static/app.js", "javascript", "/sandbox/demo/clock"),
                               ("/static/style.css", "text/css", ".msg")):
        async with http.get(path) as response:
            assert response.status == 200 and kind in response.headers["content-type"]
            assert marker in await response.text()
    async with http.get("/static/../server.py") as response:
        assert response.status in (403, 404)
