"""The order people's names are listed in for a reader: by pinyin in Chinese (王 wang before
张 zhang, whatever their character codes), alphabetically, case aside, in other languages."""

from __future__ import annotations

from functools import lru_cache


def name_key(name: str, locale: str) -> tuple[str, str]:
    """A sort key for `name` as a reader of `locale` expects the list (ties by the name)."""
    if locale.startswith("zh"):
        return _pinyin(name), name
    return name.casefold(), name


@lru_cache(maxsize=65_536)
def _pinyin(name: str) -> str:
    # Imported on first use: pypinyin loads its dictionaries (~1 s, ~55 MB) at import, which a
    # process that never lists names in Chinese should not pay.
    from pypinyin import Style, lazy_pinyin

    return " ".join(lazy_pinyin(name, style=Style.TONE3)).casefold()
