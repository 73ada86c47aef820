"""Faq.load builds the knowledge base's matchers once per process for the same files: another
load of unchanged files shares them; any change to the files' bytes builds them again."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.services.faq import Faq, KbError
from bot.services.faq.service import files_key

FIXTURES = Path(__file__).parent / "fixtures" / "kb"
WEDDING = "Can I go to a wedding banquet?"


def best(faq: Faq, locale: str, text: str) -> str | None:
    answer = faq.ask(locale, text)
    return answer.entry.id if answer.entry else None


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES, tmp_path / "kb")
    return tmp_path / "kb"


def test_loading_unchanged_files_again_reuses_the_built_knowledge_base(kb: Path) -> None:
    first, second = Faq.load(kb), Faq.load(kb)
    assert first is not second
    assert second._file_books is first._file_books  # built once
    assert best(second, "en", "can I go to a wedding banquet") == "gatherings-wedding"


def test_an_edit_of_the_same_size_in_the_same_instant_is_seen(kb: Path) -> None:
    en = kb / "en" / "faq.yaml"
    first = Faq.load(kb)
    original = en.read_text(encoding="utf-8")
    stat = en.stat()
    edited = original.replace(WEDDING, "May I attend a birthday feast?")
    assert len(edited.encode()) == len(original.encode())
    en.write_text(edited, encoding="utf-8")


    os.utime(en, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even the mtime as it was
    second = Faq.load(kb)
    assert second._file_books is not first._file_books
    assert best(second, "en", "may I attend a birthday feast") == "gatherings-wedding"
    assert best(first, "en", "can I go to a wedding banquet") == "gatherings-wedding"


def test_a_new_rumours_file_or_locale_changes_the_key(kb: Path) -> None:
    before = files_key(kb)
    assert [Path(p).name for p, _digest in before].count("faq.yaml") == 2
    rumours = kb / "en" / "rumours.yaml"
    saved = rumours.read_bytes() if rumours.exists() else None
    rumours.unlink(missing_ok=True)
    assert files_key(kb) != before
    if saved is not None:
        rumours.write_bytes(saved)
        assert files_key(kb) == before
    shutil.copytree(kb / "en", kb / "fr")
    assert len(files_key(kb)) == len(before) + 3  # faq, rumours, synonyms


def test_reload_reads_the_files_and_later_loads_get_what_it_read(kb: Path) -> None:
    faq = Faq.load(kb)
    en = kb / "en" / "faq.yaml"
    en.write_text(en.read_text(encoding="utf-8").replace(
        WEDDING, "May I attend a birthday party?"), encoding="utf-8")
    faq.reload()
    assert best(faq, "en", "may I attend a birthday party") == "gatherings-wedding"
    assert Faq.load(kb)._file_books is faq._file_books


def test_broken_files_are_refused_by_every_load_not_served_from_before(kb: Path) -> None:
    Faq.load(kb)
    en = kb / "en" / "faq.yaml"
    en.write_text(en.read_text(encoding="utf-8") + "  - id: broken\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(KbError):
            Faq.load(kb)
