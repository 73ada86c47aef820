"""What a branch leader reads in the chat page, in Chinese: a member's fever arrives as an
alert (who, temperature, the member's own note, a way to reach them), the member is told who
was informed, and the digest at digest time says how many have not reported instead of an
all-clear, with its next-action buttons and the chart.

The README's views (docs/chat-alert-zh.png, docs/chat-digest-zh.png, docs/sandbox-page.png)
are written again with SELFREPORT_DOCS_SHOTS=1; otherwise the screenshots go to
tests/artifacts/browser/ only."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from bot.i18n import _, use_locale
from bot.services.demo_seed import demo_people, demo_user_id
from tests.browser.conftest import Demo, Shots, docs_shot, pick, run_clock, send

TIMEOUT = 20_000  # ms
NOTE = "昨晚开始发烧，已经吃了退烧药，在家隔离"


def _zh(text: str) -> str:
    with use_locale("zh_CN"):
        return _(text)


def _user(name: str) -> int:
    return demo_user_id(next(i for i, p in enumerate(demo_people("zh_CN")) if p.name == name))





async def _tap(page: Page, label: str) -> None:
    """Tap the newest inline button with this label."""
    button = page.locator(".msg.bot button.inline", has_text=label).last
    await expect(button).to_be_visible()
    await button.click()



async def test_a_leader_reads_a_fever_alert_and_a_digest_that_is_no_all_clear(
        demo: Demo, browser: Any, shots: Shots) -> None:
    context = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page: Page = await context.new_page()
    page.set_default_timeout(TIMEOUT)
    await page.goto(demo.url + "/")
    member, leader = _user("林静"), _user("刘洋")  # she is in his branch, not linked yet

    await pick(page, member)
    await send(page, "/start")
    await page.locator("#replykb button", has_text="分享我的手机号").click()
    await expect(page.locator(".msg.bot", has_text="欢迎")).to_be_visible()

    # The morning question: she has a fever and says so in her own words.
    await run_clock(page, "prompt")
    await _tap(page, _zh("🤒 Someone is unwell"))
    # (no household on the roster: the form asks straight for her temperature)
    await _tap(page, "38.5")
    await _tap(page, _zh("Done ➡"))
    await expect(page.locator(".msg.bot").last).to_contain_text("备注")
    await send(page, NOTE)
    await _tap(page, _zh("✅ Confirm"))
    told = page.locator(".msg.bot", has_text="刘洋").last
    await expect(told).to_be_visible()  # she is told, by name, who was informed
    await shots.take(page, "member-told")

    # The leader: the alert says who, how high, what she wrote, and how to reach her.
    await pick(page, leader)
    alert = page.locator(".msg.bot", has_text="预警").last
    await expect(alert).to_contain_text("林静")
    await expect(alert).to_contain_text("38.5℃")
    await expect(alert).to_contain_text(NOTE)
    await expect(alert.locator("button, a", has_text="林静").first).to_be_visible()
    await docs_shot(page, shots, "chat-alert-zh")

    # Digest time: one of the branch has reported (and is unwell): no zero report, the
    # missing are counted, the next actions are buttons, and the chart follows.
    await run_clock(page, "digest")
    digest = page.locator(".msg.bot", has_text="日报：一支部").last
    await expect(digest).to_be_visible()
    await expect(digest).to_contain_text("已上报：1 / 4（25%）")
    await expect(digest).to_contain_text("⏳ 3 人未上报")
    await expect(digest).not_to_contain_text("零报告：")
    await expect(digest.locator("button.inline", has_text="提醒").first).to_be_visible()
    chart = page.locator(".msg.bot img.photo").last
    await expect(chart).to_be_visible()
    await page.wait_for_function(
        "img => img.complete && img.naturalWidth > 100", arg=await chart.element_handle())
    await digest.evaluate("e => e.scrollIntoView({block: 'start'})")
    await docs_shot(page, shots, "chat-digest-zh")
    await chart.scroll_into_view_if_needed()
    await docs_shot(page, shots, "sandbox-page")
    await context.close()
