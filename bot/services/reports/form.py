"""The guided report forms ("someone is unwell", "something else"), kept in the Draft row.

Unwell: who is unwell? (multi-select, so healthy people are not asked anything; skipped for
a member who lives alone) → for each of them: temperature → symptoms → optional note →
summary → confirm. Something else:
contact with a case / travel / isolation (toggles) → optional note → summary → confirm.
When a report exists for the day, the form starts from it and changes only what it asks:
the unwell form sets everyone's health, the other form the flags and the member's note.

Every step is a database write, so a restart or another instance continues the form. Each
form has a random id and a step counter that its buttons carry: a button of another form
or of an earlier step is recognised as stale and changes nothing.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Draft, Member
from bot.services import drafts
from bot.services.drafts import DraftKind
from bot.services.members.settings import InvalidText, TextError, clean_text, household_of
from bot.services.reports import store as reports
from bot.services.reports.store import MAX_NOTE, SYMPTOMS, PersonHealth, ReportInput, SaveResult
from bot.services.reports.temperature import TemperatureError, is_fever, parse_temperature

REPORT_DRAFT = DraftKind.REPORT
REPORT_DRAFT_TTL = timedelta(minutes=30)
FLAGS = ("contact_case", "travel", "isolation")
QUICK_TEMPERATURES = ("36.5", "37.0", "37.5", "38.0", "38.5")
NORMAL = "n"  # the "normal" quick answer: no fever, no reading given


class FormKind(enum.StrEnum):
    SICK = "sick"
    OTHER = "other"


class Step(enum.StrEnum):
    WHO = "who"
    TEMP = "temp"
    SYMPTOMS = "symptoms"
    NOTE = "note"
    FLAGS = "flags"
    SUMMARY = "summary"


class Outcome(enum.StrEnum):
    STEP = "step"  # show `form.step`
    SAVED = "saved"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # timed out; nothing was saved
    STALE = "stale"  # a button of another form or an earlier step
    NO_FORM = "no_form"
    BAD_TEMPERATURE = "bad_temperature"
    BAD_NOTE = "bad_note"
    PICK_SOMEONE = "pick_someone"  # "next" with nobody chosen
    PICK_SOMETHING = "pick_something"  # "next" with no flag set
    DAY_PASSED = "day_passed"  # the form's date can no longer be reported for
    USE_BUTTONS = "use_buttons"  # text typed at a step that wants a button


@dataclass
class Person:
    household_id: int | None
    relation: str
    name: str
    temperature: str | None = None
    symptoms: list[str] = field(default_factory=list)
    note: str = ""
    was: str | None = None  # yesterday's fever, shown when today's temperature is asked

    def health(self) -> PersonHealth:
        return PersonHealth(self.household_id, self.relation, self.name,
                            None if self.temperature is None else Decimal(self.temperature),
                            tuple(s for s in SYMPTOMS if s in self.symptoms), self.note)


@dataclass
class Form:
    id: str
    n: int
    day: date
    kind: FormKind
    step: Step
    people: list[Person]
    who: list[int] = field(default_factory=list)
    cur: int = 0
    flags: list[str] = field(default_factory=list)
    amending: bool = False
    message_id: int | None = None

    @property
    def person(self) -> Person:
        """The person the current step asks about."""
        if self.kind is FormKind.OTHER or not self.who:
            return self.people[0]
        return self.people[self.who[min(self.cur, len(self.who) - 1)]]

    def to_input(self) -> ReportInput:
        return ReportInput(tuple(p.health() for p in self.people), *(f in self.flags
                                                                    for f in FLAGS))

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(day=self.day.isoformat(), kind=self.kind.value, step=self.step.value)
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Form:
        return cls(**{**data, "day": date.fromisoformat(data["day"]),
                      "kind": FormKind(data["kind"]), "step": Step(data["step"]),
                      "people": [Person(**p) for p in data["people"]]})


@dataclass(frozen=True)
class FormResult:
    outcome: Outcome
    form: Form | None = None
    saved: SaveResult | None = None
    temperature_error: TemperatureError | None = None
    note_error: InvalidText | None = None


async def start_form(session: AsyncSession, *, member: Member, telegram_user_id: int,
                     kind: FormKind, day: date, now: datetime,
                     message_id: int | None = None) -> Form:
    """A new form for `day` (replacing any form in progress), from the stored report if any."""
    household = await household_of(session, member.id)
    people = [Person(None, "", member.name)] + [Person(e.id, e.relation, e.name)
                                                for e in household]
    existing = await reports.get_report(session, member.id, day)
    flags: list[str] = []
    if existing is not None:
        before = reports.view(existing).entry
        stored = {p.household_id: p for p in before.people[1:] if p.household_id is not None}
        for person in people:
            old = before.people[0] if person.household_id is None else stored.get(
                person.household_id)
            if old is not None:
                person.temperature = None if old.temperature is None else str(old.temperature)
                person.symptoms, person.note = list(old.symptoms), old.note
        flags = [f for f, on in zip(FLAGS, (before.contact_case, before.travel,
                                            before.isolation), strict=True) if on]
    form = Form(id=secrets.token_hex(3), n=1, day=day, kind=kind, step=Step.WHO,
                people=people, flags=flags, amending=existing is not None,
                message_id=message_id)
    _first_step(form)
    await _put(session, telegram_user_id, form, now)
    return form


def had_fever(yesterday: ReportInput) -> bool:
    """Whether anyone had a fever: "same as yesterday" then asks today's temperature."""
    return any(p.temperature is not None and is_fever(p.temperature) for p in yesterday.people)


