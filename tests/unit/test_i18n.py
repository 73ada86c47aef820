from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from babel.support import Translations

from bot import i18n
from bot.i18n import (
    fmt_date,
    gettext,
    lazy_gettext,
    negotiate,
    resolve_locale,
    set_locale,
    use_locale,
)

ROOT = Path(__file__).resolve().parents[2]


def test_chinese_catalogue_is_a_real_translations_object() -> None:
    # Translations.load(dir, ["zh_Hans_CN"]) silently gives NullTranslations; ours must not.
    loaded = i18n.translations("zh_CN")
    assert isinstance(loaded, Translations)
    assert loaded.files
    with use_locale("zh_CN"):
        assert gettext("Choose your language:") == "请选择语言："


def test_chinese_catalogue_has_no_untranslated_or_fuzzy_entries() -> None:
    with (ROOT / "locales/zh_CN/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh)
    untranslated = [m.id for m in catalog if m.id and not all(
        m.string if isinstance(m.string, tuple) else [m.string])]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_every_string_in_the_code_is_in_the_catalogues() -> None:
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
    in_code = set()
    for folder in ("bot", "handlers"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=keywords
        ):
            in_code.add(message[0] if isinstance(message, tuple) else message)
    assert "Choose your language:" in in_code
    for locale in ("zh_CN", "en"):
        with (ROOT / f"locales/{locale}/LC_MESSAGES/messages.po").open("rb") as fh:
            in_catalogue = {m.id[0] if isinstance(m.id, tuple) else m.id
                            for m in read_po(fh) if m.id}
        assert in_code - in_catalogue == set(), f"run `make i18n-update` ({locale})"


@pytest.mark.parametrize(
    ("code", "expected"),
    [("zh-hans", "zh_CN"), ("zh-hant", "zh_CN"), ("zh", "zh_CN"), ("en", "en"),
     ("en-GB", "en"), ("fr", "zh_CN"), (None, "zh_CN"), ("", "zh_CN")],
)
def test_telegram_language_codes_map_to_our_locales(code: str | None, expected: str) -> None:
    assert negotiate(code) == expected


def test_a_stored_choice_beats_the_telegram_language() -> None:
    assert resolve_locale("en", "zh-hans", "zh_CN") == "en"
    assert resolve_locale(None, "en-US", "zh_CN") == "en"
    assert resolve_locale("xx", None, "en") == "en"


def test_lazy_strings_follow_the_current_locale_every_time() -> None:
    label = lazy_gettext("Choose your language:")
    with use_locale("zh_CN"):
        assert str(label) == "请选择语言："
    with use_locale("en"):
        assert str(label) == "Choose your language:"


def test_use_locale_restores_the_previous_locale() -> None:
    set_locale("en")
    with use_locale("zh_CN"):
        assert i18n.current_locale() == "zh_CN"
    assert i18n.current_locale() == "en"


def test_dates_and_numbers_are_formatted_for_the_locale() -> None:
    from datetime import date

    with use_locale("zh_CN"):
        assert i18n.fmt_date(date(2019, 3, 5)) == "2019年3月5日"  # not this year: with it
    with use_locale("en"):
        assert i18n.fmt_date(date(2019, 3, 5)) == "Mar 5, 2019"
        assert i18n.fmt_number(12345.5) == "12,345.5"


def test_this_year_is_the_year_of_the_bots_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """fmt_date leaves out the year of the bot's now (BotData.clock, which a demo or a test may
    set to another day), not of the machine's."""
    monkeypatch.undo()  # the suite's fixed year (tests/conftest.py) off for this test
    monkeypatch.setattr(i18n, "_clock", lambda: datetime(2025, 12, 31, 20, tzinfo=UTC))
    with use_locale("en"):
        assert fmt_date(date(2025, 12, 5)) == "Dec 5"
        assert fmt_date(date(2026, 1, 5)) == "Jan 5, 2026"
    i18n.set_clock(lambda: datetime(2026, 1, 1, tzinfo=UTC))
    with use_locale("en"):
        assert fmt_date(date(2026, 1, 5)) == "Jan 5"
