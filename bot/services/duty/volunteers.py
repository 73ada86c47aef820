"""Volunteers for front-line work: a member's offer (posts, weekdays, a short note), kept while
they fill it in as a draft row, and the leaders' view of their subtree's offers."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, Unit, VolunteerOffer
from bot.services import drafts
from bot.services.drafts import DraftKind
from bot.services.duty.shifts import KIND_DUTY_NOTE, note_to, reach
from bot.services.members.settings import InvalidText, clean_text
from bot.services.org import audit
from bot.services.org.permissions import Actor
from bot.services.outgoing import Outgoing

VOLUNTEER_DRAFT = DraftKind.VOLUNTEER
POSTS = ("checkpoint", "screening", "publicity", "hygiene")
MAX_NOTE = 200
DRAFT_TTL = timedelta(minutes=30)


async def put_draft(session: AsyncSession, telegram_user_id: int, kind: DraftKind,
                    data: dict[str, Any], now: datetime) -> None:
    """A one-step form (the import, the swap, the volunteer form): its step is its kind."""
    await drafts.put(session, telegram_user_id, kind=kind, step=kind, data=data, now=now,
                     ttl=DRAFT_TTL)


read_draft = drafts.current_data
drop_draft = drafts.drop


@dataclass
class VolunteerForm:
    posts: list[str] = field(default_factory=list)
    days: list[int] = field(default_factory=list)
    note: str = ""

    def as_data(self) -> dict[str, Any]:
        return {"posts": self.posts, "days": self.days, "note": self.note}


def _form(data: dict[str, Any]) -> VolunteerForm:
    posts, days, note = data.get("posts"), data.get("days"), data.get("note")
    return VolunteerForm(
        [p for p in POSTS if isinstance(posts, list) and p in posts],
        sorted(d for d in (days if isinstance(days, list) else [])
               if isinstance(d, int) and 0 <= d < 7),
        note[:MAX_NOTE] if isinstance(note, str) else "")


async def current_offer(session: AsyncSession, member_id: int) -> VolunteerOffer | None:
    offer = await session.scalar(select(VolunteerOffer).where(
        VolunteerOffer.member_id == member_id))
    return offer if offer is not None and offer.withdrawn_at is None else None


async def open_form(session: AsyncSession, member: Member, telegram_user_id: int, *,
                    now: datetime) -> tuple[VolunteerForm, bool]:
    """The form, started from the member's current offer; (form, has an offer)."""
    offer = await current_offer(session, member.id)
    form = (VolunteerForm(list(offer.posts), list(offer.days), offer.note) if offer
            else VolunteerForm())
    await put_draft(session, telegram_user_id, VOLUNTEER_DRAFT, form.as_data(), now)
    return form, offer is not None


async def form_of(session: AsyncSession, telegram_user_id: int,
                  now: datetime) -> VolunteerForm | None:
    data = await read_draft(session, telegram_user_id, VOLUNTEER_DRAFT, now)
    return None if data is None else _form(data)


async def update_form(session: AsyncSession, telegram_user_id: int, *, now: datetime,
                      post: int | None = None, day: int | None = None,
                      note: str | None = None) -> VolunteerForm | None:
    """Toggle a post or a day, or set the note; None when no form is open (or it expired).
    A note that is too long or has control characters raises members.InvalidText."""
    form = await form_of(session, telegram_user_id, now)
    if form is None:
        return None
    if post is not None and 0 <= post < len(POSTS):
        key = POSTS[post]
        form.posts = [p for p in form.posts if p != key] if key in form.posts else [
            p for p in POSTS if p in form.posts or p == key]
    if day is not None and 0 <= day < 7:
        form.days = sorted(set(form.days) ^ {day})
    if note is not None:
        form.note = clean_text(note, limit=MAX_NOTE)
    await put_draft(session, telegram_user_id, VOLUNTEER_DRAFT, form.as_data(), now)
    return form


async def save_offer(session: AsyncSession, member: Member, form: VolunteerForm, *,
                     now: datetime) -> bool:
    if not form.posts or not form.days:
        return False
    offer = await session.scalar(select(VolunteerOffer).where(
        VolunteerOffer.member_id == member.id))
    if offer is None:
        offer = VolunteerOffer(member_id=member.id, created_at=now)
        session.add(offer)
    offer.posts, offer.days, offer.note = list(form.posts), list(form.days), form.note
    offer.updated_at, offer.withdrawn_at = now, None
    return True


async def withdraw(session: AsyncSession, member: Member, *, now: datetime) -> bool:
    offer = await current_offer(session, member.id)
    if offer is None:
        return False
    offer.withdrawn_at = now
    return True


@dataclass(frozen=True)
class Offer:
    id: int
    member_id: int
    name: str
    unit_name: str
    posts: tuple[str, ...]
    days: tuple[int, ...]
    note: str


