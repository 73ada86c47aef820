"""The duty roster and volunteers in the chat, through the sandbox and the real Application."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

import bot.runtime.jobs
from bot.db import Database
from bot.db.models import Account, Shift, SwapRequest, SwapStatus
from bot.sandbox import SandboxClient, SandboxServer
from tests.duty.helpers import TUESDAY, add_shift, seed
from tests.support.builders import (
    ALAN,
    BEN,
    BOB,
    DORA,
    EVERYONE,
    GINA,
    MIA,
    MONDAY,
    at,
    running_clock,
    started,
)
from tests.support.chat import ask, buttons, press


async def _shift(db: Database, shift_id: int) -> Shift:
    async with db.transaction() as s:
        shift = await s.get(Shift, shift_id)
        assert shift is not None
        return shift


async def test_reminder_confirm_button_and_forged_presses(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed(db)
    started(sandbox, EVERYONE)
    shift = await add_shift(db, o.units["Branch 1"], o.members[MIA])
    bot_app.bot_data.clock = running_clock(at(MONDAY, "19:00"))
    await bot.runtime.jobs.tick_now(bot_app)
    [reminder] = await sb.wait_for_bot_messages(MIA)
    assert "tomorrow you are on duty: <b>Gate checkpoint</b>" in reminder["text"] or \
        "tomorrow you are on duty: Gate checkpoint" in reminder["text"]
    assert buttons(reminder) == [("✅ Confirm", f"dc:{shift}")]
    [help_text] = await ask(sb, BEN, "/help")
    forged = await sb.press(BEN, help_text["message_id"], callback_data=f"dc:{shift}")
    assert forged["text"].startswith("This shift is no longer yours")
    answer, _ = await press(sb, MIA, reminder, f"dc:{shift}", count=0)
    assert answer["text"] == "✅ Confirmed. Thank you!"
    assert (await _shift(db, shift)).confirmed_at is not None
    junk = await sb.press(MIA, reminder["message_id"], callback_data="dc:99999999999999")
    assert junk["text"] == "This button is no longer valid."


async def test_swap_asked_in_chat_declined_then_accepted(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed(db)
    started(sandbox, EVERYONE)
    shift = await add_shift(db, o.units["Branch 1"], o.members[MIA])
    bot_app.bot_data.clock = running_clock(at(MONDAY, "10:00"))

    async def ask_swap(by_button: bool = False) -> None:
        [duty] = await ask(sb, MIA, "/duty")
        assert "Your coming shifts" in duty["text"]
        assert ("🔁 Swap " in buttons(duty)[1][0]) and buttons(duty)[1][1] == f"dw:{shift}"
        _answer, [question] = await press(sb, MIA, duty, f"dw:{shift}")
        assert question["text"].startswith("Who should take this shift?")
        # The colleagues of Mia's unit who use the bot, to tap; a name may still be typed.
        assert [label for label, _d in buttons(question)] == ["Ben", "Dora"]
        if by_button:
            _answer, [asked] = await press(sb, MIA, question, buttons(question)[0][1])
        else:
            [asked] = await ask(sb, MIA, "ben")
        assert asked["text"] == "Asked Ben. You will hear their answer here."

    await ask_swap()
    [request] = await sb.wait_for_bot_messages(BEN)
    assert "Mia asks you to take their shift" in request["text"]
    request_id = int(buttons(request)[0][1].split(":")[1])
    [dora_help] = await ask(sb, DORA, "/help")
    forged = await sb.press(DORA, dora_help["message_id"], callback_data=f"dsa:{request_id}")
    assert forged["text"].startswith("This swap request has been answered")
    last = (await sb.chat(MIA))[-1]["message_id"]
    answer, _ = await press(sb, BEN, request, f"dsd:{request_id}", count=0)
    assert answer["text"] == "You declined the swap."
    [told] = await sb.wait_for_bot_messages(MIA, timeout=5, after=last)
    assert "Ben declined" in told["text"]
    assert (await _shift(db, shift)).member_id == o.members[MIA]

    await ask_swap(by_button=True)
    [_first, second] = await sb.wait_for_bot_messages(BEN, count=2)
    new_id = int(buttons(second)[0][1].split(":")[1])
    answer, _ = await press(sb, BEN, second, f"dsa:{new_id}", count=0)
    assert answer["text"] == "✅ You have taken over the shift. Reminders will follow."
    assert (await _shift(db, shift)).member_id == o.members[BEN]
    async with db.transaction() as s:
        statuses = [r.status for r in (await s.scalars(select(SwapRequest).order_by(
            SwapRequest.id))).all()]
    assert statuses == [SwapStatus.DECLINED, SwapStatus.ACCEPTED]
    for leader in (ALAN, DORA):  # Company A's chain sees the change
        await sb.wait_until(leader, lambda chat: any(
            "Duty swap: Ben takes over from Mia" in m.get("text", "") for m in chat))


async def test_rights_in_chat(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(at(MONDAY, "10:00"))
    [member] = await ask(sb, MIA, "/shift_add 2026-12-01 08:00-12:00 Gate / Mia")
    assert member["text"] == "Only unit leaders and admins can change the duty roster."
    [outside] = await ask(sb, BOB, "/shift_add 2026-12-01 08:00-12:00 Gate / Mia")
    assert outside["text"] == "Nobody called “Mia” in your units."
    [usage] = await ask(sb, ALAN, "/shift_add tomorrow at eight")
    assert usage["text"].startswith("Write: /shift_add")
    [added] = await ask(sb, ALAN, "/shift_add 2026-12-01 08:00-12:00 Gate / Mia")
    assert added["text"].startswith("Shift #") and "Mia" in added["text"]
    async with db.transaction() as s:
        [shift] = (await s.scalars(select(Shift))).all()
    assert (shift.day, shift.start, shift.member_id) == (TUESDAY, "08:00", o.members[MIA])
    [listing] = await ask(sb, ALAN, "/shifts")
    assert (f"✖ Remove #{shift.id}", f"dx:{shift.id}") in buttons(listing)
    refused = await sb.press(BOB, outside["message_id"], callback_data=f"dx:{shift.id}")
    assert refused["text"].startswith("You can only change the roster")
    [handed] = await ask(sb, ALAN, f"/shift_assign {shift.id} Ben")
    assert "Ben" in handed["text"]
    answer, _ = await press(sb, ALAN, listing, f"dx:{shift.id}")
    assert answer["text"].startswith(f"Shift #{shift.id} removed")
    assert (await _shift(db, shift.id)).cancelled


async def test_duty_import_in_chat(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(at(MONDAY, "10:00"))
    [refused] = await ask(sb, MIA, "/duty_import")
    assert refused["text"] == "Only unit leaders and admins can change the duty roster."
    [prompt] = await ask(sb, ALAN, "/duty_import")
    assert prompt["text"].startswith("Send the roster file now")
    bad = (b"unit,date,start,end,post,phone\n"
           b"Group/Company A/Branch 1,2026-12-01,08:00,12:00,Gate,13800138003\n"
           b"Group/Company B,2026-12-01,08:00,12:00,Gate,13800138007\n")
    sent = await sb.send_document(ALAN, "duty.csv", bad)
    [listed] = await sb.wait_for_bot_messages(ALAN, after=sent["message_id"])
    assert "Line 3: “Group/Company B” is not one of your units" in listed["text"]
    assert "nothing was changed" in listed["text"]
    good = bad.decode().splitlines()[:2]
    sent = await sb.send_document(ALAN, "duty.csv", ("\n".join(good) + "\n").encode())
    [done] = await sb.wait_for_bot_messages(ALAN, after=sent["message_id"])
    assert done["text"] == "Shifts: 1 added, 0 updated, 0 unchanged, 0 bad rows skipped."
    [duty] = await ask(sb, MIA, "/duty")
    assert "Gate, " in duty["text"] and "Nobody is on duty today" in duty["text"]
    [prompt] = await ask(sb, ALAN, "/duty_import skip")
    sent = await sb.send_document(ALAN, "duty.csv", bad.replace(b"08:00,12:00", b"13:00,14:00"))
    [skipped] = await sb.wait_for_bot_messages(ALAN, after=sent["message_id"])
    assert skipped["text"].endswith("1 added, 0 updated, 0 unchanged, 1 bad rows skipped.")
    assert skipped["text"].startswith("Line 3: “Group/Company B” is not one of your units")


async def test_volunteer_offer_thanks_and_listing(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(at(MONDAY, "10:00"))
    [form] = await ask(sb, BEN, "/volunteer")
    assert "Volunteer for front-line work" in form["text"]
    answer, _ = await press(sb, BEN, form, "vo:s", count=0)
    assert answer["text"] == "Choose at least one post and one day, then Save."
    await press(sb, BEN, form, "vo:p:0", count=0)
    await press(sb, BEN, form, "vo:d:1", count=0)
    [noted] = await ask(sb, BEN, "evenings only")
    assert "Note: evenings only" in noted["text"]
    [too_long] = await ask(sb, BEN, "x" * 300)
    assert too_long["text"].startswith("The note must be one line")
    answer, _ = await press(sb, BEN, noted, "vo:s", count=0)
    assert answer["text"].startswith("🙏 Thank you! Your offer is saved")
    [listing] = await ask(sb, ALAN, "/volunteers")
    assert "Ben" in listing["text"] and "checkpoint" in listing["text"]
    assert "Tue" in listing["text"] and "evenings only" in listing["text"]
    [(label, data)] = buttons(listing)
    [none] = await ask(sb, BOB, "/volunteers")
    assert none["text"] == "No volunteers in your units yet."
    refused = await sb.press(BOB, none["message_id"], callback_data=data)
    assert "own unit" in refused["text"]
    answer, _ = await press(sb, ALAN, listing, data, count=0)
    assert answer["text"] == "Thanks sent to Ben."
    await sb.wait_until(BEN, lambda chat: any(
        "Alan thanks you for volunteering" in m.get("text", "") for m in chat))
    [member] = await ask(sb, MIA, "/volunteers")
    assert member["text"] == "Only unit leaders and admins can see the volunteers."


async def test_duty_views_and_garbage_input(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed(db)
    started(sandbox, EVERYONE)
    await add_shift(db, o.units["Branch 1"], o.members[MIA], day=MONDAY)
    await add_shift(db, o.units["Branch 1"], o.members[BEN], day=MONDAY, post="Screening")
    await add_shift(db, o.units["Company B"], o.members[BOB], day=MONDAY)
    bot_app.bot_data.clock = running_clock(at(MONDAY, "10:00"))
    [member] = await ask(sb, DORA, "/duty")
    assert "Branch 1" in member["text"] and "Mia" in member["text"] and "Ben" in member["text"]
    assert "Bob" not in member["text"]
    [leader] = await ask(sb, ALAN, "/duty")
    text = leader["text"]
    assert text.index("Gate checkpoint") < text.index("Mia") < text.index("Screening")
    assert "Bob" not in text and "(Branch 1)" in text
    [garbage] = await ask(sb, ALAN, "/shift_add " + "x" * 4000)
    assert garbage["text"].startswith("Write: /shift_add")
    [bad_id] = await ask(sb, ALAN, "/shift_assign 99999 Ben")
    assert bad_id["text"] == "There is no such shift."
    [duty] = await ask(sb, MIA, "/duty")
    shift_id = int(buttons(duty)[1][1].split(":")[1])
    _answer, [question] = await press(sb, MIA, duty, f"dw:{shift_id}")
    [long] = await ask(sb, MIA, "y" * 4000)
    assert long["text"].startswith("Nobody called")
    [nobody] = await ask(sb, MIA, "Cara")  # another unit
    assert nobody["text"] == "Nobody called “Cara” in your units."
    [me] = await ask(sb, MIA, "Mia")
    assert me["text"] == "Nobody called “Mia” in your units."


CONFIRMED = {"zh_CN": "✅ 已于 19:0", "en": "✅ Confirmed at 19:0"}
ACCEPTED = {"zh_CN": "✅ 您已于 19:", "en": "✅ You accepted at 19:"}
LANGUAGE_CODE = {"zh_CN": "zh-hans", "en": "en"}


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_confirm_and_accept_show_on_the_message_tapped(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, locale: str
) -> None:
    o = await seed(db, locale=locale)
    started(sandbox, EVERYONE, language_code=LANGUAGE_CODE[locale])
    first = await add_shift(db, o.units["Branch 1"], o.members[MIA])
    second = await add_shift(db, o.units["Branch 1"], o.members[MIA], start="14:00", end="18:00")
    bot_app.bot_data.clock = running_clock(at(MONDAY, "19:00"))
    await bot.runtime.jobs.tick_now(bot_app)
    reminders = await sb.wait_for_bot_messages(MIA, count=2)
    reminder = next(m for m in reminders if buttons(m) == [(buttons(m)[0][0], f"dc:{first}")])

    # The reminder: confirmed, with the time, instead of the request and the button.
    await press(sb, MIA, reminder, f"dc:{first}", count=0)
    chat = await sb.wait_until(MIA, lambda ms: any(
        m["message_id"] == reminder["message_id"] and m.get("edited") for m in ms))
    shown = next(m for m in chat if m["message_id"] == reminder["message_id"])
    assert shown["text"].split("\n")[0] == reminder["text"].split("\n")[0]
    assert shown["text"].split("\n")[-1].startswith(CONFIRMED[locale])
    assert buttons(shown) == []

    # /duty's list: the confirmed shift turns ✅ and loses its Confirm button there.
    [board] = await ask(sb, MIA, "/duty")
    assert f"dc:{second}" in [data for _label, data in buttons(board)]
    await press(sb, MIA, board, f"dc:{second}", count=0)
    chat = await sb.wait_until(MIA, lambda ms: any(
        m["message_id"] == board["message_id"] and m.get("edited") for m in ms))
    shown = next(m for m in chat if m["message_id"] == board["message_id"])
    assert [d for _l, d in buttons(shown) if d.startswith("dc:")] == []
    assert "⏳" not in shown["text"].split("\n", 1)[1].split("\n\n")[-1]  # my shifts: all ✅
    assert f"dw:{second}" in [data for _label, data in buttons(shown)]  # swap stays

    # A swap request answered: it says so, with the time, instead of the buttons.
    _answer, [_question] = await press(sb, MIA, shown, f"dw:{second}")
    await ask(sb, MIA, "ben")
    [request] = await sb.wait_for_bot_messages(BEN)
    request_id = int(buttons(request)[0][1].split(":")[1])
    await press(sb, BEN, request, f"dsa:{request_id}", count=0)
    [answered] = await sb.wait_until(BEN, lambda ms: bool(ms[0].get("edited")))
    assert answered["text"].startswith(request["text"])
    assert answered["text"].split("\n")[-1].startswith(ACCEPTED[locale])
    assert buttons(answered) == []


async def test_a_shift_in_words_is_read_back_with_its_weekday(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    """Monday 2026-11-30: "tomorrow 8am-12pm" (en) and "下周五 晚上10点到早上6点" (zh) are
    added and echoed in full."""
    o = await seed(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(at(MONDAY, "10:00"))
    [added] = await ask(sb, ALAN, "/shift_add tomorrow 8am-12pm Gate / Mia")
    assert added["text"].endswith(": Mia — Gate, Tue, Dec 1 08:00–12:00. "
                                  "Reminders will follow.")
    async with db.transaction() as s:
        await s.execute(update(Account).where(Account.telegram_user_id == GINA)
                        .values(locale="zh_CN"))
    [zh] = await ask(sb, GINA, "/shift_add 下周五 晚上10点到早上6点 夜班 / Ben")
    assert "Ben——夜班，12月11日周五 22:00–06:00" in zh["text"], zh["text"]
    [bad] = await ask(sb, GINA, "/shift_add 下周八 8点-9点 夜班 / Ben")
    assert bad["text"].startswith("请写")
    async with db.transaction() as s:
        shifts = (await s.scalars(select(Shift).order_by(Shift.id))).all()
    assert [(x.day.isoformat(), x.start, x.end, x.member_id) for x in shifts] == [
        ("2026-12-01", "08:00", "12:00", o.members[MIA]),
        ("2026-12-11", "22:00", "06:00", o.members[BEN])]


async def test_a_shift_added_by_buttons_in_english_and_chinese(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    """/shifts → Add a shift: day, hours, post, person — tapped or written."""
    o = await seed(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(at(MONDAY, "10:00"))
    [listing] = await ask(sb, ALAN, "/shifts")
    _a, [day_q] = await press(sb, ALAN, listing, "dn")
    assert day_q["text"].startswith("New shift. Which day?")
    assert [label for label, _d in buttons(day_q)][:2] == ["Mon, Nov 30", "Tue, Dec 1"]
    _a, [hours_q] = await press(sb, ALAN, day_q, buttons(day_q)[1][1])
    assert hours_q["text"].startswith("Which hours?")
    [post_q] = await ask(sb, ALAN, "8am-12pm")
    assert post_q["text"].startswith("Which post?")
    [who_q] = await ask(sb, ALAN, "Gate")
    [bad] = await ask(sb, ALAN, "Nobody at all")
    assert bad["text"].startswith("I could not read that. Who is on duty?")
    [done] = await ask(sb, ALAN, "Mia")
    assert done["text"].endswith(": Mia — Gate, Tue, Dec 1 08:00–12:00. "
                                 "Reminders will follow.")
    assert who_q
    async with db.transaction() as s:
        await s.execute(update(Account).where(Account.telegram_user_id == GINA)
                        .values(locale="zh_CN"))
    [listing] = await ask(sb, GINA, "/shifts")
    _a, [day_q] = await press(sb, GINA, listing, "dn")
    [hours_q] = await ask(sb, GINA, "下周五")
    _a, [post_q] = await press(sb, GINA, hours_q, "dk:hours:2000-0800")
    assert [label for label, _d in buttons(post_q)] == ["Gate"]
    _a, [who_q] = await press(sb, GINA, post_q, "dk:post:0")
    [done] = await ask(sb, GINA, "Ben")
    assert "Ben——Gate，12月11日周五 20:00–08:00" in done["text"], done["text"]
    async with db.transaction() as s:
        shifts = (await s.scalars(select(Shift).order_by(Shift.id))).all()
    assert [(x.day.isoformat(), x.start, x.end, x.post, x.member_id) for x in shifts] == [
        ("2026-12-01", "08:00", "12:00", "Gate", o.members[MIA]),
        ("2026-12-11", "20:00", "08:00", "Gate", o.members[BEN])]
