"""English typo correction for the matcher: an unknown word is replaced by a word of the index
only when the difference looks like a slip of the fingers.

A slip is a letter left out or typed twice (colegue, maried), two neighbours swapped (teh), or
a key's neighbour on a QWERTY keyboard hit instead (mssk). Words under MIN_LENGTH letters are
never touched (mall is not small), a word of fewer than LONG letters may have one slip, a
longer one two; the first letter must be right, and the closest word must be the only one that
close. A correct word that the index lacks is mostly more than one slip away from every word
of the index (shake/share: k and r are not neighbours; punish/push: two letters left out of a
six-letter word), so it stays as it was.
"""

from __future__ import annotations

from collections.abc import Iterable

MIN_LENGTH = 5
LONG = 7

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours() -> dict[str, frozenset[str]]:
    where = {ch: (r, c) for r, row in enumerate(_ROWS) for c, ch in enumerate(row)}
    out: dict[str, frozenset[str]] = {}
    for ch, (r, c) in where.items():
        near = set()
        for other, (r2, c2) in where.items():
            # Rows are staggered by about half a key: the row below's c-1 and c are adjacent.
            if other != ch and abs(r - r2) <= 1 and (
                    (r == r2 and abs(c - c2) == 1) or (r2 == r + 1 and c2 in (c - 1, c))
                    or (r2 == r - 1 and c2 in (c, c + 1))):
                near.add(other)
        out[ch] = frozenset(near)
    return out


NEIGHBOURS = _neighbours()


def slips(typed: str, word: str) -> int | None:
    """How many slips turn `word` into `typed`; None when the difference is not made of
    slips (or is more than two)."""
    from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

    if abs(len(typed) - len(word)) > 2:
        return None
    if DamerauLevenshtein.distance(typed, word, score_cutoff=2) > 2:
        return None
    # A transposition is one slip (Levenshtein counts it as two substitutions).
    ops = Levenshtein.editops(typed, word)
    count = 0
    swapped: set[int] = set()
    for op in ops:
        if op.tag != "replace":
            count += 1
            continue
        i = op.src_pos
        if i in swapped:
            continue
        if (i + 1 < len(typed) and i + 1 < len(word) and typed[i] == word[i + 1]
                and typed[i + 1] == word[i]):
            swapped.add(i + 1)
            count += 1
            continue
        if word[op.dest_pos] not in NEIGHBOURS.get(typed[i], frozenset()):
            return None
        count += 1
    return count


class Corrector:
    """Corrects unknown words to the vocabulary of an index."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._known = frozenset(vocabulary)
        self._by_first: dict[str, list[str]] = {}
        for word in sorted(self._known):
            if len(word) >= MIN_LENGTH - 1:
                self._by_first.setdefault(word[0], []).append(word)

    def __contains__(self, word: str) -> bool:
        return word in self._known

    def correct(self, word: str) -> str | None:
        """The word of the vocabulary `word` is a slip of; None when there is none or two."""
        if len(word) < MIN_LENGTH or word in self._known or not word.isalpha():
            return None
        allowed = 1 if len(word) < LONG else 2
        best: list[tuple[int, str]] = []
        for candidate in self._by_first.get(word[0], ()):
            n = slips(word, candidate)
            if n is not None and n <= allowed:
                best.append((n, candidate))
        if not best:
            return None
        best.sort()
        if len(best) > 1 and best[1][0] == best[0][0]:
            return None
        return best[0][1]
