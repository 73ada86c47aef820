"""The leaders' callback data: what the buttons carry parses back, anything else is refused."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import use_locale
from bot.render.alerts import ALERT_PATTERN, handled_callback, parse_handled_callback
from bot.render.leaders import CONTACTS_PATTERN, REPORT_FOR_PATTERN, chain_buttons
from bot.render.leaders import report_for_choice as choice
from bot.services.digest.report_for_form import ReportForTarget
from bot.services.org.contacts import Chain, ContactLine, UnitRef

ids = st.integers(min_value=1, max_value=10**12 - 1)


@given(ids)
def test_the_handled_button_parses_back(alert_id: int) -> None:
    data = handled_callback(alert_id)
    assert len(data.encode()) <= 64 and re.fullmatch(ALERT_PATTERN, data)
    assert parse_handled_callback(data) == alert_id


@given(st.text(max_size=80))
def test_forged_handled_data_is_refused_or_exact(data: str) -> None:
    parsed = parse_handled_callback(data)
    if parsed is not None:
        assert handled_callback(parsed) == data


def test_malformed_handled_data() -> None:
    for data in [None, "", "al:h:", "al:h:x", "al:h:1:2", "al:h:-1", "al:h:1\n",
                 "al:h:" + "9" * 13, " al:h:1"]:
        assert parse_handled_callback(data) is None, data


@given(ids, st.lists(st.tuples(ids, st.text(min_size=1, max_size=64)), max_size=10))
def test_every_contacts_button_matches_its_pattern(unit: int,
                                                   people: list[tuple[int, str]]) -> None:
    chain = Chain(UnitRef(unit, ("Group",)),
                  tuple(ContactLine(m, name, True) for m, name in people))
    with use_locale("en"):
        rows = chain_buttons(chain)
    for row in rows:
        for label, data in row:
            assert len(data.encode()) <= 64 and re.fullmatch(CONTACTS_PATTERN, data)
            assert 0 < len(label) <= 64


@given(ids, st.dates(min_value=date(2000, 1, 1), max_value=date(2999, 12, 31)))
def test_every_report_for_button_matches_its_pattern(member: int, day: date) -> None:
    with use_locale("en"):
        _text, rows = choice(ReportForTarget(member, "<Ann>", ("Group",), day))
    for row in rows:
        for _label, data in row:
            assert len(data.encode()) <= 64 and re.fullmatch(REPORT_FOR_PATTERN, data)


@given(st.text(max_size=80))
def test_patterns_take_no_stray_characters(data: str) -> None:
    for pattern in (CONTACTS_PATTERN, REPORT_FOR_PATTERN, ALERT_PATTERN):
        if re.fullmatch(pattern, data):
            assert data.isascii() and "\n" not in data and " " not in data
