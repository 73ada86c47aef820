"""The digests resolve every unit's schedule top down, once per distinct set of fields
(services.digest.queries.resolve_schedules): the same schedule as `resolve` on the unit's
chain of loaded ancestors, whatever the tree, the fields set and the units left out. And the
aggregate queries' subtree filter written into the statement takes nothing but a path."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.dialects.sqlite.aiosqlite import dialect as aiosqlite_dialect

from bot.db.models import Unit
from bot.services.digest.queries import resolve_schedules
from bot.services.org.permissions import planned_subtree_clause
from bot.services.reports.schedule import resolve


@dataclass(frozen=True)
class Row:
    id: int
    parent_id: int | None
    name: str
    path: str
    timezone: str | None
    prompt_time: str | None
    reminder_times: str | None
    deadline_time: str | None
    digest_time: str | None
    skip_weekends: bool | None


fields = st.fixed_dictionaries({
    "timezone": st.sampled_from([None, "Asia/Shanghai", "Europe/Berlin", "America/New_York"]),
    "prompt_time": st.sampled_from([None, "07:00", "08:30"]),
    "reminder_times": st.sampled_from([None, "", "10:00", "10:00,15:00"]),
    "deadline_time": st.sampled_from([None, "12:00", "23:30"]),
    "digest_time": st.sampled_from([None, "13:00", "20:00"]),
    "skip_weekends": st.sampled_from([None, True, False]),
})


@st.composite
def trees(draw: st.DrawFn) -> tuple[list[Row], set[int]]:
    """Units with random parents (earlier ids), random fields, and some left out (inactive)."""
    rows: list[Row] = []
    for i in range(1, draw(st.integers(1, 30)) + 1):
        parent = draw(st.sampled_from([None, *(r.id for r in rows)])) if rows else None
        path = (next(r.path for r in rows if r.id == parent) if parent else "/") + f"{i}/"
        rows.append(Row(i, parent, f"U{i}", path, **draw(fields)))
    dropped = draw(st.sets(st.sampled_from([r.id for r in rows])))
    return rows, dropped


@settings(max_examples=300, deadline=None)
@given(trees(), st.sampled_from(["UTC", "Asia/Shanghai"]))
def test_the_same_schedule_as_resolving_each_units_chain(
    tree: tuple[list[Row], set[int]], default: str
) -> None:
    rows, dropped = tree
    loaded = [r for r in rows if r.id not in dropped]
    by_id = {r.id: r for r in loaded}
    got = resolve_schedules(loaded, default)
    assert set(got) == set(by_id)
    for row in loaded:
        chain = [by_id[int(p)] for p in row.path.strip("/").split("/") if int(p) in by_id]
        assert got[row.id] == resolve(chain, default), row


@pytest.mark.parametrize("path", ["/", "/1/", "/1/22/333/"])
def test_the_written_subtree_filter_is_the_path_as_a_prefix(path: str) -> None:
    stmt = select(Unit.id).where(planned_subtree_clause(Unit.path, path))
    for dialect in (asyncpg_dialect(), aiosqlite_dialect()):  # the bot's two drivers
        sql = str(stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True}))
        assert f"LIKE '{path}%'" in sql


@given(st.text(max_size=20).filter(lambda t: not t or not set(t) <= set("/0123456789")))
def test_anything_but_a_path_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        planned_subtree_clause(Unit.path, text)


@pytest.mark.parametrize("text", ["//", "1/", "/1", "/1//2/", "/1/%/", "/1/'; --/"])
def test_near_paths_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        planned_subtree_clause(Unit.path, text)
