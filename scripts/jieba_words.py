"""Write bot/assets/jieba_words.txt.gz: the part of jieba 0.42's dictionary the bot loads.

    .venv/bin/python scripts/jieba_words.py          # from the dev install's jieba package
    .venv/bin/python scripts/jieba_words.py --check  # exit 1 when the file differs

jieba's whole dictionary (349,046 words) costs the bot ~33 MB resident in rjieba; the
KEEP most frequent words, with every single character, cost ~8 MB and match as well on
our sets and the public ones (benchmarks/README.md, "Memory"). The first line carries the
whole dictionary's total frequency, so a kept word's probability and therefore every cut
made of kept words are as the whole dictionary's; a dropped word is cut as unknown text
(jieba's HMM), the same way in the knowledge base and in a question.

jieba is MIT-licensed (https://github.com/fxsjy/jieba); so is this extract.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

KEEP = 100_000
OUT = Path(__file__).resolve().parent.parent / "bot" / "assets" / "jieba_words.txt.gz"


def extract(dictionary: Path) -> bytes:
    rows = []
    for line in dictionary.read_text(encoding="utf-8").splitlines():
        word, freq, tag = line.split(" ")
        rows.append((word, int(freq), tag))
    total = sum(freq for _, freq, _ in rows)
    # Most frequent first; ties in the dictionary's own order (stable sort).
    by_freq = sorted(range(len(rows)), key=lambda i: -rows[i][1])
    kept = set(by_freq[:KEEP])
    kept.update(i for i, (word, _, _) in enumerate(rows) if len(word) == 1)
    lines = [f"# total {total}"]
    lines += [" ".join((rows[i][0], str(rows[i][1]), rows[i][2])) for i in sorted(kept)]
    # mtime 0: the same dictionary always gives the same bytes.
    return gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=9, mtime=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    import jieba

    data = extract(Path(jieba.__file__).parent / "dict.txt")
    if args.check:
        same = OUT.exists() and gzip.decompress(OUT.read_bytes()) == gzip.decompress(data)
        print(f"{OUT.name}: {'up to date' if same else 'differs: run scripts/jieba_words.py'}")
        return 0 if same else 1
    OUT.write_bytes(data)
    print(f"wrote {OUT} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
