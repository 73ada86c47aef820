"""Running the organisation from the chat: /import (a roster file, dry run, then confirm),
/invite, role changes (the CLI's `org admin|role`) and the Draft row of the import.

Who may do what is services.members.leaves.Actor: an admin (ADMIN_TELEGRAM_IDS or role admin) the
whole organisation, a leader their own unit's subtree. /import is for admins only; the file
is applied by the same code as `selfreport org import` (services.roster.apply).
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Draft, Invite, Member, Role, Unit
from bot.services.drafts import DraftKind
from bot.services.members.onboarding import MAX_INVITE_DAYS, MAX_INVITE_USES, create_invite
from bot.services.members.phones import InvalidPhone, normalize_phone
from bot.services.org import audit
from bot.services.org.contacts import UnitRef, find_units, home_unit
from bot.services.org.permissions import Actor
from bot.services.org.units import unit_names
from bot.services.roster.apply import ImportSummary, import_roster
from bot.services.roster.file import MAX_ROSTER_BYTES, load_roster

IMPORT_DRAFT = DraftKind.ROSTER_IMPORT
IMPORT_TTL = timedelta(minutes=30)
RANK = {Role.MEMBER: 1, Role.LEADER: 2, Role.ADMIN: 3}
ROLE_WORDS = {"member": Role.MEMBER, "成员": Role.MEMBER, "leader": Role.LEADER,
              "负责人": Role.LEADER, "admin": Role.ADMIN, "管理员": Role.ADMIN}
MAX_ARGS = 200


# --- /import -------------------------------------------------------------------------------


class ImportStep(enum.StrEnum):
    FILE = "file"  # /import sent, waiting for the document
    CONFIRM = "confirm"  # dry run shown, waiting for the button


@dataclass(frozen=True)
class PendingImport:
    step: ImportStep
    token: str = ""
    file_id: str = ""
    file_name: str = ""
    sha256: str = ""
    skip_bad: bool = False


def too_large(size: int | None) -> bool:
    """Telegram tells the size in the update: refuse before downloading anything."""
    return size is not None and size > MAX_ROSTER_BYTES


async def _draft(session: AsyncSession, telegram_user_id: int) -> Draft:
    draft = await session.get(Draft, telegram_user_id)
    if draft is None:
        draft = Draft(telegram_user_id=telegram_user_id)
        session.add(draft)
    return draft


async def await_file(session: AsyncSession, telegram_user_id: int, now: datetime) -> None:
    """`/import` without a file: the next document is the roster."""
    draft = await _draft(session, telegram_user_id)
    draft.kind, draft.step, draft.data = IMPORT_DRAFT, ImportStep.FILE.value, {}
    draft.expires_at, draft.updated_at = now + IMPORT_TTL, now


async def pending_import(session: AsyncSession, telegram_user_id: int,
                         now: datetime) -> PendingImport | None:
    draft = await session.get(Draft, telegram_user_id)
    if draft is None or draft.kind != IMPORT_DRAFT:
        return None
    if draft.expires_at <= now:
        await drop_import(session, telegram_user_id)
        return None
    data: dict[str, Any] = dict(draft.data)
    try:
        return PendingImport(ImportStep(draft.step), str(data.get("token", "")),
                             str(data.get("file_id", "")), str(data.get("file_name", "")),
                             str(data.get("sha256", "")), bool(data.get("skip_bad")))
    except ValueError:
        return None


async def drop_import(session: AsyncSession, telegram_user_id: int) -> None:
    await session.execute(delete(Draft).where(Draft.telegram_user_id == telegram_user_id,
                                              Draft.kind == IMPORT_DRAFT))


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def preview_import(session: AsyncSession, scope: Actor, telegram_user_id: int, *,
                         data: bytes, file_id: str, file_name: str,
                         now: datetime) -> tuple[ImportSummary, str | None]:
    """The dry run of a file, and the token of its Confirm button when it could be applied:
    the draft waits for it (the file is read again from Telegram then, and must be the same
    bytes)."""
    parsed = await load_roster(data, filename=file_name)
    skip_bad = bool(parsed.errors)
    summary = await import_roster(session, parsed, now=now, dry_run=True, skip_bad=skip_bad,
                                  actor=scope.audit_name, actor_member_id=scope.member_id,
                                  source=file_name)
    if summary.problems or not parsed.rows:
        await drop_import(session, telegram_user_id)
        return summary, None
    draft = await _draft(session, telegram_user_id)
    draft.kind, draft.step = IMPORT_DRAFT, ImportStep.CONFIRM.value
    token = secrets.token_hex(4)
    draft.data = {"token": token, "file_id": file_id, "file_name": file_name[:128],
                  "sha256": fingerprint(data), "skip_bad": skip_bad}
    draft.expires_at, draft.updated_at = now + IMPORT_TTL, now
    return summary, token


async def confirmable(session: AsyncSession, telegram_user_id: int, token: str,
                      now: datetime) -> PendingImport | None:
    """The dry run waiting for the Confirm button that carries `token`, if it still waits."""
    pending = await pending_import(session, telegram_user_id, now)
    if pending is None or pending.step is not ImportStep.CONFIRM or pending.token != token:
        return None
    return pending


class Applied(enum.StrEnum):
    DONE = "done"  # see the summary
    CHANGED_FILE = "changed_file"  # the file read again is not the one the dry run read
    EXPIRED = "expired"  # applied or cancelled meanwhile (another tap, another instance)


async def apply_confirmed(session: AsyncSession, scope: Actor, telegram_user_id: int,
                          pending: PendingImport, *, data: bytes,
                          now: datetime) -> tuple[Applied, ImportSummary | None]:
    """Confirm, with the file downloaded again: applied if it is the same file and the
    draft still waits for it."""
    if fingerprint(data) != pending.sha256:
        return Applied.CHANGED_FILE, None
    again = await pending_import(session, telegram_user_id, now)
    if again is None or again.token != pending.token:
        return Applied.EXPIRED, None
    return Applied.DONE, await apply_import(session, scope, telegram_user_id, pending,
                                            data=data, now=now)


async def apply_import(session: AsyncSession, scope: Actor, telegram_user_id: int,
                       pending: PendingImport, *, data: bytes, now: datetime) -> ImportSummary:
    """Confirm: the same code as `selfreport org import` (with --skip-bad when the dry run
    had bad rows); audited there."""
    parsed = await load_roster(data, filename=pending.file_name)
    summary = await import_roster(session, parsed, now=now, dry_run=False,
                                  skip_bad=pending.skip_bad, actor=scope.audit_name,
                                  actor_member_id=scope.member_id,
                                  source=pending.file_name)
    await drop_import(session, telegram_user_id)
    return summary


# --- /invite -------------------------------------------------------------------------------


class ArgsError(enum.StrEnum):
    TOO_LONG = "too_long"
    BAD_NUMBER = "bad_number"  # uses or days out of range
    NUMBER_WITHOUT_ROLE = "number_without_role"  # not reachable: numbers follow a role


class InvalidArgs(ValueError):
    def __init__(self, code: ArgsError) -> None:
        super().__init__(code.value)
        self.code = code


@dataclass(frozen=True)
class InviteArgs:
    query: str  # the unit ("" = the asker's own)
    role: Role = Role.MEMBER
    uses: int = 1
    days: int = 7


def parse_invite_args(text: str) -> InviteArgs:
    """`[UNIT] [role [uses [days]]]`: numbers count only after a role word, so that a unit
    named "Branch 1" stays a unit."""
    if len(text) > MAX_ARGS:
        raise InvalidArgs(ArgsError.TOO_LONG)
    tokens = unicodedata.normalize("NFKC", text).split()
    numbers: list[int] = []
    role_at = next((i for i in range(len(tokens) - 1, max(len(tokens) - 4, -1), -1)
                    if tokens[i].casefold() in ROLE_WORDS), None)
    if role_at is None:
        return InviteArgs(" ".join(tokens))
    tail = tokens[role_at + 1:]
    if not all(re.fullmatch(r"[0-9]{1,6}", t) for t in tail):
        return InviteArgs(" ".join(tokens))  # a unit whose name holds a role word
    numbers = [int(t) for t in tail]
    uses = numbers[0] if numbers else 1
    days = numbers[1] if len(numbers) > 1 else 7
    if not (1 <= uses <= MAX_INVITE_USES and 1 <= days <= MAX_INVITE_DAYS):
        raise InvalidArgs(ArgsError.BAD_NUMBER)
    return InviteArgs(" ".join(tokens[:role_at]), ROLE_WORDS[tokens[role_at].casefold()],
                      uses, days)


class InviteStatus(enum.StrEnum):
    CREATED = "created"
    NO_UNIT = "no_unit"  # nothing by that name (in scope or at all)
    OUTSIDE_SCOPE = "outside_scope"  # exists, but outside the leader's subtree
    AMBIGUOUS = "ambiguous"  # see units
    ROLE_TOO_HIGH = "role_too_high"


@dataclass(frozen=True)
class InviteOutcome:
    status: InviteStatus
    invite: Invite | None = None
    unit: UnitRef | None = None
    units: tuple[UnitRef, ...] = ()


class UnitStatus(enum.StrEnum):
    FOUND = "found"
    NO_UNIT = "no_unit"
    OUTSIDE_SCOPE = "outside_scope"
    AMBIGUOUS = "ambiguous"


async def resolve_unit(session: AsyncSession, scope: Actor, query: str, *, what: str,
                       now: datetime) -> tuple[UnitStatus, Unit | None, tuple[UnitRef, ...]]:
    """The unit a command names (or the asker's own); one outside the scope is refused and
    the refusal audited."""
    if not query:
        unit = await home_unit(session, scope)
        return (UnitStatus.FOUND, unit, ()) if unit else (UnitStatus.NO_UNIT, None, ())
    refs = await find_units(session, scope, query)
    if len(refs) > 1:
        return UnitStatus.AMBIGUOUS, None, tuple(refs)
    if refs:
        return UnitStatus.FOUND, await session.get(Unit, refs[0].unit_id), ()
    everywhere = scope.everywhere()
    if scope.root_path is not None and await find_units(session, everywhere, query):
        await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                           action=f"{what}_denied", now=now, target=query[:128])
        return UnitStatus.OUTSIDE_SCOPE, None, ()
    return UnitStatus.NO_UNIT, None, ()


async def actor_role(session: AsyncSession, scope: Actor) -> Role:
    if scope.root_path is None:
        return Role.ADMIN
    member = await session.get(Member, scope.member_id) if scope.member_id else None
    return member.role if member else Role.MEMBER


async def invite(session: AsyncSession, scope: Actor, args: InviteArgs, *,
                 now: datetime) -> InviteOutcome:
    """An invite to a unit of the asker's scope, for a role at most their own."""
    if RANK[args.role] > RANK[await actor_role(session, scope)]:
        await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                           action="invite_denied", now=now, target=args.role.value)
        return InviteOutcome(InviteStatus.ROLE_TOO_HIGH)
    status, unit, choices = await resolve_unit(session, scope, args.query, what="invite",
                                               now=now)
    if unit is None:
        return InviteOutcome(InviteStatus(status.value), units=choices)
    created = await create_invite(session, unit=unit, role=args.role, uses=args.uses,
                                  days=args.days, created_by=scope.member_id, now=now,
                                  actor=scope.audit_name)
    return InviteOutcome(InviteStatus.CREATED, created,
                         UnitRef(unit.id, tuple(await unit_names(session, unit))))


