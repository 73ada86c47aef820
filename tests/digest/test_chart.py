"""The trend chart: a valid PNG, and a bundled font that has every glyph its labels use."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from bot.config import SUPPORTED_LOCALES
from bot.i18n import translations, use_locale
from bot.render.chart import (
    ABNORMAL_COLOUR,
    CHART_LABELS,
    COUNT_PANEL,
    FONT_PATH,
    HEIGHT,
    RATE_COLOUR,
    RATE_PANEL,
    WIDTH,
    chart_caption,
    trend_chart,
)

DAYS = [date(2026, 11, 17) + timedelta(days=i) for i in range(14)]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_chart_is_a_png_of_sensible_size(locale: str) -> None:
    points = [(d, None if i == 5 else 0.5 + i / 30, i % 3) for i, d in enumerate(DAYS)]
    with use_locale(locale):
        png = trend_chart(points)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)
    assert len(png) < 200_000  # a photo message, not a poster


def test_a_chart_with_nothing_to_show_still_renders() -> None:
    png = trend_chart([(d, None, 0) for d in DAYS])
    assert Image.open(io.BytesIO(png)).size == (WIDTH, HEIGHT)


def test_the_font_has_a_glyph_for_every_character_drawn() -> None:
    charmap = TTFont(FONT_PATH).getBestCmap()
    drawn = set("0123456789/%.")  # tick labels: 11/30, 80%
    for locale in SUPPORTED_LOCALES:
        with use_locale(locale):
            for label in CHART_LABELS:
                drawn.update(str(label))
    missing = sorted(ch for ch in drawn if not ch.isspace() and ord(ch) not in charmap)
    assert missing == []


def test_the_chinese_labels_are_translated_and_really_chinese() -> None:
    catalogue = translations("zh_CN")
    assert getattr(catalogue, "files", None)
    with use_locale("zh_CN"):
        labels = [str(label) for label in CHART_LABELS]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in labels), labels


def test_the_caption_escapes_the_unit_name() -> None:
    with use_locale("en"):
        assert chart_caption("R&D <1>").startswith("R&amp;D &lt;1&gt;:")


def _near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(pixel[:3], colour, strict=True))


def _rows_with(image: Image.Image, colour: tuple[int, int, int], x: int,
               rows: range) -> list[int]:
    return [y for y in rows if _near(image.getpixel((x, y)), colour)]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_rate_and_the_abnormal_count_have_separate_scales(locale: str) -> None:
    """A day with one abnormal case and a 25 % rate: the bar stands in its own panel, half its
    height (a scale of 0-1-2 people), and the rate's dot sits a quarter up the rate panel:
    neither series is drawn on the other's scale."""
    points = [(d, 0.25, 1) for d in DAYS]
    with use_locale(locale):
        image = Image.open(io.BytesIO(trend_chart(points))).convert("RGB")
    x = round(WIDTH * 0.5)  # inside the plot, on a bar and a dot (14 slots, 7th and 8th meet)
    x = next(x for x in range(x - 20, x + 20)
             if _rows_with(image, ABNORMAL_COLOUR, x, range(COUNT_PANEL[0], COUNT_PANEL[1])))
    rate_rows = range(RATE_PANEL[0] - 5, RATE_PANEL[1] + 5)
    count_rows = range(COUNT_PANEL[0] - 5, COUNT_PANEL[1])
    assert _rows_with(image, ABNORMAL_COLOUR, x, rate_rows) == []
    assert _rows_with(image, RATE_COLOUR, x, count_rows) == []
    bar = _rows_with(image, ABNORMAL_COLOUR, x, count_rows)
    middle = (COUNT_PANEL[0] + COUNT_PANEL[1]) / 2
    assert abs(min(bar) - middle) <= 3 and max(bar) >= COUNT_PANEL[1] - 2
    quarter = RATE_PANEL[1] - (RATE_PANEL[1] - RATE_PANEL[0]) / 4
    line = _rows_with(image, RATE_COLOUR, x, rate_rows)
    assert line and abs(sum(line) / len(line) - quarter) <= 4
