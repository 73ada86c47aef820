"""Once a day is reported, that day's prompt and reminders stop asking: the tapped one shows
the report, the others are edited to say the day is reported, all without buttons; in
Chinese and English, through the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from bot.db import Database
from bot.runtime.jobs import tick_now
from bot.sandbox import SandboxClient, SandboxServer
from tests.reports.helpers import MONDAY, at, callbacks, seed_member
from tests.support.builders import running_clock, started

UID = 3301
LANGUAGE_CODE = {"zh_CN": "zh-hans", "en": "en"}
ASKING = {"zh_CN": "尚未收到", "en": "we have not received"}
REPORTED = {"zh_CN": "✅ 已于 10:05 上报，谢谢！",
            "en": "✅ Reported at 10:05. Thank you!"}
TAPPED = {"zh_CN": "已于 10:05 上报", "en": "✅ Reported at 10:05"}


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_the_prompt_stops_asking_once_the_reminder_is_answered(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, locale: str
) -> None:
    await seed_member(db, UID, locale=locale, unit_fields={"reminder_times": "10:00"})
    started(sandbox, [UID], language_code=LANGUAGE_CODE[locale])
    bot_app.bot_data.clock = running_clock(at(MONDAY, "07:30"))
    await tick_now(bot_app)
    [prompt] = await sb.wait_for_bot_messages(UID)
    bot_app.bot_data.clock = running_clock(at(MONDAY, "10:00"))
    assert (await tick_now(bot_app)).counts == {"reminder": 1}
    [_prompt, reminder] = await sb.wait_for_bot_messages(UID, count=2)
    assert ASKING[locale] in reminder["text"] and "r:2026-11-30:ok" in callbacks(reminder)

    bot_app.bot_data.clock = running_clock(at(MONDAY, "10:05"))
    answer = await sb.press(UID, reminder["message_id"], callback_data="r:2026-11-30:ok")
    assert answer["show_alert"] is False
    chat = await sb.wait_until(UID, lambda ms: bool(ms[0].get("edited"))
                               and bool(ms[1].get("edited")))
    first, second = chat[0], chat[1]
    assert (first["message_id"], second["message_id"]) == (prompt["message_id"],
                                                           reminder["message_id"])
    # The prompt: the day is reported, no buttons left to tap.
    assert REPORTED[locale] in first["text"] and callbacks(first) == []
    # The reminder that was tapped: the report itself.
    assert TAPPED[locale] in second["text"] and callbacks(second) == []
    assert ASKING[locale] not in second["text"]
    assert len(chat) == 2  # edits, not new messages
