"""/notice's form: content → target → acknowledgement → when → preview → confirm.

The form is the sender's Draft row (bot.services.notices.draft): a restart mid-flow loses
nothing. Rights are checked again on every step and every button, and refusals audited
(broadcast.resolve_target). `start`, `answer` (text), `attach` (a photo or document) and
`press` (a button) each return a `Reply`: what happened, and what the next message shows;
handlers.notices turns it into a message.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, Unit
from bot.services.notices import broadcast
from bot.services.notices.broadcast import NoticeCopy
from bot.services.notices.draft import (
    NoticeDraft,
    Step,
    drop_draft,
    parse_when,
    read_draft,
    save_draft,
)
from bot.services.org.contacts import find_units
from bot.services.org.permissions import Actor
from bot.services.reports.schedule import schedule_for
from bot.services.when import InvalidWhen, WhenError

Units = list[tuple[int, tuple[str, ...]]]  # (unit id, its names from the root)


class Outcome(enum.StrEnum):
    ASK_CONTENT = "ask_content"  # the form started: the notice's text (or media) next
    NOT_ALLOWED = "not_allowed"  # neither a leader nor an admin (the form is dropped)
    EXPIRED = "expired"  # no form: expired, or already sent
    USE_BUTTONS = "use_buttons"  # text, or a button, that is not for the current step
    CANCELLED = "cancelled"
    TOO_LONG = "too_long"  # the content, over `limit`
    EMPTY = "empty"
    NOT_MEDIA = "not_media"  # a file that is neither a photo nor a document
    NOT_CONTENT = "not_content"  # a file while the form is not at its content step
    ASK_TARGET = "ask_target"  # `units` to pick from (`admin`: the organisation too)
    UNIT_CHOICES = "unit_choices"  # `units` found by the name sent
    TARGET_REFUSED = "target_refused"  # a target the sender may not send to
    TARGET_LOST = "target_lost"  # the target is no longer allowed at the preview or confirm
    NO_AUDIENCE = "no_audience"
    ASK_ACK = "ask_ack"
    ASK_WHEN = "ask_when"  # in `timezone`
    BAD_WHEN = "bad_when"  # `when_error`
    PREVIEW = "preview"  # `preview`
    SENDING = "sending"  # `notice_id` confirmed, going out now
    SCHEDULED = "scheduled"  # `notice_id` confirmed for `scheduled_at` (`timezone`)


class Action(enum.StrEnum):
    """The form's buttons (bot.render.notices encodes them)."""

    CANCEL = "x"
    ORG = "o"  # the whole organisation
    LEADERS = "l"  # leaders only
    UNIT = "u"  # a unit's subtree (arg: the unit id)
    ACK = "k"  # arg: "1" ask for acknowledgement, "0" not
    NOW = "n"  # send at once
    SEND = "s"  # confirm


_STEP_OF = {Action.ORG: Step.TARGET, Action.LEADERS: Step.TARGET, Action.UNIT: Step.TARGET,
            Action.ACK: Step.ACK, Action.NOW: Step.WHEN, Action.SEND: Step.PREVIEW}
_TARGET_OF = {Action.ORG: "org", Action.LEADERS: "leaders", Action.UNIT: "unit"}


@dataclass(frozen=True)
class Preview:
    """The notice as recipients will see it, and the summary under it."""

    copy: NoticeCopy
    target: tuple[str, ...]  # the unit's names; () for the whole organisation
    leaders_only: bool
    total: int
    reachable: int
    ack: bool
    when: datetime | None  # None: now
    timezone: str


@dataclass(frozen=True)
class Reply:
    outcome: Outcome
    units: Units = field(default_factory=list)
    admin: bool = False
    timezone: str = ""
    when_error: WhenError | None = None
    preview: Preview | None = None
    notice_id: int | None = None
    scheduled_at: datetime | None = None


@dataclass(frozen=True)
class Author:
    """Who presses Send: their Telegram id and name (for one without a member row), the
    language of their progress message, and the message that shows it."""

    telegram_user_id: int
    fallback_name: str
    locale: str
    chat_id: int
    message_id: int


