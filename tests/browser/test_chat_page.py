"""The sandbox chat page in a real browser, against the running demo: a member's first day,
then their leader's digest; and the page's own behaviours (labels, escaping, block, files)."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Page, expect

from bot.services.demo_seed import demo_people, demo_user_id
from tests.browser.conftest import Demo, Shots, pick, run_clock, send

TIMEOUT = 20_000  # ms: the bot answers through the sandbox, the dispatcher and SQLite


def _index(locale: str, name: str) -> int:
    return next(i for i, p in enumerate(demo_people(locale)) if p.name == name)


async def _open(browser: Any, demo: Demo, locale: str) -> Page:
    context = await browser.new_context(locale=locale, viewport={"width": 1280, "height": 860})
    page: Page = await context.new_page()
    page.set_default_timeout(TIMEOUT)
    await page.goto(demo.url + "/")
    await expect(page.locator("#clock")).to_be_visible()
    return page





async def test_member_reports_all_well_then_leader_sees_digest_and_chart(
        demo: Demo, browser: Any, shots: Shots) -> None:
    page = await _open(browser, demo, "zh-CN")
    member = demo_user_id(_index("zh_CN", "林静"))  # on the roster, not linked yet
    leader = demo_user_id(_index("zh_CN", "刘洋"))  # leads her branch, receives its digest
    await expect(page.locator("#clock")).to_contain_text("演示时钟")
    row = page.locator(f'.user[data-user-id="{member}"]')
    await expect(row).to_contain_text("一支部")
    await expect(row.locator(".badge.unlinked")).to_have_text("未绑定")
    await expect(page.locator(f'.user[data-user-id="{leader}"] .badge.leader')).to_have_text(
        "负责人")
    await expect(page.locator(".badge.admin")).to_have_count(1)
    await shots.take(page, "users")

    # The member starts the bot and links by sharing her phone from the reply keyboard.
    await pick(page, member)
    await send(page, "/start")
    share = page.locator("#replykb button", has_text="分享我的手机号")
    await expect(share).to_be_visible()
    await shots.take(page, "start")
    await share.click()
    await expect(page.locator(".msg.bot", has_text="欢迎")).to_be_visible()
    await expect(row.locator(".badge.unlinked")).to_have_count(0)
    await shots.take(page, "linked")

    # Jump to today's prompt time: the morning question arrives; "all well" is one tap and
    # the question is edited in place into the confirmation.
    await run_clock(page, "prompt")
    await expect(page.locator("#clock-result")).to_contain_text(re.compile(r"每日提醒 \d+"))
    well = page.locator(".msg.bot button.inline", has_text="本人及家人均健康")
    await expect(well).to_be_visible()
    prompt = page.locator(".msg.bot").filter(
        has=page.locator("button.inline", has_text="本人及家人均健康"))
    message_id = await prompt.get_attribute("data-message-id")
    await shots.take(page, "prompt")
    await well.click()
    confirmed = page.locator(f'.msg.bot[data-message-id="{message_id}"]')
    await expect(confirmed).to_contain_text(re.compile(r"已于 .* 上报"))
    await expect(confirmed).to_contain_text("已编辑")
    await shots.take(page, "reported")

    # The leader, at digest time: the digest counts her report, and the chart comes after.
    await pick(page, leader)
    await run_clock(page, "digest")
    digest = page.locator(".msg.bot", has_text="日报：一支部")
    await expect(digest).to_be_visible()
    await expect(digest).to_contain_text("1 / 4")
    chart = page.locator(".msg.bot img.photo").last
    await expect(chart).to_be_visible()
    await page.wait_for_function(
        "img => img.complete && img.naturalWidth > 100", arg=await chart.element_handle())
    await chart.scroll_into_view_if_needed()
    await shots.take(page, "digest")


async def test_page_in_english_escapes_text_forwards_blocks_and_downloads(
        demo_en: Demo, browser: Any, shots: Shots) -> None:
    page = await _open(browser, demo_en, "en-US")
    await expect(page.locator("#clock")).to_contain_text("Demo clock")
    leader = demo_user_id(_index("en", "Oliver Liu"))
    await pick(page, leader)
    await expect(page.locator("#chat-title")).to_contain_text("Branch 1")

    # What a user types is shown as typed, never interpreted as HTML.
    hostile = '<b>not bold</b><img src=x onerror="window.__xss=1">'
    await send(page, hostile)
    mine = page.locator(".msg.user").last
    await expect(mine).to_contain_text(hostile)
    assert await mine.locator("img, b").count() == 0
    assert await page.evaluate("window.__xss === undefined")
    await expect(page.locator(".msg.bot").last).to_be_visible()

    # A forwarded rumour gets the bot's verdict, in the user's language.
    bot_messages = await page.locator(".msg.bot").count()
    await page.locator("#rumour").click()
    await expect(page.locator(".msg.user .forwarded").last).to_contain_text("Family group")
    await expect(page.locator(".msg.bot")).to_have_count(bot_messages + 1)
    await expect(page.locator(".msg.bot").last).to_contain_text(re.compile("garlic", re.I))
    await shots.take(page, "rumour")

    # The leader's export arrives as a file the browser downloads.
    await send(page, "/export")
    link = page.locator(".msg.bot a.doc").last
    await expect(link).to_contain_text(".xlsx")
    async with page.expect_download() as download_info:
        await link.click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = await download.path()
    assert path is not None and path.read_bytes()[:2] == b"PK"  # an XLSX is a zip
    await shots.take(page, "export")

    # Block and unblock the bot from the chat header.
    row = page.locator(f'.user[data-user-id="{leader}"]')
    await page.locator("#block").click()
    await expect(row.locator(".badge.blocked")).to_have_text("blocked")
    await expect(page.locator("#block")).to_have_text("Unblock the bot")
    await shots.take(page, "blocked")
    await page.locator("#block").click()
    await expect(row.locator(".badge.blocked")).to_have_count(0)


async def test_sandbox_alone_page_adds_a_user_and_hides_the_demo_clock(
        sandbox: Any, browser: Any, shots: Shots) -> None:
    context = await browser.new_context(locale="en-GB")
    page: Page = await context.new_page()
    page.set_default_timeout(TIMEOUT)
    await page.goto(sandbox.url + "/")
    await expect(page.locator("#chat-title")).to_have_text("Pick a user on the left.")
    await expect(page.locator("#clock")).to_be_hidden()  # no demo attached: no clock
    await page.locator("#new-user summary").click()
    await page.locator('#new input[name="user_id"]').fill("4242")
    await page.locator('#new input[name="first_name"]').fill("<i>Ann</i>")
    await page.locator("#new button").click()
    row = page.locator('.user.active[data-user-id="4242"]')
    await expect(row).to_contain_text("<i>Ann</i>")  # shown as typed
    await send(page, "hello")
    await expect(page.locator(".msg.user")).to_contain_text("hello")
    await shots.take(page, "alone")
