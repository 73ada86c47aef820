"""The notice form says only what is true and asks only what is open: a bad time's reply has
the "Now" button it mentions; a unit name that matches one unit picks it; the whole
organisation and the one top unit are not offered side by side; a notice sent without asking
for acknowledgement does not point to "who has acknowledged". In en and zh."""

from __future__ import annotations

from typing import Any

import pytest

from bot.db import Database
from bot.db.models import Unit
from bot.sandbox import SandboxClient, SandboxServer
from tests.notices.conftest import ADMIN
from tests.notices.helpers import compose, data_of, labels, say, seed, tap
from tests.support.builders import ALAN, EVERYONE, NOW, running_clock, started

WORDS = {
    "en": {"lang": "en", "ack_q": "Ask recipients to acknowledge it?", "now": "🚀 Now",
           "bad_when": "Or tap “Now”.", "finished": "sending finished",
           "no_ack": "No acknowledgement was asked; /notices shows its delivery.",
           "ack": "who has acknowledged", "org": "🏢 The whole organisation"},
    "zh_CN": {"lang": "zh-hans", "ack_q": "是否要求收件人确认已阅？", "now": "🚀 立即发送",
              "bad_when": "也可以点“立即发送”。", "finished": "发送完毕",
              "no_ack": "本通知未要求确认已阅；发送 /notices 可查看送达情况。",
              "ack": "谁已确认已阅", "org": "🏢 全体成员"},
}
LOCALES = pytest.mark.parametrize("locale", ["en", "zh_CN"])


async def _ready(bot_app: Any, sandbox: SandboxServer, db: Database, locale: str) -> Any:
    o = await seed(db, locale=locale)
    started(sandbox, [*EVERYONE, ADMIN], language_code=WORDS[locale]["lang"])
    bot_app.bot_data.clock = running_clock(NOW)
    async with db.transaction() as s:
        branch = await s.get(Unit, o.units["Branch 1"])
        assert branch is not None
        branch.name = "第一分公司"
    return o


@LOCALES
async def test_a_unit_name_matching_one_unit_picks_it_and_a_bad_time_offers_now(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, locale: str
) -> None:
    words = WORDS[locale]
    await _ready(bot_app, sandbox, db, locale)
    await say(sb, ALAN, "/notice")
    await say(sb, ALAN, "口罩")
    [ack_q] = await say(sb, ALAN, "第一分公司")
    assert words["ack_q"] in ack_q["text"]
    _a, [when_q] = await tap(sb, ALAN, ack_q, "nf:k:0")
    [bad] = await say(sb, ALAN, "next blursday")
    assert words["bad_when"] in bad["text"]
    assert labels(bad)[0] == words["now"]
    _a, [_preview, summary] = await tap(sb, ALAN, bad, data_of(bad, words["now"]), count=2)
    assert "第一分公司" in summary["text"]


@LOCALES
async def test_no_acknowledgement_asked_no_acknowledgement_promised(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, locale: str
) -> None:
    words = WORDS[locale]
    await _ready(bot_app, sandbox, db, locale)
    _preview, summary = await compose(sb, ALAN, "口罩", "第一分公司", ack=False)
    await sb.press(ALAN, summary["message_id"], callback_data="nf:s")
    done = await sb.wait_until(ALAN, lambda chat: any(
        m["message_id"] == summary["message_id"] and words["finished"] in (m.get("text") or "")
        for m in chat), timeout=15)
    [progress] = [m for m in done if m["message_id"] == summary["message_id"]]
    assert progress["text"].splitlines()[-1] == words["no_ack"]
    assert words["ack"] not in progress["text"]


@LOCALES
async def test_the_whole_organisation_and_its_one_top_unit_are_not_two_choices(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, locale: str
) -> None:
    words = WORDS[locale]
    await _ready(bot_app, sandbox, db, locale)
    await say(sb, ADMIN, "/notice")
    [targets] = await say(sb, ADMIN, "口罩")
    units = [label for label in labels(targets) if label.startswith("📁")]
    assert labels(targets)[0] == words["org"]
    assert units == ["📁 Group / Company A", "📁 Group / Company B"]  # not "📁 Group"
