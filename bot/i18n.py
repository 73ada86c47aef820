"""Translations: the locale of the user being answered lives in a ContextVar.

The handler in group -1 sets it for every update (or it would leak from the previous one);
jobs and fan-out pass the recipient's locale explicitly with `use_locale`.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton, format_time
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


def fmt_date(value: date, form: str = "medium") -> str:
    return format_date(value, format=form, locale=_babel_locale())


def fmt_skeleton(value: date, skeleton: str) -> str:
    """A date by a CLDR skeleton ("MMMEd": "Sat, Dec 5" / "12月5日周六")."""
    return format_skeleton(skeleton, value, locale=_babel_locale())


def fmt_datetime(value: datetime, form: str = "short", tz: str | None = None) -> str:
    zone = ZoneInfo(tz) if tz else None
    return format_datetime(value, format=form, tzinfo=zone, locale=_babel_locale())


def fmt_time(value: datetime, form: str = "short", tz: str | None = None) -> str:
    zone = ZoneInfo(tz) if tz else None
    return format_time(value, format=form, tzinfo=zone, locale=_babel_locale())


def fmt_number(value: int | float | Decimal, pattern: str | None = None) -> str:
    return format_decimal(value, format=pattern, locale=_babel_locale())


def language_name(locale: str) -> str:
    """A language's name in itself: 中文 / English, for the language menu."""
    name = Locale.parse(locale).get_language_name(Locale.parse(locale)) or locale
    return name[:1].upper() + name[1:]
