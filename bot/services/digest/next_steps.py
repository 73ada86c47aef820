"""The next steps the digest and /status offer as buttons: remind those who have not
reported, the open alerts to handle, and (services.digest.status) the sub-units.

Each button names a unit; the asker must manage it (`Actor.covers`), checked again on every
tap: a forged or stale button changes nothing and a unit outside the asker's subtree is
audited. Reminding is /remind's own service (services.digest.actions.remind_now) in the
unit's subtree (`Actor.within`): the same quiet hours, leave, hourly limit and rights.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Alert, Report, Unit
from bot.services.digest.alert_view import AlertView, view_of
from bot.services.digest.open_alerts import open_alerts
from bot.services.org.permissions import Actor, unit_in_reach
from bot.services.reports.schedule import schedule_for

# Open alerts listed in one message (each with its button); the rest are counted.
ALERTS_LISTED = 10
DENIED = "next_step_denied"


class StepRefusal(enum.StrEnum):
    NOT_ALLOWED = "not_allowed"  # not a leader or admin (any more)
    OUT_OF_SCOPE = "out_of_scope"  # a unit outside their subtree, or no such unit
    STALE_DAY = "stale_day"  # a remind button of an earlier day's digest or /status


@dataclass(frozen=True)
class RemindScope:
    """Where a remind button acts: the asker narrowed to the unit's subtree."""

    scope: Actor
    unit_id: int


async def remind_scope(session: AsyncSession, actor: Actor | None, *, unit_id: int, day: date,
                       now: datetime, default_timezone: str) -> RemindScope | StepRefusal:
    """The scope of a remind button for `unit_id`, drawn on the unit's `day`: refused unless
    the asker manages the unit and `day` is still the unit's today."""
    unit = await step_unit(session, actor, unit_id, now=now)
    if not isinstance(unit, Unit):
        return unit
    assert actor is not None
    if (await schedule_for(session, unit, default_timezone)).local_date(now) != day:
        return StepRefusal.STALE_DAY
    return RemindScope(actor.within(unit), unit.id)


@dataclass(frozen=True)
class AlertsToHandle:
    unit_id: int
    unit_name: str
    timezone: str  # the unit's
    alerts: tuple[AlertView, ...]  # the oldest ALERTS_LISTED
    total: int


async def alerts_to_handle(session: AsyncSession, actor: Actor | None, *, unit_id: int,
                           now: datetime, default_timezone: str) -> AlertsToHandle | StepRefusal:
    """The open alerts of the unit's subtree (services.digest.open_alerts), oldest first."""
    unit = await step_unit(session, actor, unit_id, now=now)
    if not isinstance(unit, Unit):
        return unit
    found = await open_alerts(session, unit.path)
    views = []
    for line in found[:ALERTS_LISTED]:
        alert = await session.get(Alert, line.alert_id)
        report = await session.get(Report, line.report_id)
        assert alert is not None and report is not None
        views.append(await view_of(session, alert, report, default_timezone))
    zone = (await schedule_for(session, unit, default_timezone)).timezone
    return AlertsToHandle(unit.id, unit.name, zone, tuple(views), len(found))


async def step_unit(session: AsyncSession, actor: Actor | None, unit_id: int, *,
                    now: datetime) -> Unit | StepRefusal:
    """The unit a next-step button names, if the asker manages it (a denial is audited)."""
    if actor is None or not actor.manages:
        return StepRefusal.NOT_ALLOWED
    unit = await unit_in_reach(session, actor, unit_id, denied=DENIED, now=now)
    return unit if unit is not None else StepRefusal.OUT_OF_SCOPE
