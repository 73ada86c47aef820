"""The Chinese segmenter the bot loads: jieba's most frequent words, not its whole dictionary
(bot/services/faq/text.py, scripts/jieba_words.py)."""

from __future__ import annotations

import gzip
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.services.faq import text

ROOT = Path(__file__).resolve().parents[2]
HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")


def _kept() -> set[str]:
    with gzip.open(text.JIEBA_WORDS, "rt", encoding="utf-8") as lines:
        next(lines)
        return {line.split(" ", 1)[0] for line in lines}


def _knowledge_base_runs() -> list[str]:
    runs: list[str] = []
    for path in sorted((ROOT / "locales" / "zh_CN").glob("*.yaml")):
        runs += HAN_RUN.findall(path.read_text(encoding="utf-8"))
    return runs


def test_the_bot_never_builds_jiebas_whole_dictionary() -> None:
    """`import rjieba` builds the whole dictionary (~33 MB): the bot must load only its
    extension module and the extract."""
    probe = ("import sys\n"
             "from bot.services.faq import text\n"
             "print(text.tokens('聚餐可以吗'), 'rjieba' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "['w:聚餐', 'b:聚餐', 'u:聚', 'u:餐'] False"


def test_the_extract_is_what_the_script_makes_of_jiebas_dictionary() -> None:
    import jieba

    spec = importlib.util.spec_from_file_location("jieba_words", ROOT / "scripts/jieba_words.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    made = gzip.decompress(script.extract(Path(jieba.__file__).parent / "dict.txt"))
    assert gzip.decompress(text.JIEBA_WORDS.read_bytes()) == made
    header, *rows = made.decode().splitlines()
    assert header.startswith("# total ") and len(rows) > script.KEEP


def test_every_cut_of_kept_words_is_the_whole_dictionarys() -> None:
    """Where jieba with its whole dictionary cuts a run into kept words, the extract cuts it
    the same: the kept words keep their probabilities (the total is the whole one's)."""
    import rjieba  # the whole dictionary, for comparison only

    # A segmenter of its own: the process's one has the synonym words added by any Faq loaded.
    kept, ours = _KEPT, _FRESH
    compared = 0
    for run in _knowledge_base_runs():
        whole = rjieba.cut(run, False)
        if all(word in kept for word in whole):
            compared += 1
            assert ours.cut(run, False) == whole, run
    assert compared > 1000


_KEPT = _kept()
_FRESH = text._Segmenter()._cutter


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(sorted(_KEPT)), min_size=1, max_size=8))
def test_a_text_of_kept_words_is_cut_as_the_whole_dictionary_cuts_it(parts: list[str]) -> None:
    import rjieba

    run = "".join(parts)
    whole = rjieba.cut(run, False)
    # Texts the whole dictionary cuts with a dropped word are no example (and hypothesis
    # fails the test if nearly every text is one).
    assume(all(word in _KEPT for word in whole))
    assert _FRESH.cut(run, False) == whole