async def start_from_yesterday(session: AsyncSession, *, member: Member, telegram_user_id: int,
                               yesterday: ReportInput, day: date, now: datetime,
                               message_id: int | None = None) -> Form:
    """"Same as yesterday" after a fever: the unwell form for `day`, filled in from
    yesterday's report, that asks today's temperature of whoever was unwell (a fever is not
    copied: nobody measured it today) and offers their symptoms and note to keep or change.
    Flags carry over; household entries added since count as well."""
    household = await household_of(session, member.id)
    people = [Person(None, "", member.name)] + [Person(e.id, e.relation, e.name)
                                                for e in household]
    stored = {p.household_id: p for p in yesterday.people[1:] if p.household_id is not None}
    who = []
    for i, person in enumerate(people):
        old = (yesterday.people[0] if person.household_id is None
               else stored.get(person.household_id))
        if old is None:
            continue
        person.symptoms, person.note = list(old.symptoms), old.note
        if old.temperature is not None and is_fever(old.temperature):
            person.was = str(old.temperature)
        elif old.temperature is not None:
            person.temperature = str(old.temperature)
        if old.abnormal:
            who.append(i)
    flags = [f for f, on in zip(FLAGS, (yesterday.contact_case, yesterday.travel,
                                        yesterday.isolation), strict=True) if on]
    form = Form(id=secrets.token_hex(3), n=1, day=day, kind=FormKind.SICK, step=Step.TEMP,
                people=people, who=who, flags=flags, message_id=message_id)
    await _put(session, telegram_user_id, form, now)
    return form


async def _put(session: AsyncSession, telegram_user_id: int, form: Form, now: datetime) -> None:
    await drafts.put(session, telegram_user_id, kind=REPORT_DRAFT, step=form.step.value,
                     data=form.to_data(), now=now, ttl=REPORT_DRAFT_TTL)


async def _load(session: AsyncSession, telegram_user_id: int,
                now: datetime) -> tuple[Form | None, Outcome | None]:
    draft = await session.scalar(select(Draft).where(
        Draft.telegram_user_id == telegram_user_id).with_for_update())
    if draft is None or draft.kind != REPORT_DRAFT:
        return None, Outcome.NO_FORM
    if draft.expires_at <= now:
        await session.delete(draft)
        return None, Outcome.EXPIRED
    try:
        return Form.from_data(dict(draft.data)), None
    except (KeyError, TypeError, ValueError):  # written by another version: start again
        await session.delete(draft)
        return None, Outcome.EXPIRED


async def cancel(session: AsyncSession, telegram_user_id: int) -> bool:
    """/cancel: drop the user's form in progress, whatever its kind; False when none."""
    result = await session.execute(delete(Draft).where(Draft.telegram_user_id ==
                                                       telegram_user_id))
    return bool(getattr(result, "rowcount", 0))


async def drop(session: AsyncSession, telegram_user_id: int) -> None:
    """Drop the user's report form, if any (other kinds of form are left alone)."""
    await session.execute(delete(Draft).where(Draft.telegram_user_id == telegram_user_id,
                                              Draft.kind == REPORT_DRAFT))


async def remember_message(session: AsyncSession, telegram_user_id: int, form_id: str,
                           message_id: int, now: datetime) -> None:
    """The message that shows the form's current step (its buttons go when the step does)."""
    form, _problem = await _load(session, telegram_user_id, now)
    if form is not None and form.id == form_id:
        form.message_id = message_id
        await _put(session, telegram_user_id, form, now)


def _first_step(form: Form) -> None:
    """Other: the flags. Unwell: who is unwell — unless the member lives alone."""
    form.cur = 0
    if form.kind is FormKind.OTHER:
        form.step = Step.FLAGS
    elif len(form.people) == 1:
        form.who, form.step = [0], Step.TEMP
    else:
        form.step = Step.WHO


def _advance(form: Form, step: Step) -> None:
    form.step, form.n = step, form.n + 1


def _after_note(form: Form) -> None:
    if form.kind is FormKind.SICK and form.cur + 1 < len(form.who):
        form.cur += 1
        _advance(form, Step.TEMP)
    else:
        _advance(form, Step.SUMMARY)


def _toggle(values: list[Any], value: Any) -> None:
    if value in values:
        values.remove(value)
    else:
        values.append(value)


def _offered(arg: str) -> bool:
    """A reading the bot offered to confirm ("376" → 37.6): one it would have accepted typed."""
    try:
        return str(parse_temperature(arg)) == arg
    except TemperatureError:
        return False


