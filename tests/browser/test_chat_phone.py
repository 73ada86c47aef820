"""The sandbox chat page on a phone (390 × 844, touch, mobile viewport), against the running
demo: nothing scrolls sideways, the composer stays at the bottom, inline keyboards wrap and are
big enough to tap, the users and the chat are two screens, the Mini App panel fits, the chat
follows a photo once it has loaded, and the page's own labels follow its language (zh / en).

The Chinese phone views for the README (docs/chat-phone-zh.png, docs/chat-phone-zh-users.png)
are written again with SELFREPORT_DOCS_SHOTS=1; otherwise they go to tests/artifacts/browser/
with the other screenshots, and the tracked files are left alone."""

from __future__ import annotations

import asyncio
import io
import json
import re
from typing import Any

import aiohttp
from PIL import Image
from playwright.async_api import Locator, Page, Route, expect

from bot.services.demo_seed import demo_people, demo_user_id
from tests.browser.conftest import Demo, Shots, docs_shot

TIMEOUT = 20_000  # ms
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
MIN_TAP = 36  # px: the smallest button a thumb hits reliably
LABELS = {  # what the page's own controls say, by the page's language
    "zh": {"users": "用户", "switch": "English", "send": "发送", "contact": "发送我的联系方式",
           "attach": "发送照片或文件", "back": "返回用户列表", "close": "关闭",
           "placeholder": "输入消息", "clock": "演示时钟"},
    "en": {"users": "Users", "switch": "中文", "send": "Send", "contact": "Send my contact",
           "attach": "Send a photo or file", "back": "Back to the users", "close": "Close",
           "placeholder": "Message", "clock": "Demo clock"},
}


async def _box(locator: Locator) -> dict[str, float]:
    """Where an element is; waits for it, as the chat is drawn again on each new message."""
    box: dict[str, float] = await locator.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return {x: r.x, y: r.y, width: r.width, height: r.height}; }")
    return box



def _user(locale: str, name: str) -> int:
    return demo_user_id(next(i for i, p in enumerate(demo_people(locale)) if p.name == name))


async def _phone(browser: Any, demo: Demo, locale: str, path: str = "/",
                 routes: dict[Any, Any] | None = None) -> Page:
    context = await browser.new_context(locale=locale, viewport=PHONE, device_scale_factor=2,
                                        is_mobile=True, has_touch=True)
    page: Page = await context.new_page()
    page.set_default_timeout(TIMEOUT)
    for pattern, handler in (routes or {}).items():
        await page.route(pattern, handler)
    await page.goto(demo.url + path)
    await expect(page.locator("#clock")).to_be_visible()
    return page


async def _fits(page: Page) -> None:
    """No sideways scroll, and no element of the page sticking out past the screen's edge
    (inside the chat's own scrolling box it would not show in the document's width)."""
    width, inner = await page.evaluate(
        "[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width <= inner, (width, inner)
    out = await page.evaluate("""() => [...document.querySelectorAll('body *')]
        .map(e => [e, e.getBoundingClientRect()])
        .filter(([e, r]) => r.width > 0 && (r.right > innerWidth + 0.5 || r.left < -0.5))
        .map(([e, r]) => `${e.tagName}#${e.id}.${e.className} ${r.left}..${r.right}`)""")
    assert out == []
    small = await page.evaluate("""least => [...document.querySelectorAll('button, summary')]
        .map(e => [e, e.getBoundingClientRect()])
        .filter(([e, r]) => e.checkVisibility() && r.width > 0 && r.height < least)
        .map(([e, r]) => `${e.tagName}#${e.id} ${e.textContent} ${r.height}`)""", MIN_TAP)
    assert small == []  # every control big enough for a thumb


async def _composer_in_view(page: Page) -> None:
    for part in ("#text", "#send", "#attach", "#contact"):
        box = await _box(page.locator(part))
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (part, box)
        assert box["y"] + box["height"] <= PHONE["height"], (part, box)
        if part != "#text":
            assert box["height"] >= MIN_TAP, (part, box)
    text = await _box(page.locator("#text"))
    assert text["width"] >= 150, text  # room to write
    # It is the bottom of the screen: nothing of the page below it.
    compose = await _box(page.locator("#compose"))
    assert PHONE["height"] - 1 <= compose["y"] + compose["height"] <= PHONE["height"] + 1, compose


async def _labels(page: Page, lang: str) -> None:
    want = LABELS[lang]
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if lang == "zh" else "en")
    await expect(page.locator("#side h2")).to_have_text(want["users"])
    await expect(page.locator("#lang")).to_have_text(want["switch"])
    await expect(page.locator("#send")).to_have_text(want["send"])
    await expect(page.locator("#contact")).to_have_attribute("aria-label", want["contact"])
    await expect(page.locator("#contact")).to_have_attribute("title", want["contact"])
    await expect(page.locator("#attach")).to_have_attribute("aria-label", want["attach"])
    await expect(page.locator("#back")).to_have_attribute("aria-label", want["back"])
    await expect(page.locator("#clock strong")).to_have_text(want["clock"])


