from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import Account, Member, Role, SeenUpdate, Unit
from bot.db.seen import SeenUpdates
from bot.services.org import accounts
from bot.services.org import units as org
from bot.services.org.permissions import subtree_clause

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


async def test_units_are_created_once_along_a_path(db: Database) -> None:
    async with db.transaction() as s:
        branch = await org.ensure_unit(s, ["Group", "Company A", "Branch 3"], now=NOW)
        again = await org.ensure_unit(s, ["Group", "Company A", "Branch 3"], now=NOW)
        sibling = await org.ensure_unit(s, ["Group", "Company B"], now=NOW)
        assert again.id == branch.id
        assert await org.unit_names(s, branch) == ["Group", "Company A", "Branch 3"]
        assert branch.depth == 3 and sibling.depth == 2
        group = await s.scalar(select(Unit).where(Unit.parent_id.is_(None)))
        assert group is not None
        subtree = (await s.scalars(select(Unit.name).where(
            subtree_clause(Unit.path, group.path)))).all()
        assert sorted(subtree) == ["Branch 3", "Company A", "Company B", "Group"]
        company_a = await s.get(Unit, branch.parent_id)
        assert company_a is not None
        under_a = (await s.scalars(select(Unit.name).where(
            subtree_clause(Unit.path, company_a.path)))).all()
        assert sorted(under_a) == ["Branch 3", "Company A"]


async def test_same_name_under_different_parents_is_two_units(db: Database) -> None:
    async with db.transaction() as s:
        a = await org.ensure_unit(s, ["G", "A", "Grid 1"], now=NOW)
        b = await org.ensure_unit(s, ["G", "B", "Grid 1"], now=NOW)
        assert a.id != b.id


async def test_tree_counts_members_and_linked(db: Database) -> None:
    async with db.transaction() as s:
        unit = await org.ensure_unit(s, ["G", "A"], now=NOW)
        s.add_all([
            Member(unit_id=unit.id, name="m1", phone="+8613800000001", telegram_user_id=1),
            Member(unit_id=unit.id, name="m2", phone="+8613800000002"),
            Member(unit_id=unit.id, name="gone", phone="+8613800000003", active=False),
        ])
    async with db.transaction() as s:
        rows = {u.name: (m, linked) for u, m, linked in await org.tree(s)}
    assert rows == {"G": (0, 0), "A": (2, 1)}


async def touch(db: Database, language_code: str, now: datetime) -> accounts.Seen:
    async with db.direct() as connection:
        return await accounts.touch_account(
            connection, telegram_user_id=5, chat_id=5, language_code=language_code, now=now)


async def test_touch_account_creates_then_updates_cheaply(db: Database) -> None:
    await touch(db, "en", NOW)
    account = await touch(db, "zh-hans", NOW + timedelta(seconds=10))
    assert account.language_code == "zh-hans"
    assert account.last_seen_at == NOW  # within a minute: no write for last_seen
    async with db.transaction() as s:
        stored = await s.get(Account, 5)
        assert stored is not None and stored.language_code == "zh-hans"
        assert stored.created_at == NOW


async def test_role_comes_from_admin_ids_then_the_member(db: Database) -> None:
    async with db.transaction() as s:
        unit = await org.ensure_unit(s, ["G"], now=NOW)
        s.add(Member(unit_id=unit.id, name="lead", phone="+8613800000009",
                     telegram_user_id=9, role=Role.LEADER))
    async with db.transaction() as s:
        assert await accounts.role_of(s, 9, admin_ids=set()) is Role.LEADER
        assert await accounts.role_of(s, 9, admin_ids={9}) is Role.ADMIN
        assert await accounts.role_of(s, 10, admin_ids=set()) is None


async def test_touch_and_take_records_the_account_and_the_update_once(db: Database) -> None:
    seen = SeenUpdates(db)

    async def deliver(update_id: int, digest: str, *, language: str = "en",
                      at: datetime = NOW) -> tuple[bool, accounts.Seen]:
        async with db.direct() as connection:
            return await accounts.touch_and_take(
                connection, seen, update_id=update_id, digest=digest, telegram_user_id=7,
                chat_id=70, language_code=language, now=at)

    taken, account = await deliver(100, "a" * 16)  # first contact: the account is made
    assert taken and (account.chat_id, account.locale, account.language_code) == (70, None,
                                                                                    "en")
    again, _ = await deliver(100, "a" * 16, language="zh-hans", at=NOW + timedelta(seconds=5))
    assert not again  # the same delivery: dropped, though its account is kept current
    later, account = await deliver(101, "b" * 16, at=NOW + timedelta(minutes=2))
    assert later and account.last_seen_at == NOW + timedelta(minutes=2)
    async with db.transaction() as s:
        stored = await s.get(Account, 7)
        assert stored is not None
        assert (stored.language_code, stored.last_seen_at) == ("en", NOW + timedelta(minutes=2))
        assert await s.scalar(select(func.count()).select_from(SeenUpdate)) == 2


async def test_the_morning_tap_touches_the_account_in_the_statement_that_takes_it(
        db: Database) -> None:
    """The first update of the day (last seen yesterday, the bot blocked since, a new chat
    and language) writes the account; on PostgreSQL in the one statement that takes the
    update id (accounts._TAKE_AND_READ), on SQLite in the block's transaction."""
    async with db.transaction() as s:
        s.add(Account(telegram_user_id=8, chat_id=80, language_code="en", created_at=NOW,
                      last_seen_at=NOW - timedelta(hours=20),
                      blocked_at=NOW - timedelta(hours=2)))
    seen, statements = SeenUpdates(db), 0
    async with db.direct() as connection:
        await seen.prune(connection, NOW)  # its first call deletes: not the touch's statement
        rows = connection.rows

        async def counted(*args: object, **kwargs: object) -> list[object]:
            nonlocal statements
            statements += 1
            return await rows(*args, **kwargs)  # type: ignore[arg-type]

        connection.rows = counted  # type: ignore[method-assign]
        taken, account = await accounts.touch_and_take(
            connection, seen, update_id=300, digest="c" * 16, telegram_user_id=8,
            chat_id=81, language_code="zh-hans", now=NOW)
    assert taken and (account.chat_id, account.language_code, account.last_seen_at) == (
        81, "zh-hans", NOW)
    if db.engine.dialect.name == "postgresql":
        assert statements == 1
    async with db.transaction() as s:
        stored = await s.get(Account, 8)
        assert stored is not None
        assert (stored.chat_id, stored.language_code, stored.last_seen_at,
                stored.blocked_at) == (81, "zh-hans", NOW, None)
    # Within the minute, nothing else new, an empty language code: writing to the bot means
    # it is unblocked, the language stays, last_seen_at is not moved.
    async with db.transaction() as s:
        stored = await s.get(Account, 8)
        assert stored is not None
        stored.blocked_at = NOW
    async with db.direct() as connection:
        await accounts.touch_and_take(
            connection, seen, update_id=301, digest="d" * 16, telegram_user_id=8,
            chat_id=81, language_code="", now=NOW + timedelta(seconds=30))
    async with db.transaction() as s:
        stored = await s.get(Account, 8)
        assert stored is not None
        assert (stored.language_code, stored.last_seen_at, stored.blocked_at) == (
            "zh-hans", NOW, None)
