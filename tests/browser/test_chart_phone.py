"""The digest's chart as a leader sees it on a phone: the chat page at 390 px wide, in
Chromium, in Chinese and English. The smallest text drawn in the chart must be at least
11 CSS px once the photo is scaled to fit the message bubble."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Page, expect

from bot.render.chart import MIN_FONT
from bot.services.demo_seed import demo_people, demo_user_id
from tests.browser.conftest import Demo, Shots

TIMEOUT = 20_000  # ms
PHONE = {"width": 390, "height": 844}
READABLE_PX = 11  # the smallest text a phone's own interface uses
LEADER = {"zh_CN": "刘洋", "en": "Oliver Liu"}  # leads Branch 1, receives its digest
DIGEST_HEAD = {"zh_CN": "日报", "en": "Daily digest"}


async def test_the_digest_chart_is_readable_at_phone_width_in_chinese(
        demo: Demo, browser: Any, shots: Shots) -> None:
    await _chart_at_phone_width(demo, browser, shots)


async def test_the_digest_chart_is_readable_at_phone_width_in_english(
        demo_en: Demo, browser: Any, shots: Shots) -> None:
    await _chart_at_phone_width(demo_en, browser, shots)


async def _chart_at_phone_width(demo: Demo, browser: Any, shots: Shots) -> None:
    context = await browser.new_context(locale="zh-CN" if demo.locale == "zh_CN" else "en-US",
                                        viewport=PHONE, device_scale_factor=3, is_mobile=True,
                                        has_touch=True)
    page: Page = await context.new_page()
    page.set_default_timeout(TIMEOUT)
    await page.goto(demo.url + "/")
    await expect(page.locator("#clock")).to_be_visible()
    index = next(i for i, p in enumerate(demo_people(demo.locale))
                 if p.name == LEADER[demo.locale])
    leader = demo_user_id(index)
    await page.locator(f'.user[data-user-id="{leader}"]').click()
    # On a phone the row opens the chat's own screen, as in Telegram.
    await expect(page.locator(f'.user.active[data-user-id="{leader}"]')).to_be_attached()
    await expect(page.locator("#text")).to_be_enabled()
    await page.locator("#clock-toggle").click()  # on a phone the clock's controls fold away
    await page.locator('#clock-presets button[data-preset="digest"]').first.click()
    await page.locator("#clock-run").click()
    await expect(page.locator("#clock-result")).not_to_have_text(re.compile(r"^(…)?$"))
    await expect(page.locator(".msg.bot", has_text=DIGEST_HEAD[demo.locale])).to_be_visible()
    chart = page.locator(".msg.bot img.photo").last
    await expect(chart).to_be_visible()
    await page.wait_for_function("img => img.complete && img.naturalWidth > 100",
                                 arg=await chart.element_handle())
    await chart.scroll_into_view_if_needed()
    shown, natural = await chart.evaluate("img => [img.clientWidth, img.naturalWidth]")
    # The page is a phone's: the chat, and the photo in it, take most of the 390 px.
    assert 250 <= shown <= PHONE["width"], shown
    assert MIN_FONT * shown / natural >= READABLE_PX, (MIN_FONT, shown, natural)
    await shots.take(page, f"chart-{demo.locale}")
    await context.close()
