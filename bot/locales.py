"""Which of our locales a person gets: a rule without Babel or gettext, so that services
(which decide a recipient's language but never translate) and bot.i18n share it."""

from __future__ import annotations

from bot.config import SUPPORTED_LOCALES

# The organisation's language when nothing else says: its notices are in Simplified Chinese.
DEFAULT_LOCALE = "zh_CN"


def negotiate(language_code: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Map Telegram's IETF `language_code` ("zh-hans", "en-GB", "zh-TW") to a locale we have.

    Babel cannot parse "zh-hans", so map by the primary subtag; any Chinese gets zh_CN, as
    the organisation's notices are in Simplified Chinese.
    """
    if not language_code:
        return default
    primary = language_code.replace("_", "-").split("-", 1)[0].lower()
    return {"zh": "zh_CN", "en": "en"}.get(primary, default)


def resolve_locale(stored: str | None, language_code: str | None, default: str) -> str:
    """The user's own choice, else what their Telegram app says, else the organisation's."""
    if stored in SUPPORTED_LOCALES:
        return stored
    return negotiate(language_code, default)