async def offers_in(session: AsyncSession, scope: Actor) -> list[Offer]:
    stmt = (select(VolunteerOffer, Member, Unit)
            .join(Member, Member.id == VolunteerOffer.member_id)
            .join(Unit, Unit.id == Member.unit_id)
            .where(VolunteerOffer.withdrawn_at.is_(None), Member.active)
            .order_by(Unit.path, Member.name, Member.id))
    subtree = scope.subtree(Unit.path)
    if subtree is not None:
        stmt = stmt.where(subtree)
    return [Offer(o.id, m.id, m.name, u.name, tuple(o.posts), tuple(o.days), o.note)
            for o, m, u in (await session.execute(stmt)).all()]


async def offer_in_scope(session: AsyncSession, scope: Actor, offer_id: int, *,
                         now: datetime) -> Offer | None:
    """One current offer the scope covers; a forged or foreign id is audited, None."""
    offers = {o.id: o for o in await offers_in(session, scope)}
    offer = offers.get(offer_id)
    if offer is None:
        await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                           action="volunteer_denied", now=now, target=f"offer:{offer_id}")
    return offer


# --- the form as a flow ----------------------------------------------------------------------


class FormOutcome(enum.StrEnum):
    FORM = "form"  # show `form`
    EXPIRED = "expired"  # no form open (or it expired): /volunteer again
    BAD_NOTE = "bad_note"
    INCOMPLETE = "incomplete"  # Save with no post or no day: nothing saved
    SAVED = "saved"
    WITHDRAWN = "withdrawn"  # `withdrawn`: whether there was an offer to withdraw


class FormAction(enum.StrEnum):
    POST = "p"
    DAY = "d"
    SAVE = "s"
    WITHDRAW = "w"


@dataclass(frozen=True)
class FormResult:
    outcome: FormOutcome
    form: VolunteerForm | None = None
    has_offer: bool = False
    withdrawn: bool = False


async def _shown(session: AsyncSession, member: Member, form: VolunteerForm) -> FormResult:
    return FormResult(FormOutcome.FORM, form, await current_offer(session, member.id) is not None)


async def write_note(session: AsyncSession, member: Member | None, telegram_user_id: int,
                     text: str, *, now: datetime) -> FormResult:
    """Free text while the form is open: its note."""
    try:
        form = await update_form(session, telegram_user_id, now=now, note=text)
    except InvalidText:
        return FormResult(FormOutcome.BAD_NOTE)
    if form is None or member is None:
        return FormResult(FormOutcome.EXPIRED)
    return await _shown(session, member, form)


async def press(session: AsyncSession, member: Member, telegram_user_id: int,
                action: FormAction, index: int = 0, *, now: datetime) -> FormResult:
    """A button of the form: toggle a post or a day, Save, or Withdraw."""
    if action is FormAction.WITHDRAW:
        done = await withdraw(session, member, now=now)
        await drop_draft(session, telegram_user_id)
        return FormResult(FormOutcome.WITHDRAWN, withdrawn=done)
    if action is FormAction.SAVE:
        form = await form_of(session, telegram_user_id, now)
        if form is None:
            return FormResult(FormOutcome.EXPIRED)
        if not await save_offer(session, member, form, now=now):
            return FormResult(FormOutcome.INCOMPLETE)
        await drop_draft(session, telegram_user_id)
        return FormResult(FormOutcome.SAVED)
    form = await update_form(session, telegram_user_id, now=now,
                             post=index if action is FormAction.POST else None,
                             day=index if action is FormAction.DAY else None)
    if form is None:
        return FormResult(FormOutcome.EXPIRED)
    return await _shown(session, member, form)


# --- a leader's thanks -----------------------------------------------------------------------


@dataclass(frozen=True)
class VolunteerThanks:
    """To the volunteer: a leader thanks them."""

    leader: str


@dataclass(frozen=True)
class ThanksResult:
    offer: Offer | None  # None: not an offer the leader's units hold (refused, audited)
    outgoing: tuple[Outgoing, ...] = ()


async def thank(session: AsyncSession, manager: Actor, offer_id: int, *, full_name: str,
                now: datetime, default_locale: str) -> ThanksResult:
    """A leader's thanks to a volunteer of their units (once a day per offer); signed with
    their roster name (`full_name`, their Telegram name, for an admin not on the roster)."""
    offer = await offer_in_scope(session, manager, offer_id, now=now)
    if offer is None:
        return ThanksResult(None)
    leader_name = manager.name if manager.is_member else full_name
    recipient = await reach(session, offer.member_id)
    if recipient is None:
        return ThanksResult(offer)
    key = f"volunteer_thanks:{offer.id}:{now.date().isoformat()}"
    return ThanksResult(offer, (note_to(recipient, key, KIND_DUTY_NOTE,
                                        VolunteerThanks(leader_name), default_locale),))
