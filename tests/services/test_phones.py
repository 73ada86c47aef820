"""Phone numbers: the forms members and rosters use, and what is refused, with which reason."""

from __future__ import annotations

import time

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.services.members.phones import (
    MAX_PHONE_INPUT,
    InvalidPhone,
    PhoneError,
    is_valid_phone,
    normalize_phone,
)

CN_MOBILE = "+8613800138000"


@pytest.mark.parametrize(
    "raw",
    [
        "+86 138-0013-8000",
        "13800138000",
        "008613800138000",
        "+86 (138) 0013 8000",
        "１３８００１３８０００",
        "＋８６ １３８ ００１３ ８０００",
        "8613800138000",  # a Telegram contact without the plus
        "+8613800138000",
        "86 138 0013 8000",
        "  13800138000\n",
        "138.0013.8000",
        "138–0013–8000",  # en dashes from a word processor
    ],
)
def test_forms_of_one_mobile_normalise_alike(raw: str) -> None:
    assert normalize_phone(raw) == CN_MOBILE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("010-12345678", "+861012345678"),  # Beijing landline with its area code
        ("(010) 1234 5678", "+861012345678"),
        ("+1 650 253 0000", "+16502530000"),
        ("+44 20 7946 0958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
    ],
)
def test_other_numbers(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


def test_default_region_is_used_for_national_numbers() -> None:
    assert normalize_phone("(650) 253-0000", default_region="US") == "+16502530000"
    assert normalize_phone("+86 138 0013 8000", default_region="US") == CN_MOBILE


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", PhoneError.EMPTY),
        ("   ", PhoneError.EMPTY),
        ("abc", PhoneError.NOT_A_NUMBER),
        ("13800138000abc", PhoneError.NOT_A_NUMBER),  # not read as vanity letters
        ("tel:13800138000", PhoneError.NOT_A_NUMBER),
        ("1+3800138000", PhoneError.NOT_A_NUMBER),
        ("--", PhoneError.NOT_A_NUMBER),
        ("+999 1234 5678", PhoneError.INVALID_COUNTRY_CODE),
        ("1", PhoneError.TOO_SHORT),
        ("+86 12", PhoneError.TOO_SHORT),
        ("+86 138 0013 8000 0000 0", PhoneError.TOO_LONG),
        ("99999999999999999999", PhoneError.TOO_LONG),
        ("12345678901", PhoneError.INVALID_FOR_REGION),
        ("1380013800", PhoneError.INVALID_FOR_REGION),  # one digit missing
        ("861234567890", PhoneError.INVALID_FOR_REGION),
        ("1" * (MAX_PHONE_INPUT + 1), PhoneError.INPUT_TOO_LONG),
    ],
)
def test_refused_with_reason(raw: str, reason: PhoneError) -> None:
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(raw)
    assert caught.value.reason is reason
    assert isinstance(caught.value, ValueError)
    assert not is_valid_phone(raw)


def test_invalid_for_region_names_the_region() -> None:
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone("12345678901")
    assert caught.value.region == "CN"


def test_mistyped_national_number_is_not_taken_for_a_foreign_one() -> None:
    # As "+12345678901" this would be a valid US number; a Chinese roster means a typo.
    assert phonenumbers.is_valid_number(phonenumbers.parse("+12345678901"))
    assert not is_valid_phone("12345678901")


def test_overlong_input_is_refused_without_parsing() -> None:
    started = time.perf_counter()
    for _ in range(100):
        with pytest.raises(InvalidPhone) as caught:
            normalize_phone("1" * 10_000)
    assert caught.value.reason is PhoneError.INPUT_TOO_LONG
    assert time.perf_counter() - started < 0.1


def test_is_valid_phone() -> None:
    assert is_valid_phone("13800138000")
    assert not is_valid_phone("not a phone")


# --- properties ------------------------------------------------------------------------------

_FULL_WIDTH = str.maketrans("0123456789+-() ", "０１２３４５６７８９＋－（）\u3000")
_CN_MOBILE_PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151",
                       "152", "155", "156", "157", "158", "159", "186", "187", "188", "189"]


@st.composite
def cn_mobiles(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(_CN_MOBILE_PREFIXES))
    number = prefix + draw(st.text("0123456789", min_size=8, max_size=8))
    assume(phonenumbers.is_valid_number(phonenumbers.parse(number, "CN")))
    return number


def _renderings(n: str) -> list[str]:
    spaced = f"{n[:3]} {n[3:7]} {n[7:]}"
    return [
        n,
        f"+86{n}",
        f"86{n}",
        f"0086{n}",
        f"+86 {spaced}",
        f"+86-{n[:3]}-{n[3:7]}-{n[7:]}",
        f"+86 ({n[:3]}) {n[3:7]} {n[7:]}",
        f"86 {spaced}",
        f"  {spaced} ",
        n.translate(_FULL_WIDTH),
        f"+86 {spaced}".translate(_FULL_WIDTH),
    ]


@settings(max_examples=60)
@given(cn_mobiles())
def test_any_cn_mobile_in_any_format_gives_one_e164(number: str) -> None:
    results = {normalize_phone(raw) for raw in _renderings(number)}
    assert results == {f"+86{number}"}


@settings(max_examples=300)
@given(st.text(max_size=80))
def test_arbitrary_text_gives_e164_or_invalid_phone(raw: str) -> None:
    try:
        result = normalize_phone(raw)
    except InvalidPhone as exc:
        assert isinstance(exc.reason, PhoneError)
        return
    assert result.startswith("+") and result[1:].isdigit()
    assert normalize_phone(result) == result  # E.164 is a fixed point


@settings(max_examples=200)
@given(st.text("0123456789 +-()", max_size=24))
def test_digit_strings_give_e164_or_invalid_phone(raw: str) -> None:
    try:
        result = normalize_phone(raw)
    except InvalidPhone:
        return
    assert phonenumbers.is_valid_number(phonenumbers.parse(result))
    assert normalize_phone(result) == result
