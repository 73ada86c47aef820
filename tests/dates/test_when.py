"""The date and time parser: the table of forms leaders write, refusals, and properties
(never an exception other than InvalidWhen; formatted dates read back as themselves)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.when import (
    InvalidWhen,
    WhenError,
    parse_clock,
    parse_day,
    parse_day_range,
    parse_moment,
    understand,
)
from tests.dates.table import REFUSED, TABLE, TODAY

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 4, 15, 0, tzinfo=ZONE)


@pytest.mark.parametrize(("text", "day", "clock"), TABLE)
def test_every_form_in_the_table_is_read(text: str, day: date | None, clock: str | None) -> None:
    understood = understand(text, TODAY)
    assert understood.day == day
    assert (understood.clock.strftime("%H:%M") if understood.clock else None) == clock


@pytest.mark.parametrize("text", REFUSED)
def test_what_is_no_date_is_refused(text: str) -> None:
    with pytest.raises(InvalidWhen):
        understand(text, TODAY)


def test_a_moment_needs_a_time_and_must_be_ahead() -> None:
    with pytest.raises(InvalidWhen) as no_time:
        parse_moment("明天", NOW)
    assert no_time.value.code is WhenError.NO_TIME
    with pytest.raises(InvalidWhen) as past:
        parse_moment("今天上午9点", NOW)
    assert past.value.code is WhenError.PAST
    with pytest.raises(InvalidWhen) as far:
        parse_moment("2027-03-01 08:00", NOW, max_ahead=timedelta(days=30))
    assert far.value.code is WhenError.TOO_FAR
    # A time alone is its next occurrence: 9:00 has passed today, so tomorrow's.
    assert parse_moment("上午9点", NOW) == datetime(2026, 12, 5, 9, 0, tzinfo=ZONE)
    assert parse_moment("晚上10点", NOW) == datetime(2026, 12, 4, 22, 0, tzinfo=ZONE)
    assert parse_moment("晚上12点", NOW) == datetime(2026, 12, 5, 0, 0, tzinfo=ZONE)


def test_ranges_take_the_missing_month_from_their_start() -> None:
    assert parse_day_range("明天到下周五", TODAY) == (date(2026, 12, 5), date(2026, 12, 11))
    assert parse_day_range("12月30日至3号", TODAY) == (date(2026, 12, 30), date(2027, 1, 3))
    assert parse_day_range("Dec 6 to Dec 10", TODAY) == (date(2026, 12, 6), date(2026, 12, 10))
    assert parse_day_range("2026-12-01 2026-12-05", TODAY) == (date(2026, 12, 1),
                                                              date(2026, 12, 5))
    # A leave may have begun: without `future`, a day is the nearest such one.
    assert parse_day_range("12月1日", TODAY) == (date(2026, 12, 1), date(2026, 12, 1))


def test_a_day_refuses_a_time_and_a_clock_refuses_a_day() -> None:
    assert parse_day("下周五", TODAY) == date(2026, 12, 11)
    assert parse_clock("晚上10点") == time(22, 0)
    for bad, parse in (("明天8点", lambda t: parse_day(t, TODAY)), ("明天", parse_clock)):
        with pytest.raises(InvalidWhen):
            parse(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_read_or_refused_with_a_code(text: str) -> None:
    for call in (lambda: understand(text, TODAY), lambda: parse_moment(text, NOW),
                 lambda: parse_day_range(text, TODAY), lambda: parse_clock(text)):
        try:
            call()
        except InvalidWhen as invalid:
            assert isinstance(invalid.code, WhenError)


_PIECES = st.sampled_from(["明天", "后天", "下周", "周五", "12月", "6号", "日", "晚上", "10点",
                           "半", "8pm", "tomorrow", "next", "friday", "dec", "6", ":", "30",
                           " ", "到", "-", "2026", "年", "上午", "十", "二"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=8).map("".join))
def test_near_misses_are_read_or_refused_with_a_code(text: str) -> None:
    try:
        understood = understand(text, TODAY)
    except InvalidWhen:
        return
    assert understood.day is not None or understood.clock is not None


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
       st.times().map(lambda t: t.replace(second=0, microsecond=0)))
def test_formatted_dates_read_back_as_themselves(day: date, clock: time) -> None:
    chinese = f"{day.year}年{day.month}月{day.day}日 {clock.hour}点{clock.minute}分"
    for text in (f"{day.isoformat()} {clock:%H:%M}", chinese,
                 f"{day:%B} {day.day}, {day.year} {clock:%H:%M}"):
        assert understand(text, TODAY) == understand(f"{day.isoformat()} {clock:%H:%M}", TODAY)
        assert understand(text, TODAY).day == day
        assert understand(text, TODAY).clock == clock


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1),
                    timezones=st.just(UTC)),
       st.integers(min_value=1, max_value=60 * 24 * 29))
def test_a_moment_written_as_month_day_and_time_is_found_again(now: datetime,
                                                               minutes: int) -> None:
    now = now.astimezone(ZONE).replace(second=0, microsecond=0)
    moment = now + timedelta(minutes=minutes)
    text = f"{moment.month}月{moment.day}日 {moment:%H:%M}"
    assert parse_moment(text, now) == moment


@settings(max_examples=150, deadline=None)
@given(st.datetimes(min_value=datetime(2026, 12, 4), max_value=datetime(2099, 12, 31),
                    timezones=st.just(UTC)).map(lambda d: d.replace(second=0, microsecond=0)),
       st.sampled_from(["zh_CN", "en"]))
def test_what_the_bot_echoes_reads_back_as_the_same_moment(moment: datetime,
                                                           locale: str) -> None:
    """The confirmation the bot shows (render.when: weekday, date, time, zone) is itself a
    date the parser reads, in both languages: a leader may copy it back. The moments are
    those a send time can be, from today on: a date of this year is shown without its year
    (the one date style), and the parser reads a date without a year as the next one; a past
    day of this year copied back is refused by its weekday, never taken as next year's."""
    from bot.i18n import use_locale
    from bot.render.when import moment_text

    with use_locale(locale):
        shown = moment_text(moment, "Asia/Shanghai")
    text = shown.rsplit("(", 1)[0].rsplit("（", 1)[0].strip()  # the zone's name dropped
    local = moment.astimezone(ZONE)
    understood = understand(text, TODAY)
    assert (understood.day, understood.clock) == (local.date(), local.time().replace(
        tzinfo=None)), shown


def test_a_past_day_of_this_year_copied_back_is_refused_not_moved_to_next_year() -> None:
    from bot.i18n import use_locale
    from bot.render.when import moment_text

    with use_locale("zh_CN"):
        shown = moment_text(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), "Asia/Shanghai")
    assert shown.startswith("3月2日周一 09:00")
    with pytest.raises(InvalidWhen):
        understand(shown.rsplit("（", 1)[0].rsplit("(", 1)[0].strip(), TODAY)
