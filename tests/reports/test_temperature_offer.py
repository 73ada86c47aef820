"""Three digits without their point ("376"): the reply offers 37.6 with a button to confirm;
nothing is stored until it is pressed. The zh hint's example is "37.5" (en shows "37,5" on
purpose: a comma works too)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.db import Database
from bot.sandbox import SandboxClient
from tests.reports.helpers import (
    MONDAY,
    at,
    callbacks,
    draft_of,
    report_count,
    says,
    seed_member,
    send,
    tap,
)
from tests.support.builders import running_clock

WORDS = {
    "en": ("🤒 Someone is unwell", "Your temperature?", "Did you mean 37.6 °C? Tap it below "
           "to confirm.", "for example 36.8 or 37,5", "Your symptoms?"),
    "zh_CN": ("🤒 有人身体不适", "您的体温是多少？", "您是不是想输入 37.6℃？请点下方按钮确认。",
              "例如 36.8 或 37.5（", "您有哪些症状？"),
}


@pytest.fixture(autouse=True)
def morning(bot_app: Any) -> None:
    bot_app.bot_data.clock = running_clock(at(MONDAY, "08:00"))


@pytest.mark.parametrize(("locale", "uid"), [("en", 3151), ("zh_CN", 3152)])
async def test_376_is_offered_as_37_6_and_stored_only_when_confirmed(
    sb: SandboxClient, db: Database, locale: str, uid: int
) -> None:
    sick, ask_temperature, offer, example, symptoms = WORDS[locale]
    await seed_member(db, uid, locale=locale)
    await sb.create_user(uid, "Member", language_code="en" if locale == "en" else "zh-hans")
    await send(sb, uid, "/report")
    await tap(sb, uid, sick)
    await says(sb, uid, ask_temperature)
    # A number that is no temperature even without its point gets no button.
    assert callbacks(await send(sb, uid, "120")) == []
    reply = await send(sb, uid, "376")
    assert offer in reply["text"]
    assert example in reply["text"]
    [data] = callbacks(reply)
    assert data.endswith(":t:37.6")
    draft = await draft_of(db, uid)
    assert draft is not None and draft.step == "temp" and await report_count(db) == 0
    assert draft.data["people"][0]["temperature"] is None  # not stored silently
    await sb.press(uid, reply["message_id"], callback_data=data)
    await says(sb, uid, symptoms)
    draft = await draft_of(db, uid)
    assert draft is not None and draft.data["people"][0]["temperature"] == "37.6"


async def test_a_forged_reading_button_changes_nothing(sb: SandboxClient, db: Database) -> None:
    uid = 3153
    await seed_member(db, uid)
    await sb.create_user(uid, "Member", language_code="en")
    await send(sb, uid, "/report")
    await tap(sb, uid, "🤒 Someone is unwell")
    step = await says(sb, uid, "Your temperature?")
    data = callbacks(step)[0].rsplit(":", 1)[0] + ":99.5"  # not a °C reading it would accept
    answer = await sb.press(uid, step["message_id"], callback_data=data)
    assert answer["show_alert"]
    draft = await draft_of(db, uid)
    assert draft is not None and draft.step == "temp"
