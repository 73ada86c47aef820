""""Same as yesterday" after a fever does not copy a temperature nobody measured today: it
asks today's (one tap on the quick buttons) and offers the symptoms and the note to keep or
change before anything is saved; in Chinese and English, through the sandbox."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import HouseholdEntry, Member
from bot.i18n import _, use_locale
from bot.render.reports import symptom_label
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.reports.store import PersonHealth, ReportInput, save_report
from tests.reports.helpers import (
    MONDAY,
    at,
    callbacks,
    labels,
    member,
    report_count,
    seed_member,
    stored,
)
from tests.support.builders import running_clock, started

UID = 3401
NOTE = "昨晚开始发烧，已经吃了退烧药 <i>"
YESTERDAY = {"zh_CN": "昨天：38.6℃。请填写今天测量的体温。",
             "en": "Yesterday: 38.6 °C. Please give today's reading."}
LANGUAGE_CODE = {"zh_CN": "zh-hans", "en": "en"}


def t(locale: str, text: str) -> str:
    with use_locale(locale):
        return _(text)


def cough(locale: str) -> str:
    with use_locale(locale):
        return symptom_label("cough")


async def latest(sb: SandboxClient, predicate: Any) -> dict[str, Any]:
    chat = await sb.wait_until(UID, lambda ms: predicate(ms[-1]))
    return chat[-1]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_same_as_yesterday_after_a_fever_asks_todays_temperature(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, locale: str
) -> None:
    mid = await seed_member(db, UID, locale=locale, household=[("spouse", "Li Na")])
    async with db.transaction() as s:
        m = await s.get(Member, mid)
        assert m is not None
        spouse = await s.scalar(select(HouseholdEntry.id).where(HouseholdEntry.member_id == mid))
        people = (PersonHealth(None, "", m.name, Decimal("38.6"), ("cough",), NOTE),
                  PersonHealth(spouse, "spouse", "Li Na"))
        await save_report(s, member=m, day=MONDAY - timedelta(days=1),
                          entry=ReportInput(people, isolation=True),
                          now=at(MONDAY - timedelta(days=1), "08:00"),
                          default_timezone="Asia/Shanghai")
    started(sandbox, [UID], language_code=LANGUAGE_CODE[locale])
    bot_app.bot_data.clock = running_clock(at(MONDAY, "08:00"))

    await sb.send_text(UID, "/report")
    prompt = await latest(sb, lambda msg: "r:2026-11-30:same" in callbacks(msg))
    await sb.press(UID, prompt["message_id"], callback_data="r:2026-11-30:same")
    # Nothing saved yet: today's temperature first, with yesterday's shown beside the buttons.
    step = await latest(sb, lambda msg: "37.5" in labels(msg))
    assert YESTERDAY[locale] in step["text"]
    assert await report_count(db) == 1  # yesterday's only
    await sb.press(UID, step["message_id"], button="37.5")
    # Symptoms: yesterday's cough offered, ticked; untick it (gone today).
    step = await latest(sb, lambda msg: "☑️ " + cough(locale) in labels(msg))
    await sb.press(UID, step["message_id"], button="☑️ " + cough(locale))
    step = await latest(sb, lambda msg: "⬜ " + cough(locale) in labels(msg))
    await sb.press(UID, step["message_id"], button=t(locale, "Done ➡"))
    # The note: shown as written, to keep or clear.
    step = await latest(sb, lambda msg: t(locale, "🗑 Clear the note") in labels(msg))
    assert NOTE in step["text"] and t(locale, "Keep ➡") in labels(step)
    await sb.press(UID, step["message_id"], button=t(locale, "🗑 Clear the note"))
    step = await latest(sb, lambda msg: t(locale, "✅ Confirm") in labels(msg))
    assert NOTE not in step["text"]
    await sb.press(UID, step["message_id"], button=t(locale, "✅ Confirm"))
    await latest(sb, lambda msg: not callbacks(msg) and "37.5" in (msg.get("text") or ""))

    report = await stored(db, mid)
    assert report is not None
    assert (report.temperature, report.symptoms, report.note, report.isolation) == (
        Decimal("37.5"), [], "", True)
    assert [(h.name, h.temperature, h.symptoms) for h in report.household] == [
        ("Li Na", None, [])]


async def test_keeping_the_note_keeps_it_as_written(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    mid = await seed_member(db, UID)
    m = await member(db, mid)
    async with db.transaction() as s:
        people = (PersonHealth(None, "", m.name, Decimal("38.6"), ("cough",), NOTE),)
        await save_report(s, member=m, day=MONDAY - timedelta(days=1),
                          entry=ReportInput(people), now=at(MONDAY - timedelta(days=1), "08:00"),
                          default_timezone="Asia/Shanghai")
    started(sandbox, [UID])
    bot_app.bot_data.clock = running_clock(at(MONDAY, "08:00"))
    await sb.send_text(UID, "/report")
    prompt = await latest(sb, lambda msg: "r:2026-11-30:same" in callbacks(msg))
    await sb.press(UID, prompt["message_id"], callback_data="r:2026-11-30:same")
    step = await latest(sb, lambda msg: "38.0" in labels(msg))
    await sb.press(UID, step["message_id"], button="38.0")
    step = await latest(sb, lambda msg: "Done ➡" in labels(msg))
    await sb.press(UID, step["message_id"], button="Done ➡")
    step = await latest(sb, lambda msg: "Keep ➡" in labels(msg))
    await sb.press(UID, step["message_id"], button="Keep ➡")
    step = await latest(sb, lambda msg: "✅ Confirm" in labels(msg))
    await sb.press(UID, step["message_id"], button="✅ Confirm")
    await latest(sb, lambda msg: not callbacks(msg) and "38.0" in (msg.get("text") or ""))
    report = await stored(db, mid)
    assert report is not None
    assert (report.temperature, report.symptoms, report.note) == (
        Decimal("38.0"), ["cough"], NOTE)