async def _at_bottom(page: Page) -> None:
    await page.wait_for_function(
        "() => { const c = document.getElementById('chat');"
        " return c.scrollHeight - c.scrollTop - c.clientHeight < 2; }", timeout=3000)


async def _run_clock(page: Page, preset: str) -> None:
    """The clock is one line on a phone: ▾ unfolds its controls, ▴ folds them again."""
    run, toggle = page.locator("#clock-run"), page.locator("#clock-toggle")
    await expect(run).to_be_hidden()
    await toggle.tap()
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await page.locator(f'#clock-presets button[data-preset="{preset}"]').first.tap()
    await run.tap()
    await expect(page.locator("#clock-result")).not_to_have_text(re.compile(r"^(…)?$"))
    await _fits(page)
    await toggle.tap()
    await expect(run).to_be_hidden()


async def test_member_on_a_phone_links_and_reports_with_a_tap_in_chinese(
        demo: Demo, browser: Any, shots: Shots) -> None:
    page = await _phone(browser, demo, "zh-CN")
    member = _user("zh_CN", "林静")  # on the roster, not linked yet

    # First screen: the users, the whole width; the chat is the next screen.
    row = page.locator(f'.user[data-user-id="{member}"]')
    await expect(row).to_be_visible()
    await expect(page.locator("#main")).to_be_hidden()
    await _labels(page, "zh")
    await _fits(page)
    await docs_shot(page, shots, "chat-phone-zh-users")

    await row.tap()
    await expect(page.locator("#side")).to_be_hidden()
    await expect(page.locator("#chat-title")).to_contain_text("林静")
    await expect(page.locator("#text")).to_be_enabled()
    await expect(page.locator("#text")).to_have_attribute("placeholder",
                                                          LABELS["zh"]["placeholder"])
    await _composer_in_view(page)
    await _fits(page)

    # /start offers the reply keyboard; the composer's own contact button shares the phone.
    await page.locator("#text").fill("/start")
    await page.locator("#send").tap()
    share = page.locator("#replykb button", has_text="分享我的手机号")
    await expect(share).to_be_visible()
    box = await _box(share)
    assert box["height"] >= MIN_TAP, box
    await _composer_in_view(page)
    await _fits(page)
    await page.locator("#contact").tap()
    await expect(page.locator(".msg.bot", has_text="欢迎")).to_be_visible()

    # The morning question: its inline keyboard wraps inside the bubble, each button tappable.
    await _run_clock(page, "prompt")
    prompt = page.locator(".msg.bot").filter(
        has=page.locator("button.inline", has_text="本人及家人均健康")).last
    await expect(prompt).to_be_visible()
    buttons = prompt.locator("button.inline")
    assert await buttons.count() >= 2
    bubble = await _box(prompt)
    for i in range(await buttons.count()):
        box = await _box(buttons.nth(i))
        assert box["height"] >= MIN_TAP, (i, box)
        assert bubble["x"] <= box["x"] and box["x"] + box["width"] <= bubble["x"] + bubble["width"]
    await _at_bottom(page)
    await _composer_in_view(page)
    await _fits(page)
    await docs_shot(page, shots, "chat-phone-zh")

    message_id = await prompt.get_attribute("data-message-id")
    await prompt.locator("button.inline", has_text="本人及家人均健康").tap()
    confirmed = page.locator(f'.msg.bot[data-message-id="{message_id}"]')
    await expect(confirmed).to_contain_text(re.compile(r"已于 .* 上报"))
    await expect(confirmed).to_contain_text("已编辑")
    await shots.take(page, "reported")

    # A long message without spaces, and a long link, break inside the bubble.
    long_text = "很长的一句话" * 60 + " https://example.com/" + "a" * 300
    await page.locator("#text").fill(long_text)
    await page.locator("#send").tap()
    mine = page.locator(".msg.user").last
    await expect(mine).to_contain_text("a" * 300)
    await _at_bottom(page)
    await _fits(page)
    await _composer_in_view(page)

    # ← goes back to the users; the chat stays picked.
    await page.locator("#back").tap()
    await expect(page.locator("#side")).to_be_visible()
    await expect(page.locator("#main")).to_be_hidden()
    await expect(page.locator(f'.user.active[data-user-id="{member}"]')).to_be_visible()
    await _fits(page)


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (65, 159, 217)).save(out, "PNG")
    return out.getvalue()


