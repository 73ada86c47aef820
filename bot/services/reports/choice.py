"""What a tap on a report button does: save at once (all well, same as yesterday), open a
form (unwell, something else), or refuse (already reported, a stale day, nothing to copy).

The prompt's buttons (``r:<date>:<choice>``) never overwrite a report made that day: a
second tap says "already reported". Amending goes through /report's buttons (`amend`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, Report, ReportStatus
from bot.services.reports import form as report_form
from bot.services.reports import store as reports
from bot.services.reports.form import Form, FormKind
from bot.services.reports.schedule import Schedule
from bot.services.reports.store import SaveResult


class Choice(enum.StrEnum):  # the values of bot.render.prompts.ReportChoice
    OK = "ok"
    SICK = "sick"
    OTHER = "other"
    SAME = "same"


class ChoiceOutcome(enum.StrEnum):
    SAVED = "saved"
    FORM = "form"
    ALREADY = "already"  # a report exists for the day and the button was not an amendment
    NO_YESTERDAY = "no_yesterday"
    STALE_DAY = "stale_day"  # the button's date can no longer be reported for


@dataclass(frozen=True)
class Today:
    """The member's reporting day as /report shows it."""

    name: str
    day: date
    schedule: Schedule
    report: Report | None
    offer_same: bool  # yesterday's report was abnormal


@dataclass(frozen=True)
class ChoiceResult:
    outcome: ChoiceOutcome
    day: date  # reported for; for STALE_DAY the button's
    schedule: Schedule
    saved: SaveResult | None = None
    form: Form | None = None
    report: Report | None = None  # the stored one, for ALREADY


async def today(session: AsyncSession, member: Member, now: datetime,
                default_timezone: str) -> Today:
    schedule = await reports.member_schedule(session, member, default_timezone)
    day = schedule.local_date(now)
    report = await reports.get_report(session, member.id, day)
    yesterday = await reports.get_report(session, member.id, day - timedelta(days=1))
    return Today(member.name, day, schedule, report,
                 yesterday is not None and yesterday.status is ReportStatus.ABNORMAL)


async def choose(session: AsyncSession, *, member: Member, telegram_user_id: int,
                 button_day: date, choice: Choice, amend: bool, now: datetime,
                 default_timezone: str, message_id: int | None = None) -> ChoiceResult:
    schedule = await reports.member_schedule(session, member, default_timezone)
    day = reports.report_day_for(schedule, button_day, now)
    if day is None:
        return ChoiceResult(ChoiceOutcome.STALE_DAY, button_day, schedule)
    if choice in (Choice.SICK, Choice.OTHER):
        form = await report_form.start_form(
            session, member=member, telegram_user_id=telegram_user_id, kind=FormKind(choice),
            day=day, now=now, message_id=message_id)
        return ChoiceResult(ChoiceOutcome.FORM, day, schedule, form=form)
    # Read once, locked, and handed to store_report (which would read it again otherwise).
    existing = await reports.locked_report(session, member.id, day)
    if existing is not None and not amend:
        return ChoiceResult(ChoiceOutcome.ALREADY, day, schedule, report=existing)
    if choice is Choice.SAME:
        yesterday = await reports.get_report(session, member.id, day - timedelta(days=1))
        if yesterday is not None and report_form.had_fever(before := reports.view(
                yesterday).entry):
            form = await report_form.start_from_yesterday(
                session, member=member, telegram_user_id=telegram_user_id, yesterday=before,
                day=day, now=now, message_id=message_id)
            return ChoiceResult(ChoiceOutcome.FORM, day, schedule, form=form)
        saved = await reports.copy_yesterday(session, member=member, day=day, now=now,
                                             default_timezone=default_timezone)
        if saved is None:
            return ChoiceResult(ChoiceOutcome.NO_YESTERDAY, day, schedule)
    else:
        saved = await reports.store_report(
            session, member=member, day=day, entry=await reports.well_input(session, member),
            now=now, schedule=schedule, existing=existing)
    # A one-tap answer ends any form the member had open for the day.
    await report_form.drop(session, telegram_user_id)
    return ChoiceResult(ChoiceOutcome.SAVED, day, schedule, saved=saved)
