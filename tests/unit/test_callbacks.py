"""bot.render.callbacks: every codec round-trips and fits Telegram's 64 bytes."""

from __future__ import annotations

import enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

import handlers  # noqa: F401  (imports every module that defines a codec)
from bot.render.callbacks import CODECS, Codec, Int, Token, Word
from bot.render.payloads import MAX_CALLBACK_DATA


class Colour(enum.StrEnum):
    RED = "r"
    GREEN = "g"


SAMPLE = Codec("test_sample", Int("id"), Word.of("colour", Colour), Token("day", 10))


def test_every_codec_fits_telegrams_limit() -> None:
    too_long = {c.prefix: c.longest() for c in CODECS if c.longest() > MAX_CALLBACK_DATA}
    assert not too_long


def test_prefixes_are_unique() -> None:
    with pytest.raises(ValueError):
        Codec("test_sample", Int("id"))


@given(st.integers(min_value=0, max_value=10**19 - 1), st.sampled_from(list(Colour)),
       st.from_regex(r"[A-Za-z0-9_\-]{1,10}", fullmatch=True))
def test_round_trip(number: int, colour: Colour, day: str) -> None:
    data = SAMPLE.encode(number, colour, day)
    assert len(data.encode()) <= SAMPLE.longest()
    assert SAMPLE.decode(data) == (number, colour.value, day)
    assert SAMPLE.matches(data)


@given(st.text(max_size=80))
def test_anything_else_is_not_decoded(data: str) -> None:
    decoded = SAMPLE.decode(data)
    if decoded is not None:
        assert SAMPLE.decode(SAMPLE.encode(*decoded)) == decoded


def test_bad_values_are_refused() -> None:
    with pytest.raises(TypeError):
        SAMPLE.encode("1", Colour.RED, "x")
    with pytest.raises(ValueError):
        SAMPLE.encode(1, "blue", "x")
    with pytest.raises(ValueError):
        SAMPLE.encode(1, Colour.RED, "a:b")
    assert SAMPLE.decode("test_sample:1:r") is None
    assert SAMPLE.decode(None) is None

