"""The demo (sandbox + seeded organisation + bot) in this process, and Debian's Chromium
driven by Playwright. Skipped, with the reason, where /usr/bin/chromium is missing
(`apt-get install chromium`; .ci/run installs it).

Screenshots of each step go to tests/artifacts/browser/ (ignored by git) for a person to see.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright, expect

from bot.cli.demo import run_demo
from bot.config import load_settings
from tests.support.processes import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
DOCS = Path(__file__).resolve().parents[2] / "docs"
# Playwright's expect waits 5 s by default; the bot answers through the sandbox with
# Telegram's per-chat limits (a 429 waits a whole second) and SQLite: every browser test
# waits as long for what it expects (set here, once, not as a side effect of one module).
expect.set_options(timeout=20_000)



@pytest.fixture(autouse=True)
def _chromium_present() -> None:
    """Autouse, so it runs before the demo starts: skip with the reason, don't fail."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests: {CHROMIUM} is absent (apt-get install chromium)")


@dataclass
class Demo:
    url: str
    locale: str


async def _start_demo(tmp_path: Path, locale: str) -> AsyncIterator[Demo]:
    settings = load_settings({}, database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.sqlite3")
    port, stop, ready = free_port(), asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_demo(settings, port=port, stop=stop, ready=ready,
                                        announce=False, locale=locale))
    try:
        waiter = asyncio.create_task(ready.wait())
        await asyncio.wait({task, waiter}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if task.done():
            task.result()
        assert ready.is_set(), "the demo did not come up in 60 s"
        yield Demo(f"http://127.0.0.1:{port}", locale)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    async for running in _start_demo(tmp_path, "zh_CN"):
        yield running


@pytest.fixture
async def demo_en(tmp_path: Path) -> AsyncIterator[Demo]:
    async for running in _start_demo(tmp_path, "en"):
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                           args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            await chromium.close()


class Shots:
    """Numbered screenshots of one test: tests/artifacts/browser/<test>-<n>-<step>.png."""

    def __init__(self, name: str):
        self.name, self.count = name, 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    async def take(self, page: Any, step: str) -> Path:
        self.count += 1
        path = ARTIFACTS / f"{self.name}-{self.count:02d}-{step}.png"
        await page.screenshot(path=str(path))
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name.removeprefix("test_"))


async def docs_shot(page: Page, shots: Shots, name: str) -> None:
    """A view for the README: into docs/ when SELFREPORT_DOCS_SHOTS=1, always among the
    artifacts (so a normal run leaves the tracked files alone)."""
    if os.environ.get("SELFREPORT_DOCS_SHOTS") == "1":
        await page.screenshot(path=str(DOCS / f"{name}.png"))
    await shots.take(page, name)


async def pick(page: Page, user_id: int) -> None:
    """Open a user's chat from the users' list (desktop width: both are on screen)."""
    await page.locator(f'.user[data-user-id="{user_id}"]').click()
    await expect(page.locator(f'.user.active[data-user-id="{user_id}"]')).to_be_visible()
    await expect(page.locator("#text")).to_be_enabled()


async def send(page: Page, text: str) -> None:
    await page.locator("#text").fill(text)
    await page.locator("#send").click()
    await expect(page.locator("#text")).to_have_value("")


async def run_clock(page: Page, preset: str) -> None:
    """Move the demo clock to a preset of the root unit's schedule and run what is due."""
    await page.locator(f'#clock-presets button[data-preset="{preset}"]').first.click()
    await page.locator("#clock-run").click()
    await expect(page.locator("#clock-result")).not_to_have_text(re.compile(r"^(…)?$"))