async def sender_zone(session: AsyncSession, actor: Actor | None, default_timezone: str) -> str:
    """The time zone of the sender's unit (the organisation's for an admin)."""
    unit = await session.get(Unit, actor.root_unit_id) if actor and actor.root_unit_id else None
    if unit is None:
        return default_timezone
    return (await schedule_for(session, unit, default_timezone)).timezone


async def start(session: AsyncSession, actor: Actor | None, telegram_user_id: int, *,
                now: datetime) -> Reply:
    """/notice: a new form (leaders and admins only)."""
    if actor is None:
        return Reply(Outcome.NOT_ALLOWED)
    await save_draft(session, telegram_user_id, NoticeDraft(), now)
    return Reply(Outcome.ASK_CONTENT)


async def _content(session: AsyncSession, actor: Actor | None, telegram_user_id: int,
                   draft: NoticeDraft | None, text: str, media: tuple[str, str] | None, *,
                   limit: int, now: datetime) -> Reply:
    """The notice's text (and media): stored, then the target step."""
    if actor is None:
        await drop_draft(session, telegram_user_id)
        return Reply(Outcome.NOT_ALLOWED)
    if draft is None:
        return Reply(Outcome.EXPIRED)
    if draft.step is not Step.CONTENT:
        return Reply(Outcome.USE_BUTTONS)
    if len(text) > limit:
        return Reply(Outcome.TOO_LONG)
    if not text.strip() and media is None:
        return Reply(Outcome.EMPTY)
    draft.text = text.strip()
    draft.media_kind, draft.media_file_id = media or (None, None)
    draft.step = Step.TARGET
    await save_draft(session, telegram_user_id, draft, now)
    return Reply(Outcome.ASK_TARGET, await broadcast.scope_units(session, actor),
                 admin=actor.root_path is None)


async def answer(session: AsyncSession, actor: Actor | None, telegram_user_id: int,
                 text: str, *, limit: int, fallback_name: str, now: datetime,
                 default_timezone: str) -> Reply:
    """Text sent while composing: the notice's text (at most `limit` characters), a unit's
    name, or the schedule time."""
    draft = await read_draft(session, telegram_user_id, now)
    if draft is None or draft.step is Step.CONTENT:
        return await _content(session, actor, telegram_user_id, draft, text, None,
                               limit=limit, now=now)
    if actor is None:
        return Reply(Outcome.NOT_ALLOWED)
    if draft.step is Step.TARGET:
        found = await find_units(session, actor, text[:200])
        if len(found) == 1:  # the one unit of that name: as if its button was tapped
            return await _target(session, actor, telegram_user_id, draft, Action.UNIT,
                                 str(found[0].unit_id), now)
        return Reply(Outcome.UNIT_CHOICES, [(u.unit_id, u.names) for u in found])
    if draft.step is not Step.WHEN:
        return Reply(Outcome.USE_BUTTONS)
    zone = await sender_zone(session, actor, default_timezone)
    try:
        draft.scheduled_at = parse_when(text, now=now, timezone=zone)
    except InvalidWhen as invalid:
        return Reply(Outcome.BAD_WHEN, when_error=invalid.code)
    return await _preview(session, actor, telegram_user_id, draft, fallback_name, zone, now)


async def attach(session: AsyncSession, actor: Actor | None, telegram_user_id: int,
                 caption: str, media: tuple[str, str] | None, *, limit: int,
                 now: datetime) -> Reply:
    """A file sent while composing: at the content step a photo or a document (`media`:
    kind and file id; None for another kind of file) is the notice's content."""
    draft = await read_draft(session, telegram_user_id, now)
    if draft is None or draft.step is not Step.CONTENT:
        return Reply(Outcome.NOT_CONTENT)
    if media is None:
        return Reply(Outcome.NOT_MEDIA)
    return await _content(session, actor, telegram_user_id, draft, caption, media,
                          limit=limit, now=now)


