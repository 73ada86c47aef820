"""initData signs in once across instances: two processes' engines on one database."""

from __future__ import annotations

from datetime import timedelta

from bot.db import Database
from bot.services.webapp.logins import take
from tests.support.builders import NOW

HOUR = timedelta(hours=1)


async def test_an_init_data_is_taken_once_whichever_instance_sees_it(
        db: Database, database_url: str) -> None:
    other = Database.from_url(database_url)  # a second bot instance
    try:
        async with db.transaction() as s:
            assert await take(s, "abc", 42, now=NOW, max_age=HOUR)
        async with other.transaction() as s:
            assert not await take(s, "abc", 42, now=NOW + timedelta(minutes=5), max_age=HOUR)
        async with other.transaction() as s:
            assert await take(s, "abd", 42, now=NOW, max_age=HOUR)
        # Long after (such initData is refused as expired anyway), the record is pruned.
        async with db.transaction() as s:
            assert await take(s, "xyz", 7, now=NOW + 3 * HOUR, max_age=HOUR)
            assert await take(s, "abc", 42, now=NOW + 3 * HOUR, max_age=HOUR)
    finally:
        await other.dispose()