def _press_step(form: Form, action: str, arg: str) -> Outcome:
    """Apply a button of the current step to the form; STALE for one that does not belong."""
    step = form.step
    if step is Step.WHO and action == "w" and arg.isdigit() and int(arg) < len(form.people):
        _toggle(form.who, int(arg))
        form.who.sort()
    elif step is Step.WHO and action == "wd":
        if not form.who:
            return Outcome.PICK_SOMEONE
        for i, person in enumerate(form.people):
            if i not in form.who:  # not unwell: well, whatever was said before
                person.temperature, person.symptoms = None, []
        form.cur = 0
        _advance(form, Step.TEMP)
    elif step is Step.TEMP and action == "t" and (arg in (*QUICK_TEMPERATURES, NORMAL)
                                                  or _offered(arg)):
        form.person.temperature = None if arg == NORMAL else arg
        _advance(form, Step.SYMPTOMS)
    elif step is Step.SYMPTOMS and action == "s" and arg in SYMPTOMS:
        _toggle(form.person.symptoms, arg)
    elif step is Step.SYMPTOMS and action == "sd":
        _advance(form, Step.NOTE)
    elif step is Step.NOTE and action == "ns":  # skip, or keep the note there is
        _after_note(form)
    elif step is Step.NOTE and action == "nc" and form.person.note:  # clear the note
        form.person.note = ""
        _after_note(form)
    elif step is Step.FLAGS and action == "f" and arg in FLAGS:
        _toggle(form.flags, arg)
    elif step is Step.FLAGS and action == "fd":
        if not form.flags:
            return Outcome.PICK_SOMETHING
        _advance(form, Step.NOTE)
    elif step is Step.SUMMARY and action == "re":
        _first_step(form)
        form.n += 1
    else:
        return Outcome.STALE
    return Outcome.STEP


async def press(session: AsyncSession, *, member: Member, telegram_user_id: int, form_id: str,
                n: int, action: str, arg: str, now: datetime, default_timezone: str,
                message_id: int | None = None) -> FormResult:
    """A form button (already parsed, not yet trusted)."""
    form, problem = await _load(session, telegram_user_id, now)
    if form is None:
        assert problem is not None
        return FormResult(Outcome.STALE if problem is Outcome.NO_FORM else problem)
    if form.id != form_id or form.n != n:
        return FormResult(Outcome.STALE, form)
    if action == "x":
        await drop(session, telegram_user_id)
        return FormResult(Outcome.CANCELLED, form)
    if action == "ok" and form.step is Step.SUMMARY:
        return await _confirm(session, member, telegram_user_id, form, now, default_timezone)
    outcome = _press_step(form, action, arg)
    if message_id is not None:
        form.message_id = message_id  # the step is shown where the button was
    if outcome is not Outcome.STALE:
        await _put(session, telegram_user_id, form, now)
    return FormResult(outcome, form)


async def _confirm(session: AsyncSession, member: Member, telegram_user_id: int, form: Form,
                   now: datetime, default_timezone: str) -> FormResult:
    await drop(session, telegram_user_id)
    schedule = await reports.member_schedule(session, member, default_timezone)
    if reports.report_day_for(schedule, form.day, now) is None:
        return FormResult(Outcome.DAY_PASSED, form)
    saved = await reports.save_report(session, member=member, day=form.day,
                                      entry=form.to_input(), now=now,
                                      default_timezone=default_timezone)
    return FormResult(Outcome.SAVED, form, saved=saved)


def clean_note(text: str) -> str:
    """A note: one line (line breaks become spaces), 1..MAX_NOTE printable characters."""
    if len(text) > MAX_NOTE * 4:  # 10,000 characters are refused without looking at them
        raise InvalidText(TextError.TOO_LONG, MAX_NOTE)
    return clean_text(" ".join(text.split()), limit=MAX_NOTE)


async def answer_text(session: AsyncSession, *, telegram_user_id: int, text: str,
                      now: datetime) -> FormResult:
    """Text typed while a form is open: a temperature or a note; else "use the buttons"."""
    form, problem = await _load(session, telegram_user_id, now)
    if form is None:
        assert problem is not None
        return FormResult(problem)
    if form.step is Step.TEMP:
        try:
            form.person.temperature = str(parse_temperature(text))
        except TemperatureError as error:
            await _put(session, telegram_user_id, form, now)  # still here: the clock restarts
            return FormResult(Outcome.BAD_TEMPERATURE, form, temperature_error=error)
        _advance(form, Step.SYMPTOMS)
    elif form.step is Step.NOTE:
        try:
            form.person.note = clean_note(text)
        except InvalidText as error:
            await _put(session, telegram_user_id, form, now)
            return FormResult(Outcome.BAD_NOTE, form, note_error=error)
        _after_note(form)
    else:
        return FormResult(Outcome.USE_BUTTONS, form)
    await _put(session, telegram_user_id, form, now)
    return FormResult(Outcome.STEP, form)
