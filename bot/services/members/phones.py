"""Phone numbers from rosters and shared Telegram contacts, normalised to E.164.

Parsing and validity come from `phonenumbers` (Google's libphonenumber metadata); this module
only decides what input we are willing to hand it and turns its failures into reason codes.
"""

from __future__ import annotations

import enum
import re
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, ValidationResult

# Longest input we look at. Real numbers with generous punctuation fit in 40 characters; anything
# longer is refused before normalisation or parsing, so a 10,000-character message costs nothing.
MAX_PHONE_INPUT = 64

# After NFKC (full-width digits and punctuation become ASCII) a number may contain only digits,
# blanks and the separators people type. Letters are refused rather than handed to
# phonenumbers, which would read them as vanity letters ("13800138000abc" would become a
# different, longer number).
_ALLOWED = re.compile(r"\+?[0-9\s().\-‐‑‒–—−/]*")
_SEPARATORS = re.compile(r"[\s().\-‐‑‒–—−/]")


class PhoneError(enum.StrEnum):
    EMPTY = "empty"
    INPUT_TOO_LONG = "input_too_long"  # over MAX_PHONE_INPUT characters, not parsed
    NOT_A_NUMBER = "not_a_number"  # letters, misplaced "+", or no digits at all
    INVALID_COUNTRY_CODE = "invalid_country_code"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    NEEDS_AREA_CODE = "needs_area_code"  # a local landline number without its area code
    INVALID_FOR_REGION = "invalid_for_region"  # right shape, but no such number in `region`


class InvalidPhone(ValueError):
    """`reason` says what is wrong; `region` is the region the number was read in, if known."""

    def __init__(self, reason: PhoneError, *, region: str | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.region = region


_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: PhoneError.INVALID_COUNTRY_CODE,
    NumberParseException.NOT_A_NUMBER: PhoneError.NOT_A_NUMBER,
    NumberParseException.TOO_SHORT_AFTER_IDD: PhoneError.TOO_SHORT,
    NumberParseException.TOO_SHORT_NSN: PhoneError.TOO_SHORT,
    NumberParseException.TOO_LONG: PhoneError.TOO_LONG,
}
_POSSIBILITY_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: PhoneError.INVALID_COUNTRY_CODE,
    ValidationResult.TOO_SHORT: PhoneError.TOO_SHORT,
    ValidationResult.TOO_LONG: PhoneError.TOO_LONG,
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: PhoneError.NEEDS_AREA_CODE,
}


def normalize_phone(raw: str, *, default_region: str = "CN") -> str:
    """The number in E.164 (`+8613800138000`), or `InvalidPhone`.

    A number without "+" or "00" is read as a national number of `default_region`. If that is
    not a valid number but its digits begin with the region's country code (Telegram sends
    contacts as `8613800138000`), it is read once more as an international number. The retry
    is limited to the region's own code on purpose: retrying every invalid national number
    with "+" would turn a mistyped Chinese mobile such as 12345678901 into a valid US number.
    Telegram contact numbers are always international, so a contact handler should add the
    missing "+" itself before calling this for members abroad.
    """
    if len(raw) > MAX_PHONE_INPUT:
        raise InvalidPhone(PhoneError.INPUT_TOO_LONG)
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise InvalidPhone(PhoneError.EMPTY)
    if not _ALLOWED.fullmatch(text) or not any(c.isdigit() for c in text):
        raise InvalidPhone(PhoneError.NOT_A_NUMBER)
    number = _parse(text, default_region)
    if phonenumbers.is_valid_number(number):
        return _e164(number)
    digits = _SEPARATORS.sub("", text)
    country_code = str(phonenumbers.country_code_for_region(default_region))
    if not digits.startswith(("+", "00")) and digits.startswith(country_code):
        try:
            retry = _parse("+" + digits, None)
        except InvalidPhone:
            retry = None
        if retry is not None and phonenumbers.is_valid_number(retry):
            return _e164(retry)
    raise _invalid(number)


def is_valid_phone(raw: str, *, default_region: str = "CN") -> bool:
    try:
        normalize_phone(raw, default_region=default_region)
    except InvalidPhone:
        return False
    return True


def _parse(text: str, region: str | None) -> PhoneNumber:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, PhoneError.NOT_A_NUMBER)
        # Our character check already passed, so "not a number" here means one or two digits.
        if reason is PhoneError.NOT_A_NUMBER and sum(c.isdigit() for c in text) < 3:
            reason = PhoneError.TOO_SHORT
        national = not text.startswith(("+", "00"))
        raise InvalidPhone(reason, region=region if national else None) from None


def _e164(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _invalid(number: PhoneNumber) -> InvalidPhone:
    region = phonenumbers.region_code_for_country_code(number.country_code or 0)
    known_region = None if region == phonenumbers.UNKNOWN_REGION else region
    possibility = phonenumbers.is_possible_number_with_reason(number)
    reason = _POSSIBILITY_REASONS.get(possibility, PhoneError.INVALID_FOR_REGION)
    return InvalidPhone(reason, region=known_region)
