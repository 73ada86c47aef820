"""Body temperatures as members type them, read into °C with one decimal."""

from __future__ import annotations

import enum
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

FEVER_THRESHOLD = Decimal("37.3")
MIN_C = Decimal("34.0")
MAX_C = Decimal("43.0")
MAX_INPUT = 32

_TENTH = Decimal("0.1")

# Applied after NFKC, which turns full-width digits and punctuation into ASCII and ℃/℉ into
# °C/°F. "。" survives NFKC and is what a Chinese keyboard types for "." in a hurry.
_NUMBER = r"(?P<int>[0-9]{1,3})(?:[.,。](?P<frac>[0-9]{1,2}))?"
_PLAIN = re.compile(_NUMBER + r"\s*(?P<unit>°\s*[CF]|[CF]|°|摄氏度|华氏度|度)?", re.IGNORECASE)
# Spoken Chinese puts the unit between the whole and the tenths: 37度5 is 37.5 °C.
_SPOKEN = re.compile(r"(?P<int>[0-9]{1,3})度(?P<frac>[0-9])")


class TemperatureErrorCode(enum.StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"  # over MAX_INPUT characters: not a temperature, so not looked at
    NOT_A_NUMBER = "not_a_number"
    TOO_LOW = "too_low"  # below MIN_C
    TOO_HIGH = "too_high"  # above MAX_C


class TemperatureUnit(enum.StrEnum):
    CELSIUS = "C"
    FAHRENHEIT = "F"


class TemperatureError(ValueError):
    """A refused temperature.

    `value` is the number as typed and `unit` the scale it was read in; `celsius` is that
    reading in °C. Out of range, `fahrenheit_hint` is the °C value had an unlabelled number
    been meant as °F (99.5 → 37.5), `celsius_hint` the number itself when it was labelled
    °F but is a plausible °C reading (37.5 °F), and `decimal_hint` three digits without their
    point (376 → 37.6), so the reply can ask "did you mean …?" and offer it to confirm.
    """

    def __init__(
        self,
        code: TemperatureErrorCode,
        *,
        value: Decimal | None = None,
        unit: TemperatureUnit | None = None,
        celsius: Decimal | None = None,
        fahrenheit_hint: Decimal | None = None,
        celsius_hint: Decimal | None = None,
        decimal_hint: Decimal | None = None,
    ) -> None:
        super().__init__(code.value)
        self.code = code
        self.value = value
        self.unit = unit
        self.celsius = celsius
        self.fahrenheit_hint = fahrenheit_hint
        self.celsius_hint = celsius_hint
        self.decimal_hint = decimal_hint

    @property
    def looks_fahrenheit(self) -> bool:
        return self.fahrenheit_hint is not None

    @property
    def hint(self) -> Decimal | None:
        """The plausible °C reading the typed text may have meant, if any."""
        return self.fahrenheit_hint or self.celsius_hint or self.decimal_hint


def parse_temperature(text: str) -> Decimal:
    """The temperature in °C quantised to 0.1 (half up), or `TemperatureError`."""
    stripped = text.strip()
    if not stripped:
        raise TemperatureError(TemperatureErrorCode.EMPTY)
    if len(stripped) > MAX_INPUT:
        raise TemperatureError(TemperatureErrorCode.TOO_LONG)
    normal = unicodedata.normalize("NFKC", stripped).strip()
    match = _PLAIN.fullmatch(normal) or _SPOKEN.fullmatch(normal)
    if match is None:
        raise TemperatureError(TemperatureErrorCode.NOT_A_NUMBER)
    value = Decimal(f"{match['int']}.{match['frac']}" if match["frac"] else match["int"])
    label = (match.groupdict().get("unit") or "").upper()
    fahrenheit = label.endswith("F") or label == "华氏度"
    # A bare number, "°" or "度" means °C here, but may have been read off a °F thermometer.
    explicit = fahrenheit or label.endswith("C") or label == "摄氏度"
    celsius = to_celsius(value) if fahrenheit else _tenths(value)
    if MIN_C <= celsius <= MAX_C:
        return celsius
    as_fahrenheit = to_celsius(value)
    # "376" is 37.6 typed without its point (a phone keypad's "." is easy to miss).
    tenths = value / 10 if len(match["int"]) == 3 and not match["frac"] else None
    raise TemperatureError(
        TemperatureErrorCode.TOO_LOW if celsius < MIN_C else TemperatureErrorCode.TOO_HIGH,
        value=value,
        unit=TemperatureUnit.FAHRENHEIT if fahrenheit else TemperatureUnit.CELSIUS,
        celsius=celsius,
        fahrenheit_hint=(as_fahrenheit if not explicit and _in_range(as_fahrenheit) else None),
        celsius_hint=_tenths(value) if fahrenheit and _in_range(_tenths(value)) else None,
        decimal_hint=(_tenths(tenths) if tenths is not None and not fahrenheit
                      and _in_range(tenths) else None),
    )


def to_celsius(fahrenheit: Decimal) -> Decimal:
    """(F − 32) × 5/9, rounded half up to 0.1 °C."""
    return _tenths((fahrenheit - 32) * 5 / 9)


def is_fever(t: Decimal) -> bool:
    return t >= FEVER_THRESHOLD


def _tenths(value: Decimal) -> Decimal:
    return value.quantize(_TENTH, rounding=ROUND_HALF_UP)


def _in_range(celsius: Decimal) -> bool:
    return MIN_C <= celsius <= MAX_C
