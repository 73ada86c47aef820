"""What the leaders' dashboard shows, each part authorised and audited as its chat command.

- a unit's figures today (`unit_today`): /status's subtree rule, refusals and audit
  ("status_view" / "status_refused"), the figures read for that subtree only
  (`today.unit_figures`), with the late reports per sub-unit added; who has not reported is
  /status's own view (services.digest.status);
- the trend (`trend`): the same daily figures over 14 or 30 days.

`today.unit_figures` is the one place the dashboard reads today's figures: when fixed
per-day unit figures exist, that is the function to point at them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, Report, Unit
from bot.locales import resolve_locale
from bot.services.digest.compute import Figures, compute_digests
from bot.services.digest.status import (
    StatusRefusal,
    StatusView,
    status_view,
    unit_in_view,
    up_from,
)
from bot.services.org import audit
from bot.services.org.permissions import Actor, resolve_actor, subtree_clause
from bot.services.webapp.today import unit_figures

TREND_DAYS = (14, 30)


@dataclass(frozen=True)
class Viewer:
    """Who is looking at the dashboard, and in which language."""

    actor: Actor
    locale: str


async def viewer(session: AsyncSession, telegram_user_id: int, *, admin_ids: Collection[int],
                 language_code: str | None, default_locale: str) -> Viewer:
    """The actor (as the chat resolves them) and their language: their choice in the chat,
    else what their Telegram app says, else the organisation's."""
    actor = await resolve_actor(session, telegram_user_id, admin_ids)
    account = await session.get(Account, telegram_user_id)
    locale = resolve_locale(account.locale if account else None,
                            (account.language_code if account else None) or language_code,
                            default_locale)
    return Viewer(actor, locale)


@dataclass(frozen=True)
class UnitToday:
    view: StatusView
    late: int
    late_by_unit: dict[int | None, int] = field(default_factory=dict)  # None: direct members


async def unit_today(session: AsyncSession, actor: Actor, *, unit_id: int | None,
                     now: datetime, default_timezone: str,
                     people: bool = False) -> UnitToday | StatusRefusal:
    """Today in the actor's root unit (`unit_id` None) or a unit of their subtree, refused
    and audited exactly as /status (services.digest.status): figures per sub-unit with the
    reports made after the deadline, and open alerts; with `people`, /status's own view,
    which also lists who has not reported (the slower part: a call of its own)."""
    if people:
        view = await status_view(session, actor if actor.manages else None, unit_id=unit_id,
                                 now=now, default_timezone=default_timezone)
    else:
        view = await _figures_view(session, actor, unit_id=unit_id, now=now,
                                   default_timezone=default_timezone)
    if isinstance(view, StatusRefusal):
        return view
    digest = view.digest
    rows = (await session.execute(
        select(Unit.path, func.count()).select_from(Report)
        .join(Unit, Unit.id == Report.unit_id)
        .where(Report.report_date == digest.day, Report.late,
               subtree_clause(Unit.path, digest.unit_path))
        .group_by(Unit.path))).all()
    children = {s.unit_id for s in digest.subunits if s.unit_id is not None}
    depth = len(digest.unit_path.strip("/").split("/"))
    by_unit: dict[int | None, int] = defaultdict(int)
    for path, count in rows:
        ids = [int(p) for p in path.strip("/").split("/") if p]
        child = ids[depth] if len(ids) > depth else None
        by_unit[child if child in children else None] += count
    return UnitToday(view, sum(by_unit.values()), dict(by_unit))


async def _figures_view(session: AsyncSession, actor: Actor, *, unit_id: int | None,
                        now: datetime, default_timezone: str) -> StatusView | StatusRefusal:
    """status_view's checks and audit, with the figures of `today.unit_figures`."""
    unit = await unit_in_view(session, actor if actor.manages else None, unit_id, now=now)
    if isinstance(unit, StatusRefusal):
        return unit
    digest = await unit_figures(session, unit, now=now, default_timezone=default_timezone)
    await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                       action="status_view", now=now, target=f"unit:{unit.id}")
    return StatusView(digest, await up_from(session, actor, unit))


@dataclass(frozen=True)
class Trend:
    unit_id: int
    unit_name: str
    points: Sequence[tuple[date, Figures]]


async def trend(session: AsyncSession, actor: Actor, *, unit_id: int | None, days: int,
                now: datetime, default_timezone: str) -> Trend | StatusRefusal:
    """The unit's daily figures of the last `days` days (14 or 30), today last."""
    unit = await unit_in_view(session, actor if actor.manages else None, unit_id, now=now)
    if isinstance(unit, StatusRefusal):
        return unit
    span = days if days in TREND_DAYS else TREND_DAYS[0]
    digests = await compute_digests(session, now=now, default_timezone=default_timezone,
                                    unit_ids=[unit.id], span=span)
    await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                       action="trend_view", now=now, target=f"unit:{unit.id}",
                       details={"days": span})
    return Trend(unit.id, unit.name, digests[unit.id].history)
