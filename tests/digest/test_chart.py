"""The trend chart: a valid PNG, and a bundled font that has every glyph its labels use."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from bot.config import SUPPORTED_LOCALES
from bot.i18n import translations, use_locale
from bot.render.chart import CHART_LABELS, FONT_PATH, chart_caption, trend_chart

DAYS = [date(2026, 11, 17) + timedelta(days=i) for i in range(14)]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_chart_is_a_png_of_sensible_size(locale: str) -> None:
    points = [(d, None if i == 5 else 0.5 + i / 30, i % 3) for i, d in enumerate(DAYS)]
    with use_locale(locale):
        png = trend_chart(points)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert image.format == "PNG" and image.size == (640, 320)
    assert len(png) < 200_000  # a photo message, not a poster


def test_a_chart_with_nothing_to_show_still_renders() -> None:
    png = trend_chart([(d, None, 0) for d in DAYS])
    assert Image.open(io.BytesIO(png)).size == (640, 320)


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
