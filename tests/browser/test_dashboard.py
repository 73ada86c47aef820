"""The leaders' dashboard (Mini App) opened from the sandbox chat page at phone width (390 px),
against the running demo: a leader opens it under /status, drills down and back, reminds the
non-reporters, marks an alert handled and exports; an admin opens it from the menu button
and sees the whole organisation."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import FrameLocator, Page, expect
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Member, Unit
from bot.services.demo_seed import demo_people, demo_user_id
from bot.services.digest import alerts
from bot.services.reports.schedule import schedule_for
from bot.services.reports.store import PersonHealth, ReportInput, save_report
from tests.browser.conftest import Demo, Shots, _start_demo

TIMEOUT = 20_000
PHONE = {"width": 390, "height": 844}


def _index(name: str) -> int:
    return next(i for i, p in enumerate(demo_people("zh_CN")) if p.name == name)


@pytest.fixture
async def demo_db(tmp_path: Path) -> AsyncIterator[tuple[Demo, Database]]:
    async for running in _start_demo(tmp_path, "zh_CN"):
        db = Database.from_url(f"sqlite+aiosqlite:///{tmp_path}/demo.sqlite3")
        try:
            yield running, db
        finally:
            await db.dispose()


async def _fever(db: Database, name: str) -> None:
    """`name` reports 38.6 ℃ today through the reports service, and the chain is alerted."""
    now = datetime.now(UTC)
    async with db.transaction() as s:
        member = await s.scalar(select(Member).where(Member.name == name))
        assert member is not None
        unit = await s.get(Unit, member.unit_id)
        assert unit is not None
        day = (await schedule_for(s, unit, "Asia/Shanghai")).local_date(now)
        saved = await save_report(s, member=member, day=day, entry=ReportInput((
            PersonHealth(None, "", member.name, Decimal("38.6"), ("cough",)),)),
            now=now, default_timezone="Asia/Shanghai")
        await alerts.alert_report(s, report_id=saved.report.id, now=now,
                                  default_timezone="Asia/Shanghai", default_locale="zh_CN")


async def _chat_as(browser: Any, demo: Demo, user_id: int) -> Page:
    context = await browser.new_context(locale="zh-CN", viewport=PHONE)
    page: Page = await context.new_page()
    page.set_default_timeout(TIMEOUT)
    await page.goto(f"{demo.url}/?user={user_id}")
    await expect(page.locator("#text")).to_be_enabled()
    return page


async def _send(page: Page, text: str) -> None:
    await page.locator("#text").fill(text)
    await page.locator("#send").click()
    await expect(page.locator("#text")).to_have_value("")


async def _panel(page: Page) -> FrameLocator:
    await expect(page.locator("#webapp-panel")).to_be_visible()
    frame = page.frame_locator("#webapp-frame")
    await expect(frame.locator("#units")).to_be_visible()
    return frame


async def test_leader_opens_the_dashboard_drills_down_reminds_handles_and_exports(
        demo_db: tuple[Demo, Database], browser: Any, shots: Shots) -> None:
    demo, db = demo_db
    await _fever(db, "罗婷")  # 三支部, under 第二分公司
    leader = demo_user_id(_index("马丽娟"))  # leads 第二分公司
    page = await _chat_as(browser, demo, leader)
    await _send(page, "/status")
    button = page.locator(".msg.bot button.inline", has_text="📊 看板")
    await expect(button).to_be_visible()
    await shots.take(page, "status")
    await button.click()
    frame = await _panel(page)
    await expect(frame.locator("#unit-name")).to_have_text("第二分公司")
    rows = frame.locator("#units tbody tr.unit")
    await expect(rows).to_have_count(2)
    await expect(frame.locator("#units thead th")).to_have_text(
        ["单位", "应报", "已报", "上报率", "异常", "迟报"])
    await shots.take(page, "units")

    # Sorting by the abnormal column puts 三支部 (with the fever) first.
    await frame.locator('#units th[data-key="abnormal"]').click()
    await expect(rows.first.locator("td").first).to_have_text("三支部")
    await expect(rows.first.locator("td.abnormal")).to_have_text("1")

    # Drill down into 三支部, then back with Telegram's back button.
    await rows.first.locator("td").first.click()
    await expect(frame.locator("#unit-name")).to_have_text("三支部")
    await expect(page.locator("#webapp-back")).to_be_visible()
    await shots.take(page, "drilled")
    await page.locator("#webapp-back").click()
    await expect(frame.locator("#unit-name")).to_have_text("第二分公司")
    await expect(page.locator("#webapp-back")).to_be_hidden()

    # Who has not reported, and one tap to remind them (as /remind).
    await frame.locator('#tabs button[data-tab="missing"]').click()
    await expect(frame.locator(".group").first).to_be_visible()
    await frame.locator("#remind").click()
    # What /remind answers at this hour: sent to n, nobody due yet, or already this hour.
    await expect(frame.locator("#toast")).to_contain_text(re.compile(r"提醒|报告|催"))
    await shots.take(page, "reminded")

    # The open alert, marked handled.
    await frame.locator('#tabs button[data-tab="alerts"]').click()
    card = frame.locator(".card[data-alert-id]")
    await expect(card).to_have_count(1)
    await expect(card).to_contain_text("罗婷")
    await shots.take(page, "alert")
    await card.locator("button.handled").click()
    await expect(frame.locator("#toast")).to_have_text("已标记为已处理，谢谢。")
    await expect(frame.locator(".card[data-alert-id]")).to_have_count(0)

    # The trend chart, and the export of the picked range, which arrives in the chat.
    await frame.locator('#tabs button[data-tab="trend"]').click()
    await expect(frame.locator("svg.trend")).to_be_visible()
    await shots.take(page, "trend")
    await frame.locator('#tabs button[data-tab="export"]').click()
    await frame.locator("#export").click()
    await expect(frame.locator("#toast")).to_have_text("文件已发送到您与机器人的聊天中。")
    await shots.take(page, "export")
    await page.locator("#webapp-close").click()
    await expect(page.locator("#webapp-panel")).to_be_hidden()
    await expect(page.locator(".msg.bot a.doc", has_text=".xlsx")).to_be_visible()
    await shots.take(page, "exported")


async def test_admin_opens_the_whole_organisation_from_the_menu_button_in_the_dark(
        demo_db: tuple[Demo, Database], browser: Any, shots: Shots) -> None:
    demo, _db = demo_db
    admin = demo_user_id(next(i for i, p in enumerate(demo_people("zh_CN"))
                              if str(p.role) == "admin"))
    page = await _chat_as(browser, demo, admin)
    await _send(page, "/status")  # a leader's or admin's chat gets the menu button
    menu = page.locator("#menu-button")
    await expect(menu).to_have_text("📊 看板")
    await menu.click()
    frame = await _panel(page)
    await expect(frame.locator("#unit-name")).to_have_text("平安集团")
    await expect(frame.locator("#units tbody tr.unit")).to_have_count(2)
    light = await frame.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
    await page.locator("#webapp-theme").click()
    await expect(frame.locator("body")).not_to_have_css("background-color", light)
    await shots.take(page, "admin-dark")
    await frame.locator('#tabs button[data-tab="notices"]').click()
    await expect(frame.locator("#view")).not_to_be_empty()
    width = await frame.locator("body").evaluate("b => b.scrollWidth")
    assert width <= PHONE["width"]  # nothing wider than the phone
