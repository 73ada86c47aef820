"""/notice end to end through the sandbox: compose, preview, send, progress, in en and zh."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from bot.db import Database
from bot.sandbox import SandboxClient, SandboxServer
from tests.notices.conftest import ADMIN
from tests.notices.helpers import (
    FINN,
    buttons,
    copies,
    data_of,
    labels,
    notices_in,
    recipients,
    say,
    seed,
    tap,
)
from tests.support.builders import (
    ALAN,
    BEN,
    BOB,
    CARA,
    DORA,
    EVERYONE,
    GINA,
    MIA,
    NOW,
    audit_rows,
    running_clock,
    started,
)


async def test_a_leader_sends_a_notice_to_a_unit_and_watches_it_go_out(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed(db)
    started(sandbox, (*EVERYONE, FINN))
    bot_app.bot_data.clock = running_clock(NOW)

    [ask] = await say(sb, ALAN, "/notice")
    assert ask["text"].startswith("New notice\nSend the notice's text")
    [targets] = await say(sb, ALAN, "Masks in the canteen from Monday <for real> & no buffet.")
    assert "Pick a unit" in targets["text"]
    assert labels(targets) == ["📁 Group / Company A", "📁 Company A / Branch 1",
                               "👔 Leaders only", "✖️ Cancel"]  # no "whole organisation"
    _a, [ack_q] = await tap(sb, ALAN, targets, data_of(targets, "Branch 1"))
    assert ack_q["text"].startswith("Ask recipients to acknowledge it?")
    _a, [when_q] = await tap(sb, ALAN, ack_q, "nf:k:1")
    assert when_q["text"].startswith("When? Send it now, or write a time as you would say it")
    assert "Asia/Shanghai" in when_q["text"]
    _a, [preview, summary] = await tap(sb, ALAN, when_q, "nf:n", count=2)
    assert preview["text"] == (
        "📢 Notice from Alan · Branch 1\n\nMasks in the canteen from Monday <for real> & no "
        "buffet.\n\nPlease tap “Acknowledge” once you have read it.")
    assert not preview.get("reply_markup")
    assert summary["text"].splitlines() == [
        "Preview (above: what recipients will see)", "To: Group / Company A / Branch 1",
        "5 recipients", "2 of them cannot be reached (not linked, or blocked the bot)",
        "Acknowledgement: asked", "When: now"]
    assert await notices_in(db) == []

    await sb.press(ALAN, summary["message_id"], callback_data="nf:s")
    done = await sb.wait_until(ALAN, lambda chat: any(
        m["message_id"] == summary["message_id"] and "finished" in (m.get("text") or "")
        for m in chat), timeout=15)
    progress = next(m for m in done if m["message_id"] == summary["message_id"])
    assert progress["text"].splitlines() == [
        "✅ Notice #1: sending finished.", "sent 3 / 3 · failed 0 · blocked 0",
        "2 recipients cannot be reached (not linked or blocked)",
        "See /notices for who has acknowledged."]
    for uid in (MIA, DORA, BEN):
        [copy] = await sb.wait_for_bot_messages(uid)
        assert copy["text"] == preview["text"]
        assert labels(copy) == ["✅ Acknowledge"]
    for uid in (GINA, BOB, CARA, FINN):
        assert await sb.chat(uid) == []
    [notice] = await notices_in(db)
    assert notice.author_name == "Alan" and notice.unit_id == o.units["Branch 1"]
    assert len(await recipients(db, notice.id)) == 5
    assert len(await copies(db, notice.id)) == 3
    [entry] = await audit_rows(db, "notice")
    assert entry.target == f"notice:{notice.id}"
    assert entry.actor_member_id == o.members[ALAN]

    # The confirmed form is gone: pressing Send again sends nothing twice.
    again = await sb.press(ALAN, summary["message_id"], callback_data="nf:s")
    assert again["answered"]
    assert len(await notices_in(db)) == 1


async def test_an_admin_sends_a_document_to_the_whole_organisation_in_chinese(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed(db, locale="zh_CN")
    started(sandbox, EVERYONE)
    await sb.create_user(CARA, "Cara", language_code="en")
    async with db.transaction() as s:
        from sqlalchemy import update

        from bot.db.models import Account
        await s.execute(update(Account).where(Account.telegram_user_id == CARA)
                        .values(locale="en"))
    await sb.create_user(ADMIN, "Admin", language_code="zh-hans")
    bot_app.bot_data.clock = running_clock(NOW)

    [ask] = await say(sb, ADMIN, "/notice")
    assert ask["text"].startswith("新通知")
    sent = await sb.send_document(ADMIN, "rules.pdf", b"%PDF-1.4 rules", "application/pdf")
    [targets] = await sb.wait_for_bot_messages(ADMIN, after=sent["message_id"])
    assert labels(targets)[0] == "🏢 全体成员"
    _a, [ack_q] = await tap(sb, ADMIN, targets, "nf:o")
    _a, [when_q] = await tap(sb, ADMIN, ack_q, "nf:k:1")
    _a, [preview, summary] = await tap(sb, ADMIN, when_q, "nf:n", count=2)
    assert preview["document"]["file_name"] == "rules.pdf"
    assert preview["caption"].startswith("📢 来自 Admin 的通知")
    assert "全体成员" in summary["text"] and "9 位收件人" in summary["text"]
    await sb.press(ADMIN, summary["message_id"], callback_data="nf:s")
    await sb.wait_until(ADMIN, lambda chat: any("发送完毕" in (m.get("text") or "")
                                                for m in chat), timeout=15)
    [zh] = await sb.wait_for_bot_messages(MIA)
    assert zh["document"]["file_name"] == "rules.pdf"
    assert labels(zh) == ["✅ 已阅"]
    [en] = await sb.wait_for_bot_messages(CARA)
    assert en["caption"].startswith("📢 Notice from Admin")
    assert labels(en) == ["✅ Acknowledge"]


async def test_an_admin_sends_a_photo_with_a_caption_and_every_member_gets_that_photo(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    # The photo path end to end: the admin's phone sends a real photo (the sandbox, like
    # Telegram, refuses bytes that are not one), the preview and every copy show the same file.
    await seed(db)
    started(sandbox, EVERYONE)
    await sb.create_user(ADMIN, "Admin", language_code="en")
    bot_app.bot_data.clock = running_clock(NOW)
    image = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 120, 200)).save(image, "JPEG")
    [_ask] = await say(sb, ADMIN, "/notice")
    sent = await sb.send_photo(ADMIN, image.getvalue(), caption="Canteen <closed> & moved")
    [targets] = await sb.wait_for_bot_messages(ADMIN, after=sent["message_id"])
    _a, [ack_q] = await tap(sb, ADMIN, targets, "nf:o")
    _a, [when_q] = await tap(sb, ADMIN, ack_q, "nf:k:0")
    _a, [preview, summary] = await tap(sb, ADMIN, when_q, "nf:n", count=2)
    [own] = [m for m in await sb.chat(ADMIN) if m["message_id"] == sent["message_id"]]
    photo_id = own["photo"]["file_id"]
    assert preview["photo"]["file_id"] == photo_id
    assert preview["caption"].endswith("Canteen <closed> & moved")  # as written
    await sb.press(ADMIN, summary["message_id"], callback_data="nf:s")
    await sb.wait_until(ADMIN, lambda chat: any("finished" in (m.get("text") or "")
                                                for m in chat), timeout=30)
    for uid in EVERYONE:
        [copy] = await sb.wait_for_bot_messages(uid)
        assert copy["photo"]["file_id"] == photo_id
        assert copy["caption"].endswith("Canteen <closed> & moved")
    assert await sb.file(photo_id) == image.getvalue()


async def test_leaders_only_reaches_the_leaders_of_the_senders_subtree(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    [_ask] = await say(sb, GINA, "/notice")
    [targets] = await say(sb, GINA, "Leaders: meeting at 17:00.")
    _a, [ack_q] = await tap(sb, GINA, targets, "nf:l")
    _a, [when_q] = await tap(sb, GINA, ack_q, "nf:k:0")
    _a, [preview, summary] = await tap(sb, GINA, when_q, "nf:n", count=2)
    assert "To: leaders of Group\n2 recipients\n" in summary["text"]
    assert not labels(preview)
    await sb.press(GINA, summary["message_id"], callback_data="nf:s")
    for uid in (ALAN, BOB):
        [copy] = await sb.wait_for_bot_messages(uid)
        assert copy["text"] == "📢 Notice from Gina · Group\n\nLeaders: meeting at 17:00."
        assert not copy.get("reply_markup")  # no acknowledgement asked
    await sb.wait_until(GINA, lambda chat: any("finished" in (m.get("text") or "")
                                               for m in chat), timeout=15)
    for uid in (MIA, DORA, BEN, CARA):
        assert await sb.chat(uid) == []
    # /cancel in the middle of another notice drops the form.
    await say(sb, GINA, "/notice")
    [cancelled] = await say(sb, GINA, "/cancel")
    assert cancelled["text"] == "Cancelled; nothing was saved."
    [question] = await say(sb, GINA, "Is this a notice?")
    assert "Who gets it?" not in question["text"]
    assert len(await notices_in(db)) == 1


async def test_a_preview_telegram_refuses_never_offers_send(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed(db)
    started(sandbox, EVERYONE)
    await sb.create_user(ADMIN, "Admin", language_code="en")
    bot_app.bot_data.clock = running_clock(NOW)
    await say(sb, ADMIN, "/notice")
    sent = await sb.send_document(ADMIN, "rules.pdf", b"%PDF-1.4 rules", "application/pdf")
    [targets] = await sb.wait_for_bot_messages(ADMIN, after=sent["message_id"])
    _a, [ack_q] = await tap(sb, ADMIN, targets, "nf:o")
    _a, [when_q] = await tap(sb, ADMIN, ack_q, "nf:k:1")
    await sb.set_faults(rate_5xx=1.0, methods=["sendDocument"])  # Telegram will not take it
    try:
        _a, [refused] = await tap(sb, ADMIN, when_q, "nf:n")
    finally:
        await sb.clear_faults()
    assert refused["text"].startswith("⚠️ Telegram did not take the preview")
    assert [data for _label, data in buttons(refused)] == ["nf:x"]  # Cancel only, never Send
    assert await notices_in(db) == []
