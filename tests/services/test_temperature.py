"""Temperatures as members type them: accepted forms, refusals and their codes, °F."""

from __future__ import annotations

import time
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.reports.temperature import (
    FEVER_THRESHOLD,
    MAX_C,
    MAX_INPUT,
    MIN_C,
    TemperatureError,
    TemperatureErrorCode,
    TemperatureUnit,
    is_fever,
    parse_temperature,
    to_celsius,
)

Code = TemperatureErrorCode


@pytest.mark.parametrize(
    "text",
    ["37.5", "37,5", "37.5°C", "37.5 °C", "37.5 ℃", "37.5℃", "37.5c", "37.5C", "37.5度",
     "37度5", "３７．５", "３７，５", "３７度５", "37。5", "37.5摄氏度", "37.5°", " 37.5 ",
     "\t37.5 °c\n", "37.50", "37.45"],
)
def test_accepted_celsius_forms(text: str) -> None:
    assert parse_temperature(text) == Decimal("37.5")


@pytest.mark.parametrize("text", ["99.5°F", "99.5 F", "99.5℉", "99.5f", "99.5 °F", "99.5华氏度"])
def test_fahrenheit_is_converted(text: str) -> None:
    assert parse_temperature(text) == Decimal("37.5")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("37", "37.0"), ("36.44", "36.4"), ("36.45", "36.5"), ("34", "34.0"), ("43.0", "43.0"),
     ("43.04", "43.0"), ("98.6F", "37.0"), ("100.4 °F", "38.0")],
)
def test_values_are_quantised_to_tenths(text: str, expected: str) -> None:
    value = parse_temperature(text)
    assert value == Decimal(expected)
    assert value.as_tuple().exponent == -1


@pytest.mark.parametrize(
    ("text", "code"),
    [("", Code.EMPTY), ("   ", Code.EMPTY), ("abc", Code.NOT_A_NUMBER),
     ("37.5.1", Code.NOT_A_NUMBER), ("-37", Code.NOT_A_NUMBER), ("+37", Code.NOT_A_NUMBER),
     ("nan", Code.NOT_A_NUMBER), ("NaN", Code.NOT_A_NUMBER), ("inf", Code.NOT_A_NUMBER),
     ("Infinity", Code.NOT_A_NUMBER), ("1e2", Code.NOT_A_NUMBER), ("37.5°C°F", Code.NOT_A_NUMBER),
     ("37 .5", Code.NOT_A_NUMBER), (".5", Code.NOT_A_NUMBER), ("37.", Code.NOT_A_NUMBER),
     ("37.555", Code.NOT_A_NUMBER), ("3750", Code.NOT_A_NUMBER), ("37度5度", Code.NOT_A_NUMBER),
     ("٣٧٫٥", Code.NOT_A_NUMBER), ("120", Code.TOO_HIGH), ("43.1", Code.TOO_HIGH),
     ("43.05", Code.TOO_HIGH), ("33.9", Code.TOO_LOW), ("0", Code.TOO_LOW),
     ("3" * (MAX_INPUT + 1), Code.TOO_LONG), ("37.5" + " " * 40 + "x", Code.TOO_LONG)],
)
def test_refused_with_code(text: str, code: TemperatureErrorCode) -> None:
    with pytest.raises(TemperatureError) as caught:
        parse_temperature(text)
    assert caught.value.code is code
    assert isinstance(caught.value, ValueError)


def test_out_of_range_carries_the_value() -> None:
    with pytest.raises(TemperatureError) as caught:
        parse_temperature("120")
    error = caught.value
    assert (error.value, error.unit, error.celsius) == (Decimal(120), TemperatureUnit.CELSIUS,
                                                        Decimal("120.0"))
    assert not error.looks_fahrenheit and error.celsius_hint is None


@pytest.mark.parametrize("text", ["99.5", "99,5", "99.5度", "99.5°", "９９．５"])
def test_unlabelled_fahrenheit_reading_is_flagged(text: str) -> None:
    with pytest.raises(TemperatureError) as caught:
        parse_temperature(text)
    error = caught.value
    assert error.code is Code.TOO_HIGH
    assert error.value == Decimal("99.5")
    assert error.looks_fahrenheit and error.fahrenheit_hint == Decimal("37.5")


def test_labelled_celsius_is_not_suggested_as_fahrenheit() -> None:
    with pytest.raises(TemperatureError) as caught:
        parse_temperature("99.5°C")
    assert not caught.value.looks_fahrenheit


def test_celsius_reading_labelled_fahrenheit_gets_a_hint() -> None:
    with pytest.raises(TemperatureError) as caught:
        parse_temperature("37.5°F")
    error = caught.value
    assert error.code is Code.TOO_LOW
    assert error.unit is TemperatureUnit.FAHRENHEIT
    assert (error.celsius, error.celsius_hint) == (Decimal("3.1"), Decimal("37.5"))


def test_overlong_input_is_refused_fast() -> None:
    started = time.perf_counter()
    for _ in range(100):
        with pytest.raises(TemperatureError) as caught:
            parse_temperature("9" * 10_000)
    assert caught.value.code is Code.TOO_LONG
    assert time.perf_counter() - started < 0.1


def test_constants_and_fever() -> None:
    assert (MIN_C, MAX_C, FEVER_THRESHOLD) == (Decimal("34.0"), Decimal("43.0"), Decimal("37.3"))
    assert is_fever(Decimal("37.3")) and is_fever(Decimal("39.5"))
    assert not is_fever(Decimal("37.2"))
    assert is_fever(parse_temperature("39,5"))


# --- properties ------------------------------------------------------------------------------

_FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


def _half_up_tenths(value: Fraction) -> Decimal:
    """An independent oracle: round half up with exact rational arithmetic."""
    tenths = value * 10
    floor = tenths.numerator // tenths.denominator
    rounded = floor + (1 if tenths - floor >= Fraction(1, 2) else 0)
    return Decimal(rounded).scaleb(-1)


def _celsius_renderings(t: Decimal) -> list[str]:
    whole, tenth = str(t).split(".")
    return [f"{t}", f"{whole},{tenth}", f"{t}°C", f"{t} °C", f"{t}℃", f"{t} ℃", f"{t}c",
            f"{t}C", f"{t}度", f"{whole}度{tenth}", f"{t}摄氏度", f" {t} ",
            f"{t}".translate(_FULL_WIDTH), f"{whole},{tenth}".translate(_FULL_WIDTH),
            f"{t}0"]


@settings(max_examples=80)
@given(st.integers(min_value=340, max_value=430))
def test_any_celsius_in_range_in_any_format_parses_back(tenths: int) -> None:
    t = Decimal(tenths).scaleb(-1)
    assert {parse_temperature(text) for text in _celsius_renderings(t)} == {t}
    assert is_fever(t) == (tenths >= 373)


@settings(max_examples=80)
@given(st.integers(min_value=900, max_value=1120),
       st.sampled_from(["{}°F", "{} °F", "{}℉", "{} F", "{}f", "{}华氏度"]))
def test_fahrenheit_agrees_with_the_formula(tenths: int, form: str) -> None:
    fahrenheit = Fraction(tenths, 10)
    expected = _half_up_tenths((fahrenheit - 32) * Fraction(5, 9))
    text = form.format(Decimal(tenths).scaleb(-1))
    assert to_celsius(Decimal(tenths).scaleb(-1)) == expected
    if MIN_C <= expected <= MAX_C:
        assert parse_temperature(text) == expected
    else:
        with pytest.raises(TemperatureError) as caught:
            parse_temperature(text)
        assert caught.value.celsius == expected
        assert caught.value.code is (Code.TOO_LOW if expected < MIN_C else Code.TOO_HIGH)


@settings(max_examples=80)
@given(st.integers(min_value=431, max_value=1500))
def test_unlabelled_numbers_above_range_flag_fahrenheit_exactly_when_plausible(
    tenths: int,
) -> None:
    value = Decimal(tenths).scaleb(-1)
    as_fahrenheit = _half_up_tenths((Fraction(tenths, 10) - 32) * Fraction(5, 9))
    with pytest.raises(TemperatureError) as caught:
        parse_temperature(str(value))
    plausible = MIN_C <= as_fahrenheit <= MAX_C
    assert caught.value.fahrenheit_hint == (as_fahrenheit if plausible else None)


@settings(max_examples=300)
@given(st.text(max_size=40))
def test_arbitrary_text_gives_a_temperature_in_range_or_the_documented_error(text: str) -> None:
    try:
        value = parse_temperature(text)
    except TemperatureError as exc:
        assert exc.code in set(TemperatureErrorCode)
        if exc.code in (Code.TOO_LOW, Code.TOO_HIGH):
            assert exc.value is not None and exc.celsius is not None
        return
    assert MIN_C <= value <= MAX_C
    assert value.as_tuple().exponent == -1


@settings(max_examples=200)
@given(st.from_regex(r"\s*[0-9０-９]{0,4}([.,。．，][0-9]{0,3})?\s*(°[CcFf]|[CcFf度℃℉])?\s*",
                     fullmatch=True))
def test_number_like_text_gives_a_temperature_or_the_documented_error(text: str) -> None:
    try:
        value = parse_temperature(text)
    except TemperatureError as exc:
        assert exc.code in set(TemperatureErrorCode)
        return
    assert MIN_C <= value <= MAX_C


@settings(max_examples=100)
@given(st.integers(min_value=340, max_value=430),
       st.sampled_from(["{}", "{}度", "{}°C", "{}℃", " {} ", "{}°"]))
def test_three_digits_without_the_point_are_offered_never_accepted(tenths: int,
                                                                   form: str) -> None:
    """"376" is refused, with 37.6 as the reading to offer (never taken silently)."""
    with pytest.raises(TemperatureError) as caught:
        parse_temperature(form.format(tenths))
    assert caught.value.code is Code.TOO_HIGH
    assert caught.value.hint == caught.value.decimal_hint == Decimal(tenths).scaleb(-1)


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=999), st.sampled_from(["", "°F", "F", ".0", ",5"]))
def test_a_hint_is_always_a_reading_that_parses_back_to_itself(number: int, suffix: str) -> None:
    """Whatever is offered to confirm is in range and would be accepted as typed."""
    try:
        parse_temperature(f"{number}{suffix}")
    except TemperatureError as error:
        if error.hint is not None:
            assert MIN_C <= error.hint <= MAX_C
            assert parse_temperature(str(error.hint)) == error.hint
            assert str(error.hint) == f"{error.hint:.1f}"
        if error.decimal_hint is not None:
            assert suffix in ("", ) and 340 <= number <= 430


@pytest.mark.parametrize(("text", "hint"), [("376", "37.6"), ("386", "38.6"), ("３７６", "37.6"),
                                            ("365度", "36.5"), ("120", None), ("999", None),
                                            ("376F", None), ("3760", None)])
def test_decimal_hints(text: str, hint: str | None) -> None:
    with pytest.raises(TemperatureError) as caught:
        parse_temperature(text)
    assert caught.value.decimal_hint == (None if hint is None else Decimal(hint))
