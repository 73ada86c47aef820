"""/import: an admin sends a roster file, sees the dry run, and applies it with Confirm."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import AuditEntry, Draft, Member, Unit
from bot.sandbox import SandboxClient, SandboxServer
from tests.admin.conftest import ADMIN
from tests.support.builders import (
    ALAN,
    EVERYONE,
    MIA,
    QUIET,
    csv_bytes,
    running_clock,
    seed_org,
    started,
)
from tests.support.chat import ask, buttons

ROSTER = csv_bytes([
    ["Group/Company C", "Zoe", "13800138001", "", "", "yes"],
    ["Group/Company C", "Yan", "13800138002", "leader", "spouse:Li Qing", ""],
])
BAD = csv_bytes([
    ["Group/Company C", "Zoe", "13800138001", "", "", ""],
    ["Group/Company C", "Xu", "12", "", "", ""],
    ["Group/Company C", "Wu", "13800138003", "boss", "", ""],
])


async def members(db: Database) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(Member)) or 0)


async def send_file(sb: SandboxClient, uid: int, name: str, data: bytes,
                    caption: str | None = None, mime: str | None = None) -> dict[str, Any]:
    last = (await sb.chat(uid))[-1]["message_id"] if await sb.chat(uid) else 0
    body: dict[str, Any] = {"file_name": name, "content_base64": __import__("base64")
                            .b64encode(data).decode()}
    if caption:
        body["caption"] = caption
    if mime:
        body["mime_type"] = mime
    await sb._send(uid, {"document": body})
    [reply] = await sb.wait_for_bot_messages(uid, after=last)
    return reply


async def test_an_admin_imports_with_the_caption_and_confirms(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed_org(db)
    started(sandbox, [*EVERYONE, ADMIN])
    bot_app.bot_data.clock = running_clock(QUIET)
    before = await members(db)
    preview = await send_file(sb, ADMIN, "roster.csv", ROSTER, caption="/import")
    assert preview["text"].startswith("Roster check")
    assert "added 2" in preview["text"] and "Line 2: add Zoe (Group/Company C)" in preview["text"]
    [(label, data), (_cancel, no)] = buttons(preview)
    assert label == "✅ Confirm import" and no == "im:no"
    assert await members(db) == before  # a dry run
    # A forged token changes nothing.
    answer = await sb.press(ADMIN, preview["message_id"], callback_data="im:ok:00000000")
    assert answer["show_alert"] and "no longer waiting" in answer["text"]
    assert await members(db) == before
    # Someone else's press finds no draft of theirs.
    [help_text] = await ask(sb, ALAN, "/help")
    answer = await sb.press(ALAN, help_text["message_id"], callback_data=data)
    assert answer["show_alert"] and "Only administrators" in answer["text"]

    last = (await sb.chat(ADMIN))[-1]["message_id"]
    await sb.press(ADMIN, preview["message_id"], callback_data=data)
    [done] = await sb.wait_for_bot_messages(ADMIN, after=last)
    assert done["text"].startswith("Roster imported.")
    assert "added 2" in done["text"]
    async with db.transaction() as s:
        names = set((await s.scalars(select(Member.name).join(Unit).where(
            Unit.name == "Company C"))).all())
        assert names == {"Zoe", "Yan"}
        [entry] = (await s.scalars(select(AuditEntry).where(
            AuditEntry.action == "roster_import"))).all()
        assert entry.actor == f"tg:{ADMIN}" and entry.target == "roster.csv"
        assert await s.get(Draft, ADMIN) is None
    # The same button again: the draft is gone.
    answer = await sb.press(ADMIN, preview["message_id"], callback_data=data)
    assert answer["show_alert"]


async def test_import_after_the_command_with_bad_rows_imports_the_good_ones(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed_org(db)
    started(sandbox, [*EVERYONE, ADMIN])
    bot_app.bot_data.clock = running_clock(QUIET)
    [asked] = await ask(sb, ADMIN, "/import")
    assert "Send me the roster as a document" in asked["text"]
    [again] = await ask(sb, ADMIN, "what now?")  # text while waiting: the file, please
    assert "Send me the roster as a document" in again["text"]
    preview = await send_file(sb, ADMIN, "roster.csv", BAD)
    assert "Bad rows (2), which would be skipped:" in preview["text"]
    assert "Line 3, phone: not a valid phone number" in preview["text"]
    assert "Line 4, role: unknown role “boss”" in preview["text"]
    [(label, data), _cancel] = buttons(preview)
    assert label == "✅ Import the good rows"
    last = (await sb.chat(ADMIN))[-1]["message_id"]
    await sb.press(ADMIN, preview["message_id"], callback_data=data)
    [done] = await sb.wait_for_bot_messages(ADMIN, after=last)
    assert "added 1" in done["text"] and "2 bad rows were skipped." in done["text"]


async def test_cancel_and_bad_files_change_nothing(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed_org(db)
    started(sandbox, [*EVERYONE, ADMIN])
    bot_app.bot_data.clock = running_clock(QUIET)
    before = await members(db)
    preview = await send_file(sb, ADMIN, "roster.csv", ROSTER, caption="/import")
    last = (await sb.chat(ADMIN))[-1]["message_id"]
    await sb.press(ADMIN, preview["message_id"], callback_data="im:no")
    [cancelled] = await sb.wait_for_bot_messages(ADMIN, after=last)
    assert "Import cancelled" in cancelled["text"]

    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    reply = await send_file(sb, ADMIN, "picture.png", png, caption="/import")
    assert "it looks like a PNG file" in reply["text"] and buttons(reply) == []
    other = csv_bytes([["1", "2"]], header=["colour", "size"])
    reply = await send_file(sb, ADMIN, "other.csv", other, caption="/import")
    assert "Required columns are missing" in reply["text"]
    big = b"unit,name,phone\n" + b"x" * (5 * 1024 * 1024 + 10)
    calls = (await sb.stats())["calls"].get("getFile", 0)
    reply = await send_file(sb, ADMIN, "big.csv", big, caption="/import")
    assert "too large" in reply["text"]
    assert (await sb.stats())["calls"].get("getFile", 0) == calls  # never downloaded
    assert await members(db) == before
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "roster_import")) == 0


async def test_members_and_leaders_may_not_import(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed_org(db)
    started(sandbox, [*EVERYONE, ADMIN])
    bot_app.bot_data.clock = running_clock(QUIET)
    before = await members(db)
    for uid in (MIA, ALAN):
        [reply] = await ask(sb, uid, "/import")
        assert reply["text"] == "Only administrators can do this."
        reply = await send_file(sb, uid, "roster.csv", ROSTER, caption="/import")
        assert reply["text"] == "Only administrators can do this."
    assert await members(db) == before
    # A document without the caption from a member is not a roster: the usual answer.
    reply = await send_file(sb, MIA, "roster.csv", ROSTER)
    assert "didn't understand" in reply["text"]


async def test_a_50_mb_file_is_refused_without_downloading(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    import base64

    from bot.sandbox import actions

    await seed_org(db)
    started(sandbox, [*EVERYONE, ADMIN])
    bot_app.bot_data.clock = running_clock(QUIET)
    before = await members(db)
    # In process: through HTTP the control API's body limit would refuse 67 MB of base64.
    content = base64.b64encode(bytes(50 * 1024 * 1024)).decode()
    sent = actions.send_document(sandbox.state, ADMIN, {
        "file_name": "huge.xlsx", "content_base64": content, "caption": "/import"})
    del content
    [reply] = await sb.wait_for_bot_messages(ADMIN, after=sent["message_id"])
    assert reply["text"] == "The file is too large (50.0 MB; at most 5 MB). Nothing was changed."
    assert (await sb.stats())["calls"].get("getFile", 0) == 0
    assert await members(db) == before
