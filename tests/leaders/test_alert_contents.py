"""What an alert tells the chain, through the bot, in Chinese and English: who, temperature,
symptoms, the member's note exactly as written, how to reach them, when; an amendment says
exactly what changed; the member is told who is being alerted and what to do now (the
knowledge base's entry, looked up by id)."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bot.db import Database
from bot.db.models import Member
from bot.i18n import _, use_locale
from bot.render.reports import symptom_label
from bot.runtime.jobs import tick_now
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.faq.kb import load_all
from bot.services.reports.advice import FEVER
from tests.leaders.helpers import ALAN, DORA, EVERYONE, MIA, NOW, QUIET, report, seed_org
from tests.support.builders import running_clock, started
from tests.support.chat import buttons, says, send, tap

LOCALES = Path(__file__).resolve().parents[2] / "locales"
PHONE = "+8613800001234"
NOTE = "昨晚开始发烧，已经吃了退烧药，在家隔离 <b>&</b>"
LANGUAGE_CODE = {"zh_CN": "zh-hans", "en": "en"}
# What the alert must say, in each language (written here, not taken from the catalogue, so
# that a wrong translation fails).
EXPECTED = {
    "zh_CN": {"fever": "<b>38.6℃</b>", "well": "Mia：正常（无发热、无症状）",
              "change": "38.6℃ → 37.5℃", "gone": "咳嗽已消失", "write": "💬 给Mia发消息",
              "told": "您的报告正在转给 Alan、Dora", "phone": f"☎ 电话：{PHONE}"},
    "en": {"fever": "<b>38.6 °C</b>", "well": "Mia: well (no fever, no symptoms)",
           "change": "38.6 °C → 37.5 °C", "gone": "cough gone", "write": "💬 Write to Mia",
           "told": "Your report is being passed on to Alan, Dora", "phone": f"☎ Phone: {PHONE}"},
}


def t(locale: str, text: str) -> str:
    with use_locale(locale):
        return _(text)


def cough(locale: str) -> str:
    with use_locale(locale):
        return symptom_label("cough")


async def has_button(sb: SandboxClient, label: str) -> None:
    await sb.wait_until(MIA, lambda ms: label in [lbl for lbl, _d in buttons(ms[-1])])


async def fill_unwell_form(sb: SandboxClient, locale: str, *, temperature: str,
                           toggle_cough: bool, note: str | None) -> None:
    """/report → "someone is unwell" → the member → temperature, cough, note → confirm."""
    await send(sb, MIA, "/report")
    await tap(sb, MIA, t(locale, "🤒 Someone is unwell"))
    await has_button(sb, "⬜ " + t(locale, "You"))
    await tap(sb, MIA, "⬜ " + t(locale, "You"))
    await sb.wait_until(MIA, lambda ms: any(lbl.startswith("☑️") for lbl, _d in buttons(ms[-1])))
    await tap(sb, MIA, t(locale, "Next ➡"))
    await sb.wait_until(MIA, lambda ms: any(lbl == temperature for lbl, _d in buttons(ms[-1])))
    await tap(sb, MIA, temperature)
    await sb.wait_until(MIA, lambda ms: any(cough(locale) in lbl for lbl, _d in buttons(ms[-1])))
    if toggle_cough:
        box = "☑️ " if note is None else "⬜ "
        await tap(sb, MIA, box + cough(locale))
        flipped = ("⬜ " if note is None else "☑️ ") + cough(locale)
        await sb.wait_until(MIA, lambda ms: flipped in [lbl for lbl, _d in buttons(ms[-1])])
    await tap(sb, MIA, t(locale, "Done ➡"))
    await sb.wait_until(MIA, lambda ms: any(d.endswith(":ns") for _l, d in buttons(ms[-1])))
    if note is None:
        await tap(sb, MIA, t(locale, "Keep ➡"))  # the note as it was
    else:
        await sb.send_text(MIA, note)
    await sb.wait_until(MIA, lambda ms: any(d.endswith(":ok") for _l, d in buttons(ms[-1])))
    await tap(sb, MIA, t(locale, "✅ Confirm"))


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_an_alert_says_who_what_the_member_wrote_and_how_to_reach_them(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, locale: str
) -> None:
    expected = EXPECTED[locale]
    o = await seed_org(db, locale=locale)
    async with db.transaction() as s:
        await s.execute(update(Member).where(Member.id == o.members[MIA]).values(phone=PHONE))
    started(sandbox, EVERYONE, language_code=LANGUAGE_CODE[locale])
    bot_app.bot_data.clock = running_clock(NOW)

    await fill_unwell_form(sb, locale, temperature="38.5", toggle_cough=True, note=NOTE)
    [alert] = await sb.wait_for_bot_messages(ALAN)
    html = alert["html"]
    assert f'<a href="tg://user?id={MIA}">Mia</a>' in html
    assert "<b>38.5" in html and cough(locale) in html
    assert escape(NOTE) in html  # HTML-escaped in the source …
    assert NOTE in alert["text"]  # … and shown exactly as written
    assert expected["phone"] in alert["text"]
    assert "Li Na" not in alert["text"]  # well, no note: not listed
    [[write], [handled]] = alert["reply_markup"]["inline_keyboard"]
    assert write == {"text": expected["write"], "url": "https://t.me/+8613800001234"}
    assert handled["callback_data"].startswith("al:h:")
    # Dora, second in the chain, gets the same.
    [dora_alert] = await sb.wait_for_bot_messages(DORA)
    assert NOTE in dora_alert["text"]

    # The member: who is being told, and the knowledge base's answer for a fever.
    advice = await says(sb, MIA, expected["told"])
    entry = load_all(LOCALES)[locale].entry(FEVER)
    assert entry is not None and entry.question in advice["text"]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_an_update_says_exactly_what_changed(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, locale: str
) -> None:
    expected = EXPECTED[locale]
    await seed_org(db, locale=locale)
    started(sandbox, EVERYONE, language_code=LANGUAGE_CODE[locale])
    bot_app.bot_data.clock = running_clock(NOW)

    # 38.6 typed, cough, a note; then amended: 37.5, cough gone, the note kept.
    await send(sb, MIA, "/report")
    await tap(sb, MIA, t(locale, "🤒 Someone is unwell"))
    await has_button(sb, "⬜ " + t(locale, "You"))
    await tap(sb, MIA, "⬜ " + t(locale, "You"))
    await sb.wait_until(MIA, lambda ms: any(lbl.startswith("☑️") for lbl, _d in buttons(ms[-1])))
    await tap(sb, MIA, t(locale, "Next ➡"))
    await sb.wait_until(MIA, lambda ms: any(lbl == "38.5" for lbl, _d in buttons(ms[-1])))
    await sb.send_text(MIA, "38.6")
    await sb.wait_until(MIA, lambda ms: any(cough(locale) in lbl for lbl, _d in buttons(ms[-1])))
    await tap(sb, MIA, "⬜ " + cough(locale))
    await sb.wait_until(MIA, lambda ms: "☑️ " + cough(locale) in [
        lbl for lbl, _d in buttons(ms[-1])])
    await tap(sb, MIA, t(locale, "Done ➡"))
    await sb.wait_until(MIA, lambda ms: any(d.endswith(":ns") for _l, d in buttons(ms[-1])))
    await sb.send_text(MIA, NOTE)
    await sb.wait_until(MIA, lambda ms: any(d.endswith(":ok") for _l, d in buttons(ms[-1])))
    await tap(sb, MIA, t(locale, "✅ Confirm"))
    [alert] = await sb.wait_for_bot_messages(ALAN)
    assert expected["fever"] in alert["html"]
    assert expected["well"] not in alert["text"]

    await fill_unwell_form(sb, locale, temperature="37.5", toggle_cough=True, note=None)
    [_alert, change] = await sb.wait_for_bot_messages(ALAN, count=2)
    text = change["text"]
    assert expected["change"] in text and expected["gone"] in text
    assert NOTE in text  # the note, unchanged, is still in the update's full picture
    assert text.count(cough(locale)) == 1  # only in "cough gone": nobody coughs now


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_a_well_member_reads_well_beside_an_unwell_household_member(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, locale: str
) -> None:
    """The member answered for the spouse only: the member's own line says what they
    answered (well), never something that reads as "did not report"."""
    await seed_org(db, locale=locale)
    started(sandbox, EVERYONE, language_code=LANGUAGE_CODE[locale])
    bot_app.bot_data.clock = running_clock(NOW)
    await send(sb, MIA, "/report")
    await tap(sb, MIA, t(locale, "🤒 Someone is unwell"))
    spouse = "⬜ " + t(locale, "{relation} {name}").format(relation="spouse", name="Li Na")
    await has_button(sb, spouse)
    await tap(sb, MIA, spouse)
    await sb.wait_until(MIA, lambda ms: any(lbl.startswith("☑️") for lbl, _d in buttons(ms[-1])))
    await tap(sb, MIA, t(locale, "Next ➡"))
    await has_button(sb, "38.0")
    await tap(sb, MIA, "38.0")
    await has_button(sb, t(locale, "Done ➡"))
    await tap(sb, MIA, t(locale, "Done ➡"))
    await has_button(sb, t(locale, "Skip ➡"))
    await tap(sb, MIA, t(locale, "Skip ➡"))
    await has_button(sb, t(locale, "✅ Confirm"))
    await tap(sb, MIA, t(locale, "✅ Confirm"))
    [alert] = await sb.wait_for_bot_messages(ALAN)
    assert EXPECTED[locale]["well"] in alert["text"]
    assert "Li Na" in alert["text"] and "38.0" in alert["text"]


HANDLED = {"zh_CN": "✅ 已由 Alan 于", "en": "✅ Handled by Alan at"}


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_handled_shows_on_the_alert_tapped_and_the_way_to_the_member_stays(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, locale: str
) -> None:
    o = await seed_org(db, locale=locale)
    async with db.transaction() as s:
        await s.execute(update(Member).where(Member.id == o.members[MIA]).values(phone=PHONE))
    started(sandbox, EVERYONE, language_code=LANGUAGE_CODE[locale])
    bot_app.bot_data.clock = running_clock(QUIET)  # no prompts or digests due: only the alert
    await report(db, o.members[MIA], temperature="38.2")
    await tick_now(bot_app)
    [alert] = await sb.wait_for_bot_messages(ALAN)
    [[write], [handled]] = alert["reply_markup"]["inline_keyboard"]
    await sb.press(ALAN, alert["message_id"], callback_data=handled["callback_data"])
    [shown] = await sb.wait_until(ALAN, lambda ms: bool(ms[0].get("edited")))
    assert shown["text"].split("\n")[-1].startswith(HANDLED[locale])
    assert shown["reply_markup"]["inline_keyboard"] == [[write]]  # no "handled" left to tap
