"""The digest's trend chart: the last 14 days' reporting rate (line) and abnormal cases (bars),
in two panels with a scale each, sized to be read on a phone.

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

RATE_LABEL = lazy_gettext("Reporting rate (%)")
ABNORMAL_LABEL = lazy_gettext("Abnormal cases (people)")
TITLE = lazy_gettext("Last 14 days")
CHART_LABELS: tuple[LazyProxy, ...] = (RATE_LABEL, ABNORMAL_LABEL, TITLE)

# Sized for a phone: Telegram shows a photo some 270-330 px wide at a 390 px screen, so an
# image 480 px wide is shown at 0.56-0.69 of its size; the smallest text here, 20 px, is
# then at least 11 px on the screen (tests/browser measures it at 390 px).
WIDTH, HEIGHT = 480, 520
FONT_TICK, FONT_LABEL, FONT_TITLE = 20, 22, 26
MIN_FONT = min(FONT_TICK, FONT_LABEL, FONT_TITLE)
_S = 2  # drawn at twice the size, then scaled down: Pillow does not antialias lines
_LEFT, _RIGHT = 70, 462  # the plot areas' sides, in output pixels
# Two panels, one above the other, each with its own scale and label: the rate (0-100 %)
# and the abnormal count (whole people). A shared axis made a bar of 1 read as 25 %.
RATE_PANEL = _RATE_TOP, _RATE_BOTTOM = 92, 232  # top and bottom, in output pixels
COUNT_PANEL = _COUNT_TOP, _COUNT_BOTTOM = 310, 450
RATE_COLOUR = _RATE = (31, 111, 178)
ABNORMAL_COLOUR = _ABNORMAL = (200, 80, 70)
_INK, _GRID = (40, 40, 40), (220, 220, 220)

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


def _line(draw: ImageDraw.ImageDraw, points: list[tuple[float, float]],
          fill: tuple[int, int, int], width: float) -> None:
    draw.line([(x * _S, y * _S) for x, y in points], fill=fill, width=round(width * _S),
              joint="curve")


def _abnormal_scale(points: Sequence[Point]) -> tuple[int, int]:
    """(axis maximum, tick step): at least 2, in whole numbers, two steps."""
    top = max([p[2] for p in points] + [2])
    step = -(-top // 2)
    return step * 2, step


def _legend(draw: ImageDraw.ImageDraw, y: float, label: str, color: tuple[int, int, int],
            *, bar: bool) -> None:
    """A panel's label, left-aligned above it, with the mark its series is drawn with."""
    if bar:
        draw.rectangle([(_LEFT * _S, (y - 8) * _S), ((_LEFT + 16) * _S, (y + 8) * _S)],
                       fill=color)
    else:
        _line(draw, [(_LEFT - 2, y), (_LEFT + 18, y)], color, 4)
    _text(draw, (_LEFT + 26, y), label, FONT_LABEL, "lm", color)


def _grid(draw: ImageDraw.ImageDraw, top: float, bottom: float, labels: Sequence[str],
          color: tuple[int, int, int]) -> None:
    """Grid lines from bottom to top, one per label, the label on the left in the series'
    colour."""
    for i, label in enumerate(labels):
        y = bottom - (bottom - top) * i / (len(labels) - 1)
        _line(draw, [(_LEFT, y), (_RIGHT, y)], _INK if i == 0 else _GRID, 1.5 if i == 0 else 1)
        _text(draw, (_LEFT - 8, y), label, FONT_TICK, "rm", color)


def trend_chart(points: Sequence[Point]) -> bytes:
    """A PNG of (day, rate 0..1 or None when nobody was expected, abnormal count) points."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH * _S, HEIGHT * _S), "white")
    draw = ImageDraw.Draw(image)
    slot = (_RIGHT - _LEFT) / max(len(points), 1)

    def x_of(i: int) -> float:
        return _LEFT + slot * (i + 0.5)

    _text(draw, (WIDTH / 2, 10), str(TITLE), FONT_TITLE, "mt")
    # The rate: a line with dots, a gap where nobody was expected (a day off), not a fall to 0.
    _legend(draw, 60, str(RATE_LABEL), _RATE, bar=False)
    _grid(draw, _RATE_TOP, _RATE_BOTTOM, ["0%", "50%", "100%"], _RATE)
    height = _RATE_BOTTOM - _RATE_TOP
    run: list[tuple[float, float]] = []
    for i, (_day, rate, _abnormal) in enumerate([*points, (date.min, None, 0)]):
        if rate is None:
            if len(run) > 1:
                _line(draw, run, _RATE, 3)
            run = []
            continue
        x, y = x_of(i), _RATE_BOTTOM - height * min(max(rate, 0.0), 1.0)
        run.append((x, y))
        draw.ellipse([((x - 4) * _S, (y - 4) * _S), ((x + 4) * _S, (y + 4) * _S)], fill=_RATE)
    # The abnormal count: bars on a scale of whole people, each bar's number above it.
    _legend(draw, 278, str(ABNORMAL_LABEL), _ABNORMAL, bar=True)
    top_count, step = _abnormal_scale(points)
    _grid(draw, _COUNT_TOP, _COUNT_BOTTOM, [str(step * i) for i in range(3)], _ABNORMAL)
    height = _COUNT_BOTTOM - _COUNT_TOP
    for i, (_day, _rate, abnormal) in enumerate(points):
        if abnormal:
            x, bar_top = x_of(i), _COUNT_BOTTOM - height * abnormal / top_count
            draw.rectangle([((x - slot * 0.32) * _S, bar_top * _S),
                            ((x + slot * 0.32) * _S, _COUNT_BOTTOM * _S)], fill=_ABNORMAL)
            _text(draw, (x, bar_top - 2), str(abnormal), FONT_TICK, "mb", _ABNORMAL)
    # Days under the bottom panel: every other one (the newest always), so that they fit;
    # the month with the first one shown and where it changes ("11/18 20 22 … 30 12/2").
    last, month = len(points) - 1, 0
    for i, (day, _rate, _abnormal) in enumerate(points):
        if (last - i) % 2 == 0:
            label = str(day.day) if day.month == month else f"{day.month}/{day.day}"
            month = day.month
            _text(draw, (x_of(i), _COUNT_BOTTOM + 10), label, FONT_TICK, "mt")
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