async def press(session: AsyncSession, actor: Actor | None, action: Action, arg: str, *,
                author: Author, now: datetime, default_timezone: str) -> Reply:
    """A button of the form: checked against the draft's step and the sender's rights."""
    user_id = author.telegram_user_id
    draft = await read_draft(session, user_id, now)
    if action is Action.CANCEL:
        await drop_draft(session, user_id)
        return Reply(Outcome.CANCELLED)
    if actor is None:
        await drop_draft(session, user_id)
        return Reply(Outcome.NOT_ALLOWED)
    if draft is None:
        return Reply(Outcome.EXPIRED)
    if _STEP_OF.get(action) is not draft.step:
        return Reply(Outcome.USE_BUTTONS)
    if action in _TARGET_OF:
        return await _target(session, actor, user_id, draft, action, arg, now)
    zone = await sender_zone(session, actor, default_timezone)
    if action is Action.ACK:
        draft.ack, draft.step = arg == "1", Step.WHEN
        await save_draft(session, user_id, draft, now)
        return Reply(Outcome.ASK_WHEN, timezone=zone)
    if action is Action.NOW:
        draft.scheduled_at = None
        return await _preview(session, actor, user_id, draft, author.fallback_name, zone, now)
    return await _confirm(session, actor, draft, author, zone, now)


async def _target(session: AsyncSession, actor: Actor, user_id: int, draft: NoticeDraft,
                  action: Action, arg: str, now: datetime) -> Reply:
    """The target picked (checked against the sender's rights), then the ack step."""
    draft.target = _TARGET_OF[action]
    draft.unit_id = int(arg) if action is Action.UNIT else None
    target = await broadcast.resolve_target(session, actor, draft, now=now)
    if target is None:
        return Reply(Outcome.TARGET_REFUSED)
    if (await broadcast.audience_size(session, target, actor.member_id)).total == 0:
        return Reply(Outcome.NO_AUDIENCE)
    draft.step = Step.ACK
    await save_draft(session, user_id, draft, now)
    return Reply(Outcome.ASK_ACK)


async def _author_name(session: AsyncSession, actor: Actor, fallback: str) -> str:
    member = await session.get(Member, actor.member_id) if actor.member_id else None
    return member.name if member is not None else fallback


async def _preview(session: AsyncSession, actor: Actor, telegram_user_id: int,
                   draft: NoticeDraft, fallback_name: str, zone: str, now: datetime) -> Reply:
    """The notice as recipients will see it, and the summary with Send / Cancel."""
    target = await broadcast.resolve_target(session, actor, draft, now=now)
    if target is None:
        return Reply(Outcome.TARGET_LOST)
    size = await broadcast.audience_size(session, target, actor.member_id)
    draft.step = Step.PREVIEW
    await save_draft(session, telegram_user_id, draft, now)
    copy = NoticeCopy(0, await _author_name(session, actor, fallback_name), target.names,
                      draft.text, draft.media_kind, draft.media_file_id, bool(draft.ack))
    return Reply(Outcome.PREVIEW, preview=Preview(
        copy, target.names, target.leaders_only, size.total, size.reachable, bool(draft.ack),
        draft.scheduled_at, zone))


async def _confirm(session: AsyncSession, actor: Actor, draft: NoticeDraft, author: Author,
                   zone: str, now: datetime) -> Reply:
    """Create the notice (the draft goes in the same transaction: a second press finds no
    form)."""
    target = await broadcast.resolve_target(session, actor, draft, now=now)
    if target is None:
        return Reply(Outcome.TARGET_LOST)
    if draft.scheduled_at is not None and draft.scheduled_at <= now:
        draft.scheduled_at = None  # the time passed while previewing: send now
    notice = await broadcast.create_notice(
        session, actor, draft, target, author_telegram_id=author.telegram_user_id,
        author_name=await _author_name(session, actor, author.fallback_name),
        author_locale=author.locale, progress_chat_id=author.chat_id,
        progress_message_id=author.message_id, now=now)
    await drop_draft(session, author.telegram_user_id)
    if draft.scheduled_at is None:
        return Reply(Outcome.SENDING, notice_id=notice.id)
    return Reply(Outcome.SCHEDULED, notice_id=notice.id, scheduled_at=draft.scheduled_at,
                 timezone=zone)
