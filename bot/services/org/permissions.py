"""Who may do what: the actor behind an update, and the one subtree rule.

Every permission in the bot is one of three questions, all answered here:
- *may they manage this unit?* (`Actor.covers`): an admin — listed in ADMIN_TELEGRAM_IDS or
  with the admin role — the whole organisation; a leader their own unit's subtree; nobody
  else anything;
- *may they see and answer this unit's questions?* (`Actor.answers_for`): as `covers`, and
  also the subtrees of the units whose reporting chain they are on;
- *is this unit inside that one?* (`in_subtree`, and `subtree_clause` for SQL): units carry
  their materialised path ("/1/4/9/"), so a subtree is a path prefix — that test is written
  here once and used everywhere.

The actor is resolved once per update, with the account (handlers/users.py, group -1), and
reaches handlers as `context.actor`; services take it as a plain value.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, Role, Unit, UnitContact
from bot.services.org import audit


def in_subtree(path: str, root_path: str) -> bool:
    """Whether the unit at `path` is the unit at `root_path` or below it."""
    return path.startswith(root_path)


def subtree_clause(column: Any, root_path: str) -> ColumnElement[bool]:
    """`in_subtree` as a WHERE clause on a path column (e.g. Unit.path)."""
    clause: ColumnElement[bool] = column.startswith(root_path, autoescape=True)
    return clause


_PATH = re.compile(r"/(?:\d+/)*")  # "/": every unit


def planned_subtree_clause(column: Any, root_path: str) -> ColumnElement[bool]:
    """`subtree_clause` with the prefix written into the statement rather than bound, for
    the aggregate queries over a subtree: PostgreSQL then plans each subtree with its real
    size. Bound, it settles after five runs on one generic plan sized for 25 units, which
    for the root of 5,000 units was a nested loop: /status of the root took 1.8 s in one
    query that runs in 60 ms planned for its size. A path is digits and slashes only (checked:
    nothing else can reach the SQL text), so it needs no LIKE escaping."""
    if _PATH.fullmatch(root_path) is None:
        raise ValueError(f"not a unit path: {root_path!r}")
    prefix: BindParameter[str] = bindparam("subtree_prefix", root_path + "%",
                                           literal_execute=True)
    clause: ColumnElement[bool] = column.like(prefix)
    return clause


@dataclass(frozen=True)
class Actor:
    """The person behind an update, as far as permissions go."""

    telegram_user_id: int
    member_id: int | None = None
    name: str = ""
    # ADMIN also for ADMIN_TELEGRAM_IDS without a roster row; None: not linked to an active
    # member (a stranger, or someone whose roster row was deactivated).
    role: Role | None = None
    unit_id: int | None = None
    unit_path: str | None = None
    # Whether a roster row is linked to this account but no longer active.
    deactivated: bool = False
    # Paths of the units whose reporting chain this member is on.
    contact_paths: tuple[str, ...] = field(default=())
    # How the audit log names an actor that is not a Telegram user (the CLI: "cli").
    label: str = ""

    @property
    def audit_name(self) -> str:
        """How the audit log names this actor."""
        return self.label or f"tg:{self.telegram_user_id}"

    def everywhere(self) -> Actor:
        """The same person with an admin's reach: to tell "outside your units" apart from
        "no such unit" (never to act with)."""
        return replace(self, role=Role.ADMIN)

    @property
    def is_member(self) -> bool:
        """Linked to an active roster row (any role)."""
        return self.member_id is not None and not self.deactivated

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_leader(self) -> bool:
        return self.role is Role.LEADER

    @property
    def manages(self) -> bool:
        """An admin or a leader: someone with a subtree to manage."""
        return self.is_admin or (self.is_leader and self.unit_path is not None)

    @property
    def is_staff(self) -> bool:
        """Someone who may see and answer members' questions (admin, leader or contact)."""
        return self.manages or bool(self.contact_paths)

    @property
    def root_path(self) -> str | None:
        """The root of what they manage: None for an admin (the whole organisation)."""
        return None if self.is_admin else self.unit_path

    @property
    def root_unit_id(self) -> int | None:
        """The unit at the root of what they manage: None for an admin."""
        return None if self.is_admin else self.unit_id

    @property
    def staff_paths(self) -> tuple[str, ...] | None:
        """The subtrees whose questions they answer: None means everyone's."""
        if self.is_admin:
            return None
        own = (self.unit_path,) if self.is_leader and self.unit_path else ()
        return tuple(sorted(set(own + self.contact_paths)))

    def covers(self, unit: Unit | str) -> bool:
        """May they manage this unit (a Unit or its path)?"""
        path = unit if isinstance(unit, str) else unit.path
        if self.is_admin:
            return True
        return self.is_leader and self.unit_path is not None and in_subtree(path, self.unit_path)

    def answers_for(self, unit: Unit | str) -> bool:
        """May they see and answer questions from this unit (a Unit or its path)?"""
        path = unit if isinstance(unit, str) else unit.path
        paths = self.staff_paths
        return paths is None or any(in_subtree(path, p) for p in paths)

    def within(self, unit: Unit) -> Actor:
        """The same person acting on one unit of what they manage and the units under it
        only (a button about that unit); their own root unit leaves them as they are."""
        if not self.covers(unit):
            raise ValueError(f"unit {unit.id} is outside the actor's subtree")
        if unit.id == self.root_unit_id:
            return self
        return replace(self, role=Role.LEADER, unit_id=unit.id, unit_path=unit.path)

    def subtree(self, column: Any) -> ColumnElement[bool] | None:
        """A WHERE clause limiting a path column to what they manage; None for an admin."""
        root = self.root_path
        return None if root is None else subtree_clause(column, root)


