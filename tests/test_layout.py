"""The tests' layout: a feature folder imports from tests.support and from itself, never from
another feature folder; tests.support and the top-level files import from no feature folder."""

from __future__ import annotations

import ast
from pathlib import Path, PurePosixPath

TESTS = Path(__file__).resolve().parent
SHARED = "support"


def imported_test_modules(relative: PurePosixPath, source: str) -> list[tuple[int, str]]:
    """(line, module) of every `tests.…` module a file imports, at any depth; `relative` is
    its path under tests/."""
    package = ("tests", *relative.parent.parts)
    found = []
    for node in ast.walk(ast.parse(source, str(relative))):
        if isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else ()
            names = [".".join([*base, *([node.module] if node.module else [])])]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] == "tests"]
    return found


def crossings(relative: PurePosixPath, source: str) -> list[str]:
    """A file's imports of a test folder other than its own and tests.support."""
    own = relative.parts[0] if len(relative.parts) > 1 else SHARED
    allowed = {SHARED, own}
    return [f"{relative}:{line}: imports {module}"
            for line, module in imported_test_modules(relative, source)
            if len(module.split(".")) < 2 or module.split(".")[1] not in allowed]


def test_no_test_folder_imports_another_feature_folder() -> None:
    files = sorted(p for p in TESTS.rglob("*.py") if "artifacts" not in p.parts)
    assert len(files) > 100  # the walk found the suite
    bad = [line for path in files for line in crossings(
        PurePosixPath(path.relative_to(TESTS).as_posix()), path.read_text(encoding="utf-8"))]
    assert bad == [], "what several folders share belongs in tests/support:\n" + "\n".join(bad)


def test_the_check_sees_every_kind_of_crossing() -> None:
    source = ("from tests.support.builders import at\n"
              "from tests.leaders.helpers import ask\n"
              "from .helpers import outbox\n"
              "from ..digest import helpers\n"
              "def f():\n"
              "    from tests.digest.helpers import unit\n"
              "    import tests.notices.helpers\n")
    assert crossings(PurePosixPath("leaders/test_x.py"), source) == [
        "leaders/test_x.py:4: imports tests.digest",
        "leaders/test_x.py:6: imports tests.digest.helpers",
        "leaders/test_x.py:7: imports tests.notices.helpers",
    ]
    assert crossings(PurePosixPath("support/chat.py"), "from tests.reports import helpers\n") \
        == ["support/chat.py:1: imports tests.reports"]
    assert crossings(PurePosixPath("conftest.py"), "import tests.support.chat\n") == []
