"""Domain synonyms, kept as data: locales/<locale>/synonyms.yaml.

    locale: zh_CN
    groups:
      - [聚餐, 吃饭, 饭局, 请客]
      - [打包, 外卖]

Every word of a group (a Chinese word, or an English word, matched by its stem) gives the
matcher the same extra token, so a question saying 饭局 meets an entry saying 聚餐. The file is
optional; `selfreport faq check` reports a word listed in two groups, an empty or one-word
group, and words that are not single words.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.services.faq.text import has_han, normalise, stem
from bot.services.faq.yamlfile import YamlFile

SYNONYMS_FILE = "synonyms.yaml"
_WORD = re.compile(r"^(?:[\u3400-\u4dbf\u4e00-\u9fff]{1,8}|[a-z][a-z0-9-]{0,30})$")


def load_synonyms(path: Path, locale: str | None, problems: list[str]) -> dict[str, str]:
    """word (and, for English, its stem) → its group's name (the group's first word)."""
    if not path.exists():
        return {}
    f = YamlFile(path)
    data = f.data
    if data is None:
        problems.extend(f.problems())
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        f.problem("expected a mapping with `locale:` and `groups:` (a list of word lists)", 1)
        problems.extend(f.problems())
        return {}
    if locale is not None and data.get("locale") != locale:
        f.problem(f"`locale: {data.get('locale')}` does not match its directory {locale}")
    table: dict[str, str] = {}
    where: dict[str, int] = {}
    for i, group in f.items("groups"):
        line = f.line("groups", i)
        what = f"group #{i + 1}"
        if not isinstance(group, list) or len(group) < 2:
            f.problem("must be a list of at least two words", line, what)
            continue
        words = [normalise(str(w)) for w in group]
        bad = [str(w) for w, n in zip(group, words, strict=True)
               if not isinstance(w, str) or not _WORD.match(n)]
        if bad:
            f.problem(f"not single words: {', '.join(bad)}", line, what)
            continue
        name = words[0]
        for word in words:
            keys = {word} if has_han(word) else {word, stem(word)}
            for key in keys:
                if key in table and table[key] != name:
                    f.problem(f"{word!r} is also in the group of line {where[key]}", line, what)
                table[key] = name
                where.setdefault(key, line)
    problems.extend(f.problems())
    return table


def han_words(table: dict[str, str]) -> list[str]:
    return [w for w in table if has_han(w)]
