"""Joining by invite link (`/start <code>`, then the name) through the sandbox against the real
Application, on SQLite and PostgreSQL; the service's limits directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import AuditEntry, Draft, Invite, Member, Role, Unit
from bot.sandbox import SandboxClient
from bot.services.members import onboarding
from bot.services.members.onboarding import InviteStatus
from tests.onboarding.helpers import add_member, ask, make_invite

NOT_VALID = "This invite link is not valid"


async def members(db: Database) -> list[tuple[str, str, Role, int | None]]:
    async with db.transaction() as s:
        rows = await s.execute(select(Member.name, Unit.name, Member.role,
                                      Member.telegram_user_id)
                               .join(Unit, Unit.id == Member.unit_id).order_by(Member.id))
        return [(r[0], r[1], r[2], r[3]) for r in rows]


async def uses_left(db: Database, code: str) -> int:
    async with db.transaction() as s:
        value = await s.scalar(select(Invite.uses_left).where(Invite.code == code))
        assert value is not None
        return value


async def draft_count(db: Database) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(Draft)) or 0)


@pytest.mark.usefixtures("bot_app")
async def test_a_valid_invite_asks_the_name_then_joins_the_unit_with_its_role(
    sb: SandboxClient, db: Database
) -> None:
    code = await make_invite(db, ["Group", "Company A"], role=Role.LEADER, uses=2)
    await sb.create_user(3001, "Zhang", language_code="en")
    reply = await ask(sb, 3001, f"/start {code}")
    assert "invited to join Group / Company A as leader" in reply["text"]
    assert "send your full name" in reply["text"]
    assert await members(db) == []  # nobody joins before giving a name

    reply = await ask(sb, 3001, "  Zhang   San ")
    assert "Welcome, Zhang San!" in reply["text"]
    assert "Group / Company A as leader" in reply["text"]
    assert await members(db) == [("Zhang San", "Company A", Role.LEADER, 3001)]
    assert await uses_left(db, code) == 1
    assert await draft_count(db) == 0
    async with db.transaction() as s:
        [audit] = (await s.scalars(select(AuditEntry).where(
            AuditEntry.action == "invite_join"))).all()
    assert "Zhang" not in str(audit.details)

    # Linked now: the same link again, or any other, says so and changes nothing.
    reply = await ask(sb, 3001, f"/start {code}")
    assert reply["text"].startswith("You are already a member")
    assert await uses_left(db, code) == 1
    me = await ask(sb, 3001, "/me")
    assert "Zhang San" in me["text"] and "Group / Company A" in me["text"]


@pytest.mark.usefixtures("bot_app")
async def test_an_expired_invite_is_refused_and_waits_for_nothing(
    sb: SandboxClient, db: Database
) -> None:
    code = await make_invite(db, ["Group"], days=1,
                             now=datetime.now(UTC) - timedelta(days=2))
    await sb.create_user(3002, "Late", language_code="en")
    reply = await ask(sb, 3002, f"/start {code}")
    assert "has expired" in reply["text"]
    assert await draft_count(db) == 0
    # A name sent anyway is not taken for one.
    reply = await ask(sb, 3002, "Late Comer")
    assert "Welcome" not in reply["text"]
    assert await members(db) == []


@pytest.mark.usefixtures("bot_app")
async def test_a_used_up_invite_is_refused(sb: SandboxClient, db: Database) -> None:
    code = await make_invite(db, ["Group"], uses=1)
    await sb.create_user(3003, "First", language_code="en")
    await sb.create_user(3004, "Second", language_code="en")
    await ask(sb, 3003, f"/start {code}")
    await ask(sb, 3003, "First Person")
    reply = await ask(sb, 3004, f"/start {code}")
    assert "already been used as many times as it allows" in reply["text"]
    assert [m[0] for m in await members(db)] == ["First Person"]


@pytest.mark.usefixtures("bot_app")
async def test_the_last_use_goes_to_whoever_names_themselves_first(
    sb: SandboxClient, db: Database
) -> None:
    code = await make_invite(db, ["Group"], uses=1)
    await sb.create_user(3005, "A", language_code="en")
    await sb.create_user(3006, "B", language_code="en")
    for uid in (3005, 3006):  # both are asked their name while one use is left
        assert "send your full name" in (await ask(sb, uid, f"/start {code}"))["text"]
    assert "Welcome, Ann!" in (await ask(sb, 3005, "Ann"))["text"]
    reply = await ask(sb, 3006, "Bob")
    assert "already been used" in reply["text"]
    assert [m[0] for m in await members(db)] == ["Ann"]
    assert await uses_left(db, code) == 0


@pytest.mark.usefixtures("bot_app")
@pytest.mark.parametrize("payload", [
    "AbCdEfGhIjKlMnOpQrStUv",  # the right shape, never issued
    "garbage!",  # characters Telegram's deep links never carry
    "two words",
    "x" * 33,  # longer than any code we issue
    "x" * (4096 - len("/start ")),  # the longest message Telegram lets through
])
async def test_unknown_or_garbage_codes_are_refused(
    sb: SandboxClient, db: Database, payload: str
) -> None:
    await make_invite(db, ["Group"])
    await sb.create_user(3007, "Curious", language_code="en")
    reply = await ask(sb, 3007, f"/start {payload}")
    assert reply["text"].startswith(NOT_VALID)
    assert await draft_count(db) == 0 and await members(db) == []


@pytest.mark.usefixtures("bot_app")
async def test_bad_names_are_refused_and_the_step_waits_for_a_good_one(
    sb: SandboxClient, db: Database
) -> None:
    code = await make_invite(db, ["Group"])
    await sb.create_user(3008, "Picky", language_code="en")
    await ask(sb, 3008, f"/start {code}")
    for name, expected in [
        ("😀🎉", "A name needs letters"),
        ("123 !!", "A name needs letters"),
        ("N" * 65, "at most 64 characters"),
        ("N" * 4096, "at most 64 characters"),
        ("Wang\nWei", "plain text on one line"),
        ("\u202eieW gnaW", "plain text on one line"),  # a right-to-left override
        ("\u200b", "A name needs letters"),  # zero-width space: looks empty
    ]:
        reply = await ask(sb, 3008, name)
        assert expected in reply["text"], (name, reply["text"])
        assert await members(db) == []
    assert await uses_left(db, code) == 1
    reply = await ask(sb, 3008, "王伟 😀")  # letters with an emoji are a name
    assert "Welcome, 王伟 😀!" in reply["text"]


async def test_the_name_step_times_out(sb: SandboxClient, db: Database, bot_app: object) -> None:
    code = await make_invite(db, ["Group"])
    await sb.create_user(3009, "Slow", language_code="en")
    await ask(sb, 3009, f"/start {code}")
    start = datetime.now(UTC)
    bot_app.bot_data.clock = lambda: start + timedelta(minutes=31)  # type: ignore[attr-defined]
    reply = await ask(sb, 3009, "Slow Poke")
    assert "timed out" in reply["text"] and "open the invite link again" in reply["text"]
    assert await members(db) == [] and await draft_count(db) == 0
    assert await uses_left(db, code) == 1


@pytest.mark.usefixtures("bot_app")
async def test_a_linked_member_opening_an_invite_is_told_who_they_are(
    sb: SandboxClient, db: Database
) -> None:
    await add_member(db, ["Group"], "Wang Wei", phone="+8613800138001", telegram_user_id=3010)
    code = await make_invite(db, ["Group", "Other"])
    await sb.create_user(3010, "Wei", language_code="en")
    reply = await ask(sb, 3010, f"/start {code}")
    assert "You are already a member" in reply["text"] and "Wang Wei" in reply["text"]
    assert await uses_left(db, code) == 1 and await draft_count(db) == 0


@pytest.mark.usefixtures("bot_app")
async def test_an_invite_to_a_closed_unit_is_refused(sb: SandboxClient, db: Database) -> None:
    code = await make_invite(db, ["Group", "Closed"])
    async with db.transaction() as s:
        unit = await s.scalar(select(Unit).where(Unit.name == "Closed"))
        assert unit is not None
        unit.active = False
    await sb.create_user(3011, "Late", language_code="en")
    reply = await ask(sb, 3011, f"/start {code}")
    assert "no longer exists" in reply["text"]


@pytest.mark.usefixtures("bot_app")
async def test_joining_in_chinese(sb: SandboxClient, db: Database) -> None:
    code = await make_invite(db, ["集团", "一公司"])
    await sb.create_user(3012, "张", language_code="zh-hans")
    reply = await ask(sb, 3012, f"/start {code}")
    assert "集团/一公司" in reply["text"] and "姓名" in reply["text"]
    reply = await ask(sb, 3012, "😀")
    assert "字" in reply["text"]  # says a name needs letters, in Chinese
    reply = await ask(sb, 3012, "张三")
    assert "欢迎" in reply["text"] and "张三" in reply["text"]


# --- the service directly ------------------------------------------------------------------


async def test_a_10000_character_code_is_malformed_without_a_lookup(db: Database) -> None:
    now = datetime.now(UTC)
    async with db.transaction() as s:
        result = await onboarding.open_invite(s, telegram_user_id=1, code="A" * 10_000, now=now)
    assert result.status is InviteStatus.MALFORMED


async def test_names_empty_blank_or_10000_characters_are_refused(db: Database) -> None:
    code = await make_invite(db, ["Group"])
    now = datetime.now(UTC)
    async with db.transaction() as s:
        assert (await onboarding.open_invite(s, telegram_user_id=1, code=code,
                                             now=now)).status is InviteStatus.VALID
    for name, error in [("", "empty"), ("   \t ", "empty"), ("名" * 10_000, "too_long"),
                        ("🙂", "no_letters")]:
        async with db.transaction() as s:
            result = await onboarding.join_by_invite(s, telegram_user_id=1, name=name, now=now)
        assert (result.status, result.name_error) == (InviteStatus.NAME_INVALID, error)
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Member)) == 0
        result = await onboarding.join_by_invite(s, telegram_user_id=1, name="Li", now=now)
    assert result.status is InviteStatus.JOINED


async def test_invite_limits(db: Database) -> None:
    async with db.transaction() as s:
        unit = await s.scalar(select(Unit).limit(1))
    assert unit is None
    from bot.services.org.units import ensure_unit

    now = datetime.now(UTC)
    async with db.transaction() as s:
        unit = await ensure_unit(s, ["Group"], now=now)
        for uses, days in [(0, 7), (10_001, 7), (1, 0), (1, 366)]:
            with pytest.raises(ValueError):
                await onboarding.create_invite(s, unit=unit, uses=uses, days=days,
                                               created_by=None, now=now)
        invite = await onboarding.create_invite(s, unit=unit, uses=3, days=2, created_by=None,
                                                now=now)
    assert len(invite.code) == 22 and invite.uses_left == 3
