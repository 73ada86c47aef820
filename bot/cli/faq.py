"""`selfreport faq check|eval`: validate the rules knowledge base and measure its matcher.

Output is English, like `tick`: these are tools for whoever maintains the knowledge base.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.cli.common import CliError
from bot.config import Settings
from bot.i18n import LOCALES_DIR

PARAPHRASES = 8  # per entry and rumour, written the way members type (README)


async def cmd_faq_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services.faq.kb import KbError, load_all

    path = Path(args.dir)
    try:
        kbs = load_all(path)
    except KbError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s) in {path}")
        return 1
    for locale, kb in kbs.items():
        groups = len(set(kb.synonyms.values()))
        print(f"{locale}: {len(kb.entries)} entries in {len(kb.categories)} categories, "
              f"{len(kb.rumours)} rumours" + (f", {groups} synonym groups" if groups else "")
              + ": ok")
        few = [e.id for e in kb.entries if len(e.paraphrases) < PARAPHRASES] + [
            r.id for r in kb.rumours if len(r.paraphrases) < PARAPHRASES]
        if few:
            print(f"{locale}: note: fewer than {PARAPHRASES} paraphrases (members find an "
                  f"entry by them): {', '.join(few[:10])}"
                  + (f" and {len(few) - 10} more" if len(few) > 10 else ""))
    return 0


def _pct(part: float) -> str:
    return f"{100 * part:.1f} %"


def _fail(message: str, problems: list[str]) -> CliError:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return CliError(f"{problems[0]}{more}{message}")


def _load_faq(path: Path, kind: str) -> tuple[Any, str]:
    """The Faq the chat would use for `path` (a faq.yaml or rumours.yaml), and its locale.

    A file inside the locales directory is measured with every locale beside it (the bot
    searches the other language when unsure); a file elsewhere on its own, with the
    synonyms.yaml beside it if there is one."""
    from bot.services.faq.kb import (
        FAQ_FILE,
        KbError,
        KnowledgeBase,
        load_all,
        load_faq_file,
        load_rumours_file,
        locale_dirs,
    )
    from bot.services.faq.service import Faq
    from bot.services.faq.synonyms import SYNONYMS_FILE, load_synonyms

    locale_dir = path.resolve().parent
    try:
        problems: list[str] = []
        if kind == "rumours":
            rumours = load_rumours_file(path, None, problems)
            kb = KnowledgeBase(locale_dir.name if rumours else "", [], [], rumours)
            if (locale_dir / FAQ_FILE).is_file():
                kb.locale = load_faq_file(locale_dir / FAQ_FILE, None, []).locale
        else:
            kb = load_faq_file(path, None, problems)
        siblings = locale_dirs(locale_dir.parent)
        if (not problems and kb.locale == locale_dir.name and locale_dir in siblings
                and len(siblings) > 1):
            return Faq.of(load_all(locale_dir.parent), locale_dir.name), locale_dir.name
        kb.synonyms = load_synonyms(locale_dir / SYNONYMS_FILE, None, problems)
        if problems:
            raise KbError(problems)
    except KbError as exc:
        raise _fail("; see `selfreport faq check`", exc.problems) from None
    if not (kb.rumours if kind == "rumours" else kb.entries):
        raise CliError(f"{path}: no {'rumours' if kind == 'rumours' else 'entries'}")
    locale = kb.locale or "zh_CN"
    kb.locale = locale
    return Faq.of({locale: kb}, locale), locale


async def cmd_faq_eval(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from bot.services.faq import text
    from bot.services.faq.evaluate import (
        QueriesError,
        evaluate,
        question_figures,
        read_queries,
        rumour_figures,
    )

    if bool(args.kb) == bool(args.rumours):
        raise CliError("give either --kb FILE (questions) or --rumours FILE (forwards)")
    kind = "rumours" if args.rumours else "entries"
    path = Path(args.rumours or args.kb)
    faq, locale = _load_faq(path, kind)
    kb = faq.kb(locale)
    known = {r.id for r in kb.rumours} if kind == "rumours" else {e.id for e in kb.entries}
    try:
        queries = read_queries(Path(args.queries), known)
    except QueriesError as exc:
        raise _fail("", str(exc).splitlines()) from None
    text.warm_up()  # jieba's dictionary, so the first question is not timed with it
    if kind == "rumours":
        def search(q: str, k: int) -> list[Any]:
            return list(faq.check_rumour(locale, q).matches[:k])

        def decide(q: str) -> tuple[str, list[str]]:
            found = faq.check_rumour(locale, q)
            return found.kind, [found.rumour.id] if found.rumour else []

        result = evaluate(search, queries, decide)
        figures = rumour_figures(result)
    else:
        def ask(q: str) -> tuple[str, list[str]]:
            found = faq.ask(locale, q)
            ids = [e.id for e in ([found.entry] if found.entry else []) + found.candidates]
            return found.kind, ids

        result = evaluate(lambda q, k: faq.rank(locale, q, k), queries, ask)
        figures = question_figures(result)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return 0
    print(f"{'rumours' if kind == 'rumours' else 'knowledge base'}  {path} ({locale}, "
          f"{len(known)} {'rumours' if kind == 'rumours' else 'entries'}; "
          f"other locales: {', '.join(x for x in faq.locales if x != locale) or 'none'})")
    print(f"queries         {args.queries}")
    for name, value in figures.items():
        shown = (f"{value:.2f} ms" if name.endswith("_ms") else
                 _pct(value) if isinstance(value, float) and name not in ("top1", "top3", "mrr")
                 else f"{value:.3f}" if isinstance(value, float) else str(value))
        print(f"{name:<24}{shown}")
    misses = result.misses
    print(f"misses                  {len(misses)}" + (
        "" if args.show_misses or not misses else " (--show-misses lists them)"))
    if args.show_misses:
        for miss in misses:
            got = ", ".join(f"{m.id} {m.score:.2f}" for m in miss.got[:3]) or "nothing"
            want = "|".join(sorted(miss.query.expected)) or "-"
            print(f"  line {miss.query.line}: {miss.query.text}\n"
                  f"    expected {want}; did {miss.kind} {', '.join(miss.offered)}; got {got}")
    return 0


def add_faq_commands(sub: Any, add: Callable[..., Any]) -> None:
    """Register `selfreport faq check|eval`."""
    faq = sub.add_parser("faq", help="the rules knowledge base").add_subparsers(
        dest="faq_command", required=True, metavar="ACTION")
    check = add("check", cmd_faq_check, "validate the knowledge-base files: every problem is "
                "printed, exit status 1 when there is any", faq)
    check.add_argument("dir", nargs="?", default=str(LOCALES_DIR), metavar="DIR",
                       help="the locales directory, one locale's directory or its faq.yaml "
                            f"(default {LOCALES_DIR})")
    ev = add("eval", cmd_faq_eval, "measure what the chat does with a file of questions "
             "(--kb) or forwards (--rumours): top-1, top-3, MRR, answered / candidates / "
             "handed over (known / similar / not known) with the precision of each, time", faq)
    ev.add_argument("--kb", metavar="FILE", help="a faq.yaml")
    ev.add_argument("--rumours", metavar="FILE", help="a rumours.yaml")
    ev.add_argument("--queries", required=True, metavar="FILE",
                    help="TSV with the header `query<TAB>id`; id may be `a|b` (either is "
                         "right) or `-` (no entry answers it / not a known rumour)")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--show-misses", action="store_true",
                    help="list the questions whose best match is wrong, and out-of-scope "
                         "ones answered")
    from bot.cli.faq_additions import add_faq_addition_commands  # export-/drop-additions

    add_faq_addition_commands(faq, add)
