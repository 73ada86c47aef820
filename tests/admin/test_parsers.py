"""Property tests for the parsers of /invite and /setschedule arguments: any text gives a
result or the parser's own error, never anything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.db.models import Role
from bot.services.org.admin import ArgsError, InvalidArgs, InviteArgs, parse_invite_args
from bot.services.org.unit_admin import (
    InvalidSchedule,
    ScheduleArgsError,
    Setting,
    parse_schedule_args,
)

TEXT = st.text(max_size=400)


@given(TEXT)
def test_invite_args_never_crash(text: str) -> None:
    try:
        args = parse_invite_args(text)
    except InvalidArgs as error:
        assert error.code in ArgsError
    else:
        assert 1 <= args.uses <= 10_000 and 1 <= args.days <= 365
        assert len(args.query) <= 200


@given(st.sampled_from(["Company A", "Branch 1", "集团/A公司", ""]),
       st.sampled_from(["member", "leader", "admin", "负责人"]),
       st.integers(1, 10_000), st.integers(1, 365))
def test_invite_args_round_trip(unit: str, role: str, uses: int, days: int) -> None:
    args = parse_invite_args(f"{unit} {role} {uses} {days}")
    assert args.query == unit and args.uses == uses and args.days == days
    assert args.role in Role


@pytest.mark.parametrize("text,expected", [
    ("", InviteArgs("")),
    ("Branch 1", InviteArgs("Branch 1")),
    ("Branch 1 leader", InviteArgs("Branch 1", Role.LEADER)),
    ("Branch 1 member 5", InviteArgs("Branch 1", Role.MEMBER, 5)),
    ("ＡＢ　leader　３", InviteArgs("AB", Role.LEADER, 3)),  # full-width, as typed on phones
    ("Leader Team", InviteArgs("Leader Team")),
])
def test_invite_examples(text: str, expected: InviteArgs) -> None:
    assert parse_invite_args(text) == expected


@pytest.mark.parametrize("text", ["A member 0", "A member 10001", "A leader 1 366",
                                  "x" * 201])
def test_invite_refusals(text: str) -> None:
    with pytest.raises(InvalidArgs):
        parse_invite_args(text)


@given(TEXT)
def test_schedule_args_never_crash(text: str) -> None:
    try:
        args = parse_schedule_args(text)
    except InvalidSchedule as error:
        assert error.code in ScheduleArgsError
    else:
        assert all(k in Setting for k in args.changes)


@given(st.times(), st.lists(st.times(), max_size=4))
def test_schedule_times_round_trip(prompt: object, reminders: list[object]) -> None:
    text = "Branch 1 prompt={} reminders={}".format(
        prompt.strftime("%H:%M"),  # type: ignore[attr-defined]
        ",".join(r.strftime("%H:%M") for r in reminders) or "none")  # type: ignore[attr-defined]
    args = parse_schedule_args(text)
    assert args.query == "Branch 1"
    assert args.changes[Setting.PROMPT] == prompt.strftime("%H:%M")  # type: ignore[attr-defined]
    wanted = sorted({r.strftime("%H:%M") for r in reminders})  # type: ignore[attr-defined]
    assert args.changes[Setting.REMINDERS] == ",".join(wanted)


def test_schedule_examples() -> None:
    args = parse_schedule_args("Company A tz=Asia/Tokyo weekends=skip deadline=inherit "
                               "prompt＝7：30")
    assert args.query == "Company A"
    assert args.changes == {Setting.TZ: "Asia/Tokyo", Setting.WEEKENDS: True,
                            Setting.DEADLINE: None, Setting.PROMPT: "07:30"}
    for bad, code in [("prompt=25:00", ScheduleArgsError.BAD_TIME),
                      ("tz=../../etc/passwd", ScheduleArgsError.BAD_ZONE),
                      ("weekends=yes", ScheduleArgsError.BAD_WEEKENDS),
                      ("x=1", ScheduleArgsError.UNKNOWN_KEY),
                      ("a" * 301, ScheduleArgsError.TOO_LONG)]:
        with pytest.raises(InvalidSchedule) as caught:
            parse_schedule_args(bad)
        assert caught.value.code is code
