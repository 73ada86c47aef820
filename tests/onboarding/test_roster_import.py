"""Applying a roster to the database, on SQLite and PostgreSQL: counts, idempotence, bad rows,
dry runs, household ids and the reporting chain's order."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import AuditEntry, HouseholdEntry, Member, Role, Unit, UnitContact
from bot.services.members.history import members_on
from bot.services.roster.apply import ChangeKind, Field
from tests.onboarding.helpers import NOW, csv_bytes, run_import

SAMPLES = Path(__file__).resolve().parents[2] / "samples"

FIRST = csv_bytes([
    ("G/A", "Wang Wei", "13800138001", "leader", "spouse:Li Na;child:Wang Bo", "yes"),
    ("G/A", "Zhao Min", "13800138002", "", "", "yes"),
    ("G/A", "Sun Li", "13800138003", "member", "mother:Liu Fang", "no"),
    ("G/B", "Chen Jie", "13800138004", "leader", "", "yes"),
])


async def snapshot(db: Database) -> dict[str, object]:
    """Everything an import may touch, in a comparable form."""
    async with db.transaction() as s:
        members = [(m.id, m.name, m.phone, m.unit_id, m.role, m.active)
                   for m in await s.scalars(select(Member).order_by(Member.id))]
        household = [(h.id, h.member_id, h.relation, h.name, h.position)
                     for h in await s.scalars(select(HouseholdEntry).order_by(HouseholdEntry.id))]
        chain = [(c.unit_id, c.member_id, c.position)
                 for c in await s.scalars(select(UnitContact).order_by(
                     UnitContact.unit_id, UnitContact.position))]
        units = [(u.id, u.name, u.path) for u in await s.scalars(select(Unit).order_by(Unit.id))]
    return {"members": members, "household": household, "chain": chain, "units": units}


async def chain_names(db: Database, unit_name: str) -> list[str]:
    async with db.transaction() as s:
        rows = await s.execute(
            select(Member.name).join(UnitContact, UnitContact.member_id == Member.id)
            .join(Unit, Unit.id == UnitContact.unit_id).where(Unit.name == unit_name)
            .order_by(UnitContact.position))
        return [r[0] for r in rows]


async def test_first_import_adds_everyone_and_builds_units_and_chains(db: Database) -> None:
    summary = await run_import(db, FIRST)
    assert (summary.added, summary.updated, summary.deactivated, summary.unchanged) == \
        (4, 0, 0, 0)
    assert summary.units_created == 3 and summary.applied
    assert [c.kind for c in summary.changes] == [ChangeKind.ADDED] * 4
    async with db.transaction() as s:
        wang = await s.scalar(select(Member).where(Member.phone == "+8613800138001"))
        assert wang is not None and wang.role is Role.LEADER and wang.active
        entries = (await s.scalars(select(HouseholdEntry).where(
            HouseholdEntry.member_id == wang.id).order_by(HouseholdEntry.position))).all()
        assert [(e.relation, e.name) for e in entries] == [("spouse", "Li Na"),
                                                           ("child", "Wang Bo")]
        audit = (await s.scalars(select(AuditEntry).where(
            AuditEntry.action == "roster_import"))).all()
    assert len(audit) == 1 and audit[0].details["added"] == 4
    assert "Wang" not in str(audit[0].details)  # counts only
    assert await chain_names(db, "A") == ["Wang Wei", "Zhao Min"]
    assert await chain_names(db, "B") == ["Chen Jie"]


async def test_the_same_file_twice_changes_nothing(db: Database) -> None:
    await run_import(db, FIRST)
    before = await snapshot(db)
    summary = await run_import(db, FIRST)
    assert (summary.added, summary.updated, summary.deactivated, summary.reactivated) == \
        (0, 0, 0, 0)
    assert summary.unchanged == 4 and summary.change_count == 0 and summary.changes == []
    assert await snapshot(db) == before


async def test_changes_update_in_place_missing_members_are_deactivated_then_come_back(
    db: Database,
) -> None:
    await run_import(db, FIRST)
    before = await snapshot(db)
    second = csv_bytes([
        # renamed, moved to B, now a member; one household entry kept, one replaced
        ("G/B", "Wang Wei-Jun", "+86 138 0013 8001", "member", "spouse:Li Na;child:Wang Xiao",
         "no"),
        ("G/A", "Zhao Min", "13800138002", "", "", "yes"),
        ("G/B", "Chen Jie", "13800138004", "leader", "", "yes"),
        ("G/C", "Ma Lan", "13800138005", "", "", "yes"),
    ])
    summary = await run_import(db, second)
    assert (summary.added, summary.updated, summary.deactivated, summary.unchanged) == \
        (1, 1, 1, 2)
    [updated] = [c for c in summary.changes if c.kind is ChangeKind.UPDATED]
    assert set(updated.fields) == {Field.NAME, Field.UNIT, Field.ROLE, Field.HOUSEHOLD,
                                   Field.DIGEST}
    [gone] = [c for c in summary.changes if c.kind is ChangeKind.DEACTIVATED]
    assert gone.name == "Sun Li" and gone.unit_path == ("G", "A")
    after = await snapshot(db)
    wang_id = next(m[0] for m in before["members"] if m[1] == "Wang Wei")  # type: ignore
    # Same member row (reports stay linked), and the unchanged spouse keeps her entry id.
    spouse_before = next(h for h in before["household"] if h[3] == "Li Na")  # type: ignore
    spouse_after = next(h for h in after["household"] if h[3] == "Li Na")  # type: ignore
    assert spouse_before[0] == spouse_after[0] and spouse_after[1] == wang_id
    assert not any(h[3] == "Wang Bo" for h in after["household"])  # type: ignore
    sun = next(m for m in after["members"] if m[1] == "Sun Li")  # type: ignore
    assert sun[5] is False  # deactivated, not deleted
    assert await chain_names(db, "A") == ["Zhao Min"]
    assert await chain_names(db, "B") == ["Chen Jie"]

    # Sun Li is back: reactivated, same row.
    summary = await run_import(db, FIRST)
    assert summary.reactivated == 1 and summary.added == 0
    async with db.transaction() as s:
        again = await s.scalar(select(Member).where(Member.phone == "+8613800138003"))
        assert again is not None and again.active and again.id == sun[0]


async def test_the_chain_follows_the_order_of_the_rows(db: Database) -> None:
    await run_import(db, FIRST)
    swapped = csv_bytes([
        ("G/A", "Zhao Min", "13800138002", "", "", "yes"),
        ("G/A", "Wang Wei", "13800138001", "leader", "spouse:Li Na;child:Wang Bo", "yes"),
        ("G/A", "Sun Li", "13800138003", "member", "mother:Liu Fang", "yes"),
        ("G/B", "Chen Jie", "13800138004", "leader", "", "yes"),
    ])
    summary = await run_import(db, swapped)
    assert summary.chains_changed == 1 and summary.updated == 1  # Sun Li now gets the digest
    assert await chain_names(db, "A") == ["Zhao Min", "Wang Wei", "Sun Li"]


async def test_bad_rows_stop_the_import_and_change_nothing(db: Database) -> None:
    await run_import(db, FIRST)
    before = await snapshot(db)
    bad = csv_bytes([
        ("G/A", "Wang Wei", "13800138001", "boss", "", "yes"),  # unknown role
        ("G/A", "", "13800138002", "", "", "yes"),  # no name
        ("G/D", "New Person", "13800138009", "", "", "no"),
        ("G/D", "Odd Phone", "12345", "", "", "no"),
        ("G/D", "Odd Household", "13800138010", "", "spouse", "no"),
    ])
    summary = await run_import(db, bad)
    assert summary.stopped and not summary.applied
    assert [(e.line, e.code.value) for e in summary.bad_rows] == [
        (2, "role_unknown"), (3, "required"), (5, "phone_invalid"), (6, "household_malformed")]
    assert summary.added == 1  # what the good rows would do, shown, not done
    assert await snapshot(db) == before
    async with db.transaction() as s:
        count = await s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "roster_import"))
    assert count == 1  # only the first, real import


async def test_skip_bad_applies_the_good_rows_and_keeps_the_bad_rows_people(
    db: Database,
) -> None:
    await run_import(db, FIRST)
    mixed = csv_bytes([
        ("G/A", "Wang Wei", "13800138001", "boss", "", "yes"),  # bad: Wang must stay as he was
        ("G/A", "Zhao Min", "13800138002", "", "", "yes"),
        ("G/D", "New Person", "13800138009", "", "", "no"),
    ])
    summary = await run_import(db, mixed, skip_bad=True)
    assert summary.applied and len(summary.bad_rows) == 1
    assert (summary.added, summary.deactivated, summary.kept_active) == (1, 0, 3)
    async with db.transaction() as s:
        active = set((await s.scalars(select(Member.name).where(Member.active))).all())
    assert active == {"Wang Wei", "Zhao Min", "Sun Li", "Chen Jie", "New Person"}
    assert await chain_names(db, "A") == ["Zhao Min", "Wang Wei"]  # kept links come after


async def test_a_dry_run_reports_the_same_summary_and_writes_nothing(db: Database) -> None:
    empty = await snapshot(db)
    dry = await run_import(db, FIRST, dry_run=True)
    assert dry.dry_run and not dry.applied
    assert (dry.added, dry.units_created) == (4, 3)
    assert await snapshot(db) == empty
    real = await run_import(db, FIRST)
    assert (real.added, real.units_created) == (dry.added, dry.units_created)

    # And over existing data: the preview of a change, nothing changed.
    before = await snapshot(db)
    dry = await run_import(db, csv_bytes([FIRST_ROW_RENAMED]), dry_run=True)
    assert (dry.updated, dry.deactivated) == (1, 3)
    assert await snapshot(db) == before


FIRST_ROW_RENAMED = ("G/A", "Wang Wei II", "13800138001", "leader",
                     "spouse:Li Na;child:Wang Bo", "yes")


async def test_an_empty_household_cell_leaves_the_household_alone(db: Database) -> None:
    await run_import(db, FIRST)
    same_but_blank = csv_bytes([
        ("G/A", "Wang Wei", "13800138001", "leader", "", "yes"),
        ("G/A", "Zhao Min", "13800138002", "", "", "yes"),
        ("G/A", "Sun Li", "13800138003", "member", "mother:Liu Fang", "no"),
        ("G/B", "Chen Jie", "13800138004", "leader", "", "yes"),
    ])
    summary = await run_import(db, same_but_blank)
    assert summary.change_count == 0
    async with db.transaction() as s:
        count = await s.scalar(select(func.count()).select_from(HouseholdEntry))
    assert count == 3


async def test_members_who_joined_by_invite_are_not_deactivated(db: Database) -> None:
    from tests.onboarding.helpers import add_member

    await run_import(db, FIRST)
    invited = await add_member(db, ["G", "A"], "Invited", telegram_user_id=5)
    summary = await run_import(db, FIRST)
    assert summary.change_count == 0
    async with db.transaction() as s:
        member = await s.get(Member, invited)
        assert member is not None and member.active


async def test_a_file_that_is_not_a_roster_changes_nothing(db: Database) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    summary = await run_import(db, png)
    assert summary.stopped and summary.problems and summary.problems[0].code == \
        "unsupported_format"
    assert await snapshot(db) == {"members": [], "household": [], "chain": [], "units": []}


async def test_the_shipped_samples_import_alike(db: Database) -> None:
    from bot.services.roster.apply import import_roster
    from bot.services.roster.file import read_roster
    from tests.onboarding.helpers import NOW

    csv_parsed = read_roster((SAMPLES / "roster.csv").read_bytes(), filename="roster.csv")
    xlsx_parsed = read_roster((SAMPLES / "roster.xlsx").read_bytes(), filename="roster.xlsx")
    async with db.transaction() as s:
        first = await import_roster(s, csv_parsed, now=NOW, dry_run=False, skip_bad=False,
                                    actor="test")
    async with db.transaction() as s:
        second = await import_roster(s, xlsx_parsed, now=NOW, dry_run=False, skip_bad=False,
                                     actor="test")
    assert first.added == len(csv_parsed.rows) > 0 and not first.bad_rows
    assert second.change_count == 0 and second.unchanged == first.added


async def household_names(db: Database, phone: str) -> list[tuple[str, str]]:
    async with db.transaction() as s:
        return [(h.relation, h.name) for h in await s.scalars(
            select(HouseholdEntry).join(Member, Member.id == HouseholdEntry.member_id)
            .where(Member.phone == phone).order_by(HouseholdEntry.position))]


async def test_a_reimport_keeps_who_members_added_in_the_chat(db: Database) -> None:
    from bot.services.members.settings import add_household

    await run_import(db, FIRST)
    async with db.transaction() as s:  # Wang Wei adds his father with /family
        wang = await s.scalar(select(Member.id).where(Member.phone == "+8613800138001"))
        assert wang is not None
        await add_household(s, member_id=wang, relation="father", name="Wang Jun")

    def roster(household: str) -> bytes:
        return csv_bytes([("G/A", "Wang Wei", "13800138001", "leader", household, "yes"),
                          ("G/A", "Zhao Min", "13800138002", "", "", "yes"),
                          ("G/A", "Sun Li", "13800138003", "member", "mother:Liu Fang", "no"),
                          ("G/B", "Chen Jie", "13800138004", "leader", "", "yes")])

    # The file adds a daughter: the roster's entries and his father all stay.
    dry = await run_import(db, roster("spouse:Li Na;child:Wang Bo;daughter:Wang Xin"),
                           dry_run=True)
    assert [c.fields for c in dry.changes] == [(Field.HOUSEHOLD,)]  # the dry run says so
    await run_import(db, roster("spouse:Li Na;child:Wang Bo;daughter:Wang Xin"))
    assert await household_names(db, "+8613800138001") == [
        ("spouse", "Li Na"), ("child", "Wang Bo"), ("daughter", "Wang Xin"),
        ("father", "Wang Jun")]

    # The file no longer lists the child and the daughter: they go, his father stays.
    summary = await run_import(db, roster("spouse:Li Na"))
    assert [c.fields for c in summary.changes] == [(Field.HOUSEHOLD,)]
    assert await household_names(db, "+8613800138001") == [
        ("spouse", "Li Na"), ("father", "Wang Jun")]
    # The same file again changes nothing.
    assert (await run_import(db, roster("spouse:Li Na"))).change_count == 0


async def test_imports_keep_the_membership_history_day_by_day(db: Database) -> None:
    day = timedelta(days=1)
    await run_import(db, FIRST, now=NOW)  # Monday
    await run_import(db, csv_bytes([  # Tuesday: Wang moves to B, Sun Li is gone
        ("G/B", "Wang Wei", "13800138001", "member", "", "no"),
        ("G/A", "Zhao Min", "13800138002", "", "", "yes"),
        ("G/B", "Chen Jie", "13800138004", "leader", "", "yes"),
    ]), now=NOW + day)
    await run_import(db, FIRST, now=NOW + 3 * day)  # Thursday: as on Monday again
    async with db.transaction() as s:
        units = {u.name: u.id for u in await s.scalars(select(Unit))}
        names = {m.id: m.name for m in await s.scalars(select(Member))}

        async def where(on: timedelta) -> set[tuple[str, str]]:
            by_id = {v: k for k, v in units.items()}
            return {(names[m], by_id[u])
                    for m, u in await members_on(s, units.values(), NOW.date() + on)}

        assert await where(0 * day) == {("Wang Wei", "A"), ("Zhao Min", "A"),
                                         ("Sun Li", "A"), ("Chen Jie", "B")}
        assert await where(2 * day) == {("Wang Wei", "B"), ("Zhao Min", "A"),
                                         ("Chen Jie", "B")}
        assert await where(3 * day) == await where(0 * day)
