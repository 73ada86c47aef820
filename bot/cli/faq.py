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
        print(f"{locale}: {len(kb.entries)} entries in {len(kb.categories)} categories, "
              f"{len(kb.rumours)} rumours: ok")
    return 0


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "—"


async def cmd_faq_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services.faq import text
    from bot.services.faq.evaluate import QueriesError, evaluate, read_queries
    from bot.services.faq.kb import KbError, load_faq_file
    from bot.services.faq.service import decide, entry_matcher

    try:
        kb = load_faq_file(Path(args.kb))
    except KbError as exc:
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        raise CliError(f"{exc.problems[0]}{more}; see `selfreport faq check`") from None
    if not kb.entries:
        raise CliError(f"{args.kb}: no entries")
    try:
        queries = read_queries(Path(args.queries), {e.id for e in kb.entries})
    except QueriesError as exc:
        lines = str(exc).splitlines()
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        raise CliError(f"{lines[0]}{more}") from None
    text.warm_up()  # jieba's dictionary, so the first question is not timed with it
    matcher = entry_matcher(kb.entries, context=not args.no_context)
    result = evaluate(matcher.search, queries)
    d = result.decisions(decide)
    print(f"knowledge base  {args.kb} ({kb.locale or 'no locale'}, {len(kb.entries)} entries)")
    print(f"queries         {args.queries}")
    print(f"n               {result.n}")
    print(f"top-1           {result.top1:.3f}")
    print(f"top-3           {result.top3:.3f}")
    print(f"MRR             {result.mrr:.3f}")
    print(f"p50             {result.p50_ms:.2f} ms per question")
    print(f"p99             {result.p99_ms:.2f} ms per question")
    print(f"answered        {_pct(d.confident, result.n)} of questions, "
          f"right {_pct(d.confident_right, d.confident)} of those")
    print(f"candidates      {_pct(d.candidates, result.n)} of questions, "
          f"a right one offered {_pct(d.candidates_hit, d.candidates)} of those")
    print(f"handed over     {_pct(d.none, result.n)} of questions")
    misses = result.misses
    print(f"misses          {len(misses)}" + ("" if args.show_misses or not misses
                                              else " (--show-misses lists them)"))
    if args.show_misses:
        for miss in misses:
            got = ", ".join(f"{m.id} {m.score:.2f}" for m in miss.got[:3]) or "nothing"
            rank = f"right at rank {miss.rank}" if miss.rank else "right not in top 10"
            print(f"  line {miss.query.line}: {miss.query.text}\n"
                  f"    expected {'|'.join(sorted(miss.query.expected))}; got {got}; {rank}")
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
    ev = add("eval", cmd_faq_eval, "measure the matcher: top-1, top-3, MRR and time per "
             "question for a file of questions with the entries they should find", faq)
    ev.add_argument("--kb", required=True, metavar="FILE", help="a faq.yaml")
    ev.add_argument("--queries", required=True, metavar="FILE",
                    help="TSV with the header `query<TAB>id` (id may be `a|b`: either is right)")
    ev.add_argument("--show-misses", action="store_true",
                    help="list the questions whose best match is wrong")
    ev.add_argument("--no-context", action="store_true",
                    help="match questions and paraphrases only, not the start of each answer")
    from bot.cli.faq_additions import add_faq_addition_commands  # export-/drop-additions

    add_faq_addition_commands(faq, add)
