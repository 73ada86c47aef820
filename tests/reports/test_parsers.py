"""Property tests for what the report form reads from users: callback data and notes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import use_locale
from bot.render.prompts import ReportChoice
from bot.render.reports import (
    amend_callback,
    form_callback,
    form_step,
    parse_amend_callback,
    parse_form_callback,
)
from bot.services.members.settings import InvalidText
from bot.services.reports.form import (
    FLAGS,
    Form,
    FormKind,
    Person,
    Step,
    clean_note,
)
from bot.services.reports.store import MAX_NOTE, SYMPTOMS

DAY = date(2026, 11, 30)


def a_form(n: int = 1, step: Step = Step.WHO, people: int = 11) -> Form:
    return Form(id="a1b2c3", n=n, day=DAY, kind=FormKind.SICK, step=step,
                people=[Person(None if i == 0 else i, "r" * 32 if i else "", "n" * 64)
                        for i in range(people)], who=[0, 3])


@pytest.mark.parametrize("step", list(Step))
@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_every_button_of_every_step_fits_and_parses_back(step: Step, locale: str) -> None:
    form = a_form(n=999_999, step=step)
    form.kind = FormKind.OTHER if step is Step.FLAGS else FormKind.SICK
    with use_locale(locale):
        _text, rows = form_step(form)
    for _label, data in (b for row in rows for b in row):
        assert len(data.encode()) <= 64
        parsed = parse_form_callback(data)
        assert parsed is not None and parsed[:2] == ("a1b2c3", 999_999), data
        assert form_callback(form, parsed[2], parsed[3]) == data


@given(st.text(max_size=80))
def test_forged_form_data_is_refused_or_parsed_never_raises(data: str) -> None:
    parsed = parse_form_callback(data)
    if parsed is not None:
        form_id, n, action, arg = parsed
        assert data == f"rf:{form_id}:{data.split(':')[2]}:{action}" + (f":{arg}" if arg
                                                                          else "")
        assert 0 <= n <= 999_999


@given(st.sampled_from(["w", "t", "s", "f"]),
       st.sampled_from([*SYMPTOMS, *FLAGS, "0", "10", "36.5", "n"]))
def test_form_callbacks_round_trip(action: str, arg: str) -> None:
    form = a_form(n=3)
    assert parse_form_callback(form_callback(form, action, arg)) == ("a1b2c3", 3, action, arg)


@given(st.dates(), st.sampled_from([ReportChoice.OK, ReportChoice.SICK, ReportChoice.OTHER]))
def test_amend_callbacks_round_trip(day: date, choice: ReportChoice) -> None:
    assert parse_amend_callback(amend_callback(day, choice)) == (day, choice)


@given(st.text(max_size=80))
def test_forged_amend_data_is_refused_or_parsed(data: str) -> None:
    parsed = parse_amend_callback(data)
    if parsed is not None:
        assert amend_callback(*parsed) == data and parsed[1] is not ReportChoice.SAME


def test_malformed_data_is_refused() -> None:
    for data in ["", "rf:", "rf:a1b2c3:1", "rf:A1B2C3:1:ok", "rf:a1b2c3:-1:ok",
                 "rf:a1b2c3:1:drop", "rf:a1b2c3:1:w:<b>", "rf:a1b2c3:1234567:ok", None,
                 "rf:a1b2c3:1:ok\n"]:
        assert parse_form_callback(data) is None, data
    for data in ["ra:2026-11-30:same", "ra:2026-02-30:ok", "r:2026-11-30:ok", None]:
        assert parse_amend_callback(data) is None, data


@given(st.text(max_size=MAX_NOTE * 6))
def test_a_note_is_one_clean_line_within_the_limit_or_refused(text: str) -> None:
    try:
        note = clean_note(text)
    except InvalidText:
        return
    assert 1 <= len(note) <= MAX_NOTE
    assert note == note.strip() and "\n" not in note and "  " not in note


def test_form_state_survives_the_database_round_trip() -> None:
    form = a_form(step=Step.SYMPTOMS)
    form.people[3].symptoms = ["cough"]
    form.people[0].temperature = "37.5"
    assert Form.from_data(form.to_data()) == form