# --- roles (CLI) ---------------------------------------------------------------------------


class RoleStatus(enum.StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    BAD_PHONE = "bad_phone"
    NOT_FOUND = "not_found"
    NOT_ADMIN = "not_admin"  # `org admin remove` of someone who is not an admin


@dataclass(frozen=True)
class RoleChange:
    status: RoleStatus
    name: str = ""
    old: Role | None = None
    new: Role | None = None


async def set_role(session: AsyncSession, phone: str, role: Role, *, now: datetime,
                   actor: str, only_from: Role | None = None) -> RoleChange:
    """Give the member with this phone `role` (when `only_from` is given, only if that is
    their role now); audited as `role_change`."""
    try:
        e164 = normalize_phone(phone)
    except InvalidPhone:
        return RoleChange(RoleStatus.BAD_PHONE)
    member = await session.scalar(select(Member).where(Member.phone == e164))
    if member is None:
        return RoleChange(RoleStatus.NOT_FOUND)
    old = member.role
    if only_from is not None and old is not only_from:
        return RoleChange(RoleStatus.NOT_ADMIN, member.name, old, role)
    if old is role:
        return RoleChange(RoleStatus.UNCHANGED, member.name, old, role)
    member.role, member.updated_at = role, now
    await audit.record(session, actor=actor, action="role_change", now=now,
                       target=f"member:{member.id}",
                       details={"from": old.value, "to": role.value})
    return RoleChange(RoleStatus.CHANGED, member.name, old, role)
