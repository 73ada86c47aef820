"""Open alerts in the digest: the subtree's alerts nobody marked handled, whatever their day,
from one query for every unit (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, update

from bot.db import Database
from bot.db.models import Alert, ReportStatus
from bot.i18n import use_locale
from bot.render.digest import digest_text
from tests.digest.helpers import (
    MONDAY,
    SUNDAY,
    alert,
    at,
    digests,
    members,
    report,
    unit,
)

NOW = at(MONDAY, "13:00")


async def seed(db: Database) -> dict[str, Any]:
    """Group ─ Company A ─ Branch 1; Group ─ Company B: open, handled and stale alerts."""
    async with db.transaction() as s:
        group = await unit(s, "Group")
        a = await unit(s, "Group", "Company A")
        b1 = await unit(s, "Group", "Company A", "Branch 1")
        b = await unit(s, "Group", "Company B")
        [ann, amy, abe] = await members(s, b1, ["Ann", "Amy", "Abe"])
        [bea] = await members(s, b, ["Bea"])
        # Sunday's alert, escalated once, still open: a digest shows it on Monday too.
        old = await alert(s, await report(s, ann, SUNDAY, abnormal=True, temperature="38.0"),
                          level=1, created=at(SUNDAY, "08:20"))
        fresh = await alert(s, await report(s, amy, MONDAY, abnormal=True, symptoms=["cough"]),
                            created=at(MONDAY, "08:30"))
        await alert(s, await report(s, abe, MONDAY, abnormal=True, temperature="38.9"),
                    handled=at(MONDAY, "09:00"))
        sibling = await alert(s, await report(s, bea, MONDAY, abnormal=True, contact=True),
                              created=at(MONDAY, "10:00"))
        # Amended to "all well": no longer abnormal, so no longer an open alert.
        well = await report(s, bea, SUNDAY, abnormal=True, temperature="37.9")
        await alert(s, well)
        well.status = ReportStatus.OK
    return {"group": group, "a": a, "b1": b1, "b": b, "old": old, "fresh": fresh,
            "sibling": sibling}


def listed(d: Any) -> list[tuple[str, str, int]]:
    return [(x.member_name, x.unit_label, x.level) for x in d.alerts]


async def test_the_digest_lists_the_subtrees_open_alerts_oldest_first(db: Database) -> None:
    t = await seed(db)
    result = await digests(db)
    assert listed(result[t["group"].id]) == [
        ("Ann", "Company A / Branch 1", 1), ("Amy", "Company A / Branch 1", 0),
        ("Bea", "Company B", 0)]
    # Company B's alert is not shown to Company A, nor the other way round.
    assert listed(result[t["a"].id]) == [("Ann", "Branch 1", 1), ("Amy", "Branch 1", 0)]
    assert listed(result[t["b1"].id]) == [("Ann", "Branch 1", 1), ("Amy", "Branch 1", 0)]
    assert listed(result[t["b"].id]) == [("Bea", "Company B", 0)]
    first = result[t["group"].id].alerts[0]
    assert first.alert_id == t["old"].id and first.since == at(SUNDAY, "08:20")
    assert first.report_date == SUNDAY
    with use_locale("en"):
        text = digest_text(result[t["a"].id])
    assert "🔔 <b>2 open alerts</b>" in text and "<b>Ann</b> — Branch 1; open since" in text
    assert "Bea" not in text


async def test_a_handled_alert_disappears(db: Database) -> None:
    t = await seed(db)
    async with db.transaction() as s:
        await s.execute(update(Alert).where(Alert.id == t["fresh"].id)
                        .values(handled_at=NOW, handled_by=None))
    result = await digests(db)
    assert listed(result[t["a"].id]) == [("Ann", "Branch 1", 1)]
    async with db.transaction() as s:
        await s.execute(update(Alert).values(handled_at=NOW))
    result = await digests(db)
    assert all(d.alerts == [] for d in result.values())
    with use_locale("en"):
        assert "open alert" not in digest_text(result[t["group"].id])


async def test_status_of_one_unit_reads_only_its_subtree(db: Database) -> None:
    t = await seed(db)
    only_b = await digests(db, unit_ids=[t["b"].id], history=False)
    assert list(only_b) == [t["b"].id] and listed(only_b[t["b"].id]) == [("Bea", "Company B", 0)]
    only_a = await digests(db, unit_ids=[t["a"].id], history=False)
    assert [x.member_name for x in only_a[t["a"].id].alerts] == ["Ann", "Amy"]


async def test_open_alerts_cost_one_query_whatever_the_number_of_units(db: Database) -> None:
    async def count_queries(n_units: int) -> tuple[int, int]:
        async with db.transaction() as s:
            for i in range(n_units):
                u = await unit(s, "Org", f"Company {n_units}-{i}")
                ms = await members(s, u, [f"P{n_units}-{i}-{k}" for k in range(3)])
                for k, m in enumerate(ms):
                    r = await report(s, m, MONDAY - timedelta(days=k), abnormal=True,
                                     temperature="38.0")
                    await alert(s, r, level=k)
        seen: list[str] = []

        def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)

        event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
        try:
            result = await digests(db)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)
        root = next(d for d in result.values() if d.unit_name == "Org")
        assert len(root.alerts) == 3 * len(result) - 3  # every unit's, but the root has none
        return len(seen), len([s for s in seen if "FROM alerts" in s])

    small = await count_queries(2)
    large = await count_queries(40)
    assert small[1] == large[1] == 1  # the total is test_compute's concern
