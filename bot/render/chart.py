"""The digest's trend chart: the last 14 days' reporting rate (line) and abnormal cases (bars).

Drawn with Pillow, at twice the size and scaled down for smooth lines: some 30 ms a
chart, which matters when thousands of units get their digest at the same minute (matplotlib
took ten times that). Labels use a bundled subset of Noto Sans CJK SC (bot/assets/fonts,
SIL OFL 1.1) so that Chinese renders on any machine; `CHART_LABELS` lists every string drawn,
and the tests check the font has a glyph for each character of each translation. The unit's
name is not drawn (it could hold any character): it goes in the photo's caption.

Render inside ``use_locale(recipient's locale)``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from functools import cache, lru_cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from babel.support import LazyProxy

from bot.i18n import _, current_locale, lazy_gettext
from bot.render.payloads import Payload, file_spec, payload_for, photo_payload
from bot.services.digest.queue import DigestChart

if TYPE_CHECKING:  # Pillow is imported when a chart is drawn, not at start-up
    from PIL import ImageDraw, ImageFont

FONT_PATH = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "NotoSansSC-subset.otf"

RATE_LABEL = lazy_gettext("Reporting rate")
ABNORMAL_LABEL = lazy_gettext("Abnormal cases")
TITLE = lazy_gettext("Last 14 days")
CHART_LABELS: tuple[LazyProxy, ...] = (RATE_LABEL, ABNORMAL_LABEL, TITLE)

WIDTH, HEIGHT = 640, 320
_S = 2  # drawn at twice the size, then scaled down: Pillow does not antialias lines
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 600, 64, 286  # the plot area, in output pixels
_RATE = (31, 111, 178)
_ABNORMAL = (226, 143, 140)
_INK, _GRID = (40, 40, 40), (225, 225, 225)

Point = tuple[date, float | None, int]


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT_PATH), size * _S)


def _text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int,
          anchor: str, fill: tuple[int, int, int] = _INK) -> float:
    """Draw at output coordinates; returns the text's width in output pixels."""
    draw.text((xy[0] * _S, xy[1] * _S), text, font=_font(size), anchor=anchor, fill=fill)
    return draw.textlength(text, font=_font(size)) / _S


def _abnormal_scale(points: Sequence[Point]) -> tuple[int, int]:
    """(axis maximum, tick step): at least 4, in whole numbers."""
    top = max([p[2] for p in points] + [4])
    step = max(1, -(-top // 4))
    return step * 4, step


def trend_chart(points: Sequence[Point]) -> bytes:
    """A PNG of (day, rate 0..1 or None when nobody was expected, abnormal count) points."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH * _S, HEIGHT * _S), "white")
    draw = ImageDraw.Draw(image)
    width, height = _RIGHT - _LEFT, _BOTTOM - _TOP

    def y_rate(rate: float) -> float:
        return _BOTTOM - height * min(max(rate, 0.0), 1.0)

    top_count, step = _abnormal_scale(points)
    for i in range(5):  # grid lines: rate every 25 %, abnormal every `step`
        y = _BOTTOM - height * i / 4
        draw.line([(_LEFT * _S, y * _S), (_RIGHT * _S, y * _S)], fill=_GRID, width=_S)
        _text(draw, (_LEFT - 6, y), f"{25 * i}%", 10, "rm", _RATE)
        _text(draw, (_RIGHT + 6, y), str(step * i), 10, "lm", _ABNORMAL)
    slot = width / max(len(points), 1)
    for i, (day, _rate, abnormal) in enumerate(points):
        x = _LEFT + slot * (i + 0.5)
        if abnormal:
            bar_top = _BOTTOM - height * abnormal / top_count
            draw.rectangle([((x - slot * 0.3) * _S, bar_top * _S), ((x + slot * 0.3) * _S,
                           _BOTTOM * _S)], fill=_ABNORMAL)
        _text(draw, (x, _BOTTOM + 8), f"{day.month}/{day.day}", 9, "mt")
    # The rate as a line, with a gap where nobody was expected (a day off), not a fall to 0.
    run: list[tuple[float, float]] = []
    for i, (_day, rate, _abnormal) in enumerate([*points, (date.min, None, 0)]):
        if rate is None:
            if len(run) > 1:
                draw.line(run, fill=_RATE, width=3 * _S, joint="curve")
            run = []
            continue
        x, y = (_LEFT + slot * (i + 0.5)) * _S, y_rate(rate) * _S
        run.append((x, y))
        r = 3 * _S
        draw.ellipse([(x - r, y - r), (x + r, y + r)], fill=_RATE)
    draw.line([(_LEFT * _S, _BOTTOM * _S), (_RIGHT * _S, _BOTTOM * _S)], fill=_INK, width=_S)
    _text(draw, (WIDTH / 2, 8), str(TITLE), 15, "mt")
    # The legend: a line for the rate, a box for the abnormal count.
    x = _LEFT
    draw.line([(x * _S, 46 * _S), ((x + 18) * _S, 46 * _S)], fill=_RATE, width=3 * _S)
    x += 24 + _text(draw, (x + 24, 46), str(RATE_LABEL), 11, "lm")
    draw.rectangle([((x + 18) * _S, 41 * _S), ((x + 30) * _S, 51 * _S)], fill=_ABNORMAL)
    _text(draw, (x + 36, 46), str(ABNORMAL_LABEL), 11, "lm")
    out = io.BytesIO()
    image.reduce(_S).save(out, format="PNG", compress_level=3)
    return out.getvalue()


def chart_caption(unit_name: str) -> str:
    """The photo's caption (HTML)."""
    return _("{unit}: reporting rate and abnormal cases, last 14 days").format(
        unit=escape(unit_name))


@lru_cache(maxsize=32)
def _png(points: tuple[Point, ...], locale: str) -> bytes:
    """One drawing per chart and language, however many recipients share them."""
    return trend_chart(points)


@payload_for.register
def _chart(view: DigestChart) -> Payload:
    png = _png(view.points, current_locale())
    return photo_payload(file_spec(data=png, filename=f"digest-{view.unit_id}-{view.day}.png"),
                         caption=chart_caption(view.unit_name))