def actor_from_row(telegram_user_id: int, admin_ids: Collection[int], *,
                   member_id: int | None, name: str | None, role: Role | None,
                   active: bool | None, unit_id: int | None, unit_path: str | None) -> Actor:
    """An Actor from a member row's columns (all None when no member is linked)."""
    deactivated = member_id is not None and not active
    if deactivated:
        role, unit_id, unit_path = None, None, None
    if telegram_user_id in admin_ids:
        role = Role.ADMIN
    return Actor(telegram_user_id, member_id if not deactivated else None, name or "", role,
                 unit_id, unit_path, deactivated)


async def with_contacts(session: AsyncSession, actor: Actor) -> Actor:
    """The actor with the paths of the units whose chain they are on."""
    if actor.member_id is None:
        return actor
    paths = (await session.scalars(
        select(Unit.path).join(UnitContact, UnitContact.unit_id == Unit.id)
        .where(UnitContact.member_id == actor.member_id))).all()
    return replace(actor, contact_paths=tuple(sorted(set(paths))))


async def resolve_actor(session: AsyncSession, telegram_user_id: int,
                        admin_ids: Collection[int]) -> Actor:
    """The actor for a Telegram user, read from the database (for code outside an update:
    the CLI, tests, jobs). Handlers use `context.actor`, resolved once per update."""
    row = (await session.execute(
        select(Member.id, Member.name, Member.role, Member.active, Member.unit_id, Unit.path)
        .join(Unit, Unit.id == Member.unit_id)
        .where(Member.telegram_user_id == telegram_user_id))).first()
    if row is None:
        actor = actor_from_row(telegram_user_id, admin_ids, member_id=None, name=None,
                               role=None, active=None, unit_id=None, unit_path=None)
    else:
        actor = actor_from_row(telegram_user_id, admin_ids, member_id=row[0], name=row[1],
                               role=row[2], active=row[3], unit_id=row[4], unit_path=row[5])
    return await with_contacts(session, actor)


def operator(unit: Unit | None = None) -> Actor:
    """The command line's actor: the whole organisation, or one unit's subtree."""
    if unit is None:
        return Actor(0, role=Role.ADMIN, label="cli")
    return Actor(0, role=Role.LEADER, unit_id=unit.id, unit_path=unit.path, label="cli")


async def manager_actor(session: AsyncSession, telegram_user_id: int,
                        admin_ids: Collection[int]) -> Actor | None:
    """The actor when they manage a subtree (an admin or a leader), else None."""
    actor = await resolve_actor(session, telegram_user_id, admin_ids)
    return actor if actor.manages else None


async def unit_in_reach(session: AsyncSession, actor: Actor, unit_id: int, *, denied: str,
                        now: datetime) -> Unit | None:
    """An active unit the actor covers; None otherwise, and a unit outside their subtree is
    audited under `denied` (the guided forms' buttons carry unit ids a person could forge)."""
    unit = await session.get(Unit, unit_id)
    if unit is None or not unit.active:
        return None
    if not actor.covers(unit):
        await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                           action=denied, now=now, target=f"unit:{unit.id}")
        return None
    return unit
