"""Translations: the locale of the user being answered lives in a ContextVar.

The handler in group -1 sets it for every update (or it would leak from the previous one);
jobs and fan-out pass the recipient's locale explicitly with `use_locale`.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import LazyProxy, NullTranslations, Translations

from bot.config import PROJECT_ROOT, SUPPORTED_LOCALES
from bot.locales import (  # noqa: F401  (part of bot.i18n's API)
    DEFAULT_LOCALE,
    negotiate,
    resolve_locale,
)

logger = logging.getLogger(__name__)

LOCALES_DIR = PROJECT_ROOT / "locales"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


def _compile_po(po_path: Path) -> Translations:
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=po_path.parent.parent.name)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    translations = Translations(buf, domain=DOMAIN)
    translations.files = [str(po_path)]
    return translations


@cache
def translations(locale: str) -> NullTranslations:
    """The catalogue for `locale` (a directory name under locales/, e.g. "zh_CN").

    Loads the compiled .mo when it is newer than the .po, else compiles the .po in memory,
    so a fresh checkout works without a build step. English is the source language, so an
    English catalogue may be empty; a missing zh_CN catalogue is logged loudly.
    """
    base = LOCALES_DIR / locale / "LC_MESSAGES"
    po, mo = base / f"{DOMAIN}.po", base / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        # Load by directory name: Translations.load with Locale("zh_CN") looks for zh_Hans_CN.
        with mo.open("rb") as fh:
            result = Translations(fh, domain=DOMAIN)
            result.files = [str(mo)]
            return result
    if po.exists():
        return _compile_po(po)
    if locale != "en":
        logger.error("no catalogue for locale %s in %s", locale, base)
    return NullTranslations()


def current_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    _current.set(locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE)


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Render for another person (a job, a fan-out) without disturbing the current update."""
    token = _current.set(locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(_current.get()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ungettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(_current.get()).upgettext(context, message)


_ = gettext


def lazy_gettext(message: str) -> LazyProxy:
    """For module-level constants; `str()` it before handing it to PTB.

    Uncached: a cached proxy would keep the first user's language for everyone after.
    """
    return LazyProxy(gettext, message, enable_cache=False)


def _babel_locale() -> Locale:
    return Locale.parse(_current.get())


# The bot's clock (bot.context.BotData.clock, set by bot.runtime.app): "this year" is the
# year of the bot's now, not of the machine's, so that a date reads the same in a test or a
# demo running on another day as in production.
_clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def set_clock(clock: Callable[[], datetime]) -> None:
    """Where `fmt_date` reads the current year from."""
    global _clock
    _clock = clock


def _this_year() -> int:
    return _clock().year


def fmt_date(value: date, form: str = "medium") -> str:
    """The one date style: `12月5日` / `Dec 5`; "full" adds the weekday (`12月5日周六` /
    `Sat, Dec 5`). The year is shown only when it is not this year."""
    skeleton = "MMMEd" if form == "full" else "MMMd"
    if value.year != _this_year():
        skeleton = "y" + skeleton
    return _by_skeleton(skeleton, value, _current.get())


def fmt_skeleton(value: date, skeleton: str) -> str:
    """A date by a CLDR skeleton ("MMMEd": "Sat, Dec 5" / "12月5日周六")."""
    return _by_skeleton(skeleton, value, _current.get())


@lru_cache(maxsize=4096)
def _by_skeleton(skeleton: str, value: date, locale: str) -> str:
    """Babel's skeleton match and pattern formatting cost ~15 µs a date, and a reply, a
    digest or a confirmation formats the same few days again and again."""
    return format_skeleton(skeleton, value, locale=Locale.parse(locale))


def _local(value: datetime, tz: str | None) -> datetime:
    return value.astimezone(ZoneInfo(tz)) if tz else value


def fmt_time(value: datetime, form: str = "short", tz: str | None = None) -> str:
    """The one time style: 24 hours, `07:31` in both languages (`form` is kept for callers)."""
    return _local(value, tz).strftime("%H:%M")


def fmt_datetime(value: datetime, form: str = "short", tz: str | None = None, *,
                 day: date | None = None) -> str:
    """`12月5日 07:31` / `Dec 5, 07:31`: the date style and the time style, joined by the
    locale's own date-time pattern; only the time when the moment falls on `day`."""
    local = _local(value, tz)
    if local.date() == day:
        return fmt_time(local)
    pattern = get_datetime_format("medium", locale=_babel_locale())
    return str(pattern).format(fmt_time(local), fmt_date(local.date()))


def fmt_temperature(value: Decimal | float) -> str:
    """The one body-temperature format: `38.6℃` / `38.6 °C`."""
    return pgettext("temperature", "{value} °C").format(value=fmt_number(value, "0.0"))


def join_list(items: Iterable[str]) -> str:
    """Items of a list as the locale writes them (`甲、乙` / `A, B`), from CLDR's list pattern;
    no "and": a list shown to leaders reads as an enumeration."""
    middle = _babel_locale().list_patterns["standard"]["middle"]
    result = ""
    for n, item in enumerate(items):
        result = middle.format(result, item) if n else item
    return result


def join_clauses(items: Iterable[str]) -> str:
    """Clauses that each say something (`38.6℃；咳嗽` / `38.6 °C; cough`)."""
    # Translators: joins clauses of one line; zh uses the full-width semicolon.
    return pgettext("punctuation", "; ").join(items)


def colon(label: str, value: str) -> str:
    """A label and its value (`关系：姓名` / `relation: name`)."""
    # Translators: a label and its value; zh uses the full-width colon without spaces.
    return pgettext("punctuation", "{label}: {value}").format(label=label, value=value)


def aside(text: str, note: str) -> str:
    """A remark after a text (`名字（单位）` / `name (unit)`)."""
    # Translators: a remark in brackets after a text; zh uses full-width brackets, no space.
    return pgettext("punctuation", "{text} ({note})").format(text=text, note=note)


def unit_path(names: Iterable[str]) -> str:
    """A unit's place in the tree (`集团/一分公司` / `Group / Company A`)."""
    # Translators: between the names of a unit's path; zh writes it without spaces.
    return pgettext("punctuation", " / ").join(names)


def fmt_number(value: int | float | Decimal, pattern: str | None = None) -> str:
    return format_decimal(value, format=pattern, locale=_babel_locale())


def language_name(locale: str) -> str:
    """A language's name in itself: 中文 / English, for the language menu."""
    name = Locale.parse(locale).get_language_name(Locale.parse(locale)) or locale
    return name[:1].upper() + name[1:]


def join_sentences(items: Iterable[str]) -> str:
    """Sentences one after another: a space in English, nothing after Chinese 。？！."""
    # Translators: two sentences one after the other; zh puts no space after 。？！
    pattern = pgettext("punctuation", "{sentence} {next}")
    result = ""
    for n, item in enumerate(items):
        result = pattern.format(sentence=result, next=item) if n else item
    return result
