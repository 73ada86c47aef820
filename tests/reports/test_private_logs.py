"""No log line carries health data, a phone number or the bot's token — at any level, in
either format: a member links by sharing their phone and files an abnormal report for
themselves with a note, with the bot logging at DEBUG."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import Settings
from bot.db import Database
from bot.db.models import HouseholdEntry, Member, Unit
from bot.runtime.logs import QUIET_LIBRARIES, setup_logging
from bot.sandbox import SandboxClient
from tests.reports.helpers import MONDAY, at, says, send, tap
from tests.support.builders import running_clock

PHONE = "+8613800138000"
NOTE = "Zqxnote fever since last night, took medicine"
SPOUSE = "Zqxspouse"
STAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:[+-]\d\d:?\d\d|Z)?")


@pytest.fixture
def debug_logs(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    """The bot's own logging set-up at DEBUG in the given format; restored afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {n: logging.getLogger(n).level for n in QUIET_LIBRARIES}
    debug = settings.model_copy(update={"log_level": "DEBUG", "log_format": request.param})
    setup_logging(debug)
    try:
        yield debug
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize("debug_logs", ["text", "json"], indirect=True)
async def test_an_abnormal_report_at_debug_logs_nothing_private(
    bot_app: Any, debug_logs: Settings, sb: SandboxClient, db: Database,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bot_app.bot_data.clock = running_clock(at(MONDAY, "08:00"))
    async with db.transaction() as s:
        unit = Unit(name="Group", path="", timezone="Asia/Shanghai")
        s.add(unit)
        await s.flush()
        unit.path = f"/{unit.id}/"
        member = Member(unit_id=unit.id, name="Zhao Min", phone=PHONE)
        s.add(member)
        await s.flush()
        s.add(HouseholdEntry(member_id=member.id, relation="spouse", name=SPOUSE, position=0))
    logging.getLogger("handlers").debug("logging at DEBUG is on")
    await sb.create_user(4101, "Zhao", language_code="en", phone_number=PHONE)
    await send(sb, 4101, "/start")
    sent = await sb.send_own_contact(4101)
    await sb.wait_for_bot_messages(4101, after=sent["message_id"])

    await send(sb, 4101, "/report")
    await tap(sb, 4101, "🤒 Someone is unwell")
    await says(sb, 4101, "Who is unwell?")
    await tap(sb, 4101, "⬜ You")
    await sb.wait_until(4101, lambda ms: any("☑️ You" in b["text"] for row in (
        ms[-1].get("reply_markup") or {}).get("inline_keyboard", []) for b in row))
    await tap(sb, 4101, "Next ➡")
    await says(sb, 4101, "Your temperature?")
    await send(sb, 4101, "38.6")
    await tap(sb, 4101, "⬜ cough")
    await sb.wait_until(4101, lambda ms: any("☑️ cough" in b["text"] for row in (
        ms[-1].get("reply_markup") or {}).get("inline_keyboard", []) for b in row))
    await tap(sb, 4101, "Done ➡")
    await says(sb, 4101, "Anything to add?")
    await send(sb, 4101, NOTE)
    await says(sb, 4101, "Please check your report")
    await tap(sb, 4101, "✅ Confirm")
    await says(sb, 4101, "✅ Reported at")

    # Each line's own timestamp goes first: "01:08:38.606" is not a temperature.
    logs = STAMP.sub("", capsys.readouterr().err)
    assert "logging at DEBUG is on" in logs  # the set-up under test is the one writing
    token = debug_logs.telegram_bot_token
    assert token
    for private in (token, token.split(":")[1], "13800138000", "138-0013", "38.6",
                    "Zqxnote", SPOUSE, "cough", "Zhao Min"):
        assert private not in logs, private
