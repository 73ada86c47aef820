"""Parsers of what members and leaders type: names, quiet hours, /leave's arguments, shared
contacts' numbers. Examples first, then properties (hypothesis)."""

from __future__ import annotations

import unicodedata
from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.db.models import LeaveKind
from bot.render.onboarding import parse_family_callback
from bot.services.members.leaves import (
    InvalidLeaveArgs,
    LeaveArgsError,
    parse_date,
    parse_leave_args,
)
from bot.services.members.onboarding import contact_phone_candidates
from bot.services.members.settings import (
    MAX_INPUT,
    InvalidQuiet,
    InvalidText,
    QuietError,
    QuietHours,
    TextError,
    clean_text,
    parse_quiet,
)
from bot.services.when import InvalidWhen, understand

# --- names and relations -------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "clean"), [
    ("  Wang   Wei ", "Wang Wei"), ("王伟", "王伟"), ("Li Na 😀", "Li Na 😀"),
    ("e\u0301", "é"), ("O'Brien-Smith", "O'Brien-Smith"),
])
def test_clean_names(raw: str, clean: str) -> None:
    assert clean_text(raw, limit=64) == clean


@pytest.mark.parametrize(("raw", "code"), [
    ("", TextError.EMPTY), ("   ", TextError.EMPTY), ("😀🎉", TextError.NO_LETTERS),
    ("123", TextError.NO_LETTERS), ("...", TextError.NO_LETTERS),
    ("\u200b", TextError.NO_LETTERS), ("a\nb", TextError.CONTROL),
    ("a\u202eb", TextError.CONTROL), ("a\x00b", TextError.CONTROL),
    ("n" * 65, TextError.TOO_LONG), ("名" * 10_000, TextError.TOO_LONG),
])
def test_refused_names(raw: str, code: TextError) -> None:
    with pytest.raises(InvalidText) as refused:
        clean_text(raw, limit=64)
    assert refused.value.code is code and refused.value.limit == 64


@given(st.text(max_size=MAX_INPUT + 20), st.integers(min_value=1, max_value=64))
def test_clean_text_gives_a_clean_line_or_a_reason(raw: str, limit: int) -> None:
    try:
        clean = clean_text(raw, limit=limit)
    except InvalidText as refused:
        assert refused.code in TextError and refused.limit == limit
        return
    assert 1 <= len(clean) <= limit and clean == clean.strip() and "  " not in clean
    assert any(unicodedata.category(c).startswith("L") for c in clean)
    assert not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in clean)
    assert clean_text(clean, limit=limit) == clean  # idempotent


# --- quiet hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "start", "end"), [
    ("22:00 07:00", time(22), time(7)), ("22:00-07:00", time(22), time(7)),
    ("21:30 – 6:45", time(21, 30), time(6, 45)), ("22:00 到 7:00", time(22), time(7)),
    ("２２：００ ０７：００", time(22), time(7)), ("12:00 to 13:00", time(12), time(13)),
])
def test_quiet_hours_forms(raw: str, start: time, end: time) -> None:
    assert parse_quiet(raw) == QuietHours(start, end)


@pytest.mark.parametrize("raw", ["off", "OFF", " none ", "关闭", "取消"])
def test_quiet_off(raw: str) -> None:
    assert parse_quiet(raw) is None


@pytest.mark.parametrize(("raw", "code"), [
    ("", QuietError.FORMAT), ("22:00", QuietError.FORMAT), ("24:00 07:00", QuietError.FORMAT),
    ("22:60 07:00", QuietError.FORMAT), ("a b", QuietError.FORMAT),
    ("22:00 07:00 08:00", QuietError.FORMAT), ("1" * 10_000, QuietError.FORMAT),
    ("07:00 07:00", QuietError.SAME),
])
def test_quiet_refused(raw: str, code: QuietError) -> None:
    with pytest.raises(InvalidQuiet) as refused:
        parse_quiet(raw)
    assert refused.value.code is code


@given(st.times(), st.times(), st.sampled_from([" ", "-", " - ", "~", " to ", "到"]))
def test_any_two_distinct_times_round_trip(a: time, b: time, sep: str) -> None:
    a, b = a.replace(second=0, microsecond=0), b.replace(second=0, microsecond=0)
    text = f"{a:%H:%M}{sep}{b:%H:%M}"
    if a == b:
        with pytest.raises(InvalidQuiet):
            parse_quiet(text)
        return
    quiet = parse_quiet(text)
    assert quiet == QuietHours(a, b) and quiet.as_text() == (f"{a:%H:%M}", f"{b:%H:%M}")


@given(st.text(max_size=100))
def test_quiet_parser_never_raises_anything_else(raw: str) -> None:
    try:
        parse_quiet(raw)
    except InvalidQuiet as refused:
        assert refused.code in QuietError


# --- /leave arguments ----------------------------------------------------------------------


TODAY = date(2026, 12, 4)  # a Friday


def test_leave_args_forms() -> None:
    request = parse_leave_args("Wang Wei 2026-12-01 2026/12/5", TODAY)
    assert (request.query, request.start, request.end, request.kind) == (
        "Wang Wei", date(2026, 12, 1), date(2026, 12, 5), LeaveKind.LEAVE)
    request = parse_leave_args("13800138000 2026.12.1 免报", TODAY)
    assert (request.query, request.start, request.end, request.kind) == (
        "13800138000", date(2026, 12, 1), date(2026, 12, 1), LeaveKind.EXEMPT)
    # Full-width digits from a Chinese keyboard.
    assert parse_leave_args("王伟 ２０２６－１２－０１", TODAY).start == date(2026, 12, 1)
    assert not parse_leave_args("王伟 2026-12-01", TODAY).worded


