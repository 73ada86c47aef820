"""/status: today's digest so far for a leader's unit (an admin's: the root), and drill-downs.

Leaders see their own unit's subtree only; admins see everything. Every view is audited
("status_view"); a request for a unit outside the asker's subtree (a forged button) is refused
and audited as such ("status_refused"), and shows nothing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Unit
from bot.services.digest.compute import UnitDigest, compute_digests
from bot.services.org import audit
from bot.services.org.permissions import Actor


class StatusRefusal(enum.StrEnum):
    NOT_ALLOWED = "not_allowed"  # not a leader or admin
    OUT_OF_SCOPE = "out_of_scope"  # a unit outside their subtree, or no such unit
    NO_UNITS = "no_units"  # an admin of an organisation with no units yet


@dataclass(frozen=True)
class StatusView:
    digest: UnitDigest
    up: int | None  # the parent, when it is inside the asker's scope


async def status_view(
    session: AsyncSession,
    scope: Actor | None,
    *,
    unit_id: int | None,
    now: datetime,
    default_timezone: str,
) -> StatusView | StatusRefusal:
    """The asker's own unit (`unit_id` None) or a unit of their subtree, as of `now`;
    `scope` is the asker when they manage a subtree (an admin or a leader), else None."""
    unit = await unit_in_view(session, scope, unit_id, now=now)
    if isinstance(unit, StatusRefusal):
        return unit
    assert scope is not None  # unit_in_view refuses a missing scope
    digests = await compute_digests(session, now=now, default_timezone=default_timezone,
                                    unit_ids=[unit.id], history=False)
    await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                       action="status_view", now=now, target=f"unit:{unit.id}")
    return StatusView(digests[unit.id], await up_from(session, scope, unit))


async def unit_in_view(
    session: AsyncSession, scope: Actor | None, unit_id: int | None, *, now: datetime
) -> Unit | StatusRefusal:
    """The unit /status, the dashboard and its trend show: the asker's own (`unit_id` None,
    an admin's being the first top unit) or one of their subtree; a unit outside it is
    refused and the refusal audited. `scope` is the asker when they manage a subtree."""
    if scope is None:
        return StatusRefusal.NOT_ALLOWED
    if unit_id is None:
        unit_id = scope.root_unit_id or await session.scalar(
            select(Unit.id).where(Unit.parent_id.is_(None), Unit.active).order_by(Unit.id))
        if unit_id is None:
            return StatusRefusal.NO_UNITS
    unit = await session.get(Unit, unit_id)
    if unit is None or not unit.active or not scope.covers(unit):
        await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                           action="status_refused", now=now, target=f"unit:{unit_id}")
        return StatusRefusal.OUT_OF_SCOPE
    return unit


async def up_from(session: AsyncSession, scope: Actor, unit: Unit) -> int | None:
    """The unit's parent when the asker may go up to it (the ⬆️ button), else None."""
    if unit.id == scope.root_unit_id or unit.parent_id is None:
        return None
    parent = await session.get(Unit, unit.parent_id)
    return parent.id if parent is not None and scope.covers(parent) else None
