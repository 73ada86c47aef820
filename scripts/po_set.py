"""Set translations in a catalogue from a JSON object {msgid: msgstr} on stdin.

    .venv/bin/python scripts/po_set.py zh_CN < translations.json

Plural entries take a list of forms: {"{n} member": ["{n} 名成员"]}. Entries that are not
in the catalogue are reported (run `make i18n-update` first) and the exit status is 1.
Takes a lock, so several people can run it side by side.
"""

from __future__ import annotations

import fcntl
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "locales"


def main(locale: str) -> int:
    wanted: dict[str, str | list[str]] = json.load(sys.stdin)
    path = LOCALES / locale / "LC_MESSAGES" / "messages.po"
    with open(LOCALES / ".po.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        missing = []
        for msgid, msgstr in wanted.items():
            message = catalog.get(msgid)
            if message is None:
                plural = next((m for m in catalog if isinstance(m.id, tuple)
                               and m.id[0] == msgid), None)
                message = plural
            if message is None:
                missing.append(msgid)
                continue
            if isinstance(message.id, tuple):
                forms = msgstr if isinstance(msgstr, list) else [msgstr]
                message.string = tuple(forms + [forms[-1]] * (catalog.num_plurals - len(forms)))
            else:
                message.string = msgstr if isinstance(msgstr, str) else msgstr[0]
            message.flags.discard("fuzzy")
        with path.open("wb") as fh:
            write_po(fh, catalog, width=0)
    for msgid in missing:
        print(f"not in the {locale} catalogue: {msgid!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