@pytest.mark.parametrize(("raw", "query", "start", "end"), [
    ("王伟 明天到下周五", "王伟", date(2026, 12, 5), date(2026, 12, 11)),
    ("王伟明天到下周五", "王伟", date(2026, 12, 5), date(2026, 12, 11)),
    ("李娜 12月6日至10日", "李娜", date(2026, 12, 6), date(2026, 12, 10)),
    ("李娜 6号", "李娜", date(2026, 12, 6), date(2026, 12, 6)),
    ("Wang Wei tomorrow to next Friday", "Wang Wei", date(2026, 12, 5), date(2026, 12, 11)),
    ("Wang Wei Dec 6 to Dec 10", "Wang Wei", date(2026, 12, 6), date(2026, 12, 10)),
    ("Wang Wei next Monday", "Wang Wei", date(2026, 12, 7), date(2026, 12, 7)),
])
def test_leave_days_in_words(raw: str, query: str, start: date, end: date) -> None:
    request = parse_leave_args(raw, TODAY)
    assert (request.query, request.start, request.end, request.worded) == (query, start, end,
                                                                          True)


@pytest.mark.parametrize(("raw", "code"), [
    ("Wang Wei", LeaveArgsError.NO_DATE), ("", LeaveArgsError.NO_DATE),
    ("2026-12-01", LeaveArgsError.NO_QUERY), ("Wang 2026-02-30", LeaveArgsError.BAD_DATE),
    ("W" * 65 + " 2026-12-01", LeaveArgsError.TOO_LONG),
    ("x" * 10_000, LeaveArgsError.TOO_LONG),
])
def test_leave_args_refused(raw: str, code: LeaveArgsError) -> None:
    with pytest.raises(InvalidLeaveArgs) as refused:
        parse_leave_args(raw, TODAY)
    assert refused.value.code is code


@settings(deadline=None)  # the first English words load dateparser (~0.3 s, once)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30)
       .filter(lambda s: _is_plain(s)),
       st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
       st.integers(min_value=0, max_value=400))
def test_a_query_and_dates_round_trip(query: str, start: date, days: int) -> None:
    from datetime import timedelta

    end = start + timedelta(days=days)
    request = parse_leave_args(f"{query} {start.isoformat()} {end.isoformat()}", TODAY)
    assert (request.start, request.end) == (start, end)
    assert request.query == " ".join(unicodedata.normalize("NFKC", query).split())


def _is_plain(s: str) -> bool:
    """A query the parser cannot mistake for a date or a kind word after NFKC."""
    tokens = unicodedata.normalize("NFKC", s).split()
    if not tokens or len(" ".join(tokens)) > 64:
        return False
    try:
        if any(parse_date(t) is not None for t in tokens[-1:]):
            return False
    except InvalidLeaveArgs:
        return False
    # Nor a tail of it that reads as days in words (`mon`, `6号`).
    for size in range(1, len(tokens) + 1):
        try:
            understand(" ".join(tokens[-size:]), TODAY)
            return False
        except InvalidWhen:
            pass
    return tokens[-1].casefold() not in {"leave", "请假", "休假", "exempt", "免报", "豁免"}


@settings(deadline=None)  # the first English words load dateparser (~0.3 s, once)
@given(st.text(max_size=300))
def test_leave_parser_never_raises_anything_else(raw: str) -> None:
    try:
        request = parse_leave_args(raw, TODAY)
    except InvalidLeaveArgs as refused:
        assert refused.code in LeaveArgsError
        return
    # The range itself (end before start, too long, in the past) is set_leave's to check.
    assert request.query and len(request.query) <= 64 and request.query == request.query.strip()


# --- shared contacts -----------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["8613800138000", "+8613800138000", "13800138000",
                                 "008613800138000", "+86 138-0013-8000"])
def test_contact_numbers_as_clients_send_them(raw: str) -> None:
    assert contact_phone_candidates(raw)[0] == "+8613800138000"


def test_a_foreign_contact_number_keeps_its_country() -> None:
    assert contact_phone_candidates("447911123456") == ["+447911123456"]


@given(st.text(max_size=80))
def test_contact_candidates_are_e164(raw: str) -> None:
    for phone in contact_phone_candidates(raw):
        assert phone.startswith("+") and phone[1:].isdigit() and len(phone) <= 16


# --- button data (attacker-controlled) -----------------------------------------------------


@given(st.one_of(st.text(max_size=80), st.from_regex(r"fam:[a-z]{1,6}(:[a-z0-9-]{0,14})?",
                                                      fullmatch=True)))
def test_family_buttons_parse_only_what_the_bot_sends(data: str) -> None:
    parsed = parse_family_callback(data)
    if parsed is None:
        return
    action, arg = parsed
    assert data == f"fam:{action}:{arg}" if arg else data == f"fam:{action}"
    assert len(data.encode()) <= 64
    if action in ("ren", "del", "rm"):
        assert arg.isdigit() and len(arg) <= 12
    if action == "rel":
        assert arg in ("spouse", "child", "father", "mother")