async def test_the_chat_follows_a_photo_once_it_has_loaded_on_a_phone_and_a_desktop(
        demo: Demo, browser: Any, shots: Shots) -> None:
    leader = _user("zh_CN", "刘洋")  # leads 一支部, receives its digest and chart

    async def slowly(route: Route) -> None:
        # The photo arrives well after its message is on the page, as on a slow network.
        await asyncio.sleep(1.5)
        await route.continue_()

    async def unsized(route: Route) -> None:
        # A photo whose size the page is not told: its room is known only once it has loaded.
        response = await route.fetch(timeout=60_000)
        data = await response.json()
        for message in data["messages"]:
            for key in ("width", "height"):
                (message.get("photo") or {}).pop(key, None)
        await route.fulfill(response=response, json=data)

    page = await _phone(browser, demo, "zh-CN", f"/?user={leader}", routes={
        "**/sandbox/files/**": slowly, re.compile(r"/sandbox/users/\d+/chat\?"): unsized})
    await expect(page.locator("#text")).to_be_enabled()
    await _run_clock(page, "digest")
    chart = page.locator(".msg.bot img.photo").last
    await expect(chart).to_be_attached()
    await page.wait_for_function("img => img.complete && img.naturalWidth > 100",
                                 arg=await chart.element_handle())
    height = await chart.evaluate("img => img.getBoundingClientRect().height")
    assert height > 150, height  # the photo made the chat taller once it loaded
    await _at_bottom(page)
    await expect(chart).to_be_in_viewport()
    await _fits(page)
    await shots.take(page, "chart")

    # A photo the leader sends with the composer's attach button: the same.
    await page.locator("#file").set_input_files(
        files=[{"name": "ward.png", "mimeType": "image/png", "buffer": _png(600, 900)}])
    mine = page.locator(".msg.user img.photo").last
    await expect(mine).to_be_attached()
    await page.wait_for_function("img => img.complete && img.naturalWidth == 600",
                                 arg=await mine.element_handle())
    await _at_bottom(page)
    await _fits(page)
    await shots.take(page, "sent-photo")

    # At desktop width the users and the chat share the screen, with no ← and no overflow.
    wide = await browser.new_context(locale="zh-CN", viewport=DESKTOP)
    desk: Page = await wide.new_page()
    desk.set_default_timeout(TIMEOUT)
    await desk.goto(f"{demo.url}/?user={leader}")
    await expect(desk.locator("#text")).to_be_enabled()
    await expect(desk.locator("#side")).to_be_visible()
    await expect(desk.locator("#back")).to_be_hidden()
    # The field's hint is the long one where there is room (a phone's is short).
    await expect(desk.locator("#text")).to_have_attribute("placeholder",
                                                          "输入消息……（发送 /start 开始）")
    await expect(desk.locator(".msg.user img.photo").last).to_be_visible()
    # Told the photos' sizes, the page keeps their room before they load.
    await expect(desk.locator(".msg.bot img.photo").last).to_have_attribute(
        "width", re.compile(r"^\d+$"))
    await _at_bottom(desk)
    width, inner = await desk.evaluate(
        "[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width <= inner
    await shots.take(desk, "desktop")


async def test_page_labels_follow_its_language_and_the_mini_app_fits_a_phone(
        demo_en: Demo, browser: Any, shots: Shots) -> None:
    leader = _user("en", "Oliver Liu")
    page = await _phone(browser, demo_en, "en-US", f"/?user={leader}")
    await expect(page.locator("#text")).to_be_enabled()
    await _labels(page, "en")
    await expect(page.locator("#text")).to_have_attribute("placeholder",
                                                          LABELS["en"]["placeholder"])

    # The dashboard button opens the Mini App panel over the whole phone screen.
    await page.locator("#text").fill("/status")
    await page.locator("#send").tap()
    button = page.locator(".msg.bot button.inline", has_text="Dashboard").last
    await expect(button).to_be_visible()
    # A leader's chat has the menu button beside the field too: the field keeps its room.
    await expect(page.locator("#menu-button")).to_be_visible()
    await _composer_in_view(page)
    await _fits(page)
    await shots.take(page, "menu-button")
    box = await _box(button)
    assert box["height"] >= MIN_TAP
    await button.tap()
    panel = page.locator("#webapp-panel")
    await expect(panel).to_be_visible()
    await expect(page.frame_locator("#webapp-frame").locator("#units")).to_be_visible()
    box = await _box(panel)
    assert box == {"x": 0, "y": 0, **PHONE}, box
    frame = await (await page.locator("#webapp-frame").element_handle()).content_frame()
    assert frame is not None
    width, inner = await frame.evaluate(
        "[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width <= inner, (width, inner)
    await expect(page.locator("#webapp-close")).to_have_attribute("aria-label", "Close")
    await _fits(page)
    await shots.take(page, "mini-app")
    await page.locator("#webapp-close").tap()
    await expect(panel).to_be_hidden()

    # The switch turns the page's own labels to Chinese (the bot still writes English to this
    # user, whose language is English), and the choice is kept across a reload. On a phone the
    # switch is on the users' screen, one ← away.
    await page.locator("#back").tap()
    await page.locator("#lang").tap()
    await _labels(page, "zh")
    await expect(page.locator("#webapp-close")).to_have_attribute("aria-label",
                                                                  LABELS["zh"]["close"])
    await expect(page.locator(".msg.bot").first).to_contain_text(re.compile("[A-Za-z]{4}"))
    await _fits(page)
    await shots.take(page, "switched-zh")
    await page.reload()
    await expect(page.locator("#text")).to_be_enabled()
    await _labels(page, "zh")
    await page.locator("#back").tap()
    await page.locator("#lang").tap()
    await _labels(page, "en")

    # ?lang= wins over the browser's language.
    await page.goto(f"{demo_en.url}/?lang=zh")
    await _labels(page, "zh")


async def test_wide_keyboards_long_lines_and_code_fit_a_phone(
        sandbox: Any, browser: Any, shots: Shots) -> None:
    """What the bot does not send today but may: a row of long labels, a row of eight, a
    long preformatted line. The sandbox alone; the "bot" here is this test over the Bot API."""
    api = f"{sandbox.url}/bot{sandbox.config.token}"
    async with aiohttp.ClientSession() as http:
        user = {"user_id": 4343, "first_name": "Ann", "language_code": "en"}
        assert (await http.post(f"{sandbox.url}/sandbox/users", json=user)).status == 200
        await http.post(f"{sandbox.url}/sandbox/users/4343/send", json={"text": "/start"})
        long_labels = [f"{n} — a label far too long for a third of a phone" for n in range(3)]
        keyboard = [[{"text": label, "callback_data": f"wide:{i}"}
                     for i, label in enumerate(long_labels)],
                    [{"text": str(n), "callback_data": f"n:{n}"} for n in range(8)]]
        text = "<pre>" + "x = " + "1234567890" * 20 + "</pre>\nhttps://example.com/" + "b" * 200
        sent = await http.post(f"{api}/sendMessage", data={
            "chat_id": "4343", "text": text, "parse_mode": "HTML",
            "reply_markup": json.dumps({"inline_keyboard": keyboard})})
        assert (await sent.json())["ok"], await sent.text()

        context = await browser.new_context(locale="en-US", viewport=PHONE,
                                            device_scale_factor=2, is_mobile=True,
                                            has_touch=True)
        page: Page = await context.new_page()
        page.set_default_timeout(TIMEOUT)
        await page.goto(f"{sandbox.url}/?user=4343")
        message = page.locator(".msg.bot").last
        await expect(message.locator("button.inline")).to_have_count(11)
        await _fits(page)
        await _composer_in_view(page)
        bubble = await _box(message)
        tops = set()
        for i in range(11):
            box = await _box(message.locator("button.inline").nth(i))
            assert box["height"] >= MIN_TAP, (i, box)
            assert bubble["x"] <= box["x"] and \
                box["x"] + box["width"] <= bubble["x"] + bubble["width"], (i, box, bubble)
            if i < 3:
                tops.add(round(box["y"]))
        assert len(tops) >= 2, tops  # the row of long labels wrapped
        await shots.take(page, "wide")

        # A tap on a wrapped button is the bot's callback_query with that button's data.
        await message.locator("button.inline", has_text=long_labels[2]).tap()
        found: list[str] = []
        for _ in range(50):
            updates = (await (await http.get(f"{api}/getUpdates")).json())["result"]
            found = [u["callback_query"]["data"] for u in updates if "callback_query" in u]
            if found:
                break
            await asyncio.sleep(0.1)
        assert found == ["wide:2"]
        await context.close()
